package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

func testUsers(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	alice := &gatehouse.User{ID: "alice", DirectoryID: "d", UserName: "Alice.Smith@contoso.com", FirstName: "Alice",
		LastName: "Smith", DisplayName: "Alice <b>Smith</b> & co", Mail: "alice.smith@contoso.com",
		Role: gatehouse.RoleGlobalAdmin, Disabled: true, MustChangePassword: true,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", PasswordChangedAt: t0.Add(-time.Hour),
		MFAEnabled: true, MFASecret: []byte{0, 1, 0xfe, 0xff, 's', 'e', 'a', 'l'},
		RecoveryCodes: []string{"9f86d081884c7d659a2feaa0c55ad015", "60303ae22b998861bce3b28f33eec1be", `"quoted" \ code`},
		CreatedAt:     t0, UpdatedAt: t0.Add(time.Second)}
	// bob has zero values wherever a field may be empty, a zero PasswordChangedAt among them.
	bob := &gatehouse.User{ID: "bob", DirectoryID: "d", UserName: "bob@contoso.com", DisplayName: "Bob",
		Role: gatehouse.RoleUser, CreatedAt: t0, UpdatedAt: t0}
	must(t, s.CreateUser(ctx, alice))
	must(t, s.CreateUser(ctx, bob))

	t.Run("RoundTrip", func(t *testing.T) {
		for _, u := range []*gatehouse.User{alice, bob} {
			got, err := s.FindUser(ctx, "d", u.ID)
			must(t, err)
			diff(t, "user "+u.ID, u, got)
		}
	})
	t.Run("Conflicts", func(t *testing.T) {
		for _, tc := range []struct{ name, id, userName string }{
			{"SameName", "alice2", "Alice.Smith@contoso.com"},
			{"LowerCase", "alice3", "alice.smith@contoso.com"},
			{"UpperCase", "alice4", "ALICE.SMITH@CONTOSO.COM"},
			{"SameID", "alice", "someone.else@contoso.com"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := s.CreateUser(ctx, newUser("d", tc.id, tc.userName))
				wantCode(t, "CreateUser", err, gatehouse.ECONFLICT)
				_, n, err := s.FindUsers(ctx, "d", gatehouse.UserFilter{})
				must(t, err)
				if n != 2 {
					t.Errorf("the directory has %d users after a conflict, want 2", n)
				}
			})
		}
	})
	t.Run("SameNameInAnotherDirectory", func(t *testing.T) {
		must(t, s.CreateUser(ctx, newUser("e", "e-alice", "alice.smith@contoso.com")))
	})
	t.Run("FindUserByName", func(t *testing.T) {
		for _, tc := range []struct {
			name, directoryID, userName string
			want                        *gatehouse.User
		}{
			{"Exact", "d", "Alice.Smith@contoso.com", alice},
			{"LowerCase", "d", "alice.smith@contoso.com", alice},
			{"UpperCase", "d", "ALICE.SMITH@CONTOSO.COM", alice},
			{"Other", "d", "Bob@Contoso.com", bob},
			{"Unknown", "d", "carol@contoso.com", nil},
			{"Prefix", "d", "alice", nil},
			{"Empty", "d", "", nil},
			{"OtherDirectory", "e", "bob@contoso.com", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.FindUserByName(ctx, tc.directoryID, tc.userName)
				if tc.want == nil {
					wantCode(t, "FindUserByName", err, gatehouse.ENOTFOUND)
					return
				}
				must(t, err)
				diff(t, "user", tc.want, got)
			})
		}
	})
	t.Run("Update", func(t *testing.T) {
		u := &gatehouse.User{ID: "bob", DirectoryID: "d", UserName: "Robert@Contoso.com", FirstName: "Robert",
			LastName: "Jones", DisplayName: "Robert Jones", Mail: "robert@contoso.com", Role: gatehouse.RoleAppAdmin,
			Disabled: true, MustChangePassword: true, PasswordHash: "new-hash", PasswordChangedAt: t0.Add(time.Hour),
			MFAEnabled: true, MFASecret: []byte("sealed-secret"), RecoveryCodes: []string{"a1", "b2"},
			CreatedAt: t0.Add(99 * time.Hour), UpdatedAt: t0.Add(time.Hour)}
		must(t, s.UpdateUser(ctx, u))
		want := *u
		want.CreatedAt = bob.CreatedAt // UpdateUser keeps CreatedAt.
		got, err := s.FindUser(ctx, "d", "bob")
		must(t, err)
		diff(t, "updated user", &want, got)
		got, err = s.FindUserByName(ctx, "d", "robert@contoso.com")
		must(t, err)
		diff(t, "updated user by its new name", &want, got)
		_, err = s.FindUserByName(ctx, "d", "bob@contoso.com")
		wantCode(t, "FindUserByName with the old name", err, gatehouse.ENOTFOUND)

		// Changing only the case of one's own name is no conflict.
		want.UserName = "robert@contoso.com"
		must(t, s.UpdateUser(ctx, &want))
		got, err = s.FindUser(ctx, "d", "bob")
		must(t, err)
		diff(t, "user with a recased name", &want, got)
	})
	t.Run("UpdateMFA", func(t *testing.T) {
		// A used recovery code goes, the rest stay in order; then MFA is turned off with nothing left.
		u, err := s.FindUser(ctx, "d", "alice")
		must(t, err)
		u.RecoveryCodes = u.RecoveryCodes[1:]
		must(t, s.UpdateUser(ctx, u))
		got, err := s.FindUser(ctx, "d", "alice")
		must(t, err)
		diff(t, "user after a used recovery code", u, got)
		u.MFAEnabled, u.MFASecret, u.RecoveryCodes = false, nil, nil
		must(t, s.UpdateUser(ctx, u))
		got, err = s.FindUser(ctx, "d", "alice")
		must(t, err)
		diff(t, "user with MFA turned off", u, got)
		u.MFAEnabled, u.MFASecret, u.RecoveryCodes = alice.MFAEnabled, alice.MFASecret, alice.RecoveryCodes
		must(t, s.UpdateUser(ctx, u))
	})
	t.Run("FindUsersReturnsMFA", func(t *testing.T) {
		users, _, err := s.FindUsers(ctx, "d", gatehouse.UserFilter{Query: "alice.smith"})
		must(t, err)
		diff(t, "FindUsers", []*gatehouse.User{alice}, users)
		byName, err := s.FindUserByName(ctx, "d", "alice.smith@contoso.com")
		must(t, err)
		diff(t, "FindUserByName", alice, byName)
	})
	t.Run("UpdateConflict", func(t *testing.T) {
		before, err := s.FindUser(ctx, "d", "bob")
		must(t, err)
		u := *before
		u.UserName = "ALICE.smith@contoso.com"
		wantCode(t, "UpdateUser to a taken name", s.UpdateUser(ctx, &u), gatehouse.ECONFLICT)
		got, err := s.FindUser(ctx, "d", "bob")
		must(t, err)
		diff(t, "user after a failed update", before, got)
	})
	t.Run("Missing", func(t *testing.T) {
		_, err := s.FindUser(ctx, "d", "nobody")
		wantCode(t, "FindUser", err, gatehouse.ENOTFOUND)
		wantCode(t, "UpdateUser", s.UpdateUser(ctx, newUser("d", "nobody", "nobody@contoso.com")), gatehouse.ENOTFOUND)
		wantCode(t, "DeleteUser", s.DeleteUser(ctx, "d", "nobody"), gatehouse.ENOTFOUND)
		_, err = s.FindUser(ctx, "d", "")
		wantCode(t, "FindUser with an empty ID", err, gatehouse.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		must(t, s.DeleteUser(ctx, "d", "alice"))
		_, err := s.FindUser(ctx, "d", "alice")
		wantCode(t, "FindUser after DeleteUser", err, gatehouse.ENOTFOUND)
		wantCode(t, "DeleteUser again", s.DeleteUser(ctx, "d", "alice"), gatehouse.ENOTFOUND)
		// The name is free again.
		must(t, s.CreateUser(ctx, newUser("d", "alice-again", "alice.smith@contoso.com")))
		// The user of the same name in the other directory is untouched.
		_, err = s.FindUser(ctx, "e", "e-alice")
		must(t, err)
	})
}

// findUsersWorld creates three users with distinct names in every searchable field, and 25 more named user00 to
// user24, in directory d.
func findUsersWorld(t *testing.T, s gatehouse.Store) {
	t.Helper()
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	for _, u := range []*gatehouse.User{
		{ID: "anna", UserName: "anna@contoso.com", FirstName: "Anna", LastName: "Karenina", DisplayName: "Anna K.",
			Mail: "ak@mail.example", Role: gatehouse.RoleGlobalAdmin},
		{ID: "boris", UserName: "boris@contoso.com", FirstName: "Boris", LastName: "Godunov", DisplayName: "Tsar",
			Mail: "boris.g@mail.example", Role: gatehouse.RoleUser},
		{ID: "carmen", UserName: "carmen@contoso.com", FirstName: "Carmen", LastName: "Bizet", DisplayName: "Carmen",
			Role: gatehouse.RoleAppAdmin},
	} {
		u.DirectoryID, u.CreatedAt, u.UpdatedAt = "d", t0, t0
		must(t, s.CreateUser(ctx, u))
	}
	for i := range 25 {
		u := newUser("d", fmt.Sprintf("user%02d", i), fmt.Sprintf("user%02d@contoso.com", i))
		u.FirstName, u.LastName, u.DisplayName, u.Mail = "Filler", "Filler", "Filler", ""
		must(t, s.CreateUser(ctx, u))
	}
	must(t, s.CreateUser(ctx, newUser("e", "e-anna", "anna@contoso.com")))
}

// userRange returns the IDs user<from> to user<to-1>.
func userRange(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("user%02d", i))
	}
	return out
}

func testFindUsers(t *testing.T, open Opener) {
	s := open(t)
	findUsersWorld(t, s)
	all := append([]string{"anna", "boris", "carmen"}, userRange(0, 25)...)
	for _, tc := range []struct {
		name   string
		filter gatehouse.UserFilter
		want   []string
		total  int
	}{
		{"All", gatehouse.UserFilter{}, all, 28},
		{"UserName", gatehouse.UserFilter{Query: "anna@"}, []string{"anna"}, 1},
		{"FirstNameIgnoringCase", gatehouse.UserFilter{Query: "CARM"}, []string{"carmen"}, 1},
		{"LastName", gatehouse.UserFilter{Query: "godunov"}, []string{"boris"}, 1},
		{"DisplayName", gatehouse.UserFilter{Query: "tsar"}, []string{"boris"}, 1},
		{"Mail", gatehouse.UserFilter{Query: "BORIS.G@MAIL"}, []string{"boris"}, 1},
		{"MailOnly", gatehouse.UserFilter{Query: "ak@mail"}, []string{"anna"}, 1},
		{"StartOfLastName", gatehouse.UserFilter{Query: "kAREN"}, []string{"anna"}, 1},
		{"StartsWithOnly", gatehouse.UserFilter{Query: "en"}, nil, 0},
		{"NotTheDomain", gatehouse.UserFilter{Query: "contoso"}, nil, 0},
		{"EveryField", gatehouse.UserFilter{Query: "a"}, []string{"anna"}, 1},
		{"SharedPrefix", gatehouse.UserFilter{Query: "b"}, []string{"boris", "carmen"}, 2},
		{"NoMatch", gatehouse.UserFilter{Query: "nobody"}, nil, 0},
		{"PercentIsLiteral", gatehouse.UserFilter{Query: "%"}, nil, 0},
		{"UnderscoreIsLiteral", gatehouse.UserFilter{Query: "_"}, nil, 0},
		{"WildcardsInThePrefix", gatehouse.UserFilter{Query: "us_r%"}, nil, 0},
		{"BackslashIsLiteral", gatehouse.UserFilter{Query: `user\`}, nil, 0},
		{"Role", gatehouse.UserFilter{Role: gatehouse.RoleAppAdmin}, []string{"carmen"}, 1},
		{"RoleWithoutUsers", gatehouse.UserFilter{Role: gatehouse.RoleUserAdmin}, nil, 0},
		{"RoleAndQuery", gatehouse.UserFilter{Role: gatehouse.RoleUser, Query: "user1"}, userRange(10, 20), 10},
		{"FirstPage", gatehouse.UserFilter{Role: gatehouse.RoleUser, Limit: 10},
			append([]string{"boris"}, userRange(0, 9)...), 26},
		{"SecondPage", gatehouse.UserFilter{Role: gatehouse.RoleUser, After: "user08@contoso.com", Limit: 10},
			userRange(9, 19), 26},
		{"LastPage", gatehouse.UserFilter{Role: gatehouse.RoleUser, After: "user18@contoso.com", Limit: 10},
			userRange(19, 25), 26},
		{"PastTheEnd", gatehouse.UserFilter{Role: gatehouse.RoleUser, After: "user24@contoso.com", Limit: 10}, nil, 26},
		{"AfterIgnoresCase", gatehouse.UserFilter{After: "USER22@Contoso.com"}, userRange(23, 25), 28},
		{"AfterANameNobodyHas", gatehouse.UserFilter{After: "c", Limit: 2}, []string{"carmen", "user00"}, 28},
		{"QueryAndPage", gatehouse.UserFilter{Query: "USER", After: "user04@contoso.com", Limit: 3}, userRange(5, 8), 25},
		{"PageBefore", gatehouse.UserFilter{Role: gatehouse.RoleUser, Before: "user19@contoso.com", Limit: 10},
			userRange(9, 19), 26},
		{"FirstPageBefore", gatehouse.UserFilter{Before: "user01@contoso.com", Limit: 10},
			[]string{"anna", "boris", "carmen", "user00"}, 28},
		{"QueryAndPageBefore", gatehouse.UserFilter{Query: "user", Before: "user05@contoso.com", Limit: 3},
			userRange(2, 5), 25},
		{"BetweenAfterAndBefore", gatehouse.UserFilter{After: "user02@contoso.com", Before: "user06@contoso.com"},
			userRange(3, 6), 28},
	} {
		t.Run(tc.name, func(t *testing.T) {
			users, total, err := s.FindUsers(ctx, "d", tc.filter)
			must(t, err)
			diff(t, "FindUsers", tc.want, ids(users, userID))
			if total != tc.total {
				t.Errorf("FindUsers total = %d, want %d", total, tc.total)
			}
		})
	}
	t.Run("FullUsers", func(t *testing.T) {
		users, _, err := s.FindUsers(ctx, "d", gatehouse.UserFilter{Query: "tsar"})
		must(t, err)
		want, err := s.FindUser(ctx, "d", "boris")
		must(t, err)
		diff(t, "FindUsers", []*gatehouse.User{want}, users)
	})
}

// testFindUsersLimits checks the default page size (100), the largest one (1000) and the count's limit.
func testFindUsersLimits(t *testing.T, open Opener) {
	s := open(t)
	const n = 1003
	must(t, s.InTx(ctx, func(tx gatehouse.Store) error {
		must(t, tx.CreateDirectory(ctx, newDirectory("d", t0)))
		for i := range n {
			must(t, tx.CreateUser(ctx, newUser("d", fmt.Sprintf("u%04d", i), fmt.Sprintf("u%04d@contoso.com", i))))
		}
		return nil
	}))
	for _, tc := range []struct {
		name   string
		filter gatehouse.UserFilter
		want   int
	}{
		{"Default", gatehouse.UserFilter{}, 100},
		{"Small", gatehouse.UserFilter{Limit: 7}, 7},
		{"Capped", gatehouse.UserFilter{Limit: 5000}, 1000},
		{"TailOfTheDirectory", gatehouse.UserFilter{After: "u0999@contoso.com", Limit: 1000}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The count stops one past the limit, which tells "more than UserCountLimit".
			users, total, err := s.FindUsers(ctx, "d", tc.filter)
			must(t, err)
			if want := gatehouse.UserCountLimit + 1; len(users) != tc.want || total != want {
				t.Errorf("FindUsers(%+v) returned %d users of %d, want %d of %d", tc.filter, len(users), total, tc.want, want)
			}
		})
	}
}

// testFindUsersPaging pages through a directory a few users at a time, forwards by After and backwards by Before,
// and checks that every user comes exactly once and in order: the whole directory, a search and a role.
func testFindUsersPaging(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	var all, admins, searched []string
	for i := range 47 {
		// Mixed case and a prefix that sorts between the others check that pages follow the order ignoring case.
		name := fmt.Sprintf("User%02d@contoso.com", i)
		if i%2 == 1 {
			name = fmt.Sprintf("user%02d@Contoso.com", i)
		}
		u := newUser("d", fmt.Sprintf("u%02d", i), name)
		u.LastName = "Other"
		if i%5 == 0 {
			u.Role = gatehouse.RoleUserAdmin
			admins = append(admins, u.ID)
		}
		if i%3 == 0 {
			u.LastName = "Searched"
			searched = append(searched, u.ID)
		}
		must(t, s.CreateUser(ctx, u))
		all = append(all, u.ID)
	}
	for _, tc := range []struct {
		name   string
		filter gatehouse.UserFilter
		want   []string
	}{
		{"All", gatehouse.UserFilter{Limit: 5}, all},
		{"Search", gatehouse.UserFilter{Query: "sear", Limit: 4}, searched},
		{"Role", gatehouse.UserFilter{Role: gatehouse.RoleUserAdmin, Limit: 3}, admins},
		{"SearchAndRole", gatehouse.UserFilter{Query: "SEARCHED", Role: gatehouse.RoleUserAdmin, Limit: 1},
			[]string{"u00", "u15", "u30", "u45"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPages(t, s, tc.filter, tc.want, len(tc.want))
		})
	}
}

// checkPages pages through the users f selects, f.Limit at a time, forwards by After and backwards by Before, and
// checks that each way finds the users want in order, and that every page counts total.
func checkPages(t *testing.T, s gatehouse.Store, f gatehouse.UserFilter, want []string, total int) {
	t.Helper()
	var forwards []string
	for pages := 0; ; pages++ {
		users, n, err := s.FindUsers(ctx, "d", f)
		must(t, err)
		if n != total {
			t.Fatalf("FindUsers(%+v) total = %d, want %d", f, n, total)
		}
		if len(users) > f.Limit || pages > len(want) {
			t.Fatalf("FindUsers(%+v) returned %d users, or paged without end", f, len(users))
		}
		forwards = append(forwards, ids(users, userID)...)
		if len(users) < f.Limit {
			break
		}
		f.After = users[len(users)-1].UserName
	}
	diff(t, "pages forwards", want, forwards)

	var backwards []string
	f.After, f.Before = "", "\U0010FFFF"
	for pages := 0; ; pages++ {
		users, _, err := s.FindUsers(ctx, "d", f)
		must(t, err)
		if pages > len(want) {
			t.Fatal("paged backwards without end")
		}
		backwards = append(ids(users, userID), backwards...)
		if len(users) < f.Limit {
			break
		}
		f.Before = users[0].UserName
	}
	diff(t, "pages backwards", want, backwards)
}

// testFindUsersBroadSearch pages through searches that match more users than FindUsers counts: 5,000 users whose
// user names begin with "a" and, after them in user-name order, 1,100 whose last names begin with "Zed".
func testFindUsersBroadSearch(t *testing.T, open Opener) {
	s := open(t)
	var as, zeds, zedAdmins []string
	must(t, s.InTx(ctx, func(tx gatehouse.Store) error {
		must(t, tx.CreateDirectory(ctx, newDirectory("d", t0)))
		for i := range 5000 {
			u := newUser("d", fmt.Sprintf("a%05d", i), fmt.Sprintf("a%05d@contoso.com", i))
			u.FirstName, u.LastName, u.DisplayName, u.Mail = "First", "Other", "Display", ""
			must(t, tx.CreateUser(ctx, u))
			as = append(as, u.ID)
		}
		for i := range 1100 {
			u := newUser("d", fmt.Sprintf("z%05d", i), fmt.Sprintf("z%05d@contoso.com", i))
			u.FirstName, u.LastName, u.DisplayName, u.Mail = "First", fmt.Sprintf("Zed%d", i), "Display", ""
			if i%100 == 0 {
				u.Role = gatehouse.RoleUserAdmin
				zedAdmins = append(zedAdmins, u.ID)
			}
			must(t, tx.CreateUser(ctx, u))
			zeds = append(zeds, u.ID)
		}
		return nil
	}))
	more := gatehouse.UserCountLimit + 1
	for _, tc := range []struct {
		name   string
		filter gatehouse.UserFilter
		want   []string
		total  int
	}{
		// The first users in user-name order match: each page is found among the first few read.
		{"Dense", gatehouse.UserFilter{Query: "A0", Limit: 250}, as, more},
		// No user among the first 5,000 in user-name order matches. The last page of each, not full, is found
		// again among the sorted matches.
		{"AfterManyOthers", gatehouse.UserFilter{Query: "zed", Limit: 300}, zeds, more},
		{"Role", gatehouse.UserFilter{Query: "zed", Role: gatehouse.RoleUserAdmin, Limit: 4}, zedAdmins, len(zedAdmins)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPages(t, s, tc.filter, tc.want, tc.total)
		})
	}
}
