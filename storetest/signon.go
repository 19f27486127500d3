package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// testSignInEventOnce checks what a sign-on commits before its answer leaves: the sign-in log entry together with
// the request's replay-cache key, both or neither, alone and when many callers race (whose records a store may
// commit together).
func testSignInEventOnce(t *testing.T, open Opener) {
	event := func(dir, id string, at time.Time) *gatehouse.SignInEvent {
		return &gatehouse.SignInEvent{ID: id, DirectoryID: dir, Time: at, UserID: "alice", UserName: "alice@contoso.com",
			AppID: "zoom", AppName: "Zoom", Result: gatehouse.ResultSuccess, Protocol: gatehouse.ProtocolSAML,
			CorrelationID: "corr-" + id, ClientAddr: "192.0.2.1", SessionID: "sess-a"}
	}
	logged := func(t *testing.T, s gatehouse.Store, dir string) []string {
		t.Helper()
		es, _, err := s.FindSignInEvents(ctx, dir, gatehouse.SignInFilter{Limit: 1000})
		must(t, err)
		var got []string
		for _, e := range es {
			got = append(got, e.ID)
		}
		return got
	}
	used := func(t *testing.T, s gatehouse.Store, key string, at time.Time) bool {
		t.Helper()
		ok, err := s.IsUsed(ctx, key, at)
		must(t, err)
		return ok
	}

	t.Run("Steps", func(t *testing.T) {
		s := open(t)
		must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
		const key = "authn-request:d:zoom:_1c9f"
		steps := []struct {
			name    string
			dir, id string
			key     string
			at      time.Time
			code    string
		}{
			{"First", "d", "ev1", key, t0, ""},
			{"Replay", "d", "ev2", key, t0.Add(time.Minute), gatehouse.ECONFLICT},
			{"NoKey", "d", "ev3", "", t0.Add(time.Minute), ""},
			{"OtherKey", "d", "ev4", key + "x", t0.Add(time.Minute), ""},
			{"AfterExpiry", "d", "ev5", key, t0.Add(11 * time.Minute), ""},
			{"MissingDirectory", "nope", "ev6", "authn-request:nope:zoom:_2", t0, gatehouse.ENOTFOUND},
			{"QuoteInKey", "d", "ev7", "id' OR '1'='1", t0, ""},
			{"QuoteInKeyReplay", "d", "ev8", "id' OR '1'='1", t0, gatehouse.ECONFLICT},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				wantCode(t, "CreateSignInEventOnce", s.CreateSignInEventOnce(ctx, event(st.dir, st.id, st.at), st.key, st.at.Add(10*time.Minute)), st.code)
			})
		}
		e1 := event("d", "ev1", t0)
		got, err := s.FindSignInEvent(ctx, "d", "ev1")
		must(t, err)
		diff(t, "the logged event", e1, got)
		diff(t, "events logged, newest first", []string{"ev5", "ev4", "ev3", "ev7", "ev1"}, logged(t, s, "d"))
		if !used(t, s, key, t0.Add(12*time.Minute)) {
			t.Error("the key is not recorded after its last use")
		}
		if used(t, s, "authn-request:nope:zoom:_2", t0) {
			t.Error("the key of a refused entry (no such directory) is recorded")
		}
	})

	t.Run("Started", func(t *testing.T) {
		// StartSignInEventOnce hands the records over before the callers wait (as a sign-on does before it signs);
		// each wait gives what CreateSignInEventOnce would have, whatever order the callers wait in. Inside InTx the
		// record is part of the transaction.
		s := open(t)
		must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
		waits := []func() error{
			s.StartSignInEventOnce(ctx, event("d", "ev1", t0), "k1", t0.Add(time.Minute)),
			s.StartSignInEventOnce(ctx, event("d", "ev2", t0), "k2", t0.Add(time.Minute)),
			s.StartSignInEventOnce(ctx, event("d", "ev3", t0), "k1", t0.Add(time.Minute)),
			s.StartSignInEventOnce(ctx, event("nope", "ev4", t0), "k4", t0.Add(time.Minute)),
		}
		codes := make([]string, len(waits))
		for i := len(waits) - 1; i >= 0; i-- {
			codes[i] = gatehouse.ErrorCode(waits[i]())
		}
		slices.Sort(codes[:3]) // ev1 and ev3 race for k1: one wins
		diff(t, "the outcomes", []string{"", "", gatehouse.ECONFLICT, gatehouse.ENOTFOUND}, codes)
		if got := logged(t, s, "d"); len(got) != 2 || !slices.Contains(got, "ev2") {
			t.Errorf("events logged = %v, want ev2 and one of ev1 and ev3", got)
		}
		rollback := errors.New("roll back")
		err := s.InTx(ctx, func(tx gatehouse.Store) error {
			wait := tx.StartSignInEventOnce(ctx, event("d", "ev5", t0), "k5", t0.Add(time.Minute))
			must(t, wait())
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("InTx: %v, want the callback's error", err)
		}
		if used(t, s, "k5", t0) || slices.Contains(logged(t, s, "d"), "ev5") {
			t.Error("the record of a rolled back transaction is kept")
		}
	})

	t.Run("InTx", func(t *testing.T) {
		s := open(t)
		must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
		rollback := errors.New("roll back")
		err := s.InTx(ctx, func(tx gatehouse.Store) error {
			must(t, tx.CreateSignInEventOnce(ctx, event("d", "ev1", t0), "k1", t0.Add(time.Minute)))
			wantCode(t, "a replay in the same transaction", tx.CreateSignInEventOnce(ctx, event("d", "ev2", t0), "k1", t0.Add(time.Minute)), gatehouse.ECONFLICT)
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("InTx: %v, want the callback's error", err)
		}
		diff(t, "events after a rollback", []string(nil), logged(t, s, "d"))
		if used(t, s, "k1", t0) {
			t.Error("the key of a rolled back transaction is recorded")
		}
		must(t, s.InTx(ctx, func(tx gatehouse.Store) error {
			return tx.CreateSignInEventOnce(ctx, event("d", "ev3", t0), "k1", t0.Add(time.Minute))
		}))
		diff(t, "events after a commit", []string{"ev3"}, logged(t, s, "d"))
		if !used(t, s, "k1", t0) {
			t.Error("the key of a committed transaction is not recorded")
		}
	})

	t.Run("Racing", func(t *testing.T) {
		// Callers at once: 8 with the same key (one wins, one entry), and 48 with keys of their own, of which every
		// fourth names a directory that does not exist. Each gets its own answer, whatever records share a commit.
		s := open(t)
		must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
		const same, own = 8, 48
		errs := parallel(same+own, func(i int) error {
			if i < same {
				return s.CreateSignInEventOnce(ctx, event("d", fmt.Sprintf("same-%02d", i), t0), "shared", t0.Add(time.Minute))
			}
			dir := "d"
			if i%4 == 0 {
				dir = "nope"
			}
			return s.CreateSignInEventOnce(ctx, event(dir, fmt.Sprintf("own-%02d", i), t0), fmt.Sprintf("key-%02d", i), t0.Add(time.Minute))
		})
		wantOneWinner(t, "CreateSignInEventOnce with one key", errs[:same], gatehouse.ECONFLICT)
		var want []string
		for i := same; i < same+own; i++ {
			key := fmt.Sprintf("key-%02d", i)
			if i%4 == 0 {
				wantCode(t, "CreateSignInEventOnce in a missing directory", errs[i], gatehouse.ENOTFOUND)
				if used(t, s, key, t0) {
					t.Errorf("key %s of a refused entry is recorded", key)
				}
				continue
			}
			wantCode(t, "CreateSignInEventOnce", errs[i], "")
			if !used(t, s, key, t0) {
				t.Errorf("key %s is not recorded", key)
			}
			want = append(want, fmt.Sprintf("own-%02d", i))
		}
		winners := 0
		var mine []string
		for _, id := range logged(t, s, "d") {
			if strings.HasPrefix(id, "same-") {
				winners++
			} else {
				mine = append(mine, id)
			}
		}
		if winners != 1 {
			t.Errorf("%d entries of the racing callers with one key are logged, want 1", winners)
		}
		slices.Sort(mine)
		diff(t, "entries of the callers with keys of their own", want, mine)
	})
}
