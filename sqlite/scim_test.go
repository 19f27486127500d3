package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
)

// TestQueryUsersUsesIndexes shows SQLite's plan for the queries SCIM clients send most: matching a user by user
// name or external ID searches an index (the few rows found are then sorted), and a page in user-name order reads
// the user name index in order (no sort of the whole directory).
func TestQueryUsersUsesIndexes(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name string
		q    gatehouse.Query
		want string
	}{
		{"UserName", gatehouse.Query{Filter: &gatehouse.Filter{Op: gatehouse.FilterEq, Attr: gatehouse.QueryUserName, Value: "b.simon@contoso.com"}},
			"USING INDEX users_user_name (directory_id=? AND user_name_key=?)"},
		{"ExternalID", gatehouse.Query{Filter: &gatehouse.Filter{Op: gatehouse.FilterEq, Attr: gatehouse.QueryExternalID, Value: "00u1"}},
			"USING INDEX users_external_id (directory_id=? AND external_id=?)"},
		{"Page", gatehouse.Query{Offset: 100, Limit: 100}, "USING INDEX users_user_name (directory_id=?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, order, b, err := usersQuery("d", tc.q)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := s.readDB.QueryContext(context.Background(), `EXPLAIN QUERY PLAN SELECT `+userColumns+` `+from+
				` ORDER BY `+order+` LIMIT 100`, b.Args...)
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
			got := strings.Join(plan, "\n")
			if !strings.Contains(got, tc.want) || tc.name == "Page" && strings.Contains(got, "TEMP B-TREE") {
				t.Errorf("plan:\n%s\nwant %q (and no sort for a page)", got, tc.want)
			}
		})
	}
}
