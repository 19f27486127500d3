package idp_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/password"
)

// txWatch is a store that knows whether one of its transactions is open, and a source of salts that notes every
// hash begun while one is.
type txWatch struct {
	gatehouse.Store
	mu sync.Mutex // guards open, hashes and hashesInTx
	// open is the number of transactions running now.
	open int
	// hashes and hashesInTx count the hashes begun, and those begun inside a transaction.
	hashes, hashesInTx int
}

func (w *txWatch) InTx(ctx context.Context, fn func(tx gatehouse.Store) error) error {
	w.mu.Lock()
	w.open++
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.open--
		w.mu.Unlock()
	}()
	return w.Store.InTx(ctx, fn)
}

// Read is the Hasher's source of salts: every new hash reads one salt before it starts.
func (w *txWatch) Read(p []byte) (int, error) {
	w.mu.Lock()
	w.hashes++
	if w.open > 0 {
		w.hashesInTx++
	}
	w.mu.Unlock()
	return rand.Read(p)
}

func (w *txWatch) counts() (hashes, inTx int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hashes, w.hashesInTx
}

// STYLE 18: a password is hashed before the transaction that stores it, never inside: on SQLite's single writer a
// hash inside the transaction holds up every sign-on's writes behind it.
func TestPasswordsAreHashedOutsideTransactions(t *testing.T) {
	watch := &txWatch{Store: openSQLite(t)}
	w := newAuthWorldOn(t, watch, func(c *idp.Config) { c.Hasher.Rand = watch })
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"CreateUser", func() error {
			_, _, err := w.svc.CreateUser(ctx, w.admin, gatehouse.DefaultDirectoryID, idp.UserInput{UserName: "e.ortiz@contoso.com", DisplayName: "Elena Ortiz"})
			return err
		}},
		{"ResetPassword", func() error {
			_, _, err := w.svc.ResetPassword(ctx, w.admin, gatehouse.DefaultDirectoryID, w.user.ID)
			return err
		}},
		{"ChangePassword", func() error {
			_, temp, err := w.svc.ResetPassword(ctx, w.admin, gatehouse.DefaultDirectoryID, w.user.ID)
			if err != nil {
				return err
			}
			return w.svc.ChangePassword(from("203.0.113.250"), w.user, temp, "Correct-Horse-Battery-26")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, beforeInTx := watch.counts()
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			hashes, inTx := watch.counts()
			if hashes == before {
				t.Fatalf("no password was hashed")
			}
			if n := inTx - beforeInTx; n > 0 {
				t.Errorf("%d of %d hashes ran inside a transaction", n, hashes-before)
			}
		})
	}
}

// A user name that looks like someone else's is refused on every path that creates or renames a user, and nothing
// is stored; a name stored before the rule keeps working (the username package tests each class of name).
func TestUserNameRuleOnEveryPath(t *testing.T) {
	const lookalike = "admin@gatehouse.locаl" // a Cyrillic а
	var cfg idp.Config
	w := newAuthWorld(t, func(c *idp.Config) { cfg = *c })
	ctx := context.Background()
	dir := gatehouse.DefaultDirectoryID
	// A name that an older rule allowed, stored as it was then.
	legacy := &gatehouse.User{ID: "legacy", DirectoryID: dir, UserName: "r&d@contoso.com", DisplayName: "R&D", Role: gatehouse.RoleUser}
	if err := w.store.CreateUser(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"CreateUser", func() error {
			_, _, err := w.svc.CreateUser(ctx, w.admin, dir, idp.UserInput{UserName: lookalike, DisplayName: "Admin"})
			return err
		}},
		{"UpdateUser renames", func() error {
			_, err := w.svc.UpdateUser(ctx, w.admin, dir, w.user.ID, idp.UserPatch{UserName: ptr(lookalike)})
			return err
		}},
		{"UpdateUser renames an old name", func() error {
			_, err := w.svc.UpdateUser(ctx, w.admin, dir, legacy.ID, idp.UserPatch{UserName: ptr("r&d\u200b@contoso.com")})
			return err
		}},
		{"Bootstrap", func() error {
			c := cfg
			c.Store = openSQLite(t)
			svc, err := idp.New(c)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = svc.Bootstrap(ctx, lookalike, "")
			if _, total, ferr := c.Store.FindUsers(ctx, dir, gatehouse.UserFilter{}); ferr != nil || total != 0 {
				t.Errorf("after a refused bootstrap: %d users, %v; want none", total, ferr)
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if gatehouse.ErrorCode(err) != gatehouse.EINVALID || gatehouse.ErrorField(err) != "userName" {
				t.Fatalf("got %v, want an invalid userName", err)
			}
		})
	}
	if _, err := w.store.FindUserByName(ctx, dir, lookalike); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		t.Errorf("the look-alike name was stored: %v", err)
	}
	if u, err := w.store.FindUser(ctx, dir, w.user.ID); err != nil || u.UserName != userName {
		t.Errorf("the renamed user is %v, %v; want %s", u, err, userName)
	}
	// The old name is kept when other fields change.
	u, err := w.svc.UpdateUser(ctx, w.admin, dir, legacy.ID, idp.UserPatch{DisplayName: ptr("Research")})
	if err != nil || u.UserName != legacy.UserName {
		t.Errorf("changing the display name of %s: %v, %v", legacy.UserName, u, err)
	}
}

func ptr[T any](v T) *T { return &v }

// BenchmarkSessionWhileCreatingUsers measures a sign-in's write (a new session) on SQLite's single writer while an
// admin creates users with production hashing parameters; p50 and p99 are reported. A hash inside CreateUser's
// transaction would hold every such write behind it.
func BenchmarkSessionWhileCreatingUsers(b *testing.B) {
	w := newAuthWorld(b, func(c *idp.Config) { c.Hasher = password.NewHasher(password.DefaultParams, 1) })
	ctx := context.Background()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := w.svc.CreateUser(ctx, w.admin, gatehouse.DefaultDirectoryID, idp.UserInput{UserName: fmt.Sprintf("bench%d@contoso.com", i), DisplayName: "Bench"}); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	var took []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if _, _, err := w.svc.CreateSession(ctx, w.user, false); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	close(stop)
	<-done
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}
