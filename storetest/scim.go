package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// scimWorld creates directories d and e; d has five users with every provisioning field set on some, and three
// groups.
func scimWorld(t *testing.T, s gatehouse.Store) {
	t.Helper()
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	for i, name := range []string{"Alice", "bob", "Carol", "dave", "Ève"} {
		u := newUser("d", fmt.Sprintf("u%d", i), strings.ToLower(name)+"@contoso.com")
		u.DisplayName, u.FirstName, u.LastName = name+" Smith", name, "Smith"
		u.CreatedAt, u.UpdatedAt = t0.Add(time.Duration(i)*time.Hour), t0.Add(time.Duration(i)*time.Hour)
		u.Source = gatehouse.SourceSCIM
		u.ExternalID = fmt.Sprintf("EXT-%d", i)
		u.Department = []string{"Sales", "Sales", "R&D", "", "Sales"}[i]
		u.EmployeeNumber = fmt.Sprintf("%04d", 100+i)
		u.Disabled = i == 3
		if i > 0 {
			u.ManagerID = "u0"
		}
		must(t, s.CreateUser(ctx, u))
	}
	// The other directory has a user with the same external ID and user name.
	other := newUser("e", "e0", "alice@contoso.com")
	other.ExternalID = "EXT-0"
	must(t, s.CreateUser(ctx, other))
	for i, name := range []string{"Sales", "R&D", "Empty"} {
		g := newGroup("d", fmt.Sprintf("g%d", i), name)
		g.ExternalID = fmt.Sprintf("GEXT-%d", i)
		must(t, s.CreateGroup(ctx, g))
	}
	must(t, s.AddGroupMember(ctx, "d", "g0", "u0"))
	must(t, s.AddGroupMember(ctx, "d", "g0", "u1"))
	must(t, s.AddGroupMember(ctx, "d", "g1", "u2"))
}

// testProvisioningFields stores every field SCIM provisioning sets and reads it back unchanged.
func testProvisioningFields(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	u := newUser("d", "u", "u@contoso.com")
	u.PasswordHash, u.PasswordChangedAt = "", time.Time{}
	u.Source, u.ExternalID = gatehouse.SourceSCIM, "00ujl29u0le5T6Aj10h7"
	u.Department, u.EmployeeNumber, u.CostCenter = "R&D", "701984", "4130"
	u.Organization, u.Division, u.ManagerID = "Universal Studios", "Theme Park", "m-123"
	u.SCIMAttributes = `{"title":"Tour Guide","phoneNumbers":[{"value":"555-555-8377","type":"work"}]}`
	must(t, s.CreateUser(ctx, u))
	got, err := s.FindUser(ctx, "d", "u")
	must(t, err)
	diff(t, "created user", u, got)
	u.Source, u.ExternalID, u.Department, u.ManagerID, u.SCIMAttributes = gatehouse.SourcePortal, "x", "", "", ""
	must(t, s.UpdateUser(ctx, u))
	got, err = s.FindUser(ctx, "d", "u")
	must(t, err)
	diff(t, "updated user", u, got)

	g := newGroup("d", "g", "Sales")
	g.ExternalID = "GEXT"
	must(t, s.CreateGroup(ctx, g))
	gotG, err := s.FindGroup(ctx, "d", "g")
	must(t, err)
	diff(t, "created group", g, gotG)
	g.ExternalID = ""
	must(t, s.UpdateGroup(ctx, g))
	gotG, err = s.FindGroup(ctx, "d", "g")
	must(t, err)
	diff(t, "updated group", g, gotG)
}

func eq(attr gatehouse.QueryAttr, v any) *gatehouse.Filter {
	return &gatehouse.Filter{Op: gatehouse.FilterEq, Attr: attr, Value: v}
}

func cmpf(op gatehouse.FilterOp, attr gatehouse.QueryAttr, v any) *gatehouse.Filter {
	return &gatehouse.Filter{Op: op, Attr: attr, Value: v}
}

func and(l, r *gatehouse.Filter) *gatehouse.Filter {
	return &gatehouse.Filter{Op: gatehouse.FilterAnd, Left: l, Right: r}
}

func or(l, r *gatehouse.Filter) *gatehouse.Filter {
	return &gatehouse.Filter{Op: gatehouse.FilterOr, Left: l, Right: r}
}

func not(f *gatehouse.Filter) *gatehouse.Filter {
	return &gatehouse.Filter{Op: gatehouse.FilterNot, Left: f}
}

// testQueryUsers checks every operator on every kind of attribute, sorting, paging and totals.
func testQueryUsers(t *testing.T, open Opener) {
	s := open(t)
	scimWorld(t, s)
	for _, tc := range []struct {
		name string
		q    gatehouse.Query
		want []string
		// total is the count ignoring paging when it differs from len(want).
		total int
	}{
		{"All", gatehouse.Query{}, []string{"u0", "u1", "u2", "u3", "u4"}, 0},
		{"UserNameIgnoresCase", gatehouse.Query{Filter: eq(gatehouse.QueryUserName, "ALICE@Contoso.com")}, []string{"u0"}, 0},
		{"UserNameNonASCII", gatehouse.Query{Filter: eq(gatehouse.QueryUserName, "ÈVE@contoso.com")}, []string{"u4"}, 0},
		{"UserNameOtherDirectoryNotFound", gatehouse.Query{Filter: eq(gatehouse.QueryUserName, "nobody@contoso.com")}, nil, 0},
		{"ExternalIDIsCaseExact", gatehouse.Query{Filter: eq(gatehouse.QueryExternalID, "ext-0")}, nil, 0},
		{"ExternalID", gatehouse.Query{Filter: eq(gatehouse.QueryExternalID, "EXT-0")}, []string{"u0"}, 0},
		{"ID", gatehouse.Query{Filter: eq(gatehouse.QueryID, "u2")}, []string{"u2"}, 0},
		{"Contains", gatehouse.Query{Filter: cmpf(gatehouse.FilterCo, gatehouse.QueryDisplayName, "AR")}, []string{"u2"}, 0},
		{"StartsWith", gatehouse.Query{Filter: cmpf(gatehouse.FilterSw, gatehouse.QueryUserName, "b")}, []string{"u1"}, 0},
		{"EndsWith", gatehouse.Query{Filter: cmpf(gatehouse.FilterEw, gatehouse.QueryGivenName, "E")}, []string{"u0", "u3", "u4"}, 0},
		{"EndsWithLongerThanValue", gatehouse.Query{Filter: cmpf(gatehouse.FilterEw, gatehouse.QueryGivenName, "xalice")}, nil, 0},
		{"NotEqual", gatehouse.Query{Filter: cmpf(gatehouse.FilterNe, gatehouse.QueryDepartment, "Sales")}, []string{"u2", "u3"}, 0},
		{"Present", gatehouse.Query{Filter: &gatehouse.Filter{Op: gatehouse.FilterPr, Attr: gatehouse.QueryDepartment}}, []string{"u0", "u1", "u2", "u4"}, 0},
		{"ActiveFalse", gatehouse.Query{Filter: eq(gatehouse.QueryActive, false)}, []string{"u3"}, 0},
		{"ActiveTrue", gatehouse.Query{Filter: eq(gatehouse.QueryActive, true)}, []string{"u0", "u1", "u2", "u4"}, 0},
		{"CreatedAfter", gatehouse.Query{Filter: cmpf(gatehouse.FilterGt, gatehouse.QueryCreated, t0.Add(2*time.Hour))}, []string{"u3", "u4"}, 0},
		{"UpdatedAtOrBefore", gatehouse.Query{Filter: cmpf(gatehouse.FilterLe, gatehouse.QueryUpdated, t0.Add(time.Hour))}, []string{"u0", "u1"}, 0},
		{"GreaterThanText", gatehouse.Query{Filter: cmpf(gatehouse.FilterGe, gatehouse.QueryEmployeeNumber, "0103")}, []string{"u3", "u4"}, 0},
		{"And", gatehouse.Query{Filter: and(eq(gatehouse.QueryDepartment, "Sales"), eq(gatehouse.QueryManagerID, "u0"))}, []string{"u1", "u4"}, 0},
		{"Or", gatehouse.Query{Filter: or(eq(gatehouse.QueryUserName, "bob@contoso.com"), eq(gatehouse.QueryExternalID, "EXT-3"))}, []string{"u1", "u3"}, 0},
		{"Not", gatehouse.Query{Filter: not(eq(gatehouse.QueryDepartment, "Sales"))}, []string{"u2", "u3"}, 0},
		{"SortByCreatedDescending", gatehouse.Query{SortBy: gatehouse.QueryCreated, Descending: true}, []string{"u4", "u3", "u2", "u1", "u0"}, 0},
		{"Page", gatehouse.Query{Offset: 1, Limit: 2}, []string{"u1", "u2"}, 5},
		{"PagePastTheEnd", gatehouse.Query{Offset: 10, Limit: 2}, nil, 5},
		{"FilteredPage", gatehouse.Query{Filter: eq(gatehouse.QueryDepartment, "Sales"), Offset: 2, Limit: 2}, []string{"u4"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			users, total, err := s.QueryUsers(ctx, "d", tc.q)
			must(t, err)
			diff(t, "users", tc.want, ids(users, userID))
			want := tc.total
			if want == 0 {
				want = len(tc.want)
			}
			if total != want {
				t.Errorf("total = %d, want %d", total, want)
			}
		})
	}
	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			q    gatehouse.Query
		}{
			{"UnknownAttribute", gatehouse.Query{Filter: eq("password", "x")}},
			{"GroupAttribute", gatehouse.Query{Filter: eq(gatehouse.QueryMember, "u0")}},
			{"ContainsOnBool", gatehouse.Query{Filter: cmpf(gatehouse.FilterCo, gatehouse.QueryActive, true)}},
			{"StringForBool", gatehouse.Query{Filter: eq(gatehouse.QueryActive, "true")}},
			{"StringForTime", gatehouse.Query{Filter: eq(gatehouse.QueryCreated, "2026-01-01")}},
			{"UnknownOperator", gatehouse.Query{Filter: cmpf("like", gatehouse.QueryUserName, "%")}},
			{"AndWithoutOperand", gatehouse.Query{Filter: &gatehouse.Filter{Op: gatehouse.FilterAnd, Left: eq(gatehouse.QueryID, "x")}}},
			{"UnknownSort", gatehouse.Query{SortBy: "password"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := s.QueryUsers(ctx, "d", tc.q)
				wantCode(t, "QueryUsers", err, gatehouse.EINVALID)
			})
		}
	})
	t.Run("Hostile", func(t *testing.T) {
		for _, h := range hostile {
			for _, op := range []gatehouse.FilterOp{gatehouse.FilterEq, gatehouse.FilterCo, gatehouse.FilterSw, gatehouse.FilterEw} {
				users, _, err := s.QueryUsers(ctx, "d", gatehouse.Query{Filter: cmpf(op, gatehouse.QueryUserName, h.s)})
				must(t, err)
				diff(t, h.name+" "+string(op), []string{}, ids(users, userID))
			}
		}
	})
}

// testQueryGroups checks group filters, members among them.
func testQueryGroups(t *testing.T, open Opener) {
	s := open(t)
	scimWorld(t, s)
	for _, tc := range []struct {
		name string
		q    gatehouse.Query
		want []string
	}{
		{"All", gatehouse.Query{}, []string{"g2", "g1", "g0"}},
		{"DisplayNameIgnoresCase", gatehouse.Query{Filter: eq(gatehouse.QueryDisplayName, "SALES")}, []string{"g0"}},
		{"ExternalID", gatehouse.Query{Filter: eq(gatehouse.QueryExternalID, "GEXT-1")}, []string{"g1"}},
		{"Member", gatehouse.Query{Filter: eq(gatehouse.QueryMember, "u1")}, []string{"g0"}},
		{"IDAndMember", gatehouse.Query{Filter: and(eq(gatehouse.QueryID, "g0"), eq(gatehouse.QueryMember, "u2"))}, nil},
		{"HasMembers", gatehouse.Query{Filter: &gatehouse.Filter{Op: gatehouse.FilterPr, Attr: gatehouse.QueryMember}}, []string{"g1", "g0"}},
		{"Page", gatehouse.Query{Offset: 1, Limit: 1}, []string{"g1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groups, _, err := s.QueryGroups(ctx, "d", tc.q)
			must(t, err)
			diff(t, "groups", tc.want, ids(groups, groupID))
		})
	}
	_, _, err := s.QueryGroups(ctx, "d", gatehouse.Query{Filter: cmpf(gatehouse.FilterCo, gatehouse.QueryMember, "u")})
	wantCode(t, "member co", err, gatehouse.EINVALID)
	_, _, err = s.QueryGroups(ctx, "d", gatehouse.Query{Filter: eq(gatehouse.QueryUserName, "x")})
	wantCode(t, "userName on groups", err, gatehouse.EINVALID)
}

// testFindGroupsOfUsers reads the groups of several users at once.
func testFindGroupsOfUsers(t *testing.T, open Opener) {
	s := open(t)
	scimWorld(t, s)
	must(t, s.AddGroupMember(ctx, "d", "g1", "u0"))
	got, err := s.FindGroupsOfUsers(ctx, "d", []string{"u0", "u1", "u2", "u3", "nobody", "e0"})
	must(t, err)
	names := map[string][]string{}
	for id, gs := range got {
		names[id] = ids(gs, groupID)
	}
	diff(t, "groups of users", map[string][]string{"u0": {"g1", "g0"}, "u1": {"g0"}, "u2": {"g1"}}, names)
	got, err = s.FindGroupsOfUsers(ctx, "e", []string{"u0"})
	must(t, err)
	diff(t, "groups of users of another directory", map[string][]*gatehouse.Group{}, got)
	got, err = s.FindGroupsOfUsers(ctx, "d", nil)
	must(t, err)
	diff(t, "groups of no users", map[string][]*gatehouse.Group{}, got)
}

// testSCIMTokens checks the SCIM token life cycle and that tokens stay in their directory.
func testSCIMTokens(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	a := &gatehouse.SCIMToken{ID: "a", DirectoryID: "d", Name: "Entra ID", SecretHash: "hash-a", Prefix: "ghs_abc",
		CreatedBy: "admin@contoso.com", CreatedAt: t0}
	b := &gatehouse.SCIMToken{ID: "b", DirectoryID: "d", Name: "Okta", SecretHash: "hash-b", Prefix: "ghs_def",
		CreatedBy: "admin@contoso.com", CreatedAt: t0.Add(time.Minute)}
	c := &gatehouse.SCIMToken{ID: "c", DirectoryID: "e", Name: "Workday", SecretHash: "hash-c", Prefix: "ghs_ghi",
		CreatedBy: "admin@fabrikam.com", CreatedAt: t0}
	for _, tok := range []*gatehouse.SCIMToken{a, b, c} {
		must(t, s.CreateSCIMToken(ctx, tok))
	}
	wantCode(t, "same secret", s.CreateSCIMToken(ctx, &gatehouse.SCIMToken{ID: "x", DirectoryID: "d", SecretHash: "hash-a",
		CreatedAt: t0}), gatehouse.ECONFLICT)
	wantCode(t, "no directory", s.CreateSCIMToken(ctx, &gatehouse.SCIMToken{ID: "y", DirectoryID: "nope",
		SecretHash: "hash-y", CreatedAt: t0}), gatehouse.ENOTFOUND)

	got, err := s.FindSCIMTokenBySecretHash(ctx, "hash-a")
	must(t, err)
	diff(t, "token", a, got)
	_, err = s.FindSCIMTokenBySecretHash(ctx, "hash-zzz")
	wantCode(t, "unknown hash", err, gatehouse.ENOTFOUND)

	list, err := s.FindSCIMTokens(ctx, "d")
	must(t, err)
	diff(t, "tokens of d", []*gatehouse.SCIMToken{b, a}, list)

	must(t, s.TouchSCIMToken(ctx, "a", t0.Add(time.Hour)))
	got, err = s.FindSCIMTokenBySecretHash(ctx, "hash-a")
	must(t, err)
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, t0.Add(time.Hour))
	}
	wantCode(t, "touch unknown", s.TouchSCIMToken(ctx, "zzz", t0), gatehouse.ENOTFOUND)

	// A token is deleted only through its own directory.
	wantCode(t, "delete from another directory", s.DeleteSCIMToken(ctx, "e", "a"), gatehouse.ENOTFOUND)
	must(t, s.DeleteSCIMToken(ctx, "d", "a"))
	_, err = s.FindSCIMTokenBySecretHash(ctx, "hash-a")
	wantCode(t, "deleted token", err, gatehouse.ENOTFOUND)
	wantCode(t, "delete again", s.DeleteSCIMToken(ctx, "d", "a"), gatehouse.ENOTFOUND)

	// Deleting a directory deletes its tokens.
	must(t, s.DeleteDirectory(ctx, "e"))
	_, err = s.FindSCIMTokenBySecretHash(ctx, "hash-c")
	wantCode(t, "token of a deleted directory", err, gatehouse.ENOTFOUND)
}

// testForUpdate runs read-modify-write transactions on one user and one group at once: with the row held by
// FindUserForUpdate and FindGroupForUpdate, every change is kept.
func testForUpdate(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateUser(ctx, newUser("d", "u", "u@contoso.com")))
	must(t, s.CreateGroup(ctx, newGroup("d", "g", "G")))
	const n = 8
	errs := parallel(n, func(i int) error {
		return s.InTx(ctx, func(tx gatehouse.Store) error {
			u, err := tx.FindUserForUpdate(ctx, "d", "u")
			if err != nil {
				return err
			}
			u.DisplayName += fmt.Sprintf("[%d]", i)
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
			g, err := tx.FindGroupForUpdate(ctx, "d", "g")
			if err != nil {
				return err
			}
			g.Description += fmt.Sprintf("[%d]", i)
			return tx.UpdateGroup(ctx, g)
		})
	})
	for _, err := range errs {
		must(t, err)
	}
	u, err := s.FindUser(ctx, "d", "u")
	must(t, err)
	g, err := s.FindGroup(ctx, "d", "g")
	must(t, err)
	for i := range n {
		mark := fmt.Sprintf("[%d]", i)
		if !strings.Contains(u.DisplayName, mark) {
			t.Errorf("the user's display name %q lost change %s", u.DisplayName, mark)
		}
		if !strings.Contains(g.Description, mark) {
			t.Errorf("the group's description %q lost change %s", g.Description, mark)
		}
	}
	_, err = s.FindUserForUpdate(ctx, "d", "nobody")
	wantCode(t, "FindUserForUpdate", err, gatehouse.ENOTFOUND)
	_, err = s.FindGroupForUpdate(ctx, "d", "nothing")
	wantCode(t, "FindGroupForUpdate", err, gatehouse.ENOTFOUND)
}
