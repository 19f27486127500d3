package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// errRollback is the error the transactions of the tests fail with.
var errRollback = errors.New("storetest: roll back")

// writeEverything creates, through s, one object of every kind in the directory id, uses a replay-cache key and
// increments a counter.
func writeEverything(t *testing.T, s gatehouse.Store, id string) {
	t.Helper()
	must(t, s.CreateDirectory(ctx, newDirectory(id, t0)))
	must(t, s.CreateUser(ctx, newUser(id, id+"-alice", "alice@"+id+".example.com")))
	must(t, s.CreateGroup(ctx, newGroup(id, id+"-sales", "Sales")))
	must(t, s.AddGroupMember(ctx, id, id+"-sales", id+"-alice"))
	must(t, s.CreateApp(ctx, newApp(id, id+"-app", "App", "https://app.example.com/"+id),
		newCert(id, id+"-cert", id+"-app", t0.AddDate(1, 0, 0), true)))
	must(t, s.CreateAssignment(ctx, assign(id, id+"-asg", id+"-app", gatehouse.PrincipalUser, id+"-alice", 0)))
	must(t, s.CreateSession(ctx, newSession(id, id+"-alice", id+"-session", t0.Add(time.Hour))))
	must(t, s.CreateAPIToken(ctx, newToken(id, id+"-alice", id+"-token", t0, nil)))
	must(t, s.CreateSignInRequest(ctx, newSignInRequest(id, id+"-app", id+"-request", t0.Add(time.Hour))))
	must(t, s.UseOnce(ctx, id+"-key", t0, t0.Add(time.Hour)))
	n, err := s.IncrementCounter(ctx, id+"-counter", t0, time.Hour)
	must(t, err)
	if n != 1 {
		t.Errorf("IncrementCounter = %d, want 1", n)
	}
}

// wantNothing reports an error for anything of what writeEverything writes that s holds.
func wantNothing(t *testing.T, s gatehouse.Store, id string) {
	t.Helper()
	_, err := s.FindDirectory(ctx, id)
	wantCode(t, "FindDirectory", err, gatehouse.ENOTFOUND)
	_, err = s.FindUser(ctx, id, id+"-alice")
	wantCode(t, "FindUser", err, gatehouse.ENOTFOUND)
	_, err = s.FindGroup(ctx, id, id+"-sales")
	wantCode(t, "FindGroup", err, gatehouse.ENOTFOUND)
	_, err = s.FindApp(ctx, id, id+"-app")
	wantCode(t, "FindApp", err, gatehouse.ENOTFOUND)
	_, err = s.FindCertificate(ctx, id, id+"-cert")
	wantCode(t, "FindCertificate", err, gatehouse.ENOTFOUND)
	_, err = s.FindSession(ctx, id+"-session", t0)
	wantCode(t, "FindSession", err, gatehouse.ENOTFOUND)
	_, err = s.FindAPITokenBySecretHash(ctx, "hash-"+id+"-token", t0)
	wantCode(t, "FindAPITokenBySecretHash", err, gatehouse.ENOTFOUND)
	_, err = s.FindSignInRequest(ctx, id, id+"-request", t0)
	wantCode(t, "FindSignInRequest", err, gatehouse.ENOTFOUND)
	// The key was not recorded and the counter not incremented.
	wantCode(t, "UseOnce", s.UseOnce(ctx, id+"-key", t0, t0.Add(time.Hour)), "")
	n, err := s.IncrementCounter(ctx, id+"-counter", t0, time.Hour)
	must(t, err)
	if n != 1 {
		t.Errorf("IncrementCounter after a rolled back increment = %d, want 1", n)
	}
}

func testTransactions(t *testing.T, open Opener) {
	t.Run("Commit", func(t *testing.T) {
		s := open(t)
		must(t, s.InTx(ctx, func(tx gatehouse.Store) error {
			writeEverything(t, tx, "d")
			// The transaction reads its own writes.
			if _, err := tx.FindUser(ctx, "d", "d-alice"); err != nil {
				t.Errorf("FindUser inside the transaction: %v", err)
			}
			return nil
		}))
		_, err := s.FindUser(ctx, "d", "d-alice")
		must(t, err)
		ok, err := s.IsAssigned(ctx, "d", "d-app", "d-alice")
		must(t, err)
		if !ok {
			t.Error("IsAssigned after the commit = false, want true")
		}
		wantCode(t, "UseOnce of the committed key", s.UseOnce(ctx, "d-key", t0, t0.Add(time.Hour)), gatehouse.ECONFLICT)
	})
	t.Run("Rollback", func(t *testing.T) {
		s := open(t)
		err := s.InTx(ctx, func(tx gatehouse.Store) error {
			writeEverything(t, tx, "d")
			return errRollback
		})
		if err != errRollback {
			t.Errorf("InTx returned %v, want fn's error as is", err)
		}
		wantNothing(t, s, "d")
	})
	t.Run("RollbackAfterAFailedStatement", func(t *testing.T) {
		s := open(t)
		err := s.InTx(ctx, func(tx gatehouse.Store) error {
			must(t, tx.CreateDirectory(ctx, newDirectory("d", t0)))
			must(t, tx.CreateUser(ctx, newUser("d", "alice", "alice@contoso.com")))
			return tx.CreateUser(ctx, newUser("d", "alice2", "ALICE@contoso.com"))
		})
		wantCode(t, "InTx", err, gatehouse.ECONFLICT)
		_, err = s.FindDirectory(ctx, "d")
		wantCode(t, "FindDirectory", err, gatehouse.ENOTFOUND)
		// The store still works.
		must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	})
	t.Run("Nested", func(t *testing.T) {
		s := open(t)
		err := s.InTx(ctx, func(tx gatehouse.Store) error {
			must(t, tx.CreateDirectory(ctx, newDirectory("d", t0)))
			// The nested transaction is the same one: its changes are seen, and go when the outer one fails.
			must(t, tx.InTx(ctx, func(tx gatehouse.Store) error {
				if _, err := tx.FindDirectory(ctx, "d"); err != nil {
					t.Errorf("FindDirectory in the nested transaction: %v", err)
				}
				writeEverything(t, tx, "e")
				return nil
			}))
			if _, err := tx.FindUser(ctx, "e", "e-alice"); err != nil {
				t.Errorf("FindUser after the nested transaction: %v", err)
			}
			return errRollback
		})
		if err != errRollback {
			t.Errorf("InTx returned %v, want fn's error as is", err)
		}
		_, err = s.FindDirectory(ctx, "d")
		wantCode(t, "FindDirectory", err, gatehouse.ENOTFOUND)
		wantNothing(t, s, "e")
	})
	t.Run("NestedError", func(t *testing.T) {
		s := open(t)
		err := s.InTx(ctx, func(tx gatehouse.Store) error {
			must(t, tx.CreateDirectory(ctx, newDirectory("d", t0)))
			return tx.InTx(ctx, func(tx gatehouse.Store) error { return errRollback })
		})
		if err != errRollback {
			t.Errorf("InTx returned %v, want the nested fn's error as is", err)
		}
		_, err = s.FindDirectory(ctx, "d")
		wantCode(t, "FindDirectory", err, gatehouse.ENOTFOUND)
	})
	t.Run("TakeRolledBack", func(t *testing.T) {
		s := open(t)
		writeEverything(t, s, "d")
		err := s.InTx(ctx, func(tx gatehouse.Store) error {
			if _, err := tx.TakeSignInRequest(ctx, "d", "d-request", t0); err != nil {
				t.Errorf("TakeSignInRequest: %v", err)
			}
			return errRollback
		})
		if err != errRollback {
			t.Errorf("InTx returned %v, want fn's error as is", err)
		}
		// The request was not consumed.
		_, err = s.TakeSignInRequest(ctx, "d", "d-request", t0)
		must(t, err)
	})
}

func testDeleteExpired(t *testing.T, open Opener) {
	s := open(t)
	sessionWorld(t, s)
	early, late := t0.Add(time.Hour), t0.Add(3*time.Hour)
	must(t, s.CreateSession(ctx, newSession("d", "alice", "s-early", early)))
	must(t, s.CreateSession(ctx, newSession("d", "alice", "s-late", late)))
	must(t, s.CreateSignInRequest(ctx, newSignInRequest("d", "app", "r-early", early)))
	must(t, s.CreateSignInRequest(ctx, newSignInRequest("d", "app", "r-late", late)))
	must(t, s.CreateAPIToken(ctx, newToken("d", "alice", "t-early", t0, ptr(early))))
	must(t, s.CreateAPIToken(ctx, newToken("d", "alice", "t-late", t0.Add(time.Second), ptr(late))))
	must(t, s.CreateAPIToken(ctx, newToken("d", "alice", "t-never", t0.Add(2*time.Second), nil)))
	must(t, s.UseOnce(ctx, "k-early", t0, early))
	must(t, s.UseOnce(ctx, "k-late", t0, late))

	must(t, s.DeleteExpired(ctx, t0.Add(2*time.Hour)))

	// Looking up at t0, when nothing had expired yet, shows what is still stored.
	for _, tc := range []struct {
		name string
		err  error
		code string
	}{
		{"SessionExpired", func() error { _, err := s.FindSession(ctx, "s-early", t0); return err }(), gatehouse.ENOTFOUND},
		{"SessionLive", func() error { _, err := s.FindSession(ctx, "s-late", t0); return err }(), ""},
		{"RequestExpired", func() error { _, err := s.FindSignInRequest(ctx, "d", "r-early", t0); return err }(), gatehouse.ENOTFOUND},
		{"RequestLive", func() error { _, err := s.FindSignInRequest(ctx, "d", "r-late", t0); return err }(), ""},
		{"TokenExpired", func() error { _, err := s.FindAPITokenBySecretHash(ctx, "hash-t-early", t0); return err }(), gatehouse.ENOTFOUND},
		{"TokenLive", func() error { _, err := s.FindAPITokenBySecretHash(ctx, "hash-t-late", t0); return err }(), ""},
		// A forgotten key can be used again, even before its old expiry.
		{"KeyExpired", s.UseOnce(ctx, "k-early", t0, early), ""},
		{"KeyLive", s.UseOnce(ctx, "k-late", t0, late), gatehouse.ECONFLICT},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.name, tc.err, tc.code) })
	}
	list, err := s.FindAPITokens(ctx, "d", "alice")
	must(t, err)
	diff(t, "API tokens after DeleteExpired", []string{"t-never", "t-late"}, ids(list, tokenID))
	must(t, s.DeleteExpired(ctx, t0.Add(2*time.Hour)))
}
