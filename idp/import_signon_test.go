package idp_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// holdingStore is a SQLite store that, once armed, stops a transaction at its holdAt-th user creation until a
// sign-on (started by signOn) waits for the writer, and then notes at the start of every later transaction whether
// the sign-on's log entry was committed by then.
type holdingStore struct {
	*sqlite.Store
	t      *testing.T
	signOn func()
	armed  bool
	holdAt int
	rows   int // users created since armed
	held   bool
	// after says, for each transaction begun after the hold, whether the sign-on's entry was there; afterRows how
	// many users had been created (or refused as taken) since armed.
	after     []bool
	afterRows []int
}

func (h *holdingStore) InTx(ctx context.Context, fn func(tx gatehouse.Store) error) error {
	return h.Store.InTx(ctx, func(tx gatehouse.Store) error {
		if h.held {
			_, err := tx.FindSignInEvent(ctx, gatehouse.DefaultDirectoryID, "ev-sign-on")
			h.after, h.afterRows = append(h.after, err == nil), append(h.afterRows, h.rows)
		}
		return fn(&holdingTx{Store: tx, h: h})
	})
}

// holdingTx is a transaction of a holdingStore; it tells of contention as the SQLite transaction does.
type holdingTx struct {
	gatehouse.Store
	h *holdingStore
}

func (tx *holdingTx) Contended() bool { return tx.Store.(gatehouse.WriteContention).Contended() }

func (tx *holdingTx) CreateUser(ctx context.Context, u *gatehouse.User) error {
	h := tx.h
	if h.armed {
		if h.rows++; h.rows == h.holdAt {
			h.signOn()
			deadline := time.Now().Add(time.Minute) // only a store that never reports the sign-on takes this long
			for !tx.Contended() {
				if time.Now().After(deadline) {
					h.t.Fatal("the transaction never saw the sign-on waiting")
				}
				runtime.Gosched()
			}
			h.held = true
		}
	}
	return tx.Store.CreateUser(ctx, u)
}

// TestImportLetsSignOnsGoFirst imports users on SQLite while a sign-on comes to write its log entry and replay
// record in the middle of one of the import's transactions: the import commits that transaction early, before the
// end of its batch of rows, the sign-on is committed before the import's next transaction begins, and the import
// still creates every valid row exactly once and refuses the others with their lines, across the transactions it
// was cut into.
func TestImportLetsSignOnsGoFirst(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h := &holdingStore{Store: store, t: t, holdAt: 500}
	svc := serviceOn(t, h, password.NewHasher(testserver.TestHashParams, 2))
	if _, _, err := svc.Bootstrap(ctx, testserver.AdminUser, testserver.AdminPassword); err != nil {
		t.Fatal(err)
	}
	admin, err := store.FindUserByName(ctx, gatehouse.DefaultDirectoryID, testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	signedOn := make(chan error, 1)
	h.signOn = func() {
		go func() {
			signedOn <- store.CreateSignInEventOnce(ctx, &gatehouse.SignInEvent{ID: "ev-sign-on", DirectoryID: gatehouse.DefaultDirectoryID,
				Time: time.Now().UTC(), UserID: admin.ID, UserName: admin.UserName, AppID: "zoom", AppName: "Zoom",
				Result: gatehouse.ResultSuccess, Protocol: gatehouse.ProtocolSAML}, "authn-request:default:zoom:_1", time.Now().Add(time.Hour))
		}()
	}

	const rows = 2*idp.ImportBatch + 300
	var f strings.Builder
	f.WriteString("userName,displayName\n")
	var want []importErr
	for i := range rows {
		switch i {
		case 700: // taken by a row of the same batch, committed before the sign-on
			fmt.Fprintf(&f, "user%d@contoso.com,Again\n", 100)
			want = append(want, importErr{i + 2, "user100@contoso.com", gatehouse.ECONFLICT, "userName"})
		case 1500:
			fmt.Fprintf(&f, "user %d,Bad\n", i)
			want = append(want, importErr{i + 2, fmt.Sprintf("user %d", i), gatehouse.EINVALID, "userName"})
		default:
			fmt.Fprintf(&f, "user%d@contoso.com,User %d\n", i, i)
		}
	}
	h.armed = true
	res, err := svc.ImportUsers(ctx, admin, gatehouse.DefaultDirectoryID, idp.ImportCSV, strings.NewReader(f.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := <-signedOn; err != nil {
		t.Fatalf("the sign-on's write: %v", err)
	}
	if len(h.after) < 2 || !h.after[0] {
		t.Errorf("the sign-on's entry was there at the start of the transactions after the hold: %v; want true from the first of several", h.after)
	}
	// The first batch makes 999 CreateUser calls (row 1500 is refused before); the hold was at the 500th.
	if len(h.afterRows) == 0 || h.afterRows[0] >= 999 {
		t.Errorf("the transaction after the hold began after %v rows; want the first batch cut before its end (999)", h.afterRows)
	}
	if diff := cmp.Diff(want, importErrs(res)); diff != "" {
		t.Errorf("refused rows mismatch (-want +got):\n%s", diff)
	}
	if res.Created != rows-len(want) || res.Failed != len(want) {
		t.Errorf("created %d, failed %d; want %d and %d", res.Created, res.Failed, rows-len(want), len(want))
	}
	if total := countUsers(t, store); total != res.Created+1 { // and the admin
		t.Errorf("the directory has %d users; want %d", total, res.Created+1)
	}
	for i := range rows {
		if i == 700 || i == 1500 {
			continue
		}
		// User names are unique in a directory, so with the total right, each row made exactly one user.
		name := fmt.Sprintf("user%d@contoso.com", i)
		if _, err := store.FindUserByName(ctx, gatehouse.DefaultDirectoryID, name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
