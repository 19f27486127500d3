package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// TestFindUsersUsesIndexes shows PostgreSQL's plan, on a directory of some thousands of users beside another
// directory, for each query FindUsers sends: a list, a list by role and their next and previous pages read one index
// in user-name order from the page's edge (no sort, no sequential scan); a search reads one index per field and
// sorts only what it found; the count reads an index too.
func TestFindUsersUsesIndexes(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	err := s.InTx(ctx, func(tx gatehouse.Store) error {
		for _, dir := range []string{"d", "e"} {
			if err := tx.CreateDirectory(ctx, &gatehouse.Directory{ID: dir, Name: dir, Domain: dir + ".example",
				CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		for i := range 3000 {
			u := &gatehouse.User{DirectoryID: "d", ID: fmt.Sprintf("u%05d", i), UserName: fmt.Sprintf("user%05d@contoso.com", i),
				FirstName: fmt.Sprintf("First%d", i), LastName: fmt.Sprintf("Last%d", i), DisplayName: fmt.Sprintf("User %d", i),
				Mail: fmt.Sprintf("mail%05d@contoso.com", i), Role: gatehouse.RoleUser, CreatedAt: now, UpdatedAt: now}
			if i%1000 == 0 {
				u.Role = gatehouse.RoleGlobalAdmin
			}
			if i < 100 {
				u.DirectoryID = "e"
			}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	searched := []string{"users_display_name", "users_first_name", "users_last_name", "users_mail"}
	for _, tc := range []struct {
		name   string
		filter gatehouse.UserFilter
		want   []string
		search bool
		broad  bool
	}{
		{"List", gatehouse.UserFilter{}, []string{"Index Scan using users_user_name_order on users u"}, false, false},
		{"NextPage", gatehouse.UserFilter{After: "user01500@contoso.com"},
			[]string{"Index Scan using users_user_name_order on users u"}, false, false},
		{"PreviousPage", gatehouse.UserFilter{Before: "user01500@contoso.com"},
			[]string{"Index Scan Backward using users_user_name_order on users u"}, false, false},
		{"Role", gatehouse.UserFilter{Role: gatehouse.RoleGlobalAdmin}, []string{"using users_role on users u"}, false, false},
		{"RoleNextPage", gatehouse.UserFilter{Role: gatehouse.RoleGlobalAdmin, After: "user01500@contoso.com"},
			[]string{"using users_role on users u"}, false, false},
		{"Search", gatehouse.UserFilter{Query: "First15"}, searched, true, false},
		{"SearchNextPage", gatehouse.UserFilter{Query: "First15", After: "user01500@contoso.com"}, searched, true, false},
		{"BroadSearch", gatehouse.UserFilter{Query: "first"},
			[]string{"Index Scan using users_user_name_order on users u"}, false, true},
		{"BroadSearchNextPage", gatehouse.UserFilter{Query: "first", After: "user01500@contoso.com"},
			[]string{"Index Scan using users_user_name_order on users u"}, false, true},
		{"BroadSearchPreviousPage", gatehouse.UserFilter{Query: "first", Before: "user01500@contoso.com"},
			[]string{"Index Scan Backward using users_user_name_order on users u"}, false, true},
		{"BroadSearchByRole", gatehouse.UserFilter{Query: "first", Role: gatehouse.RoleGlobalAdmin},
			[]string{"using users_role on users u"}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, count, err := s.ExplainFindUsers(ctx, "d", tc.filter, tc.broad)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("page plan:\n%s\nwant %q", page, w)
				}
			}
			for what, plan := range map[string]string{"page": page, "count": count} {
				if strings.Contains(plan, "Seq Scan") {
					t.Errorf("%s plan:\n%s\nwant no sequential scan", what, plan)
				}
			}
			t.Logf("page plan:\n%s\ncount plan:\n%s", page, count)
			// A list is read in order; a search sorts only the users it found.
			if !tc.search && strings.Contains(page, "Sort") {
				t.Errorf("page plan:\n%s\nwant no sort", page)
			}
		})
	}
}
