package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/sqlstore"
)

// TestFindUsersUsesIndexes shows SQLite's plan for each query FindUsers sends: a list, a list by role and their
// next and previous pages read one index in order from the page's edge (no sort, no scan of the table); a narrow
// search reads one index range per field and sorts only what it found, and the count reads the same ranges; a
// broad search reads users in user-name order from the page's edge (window), and is counted along the role's
// index when it has a role.
func TestFindUsersUsesIndexes(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	searched := []string{
		"USING COVERING INDEX users_user_name (directory_id=? AND user_name_key>? AND user_name_key<?)",
		"USING COVERING INDEX users_display_name (directory_id=? AND display_name_key>? AND display_name_key<?)",
		"USING COVERING INDEX users_first_name (directory_id=? AND first_name_key>? AND first_name_key<?)",
		"USING COVERING INDEX users_last_name (directory_id=? AND last_name_key>? AND last_name_key<?)",
		"USING COVERING INDEX users_mail (directory_id=? AND mail_key>? AND mail_key<?)",
		"USING INTEGER PRIMARY KEY (rowid=?)",
	}
	// The count reads the smallest index that holds every user of the directory, or of the role.
	const listCount, roleCount = "USING COVERING INDEX users_external_id (directory_id=?)",
		"USING COVERING INDEX users_role (directory_id=? AND role=?)"
	for _, tc := range []struct {
		name   string
		filter gatehouse.UserFilter
		window int
		want   []string
		sorts  bool
		count  string
	}{
		{"List", gatehouse.UserFilter{}, 0, []string{"SEARCH u USING INDEX users_user_name (directory_id=?)"}, false, listCount},
		{"NextPage", gatehouse.UserFilter{After: "b.simon@contoso.com"}, 0,
			[]string{"SEARCH u USING INDEX users_user_name (directory_id=? AND user_name_key>?)"}, false, listCount},
		{"PreviousPage", gatehouse.UserFilter{Before: "b.simon@contoso.com"}, 0,
			[]string{"SEARCH u USING INDEX users_user_name (directory_id=? AND user_name_key<?)"}, false, listCount},
		{"Role", gatehouse.UserFilter{Role: gatehouse.RoleGlobalAdmin}, 0,
			[]string{"SEARCH u USING INDEX users_role (directory_id=? AND role=?)"}, false, roleCount},
		{"RoleNextPage", gatehouse.UserFilter{Role: gatehouse.RoleGlobalAdmin, After: "b.simon@contoso.com"}, 0,
			[]string{"SEARCH u USING INDEX users_role (directory_id=? AND role=? AND user_name_key>?)"}, false, roleCount},
		{"Search", gatehouse.UserFilter{Query: "b.sim"}, 0, searched, true, searched[0]},
		{"SearchNextPage", gatehouse.UserFilter{Query: "b.sim", After: "b.simon@contoso.com"}, 0, searched, true, searched[0]},
		{"SearchByRole", gatehouse.UserFilter{Query: "b.sim", Role: gatehouse.RoleUser}, 0, searched, true, searched[0]},
		{"BroadSearch", gatehouse.UserFilter{Query: "b"}, sqlstore.SearchWindow,
			[]string{"SEARCH u USING INDEX users_user_name (directory_id=?)"}, false, ""},
		{"BroadSearchNextPage", gatehouse.UserFilter{Query: "b", After: "b.simon@contoso.com"}, sqlstore.SearchWindow,
			[]string{"SEARCH u USING INDEX users_user_name (directory_id=? AND user_name_key>?)"}, false, ""},
		{"BroadSearchPreviousPage", gatehouse.UserFilter{Query: "b", Before: "b.simon@contoso.com"}, sqlstore.SearchWindow,
			[]string{"SEARCH u USING INDEX users_user_name (directory_id=? AND user_name_key<?)"}, false, ""},
		{"BroadSearchByRole", gatehouse.UserFilter{Query: "b", Role: gatehouse.RoleUser, After: "b.simon@contoso.com"}, sqlstore.SearchWindow,
			[]string{"SEARCH u USING INDEX users_role (directory_id=? AND role=? AND user_name_key>?)"}, false,
			"SEARCH u USING INDEX users_role (directory_id=? AND role=?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what, q string, args []any, want []string, sorts bool) {
				got := explain(t, s, q, args)
				for _, w := range want {
					if !strings.Contains(got, w) {
						t.Errorf("%s plan:\n%s\nwant %q", what, got, w)
					}
				}
				if tableScan(got) {
					t.Errorf("%s plan:\n%s\nwant no scan of the table or a whole index", what, got)
				}
				// A search sorts what each field's index found, never the page: no sort after the last step.
				if strings.HasSuffix(got, "TEMP B-TREE FOR ORDER BY") || !sorts && strings.Contains(got, "TEMP B-TREE") {
					t.Errorf("%s plan:\n%s\nwant no sort of the page", what, got)
				}
			}
			query, pageArgs := usersPage("d", tc.filter, 25, tc.window)
			check("page", query, pageArgs, tc.want, tc.sorts)
			if tc.count == "" {
				return // a broad search without a role is not counted: it matches more than the limit
			}
			all := tc.filter
			all.After, all.Before = "", ""
			window := 0
			if tc.window != 0 {
				window = -1
			}
			from, _, args := findUsersQuery("d", all, window)
			check("count", fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM %s LIMIT %d)`, from, gatehouse.UserCountLimit+1), args,
				[]string{tc.count}, tc.sorts)
		})
	}
}

// tableScan reports whether a query plan has a step that reads the whole users table or a whole index of it: a
// SCAN of u or users that is not the scan of a subquery's rows (CO-ROUTINE u).
func tableScan(plan string) bool {
	coroutines := map[string]bool{}
	for _, step := range strings.Split(plan, "\n") {
		if name, ok := strings.CutPrefix(step, "CO-ROUTINE "); ok {
			coroutines[name] = true
		}
	}
	for _, step := range strings.Split(plan, "\n") {
		name, ok := strings.CutPrefix(step, "SCAN ")
		name, _, _ = strings.Cut(name, " ")
		if ok && (name == "u" || name == "users") && !coroutines[name] {
			return true
		}
	}
	return false
}

// explain returns SQLite's query plan of q, a step a line.
func explain(t *testing.T, s *Store, q string, args []any) string {
	t.Helper()
	rows, err := s.readDB.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}
