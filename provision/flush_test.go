package provision_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// holdingStore is a SQLite store that stops a transaction at its holdAt-th write of a provisioning result (a link
// or a log entry) until a sign-on waits for the writer, and then notes, at the start of every later transaction,
// whether the sign-on's log entry was committed by then and how many results had been written.
type holdingStore struct {
	*sqlite.Store
	holdAt int
	mu     sync.Mutex
	writes int
	held   bool
	// after and afterWrites describe the transactions begun after the hold.
	after       []bool
	afterWrites []int
	signedOn    chan error
}

func (h *holdingStore) InTx(ctx context.Context, fn func(tx gatehouse.Store) error) error {
	return h.Store.InTx(ctx, func(tx gatehouse.Store) error {
		h.mu.Lock()
		if h.held {
			_, err := tx.FindSignInEvent(ctx, "d", "ev-sign-on")
			h.after, h.afterWrites = append(h.after, err == nil), append(h.afterWrites, h.writes)
		}
		h.mu.Unlock()
		return fn(&holdingTx{Store: tx, h: h})
	})
}

// holdingTx is a transaction of a holdingStore; it tells of contention as the SQLite transaction does.
type holdingTx struct {
	gatehouse.Store
	h *holdingStore
}

func (tx *holdingTx) Contended() bool { return tx.Store.(gatehouse.WriteContention).Contended() }

// wrote counts a result and holds at the holdAt-th.
func (tx *holdingTx) wrote(ctx context.Context) error {
	h := tx.h
	h.mu.Lock()
	h.writes++
	hold := h.writes == h.holdAt
	h.mu.Unlock()
	if !hold {
		return nil
	}
	go func() {
		h.signedOn <- h.Store.CreateSignInEventOnce(ctx, &gatehouse.SignInEvent{ID: "ev-sign-on", DirectoryID: "d",
			Time: time.Now().UTC(), UserID: "u001", UserName: "user1@contoso.com", AppID: "a", AppName: "Analytics",
			Result: gatehouse.ResultSuccess, Protocol: gatehouse.ProtocolSAML}, "authn-request:d:a:_1", time.Now().Add(time.Hour))
	}()
	deadline := time.Now().Add(time.Minute) // only a store that never reports the sign-on takes this long
	for !tx.Contended() {
		if time.Now().After(deadline) {
			return fmt.Errorf("the transaction never saw the sign-on waiting")
		}
		runtime.Gosched()
	}
	h.mu.Lock()
	h.held = true
	h.mu.Unlock()
	return nil
}

func (tx *holdingTx) SaveProvisionedObject(ctx context.Context, l *gatehouse.ProvisionedObject) error {
	if err := tx.wrote(ctx); err != nil {
		return err
	}
	return tx.Store.SaveProvisionedObject(ctx, l)
}

func (tx *holdingTx) CreateProvisioningEvent(ctx context.Context, e *gatehouse.ProvisioningEvent) error {
	if err := tx.wrote(ctx); err != nil {
		return err
	}
	return tx.Store.CreateProvisioningEvent(ctx, e)
}

// TestCycleResultsLetSignOnsGoFirst runs a full cycle on SQLite while a sign-on comes to write in the middle of the
// transaction that writes a page of the cycle's results: that transaction commits early, the sign-on is committed
// before the rest of the page is written, and the cycle still provisions every user once with one link and one
// log entry each.
func TestCycleResultsLetSignOnsGoFirst(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	const users = 60 // one page: 120 results in one flush
	h := &holdingStore{Store: s, holdAt: users, signedOn: make(chan error, 1)}
	w := newWorldOn(t, h, func(p *gatehouse.Provisioning) { p.Scope = gatehouse.ScopeAll; p.Groups = false })
	var all []*gatehouse.User
	for i := range users {
		all = append(all, w.user(fmt.Sprintf("user%d", i+1)))
	}
	w.cycle()
	w.until("the initial cycle has finished", func() bool { return w.status().LastCycle != nil })

	if err := <-h.signedOn; err != nil {
		t.Fatalf("the sign-on's write: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.after) == 0 || !h.after[0] {
		t.Errorf("the sign-on's entry was there at the start of the transactions after the hold: %v; want true from the first", h.after)
	}
	if len(h.afterWrites) == 0 || h.afterWrites[0] >= 2*users {
		t.Errorf("the transaction after the hold began after %v results; want the page's flush cut before its end (%d)", h.afterWrites, 2*users)
	}
	if c := w.status().LastCycle.Counts; c != (gatehouse.ProvisioningCounts{Created: users}) {
		t.Errorf("the cycle's counts = %+v; want %d created", c, users)
	}
	for _, u := range all {
		w.one(u)
	}
	if n, _, err := s.CountProvisionedObjects(w.ctx, "d", "a", gatehouse.ObjectUser); err != nil || n != users {
		t.Errorf("%d links (%v); want %d", n, err, users)
	}
	if ev := w.events(gatehouse.ProvisioningFilter{Action: gatehouse.ActionCreate}); len(ev) != users {
		t.Errorf("%d log entries of creations; want %d", len(ev), users)
	}
}
