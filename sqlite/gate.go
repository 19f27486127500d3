package sqlite

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/gatehouse-idp/gatehouse"
)

// writeGate decides which transaction gets the one writing connection next: the sign-on records of a group commit
// go before every other transaction waiting, the others in the order they came. An admin's bulk work (an import of
// users, a provisioning cycle) writes in short transactions, and a sign-on waits for at most the one under way,
// however many of them queue behind it. Without the gate, database/sql hands a freed connection to a waiting caller
// chosen at random, so a sign-on could wait for several.
//
// The gate orders transactions only: a single statement outside InTx takes the connection from the pool directly,
// which is as short a wait as a sign-on's own transaction.
type writeGate struct {
	mu sync.Mutex
	// held reports whether a transaction holds the gate; urgent and normal are the waiting transactions, first
	// come first. A waiter's channel is closed when the gate is handed to it. All guarded by mu.
	held           bool
	urgent, normal []chan struct{}
}

// lock waits until the caller holds the gate, going before every normal waiter when urgent. It returns EINTERNAL
// when ctx ends first, and then does not hold the gate.
func (g *writeGate) lock(ctx context.Context, urgent bool) error {
	g.mu.Lock()
	if !g.held {
		g.held = true
		g.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	if urgent {
		g.urgent = append(g.urgent, ready)
	} else {
		g.normal = append(g.normal, ready)
	}
	g.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	left := withdraw(&g.urgent, ready) || withdraw(&g.normal, ready)
	g.mu.Unlock()
	if !left {
		g.unlock() // the gate was handed over as ctx ended: pass it on
	}
	return gatehouse.Internal(fmt.Errorf("sqlite: wait for the writer: %w", ctx.Err()))
}

// withdraw takes ready out of waiters, reporting whether it was there.
func withdraw(waiters *[]chan struct{}, ready chan struct{}) bool {
	i := slices.Index(*waiters, ready)
	if i >= 0 {
		*waiters = slices.Delete(*waiters, i, i+1)
	}
	return i >= 0
}

// unlock hands the gate to the first urgent waiter, or else to the first normal one, or leaves it free.
func (g *writeGate) unlock() {
	g.mu.Lock()
	defer g.mu.Unlock()
	var next chan struct{}
	switch {
	case len(g.urgent) > 0:
		next, g.urgent = g.urgent[0], g.urgent[1:]
	case len(g.normal) > 0:
		next, g.normal = g.normal[0], g.normal[1:]
	default:
		g.held = false
		return
	}
	close(next)
}

// urgentWaiting reports whether a sign-on's transaction waits for the gate.
func (g *writeGate) urgentWaiting() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.urgent) > 0
}
