package storetest

import (
	"fmt"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
)

// testHasUsers checks the existence check of users that start-up uses instead of counting them.
func testHasUsers(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	has := func(dir string, want bool) {
		t.Helper()
		got, err := s.HasUsers(ctx, dir)
		must(t, err)
		if got != want {
			t.Errorf("HasUsers(%q) = %v, want %v", dir, got, want)
		}
	}
	has("d", false)
	has("missing", false)
	must(t, s.CreateUser(ctx, newUser("e", "alice", "alice@contoso.com")))
	has("d", false)
	has("e", true)
	must(t, s.InTx(ctx, func(tx gatehouse.Store) error {
		ok, err := tx.HasUsers(ctx, "e")
		if err == nil && !ok {
			err = fmt.Errorf("HasUsers in a transaction = false, want true")
		}
		return err
	}))
	must(t, s.DeleteUser(ctx, "e", "alice"))
	has("e", false)
}

// testCreateUsersInTx checks what a bulk import relies on: inside one transaction, a user whose name is taken is
// refused with ECONFLICT and the transaction goes on, committing the users before and after it.
func testCreateUsersInTx(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateUser(ctx, newUser("d", "alice", "alice@contoso.com")))
	var conflicts []string
	must(t, s.InTx(ctx, func(tx gatehouse.Store) error {
		for i, name := range []string{"bob@contoso.com", "ALICE@contoso.com", "carol@contoso.com", "Bob@Contoso.com", "dave@contoso.com"} {
			err := tx.CreateUser(ctx, newUser("d", fmt.Sprintf("u%d", i), name))
			switch gatehouse.ErrorCode(err) {
			case "":
			case gatehouse.ECONFLICT:
				conflicts = append(conflicts, name)
			default:
				return err
			}
		}
		return nil
	}))
	diff(t, "conflicts", []string{"ALICE@contoso.com", "Bob@Contoso.com"}, conflicts)
	users, n, err := s.FindUsers(ctx, "d", gatehouse.UserFilter{})
	must(t, err)
	var names []string
	for _, u := range users {
		names = append(names, u.UserName)
	}
	diff(t, "users", []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@contoso.com"}, names)
	if n != 4 {
		t.Errorf("total = %d, want 4", n)
	}
}
