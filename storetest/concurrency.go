package storetest

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// parallel runs fn(i) for i in [0, n) on n goroutines started together, and returns their errors by i.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// testConcurrency checks the operations that must be atomic when several callers race: one-time use of a key and
// of a sign-in request, read-modify-write of an app, and counting.
func testConcurrency(t *testing.T, open Opener) {
	const n = 8
	t.Run("UseOnce", func(t *testing.T) {
		s := open(t)
		for round := range 3 {
			key := fmt.Sprintf("_assertion-%d", round)
			errs := parallel(n, func(int) error { return s.UseOnce(ctx, key, t0, t0.Add(5*time.Minute)) })
			wantOneWinner(t, "UseOnce", errs, gatehouse.ECONFLICT)
		}
		// After expiry, racing again lets exactly one through again.
		errs := parallel(n, func(int) error { return s.UseOnce(ctx, "_assertion-0", t0.Add(time.Hour), t0.Add(2*time.Hour)) })
		wantOneWinner(t, "UseOnce after expiry", errs, gatehouse.ECONFLICT)
	})
	t.Run("TakeSignInRequest", func(t *testing.T) {
		s := open(t)
		sessionWorld(t, s)
		for round := range 3 {
			id := fmt.Sprintf("req-%d", round)
			must(t, s.CreateSignInRequest(ctx, newSignInRequest("d", "app", id, t0.Add(time.Hour))))
			errs := parallel(n, func(int) error { _, err := s.TakeSignInRequest(ctx, "d", id, t0); return err })
			wantOneWinner(t, "TakeSignInRequest", errs, gatehouse.ENOTFOUND)
		}
	})
	t.Run("FindAppForUpdate", func(t *testing.T) {
		// Read-modify-writes of one app in racing transactions: each reads a count from the notes and writes it back
		// one higher. Without the lock a write based on a stale read would undo another's, and the count fall short.
		s := open(t)
		must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
		a := newApp("d", "app", "Zoom", "")
		a.Notes = "0"
		must(t, s.CreateApp(ctx, a, nil))
		const each = 10
		errs := parallel(n, func(int) error {
			for range each {
				err := s.InTx(ctx, func(tx gatehouse.Store) error {
					a, err := tx.FindAppForUpdate(ctx, "d", "app")
					if err != nil {
						return err
					}
					count, err := strconv.Atoi(a.Notes)
					if err != nil {
						return err
					}
					a.Notes = strconv.Itoa(count + 1)
					return tx.UpdateApp(ctx, a)
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		for _, err := range errs {
			must(t, err)
		}
		got, err := s.FindAppForUpdate(ctx, "d", "app")
		must(t, err)
		diff(t, "count after concurrent read-modify-writes", strconv.Itoa(n*each), got.Notes)
		_, err = s.FindAppForUpdate(ctx, "d", "nope")
		wantCode(t, "FindAppForUpdate of an unknown app", err, gatehouse.ENOTFOUND)
	})
	t.Run("IncrementCounter", func(t *testing.T) {
		s := open(t)
		const each = 5
		var mu sync.Mutex
		var got []int
		errs := parallel(n, func(int) error {
			for range each {
				v, err := s.IncrementCounter(ctx, "login:alice", t0, time.Hour)
				if err != nil {
					return err
				}
				mu.Lock()
				got = append(got, v)
				mu.Unlock()
			}
			return nil
		})
		for _, err := range errs {
			must(t, err)
		}
		// Every increment counted, each value returned once.
		slices.Sort(got)
		var want []int
		for i := range n * each {
			want = append(want, i+1)
		}
		diff(t, "values returned by concurrent increments", want, got)
	})
}

// wantOneWinner reports an error unless exactly one of errs is nil and all others have the code loser.
func wantOneWinner(t *testing.T, what string, errs []error, loser string) {
	t.Helper()
	wins := 0
	for _, err := range errs {
		switch code := gatehouse.ErrorCode(err); code {
		case "":
			wins++
		case loser:
		default:
			t.Errorf("%s: unexpected error %v", what, err)
		}
	}
	if wins != 1 {
		t.Errorf("%s: %d of %d concurrent callers succeeded, want exactly 1", what, wins, len(errs))
	}
}
