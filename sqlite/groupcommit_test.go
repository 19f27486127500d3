package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

func signOnEvent(id string) *gatehouse.SignInEvent {
	return &gatehouse.SignInEvent{ID: id, DirectoryID: "d", Time: t0, UserID: "alice", UserName: "alice@contoso.com",
		AppID: "zoom", AppName: "Zoom", Result: gatehouse.ResultSuccess, Protocol: gatehouse.ProtocolSAML}
}

// TestGroupCommitHoldsWhileCallersSign hands two sign-on records over whose callers are still busy (signing): the
// transaction holding them waits, without committing, until one caller waits, and then commits both at once.
func TestGroupCommitHoldsWhileCallersSign(t *testing.T) {
	ctx := context.Background()
	s := mustOpenPath(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	sqlite.SetMaxHold(s, time.Hour) // only a caller that waits ends the hold
	if err := s.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	before := sqlite.SignOnTransactions(s)
	waitA := s.StartSignInEventOnce(ctx, signOnEvent("ev-a"), "authn-request:d:zoom:_a", t0.Add(time.Hour))
	waitB := s.StartSignInEventOnce(ctx, signOnEvent("ev-b"), "authn-request:d:zoom:_b", t0.Add(time.Hour))
	waitUntil(t, "both records are held", func() bool { return sqlite.HeldSignOns(s) == 2 })
	if _, err := s.FindSignInEvent(ctx, "d", "ev-a"); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		t.Fatalf("FindSignInEvent while the record is held = %v, want ENOTFOUND (not committed yet)", err)
	}
	if err := waitA(); err != nil {
		t.Fatal(err)
	}
	if err := waitB(); err != nil {
		t.Fatal(err)
	}
	if n := sqlite.SignOnTransactions(s) - before; n != 1 {
		t.Errorf("transactions for the two records = %d, want 1", n)
	}
	for _, id := range []string{"ev-a", "ev-b"} {
		if _, err := s.FindSignInEvent(ctx, "d", id); err != nil {
			t.Errorf("FindSignInEvent(%s) after the commit: %v", id, err)
		}
	}
	// A caller that waits at once (CreateSignInEventOnce) is not held back.
	if err := s.CreateSignInEventOnce(ctx, signOnEvent("ev-c"), "authn-request:d:zoom:_c", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitHoldEnds checks that a record whose caller never waits is committed once the hold's bound passes.
func TestGroupCommitHoldEnds(t *testing.T) {
	ctx := context.Background()
	s := mustOpenPath(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	sqlite.SetMaxHold(s, 5*time.Millisecond)
	if err := s.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	wait := s.StartSignInEventOnce(ctx, signOnEvent("ev-a"), "authn-request:d:zoom:_a", t0.Add(time.Hour))
	waitUntil(t, "the record is committed without its caller waiting", func() bool {
		_, err := s.FindSignInEvent(ctx, "d", "ev-a")
		return err == nil
	})
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}

// TestCloseWritesHeldRecords closes the store while it holds a record back: the record is written before Close
// returns, and a record handed over after Close is refused.
func TestCloseWritesHeldRecords(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sqlite.SetMaxHold(s, time.Hour)
	if err := s.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	wait := s.StartSignInEventOnce(ctx, signOnEvent("ev-a"), "authn-request:d:zoom:_a", t0.Add(time.Hour))
	waitUntil(t, "the record is held", func() bool { return sqlite.HeldSignOns(s) == 1 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatalf("the held record, at Close: %v", err)
	}
	late := s.StartSignInEventOnce(ctx, signOnEvent("ev-b"), "authn-request:d:zoom:_b", t0.Add(time.Hour))
	if code := gatehouse.ErrorCode(late()); code != gatehouse.EINTERNAL {
		t.Errorf("a record after Close: code %q, want %q", code, gatehouse.EINTERNAL)
	}
	s = mustOpenPath(t, path)
	if _, err := s.FindSignInEvent(ctx, "d", "ev-a"); err != nil {
		t.Errorf("the held record after reopening: %v", err)
	}
	if used, err := s.IsUsed(ctx, "authn-request:d:zoom:_a", t0); err != nil || !used {
		t.Errorf("its replay key after reopening: used %v, %v", used, err)
	}
}
