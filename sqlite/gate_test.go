package sqlite_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// waitUntil waits, yielding the processor, until cond holds; it fails the test when cond does not hold within a
// minute, which only a broken gate would take.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting until %s", what)
		}
		runtime.Gosched()
	}
}

// TestSignOnGoesBeforeWaitingTransactions holds the writer in a transaction while a sign-on's record and then an
// admin's transaction come to write: the transaction sees the sign-on waiting (Contended), and when it ends, the
// sign-on's record commits before the admin's transaction begins, although it came first.
func TestSignOnGoesBeforeWaitingTransactions(t *testing.T) {
	ctx := context.Background()
	s := mustOpenPath(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err := s.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if s.Contended() {
		t.Error("Contended outside a transaction = true")
	}
	ev := &gatehouse.SignInEvent{ID: "ev1", DirectoryID: "d", Time: t0, UserID: "alice", UserName: "alice@contoso.com",
		AppID: "zoom", AppName: "Zoom", Result: gatehouse.ResultSuccess, Protocol: gatehouse.ProtocolSAML}
	signedOn, adminDone := make(chan error, 1), make(chan error, 1)
	adminSaw := false
	err := s.InTx(ctx, func(tx gatehouse.Store) error {
		c, ok := tx.(gatehouse.WriteContention)
		if !ok {
			t.Fatal("the SQLite transaction does not implement gatehouse.WriteContention")
		}
		if c.Contended() {
			t.Error("Contended before any sign-on = true")
		}
		go func() {
			adminDone <- s.InTx(ctx, func(tx gatehouse.Store) error {
				_, err := tx.FindSignInEvent(ctx, "d", "ev1")
				adminSaw = err == nil
				return tx.CreateUser(ctx, &gatehouse.User{ID: "u2", DirectoryID: "d", UserName: "u2@contoso.com",
					DisplayName: "U2", Role: gatehouse.RoleUser})
			})
		}()
		waitUntil(t, "the admin's transaction waits", func() bool { _, n := sqlite.WaitingWriters(s); return n == 1 })
		if c.Contended() {
			t.Error("Contended with only an admin's transaction waiting = true")
		}
		go func() { signedOn <- s.CreateSignInEventOnce(ctx, ev, "authn-request:d:zoom:_1", t0.Add(time.Hour)) }()
		waitUntil(t, "the sign-on waits", c.Contended)
		return tx.CreateUser(ctx, &gatehouse.User{ID: "u1", DirectoryID: "d", UserName: "u1@contoso.com",
			DisplayName: "U1", Role: gatehouse.RoleUser})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-signedOn; err != nil {
		t.Fatalf("sign-on: %v", err)
	}
	if err := <-adminDone; err != nil {
		t.Fatalf("admin's transaction: %v", err)
	}
	if !adminSaw {
		t.Error("the admin's transaction began before the sign-on's record was committed")
	}
	if u, n := sqlite.WaitingWriters(s); u != 0 || n != 0 {
		t.Errorf("%d sign-ons and %d transactions still wait", u, n)
	}
}

// TestWriterWaitEndsWithContext checks that a transaction that gives up waiting for the writer (its context ends)
// leaves the queue and returns EINTERNAL, and that the writer serves the next one.
func TestWriterWaitEndsWithContext(t *testing.T) {
	ctx := context.Background()
	s := mustOpenPath(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	gaveUp := make(chan error, 1)
	err := s.InTx(ctx, func(tx gatehouse.Store) error {
		wctx, cancel := context.WithCancel(ctx)
		go func() { gaveUp <- s.InTx(wctx, func(gatehouse.Store) error { return nil }) }()
		waitUntil(t, "the second transaction waits", func() bool { _, n := sqlite.WaitingWriters(s); return n == 1 })
		cancel()
		if err := <-gaveUp; gatehouse.ErrorCode(err) != gatehouse.EINTERNAL {
			t.Errorf("InTx after its context ended = %v; want EINTERNAL", err)
		}
		if _, n := sqlite.WaitingWriters(s); n != 0 {
			t.Errorf("%d transactions wait after the only waiter gave up", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, func(gatehouse.Store) error { return nil }); err != nil {
		t.Errorf("InTx after the wait that gave up: %v", err)
	}
}
