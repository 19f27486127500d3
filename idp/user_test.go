package idp_test

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
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
	w := newAuthWorldOn(t, watch)
	w.svc.Hasher.Rand = watch
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
