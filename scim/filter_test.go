package scim_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/scim"
)

func cmpf(op gatehouse.FilterOp, attr gatehouse.QueryAttr, v any) *gatehouse.Filter {
	return &gatehouse.Filter{Op: op, Attr: attr, Value: v}
}

func TestParseFilter(t *testing.T) {
	eq := func(a gatehouse.QueryAttr, v any) *gatehouse.Filter { return cmpf(gatehouse.FilterEq, a, v) }
	and := func(l, r *gatehouse.Filter) *gatehouse.Filter {
		return &gatehouse.Filter{Op: gatehouse.FilterAnd, Left: l, Right: r}
	}
	all := &gatehouse.Filter{Op: gatehouse.FilterPr, Attr: gatehouse.QueryID}
	for _, tc := range []struct {
		name   string
		rt     *scim.ResourceType
		filter string
		want   *gatehouse.Filter
	}{
		{"UserName", scim.Users, `userName eq "b.simon@contoso.com"`, eq(gatehouse.QueryUserName, "b.simon@contoso.com")},
		{"NamesIgnoreCase", scim.Users, `USERNAME EQ "x"`, eq(gatehouse.QueryUserName, "x")},
		{"CoreURN", scim.Users, `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "b"`, cmpf(gatehouse.FilterSw, gatehouse.QueryUserName, "b")},
		{"ExternalID", scim.Users, `externalId eq "00u1"`, eq(gatehouse.QueryExternalID, "00u1")},
		{"Active", scim.Users, `active eq true`, eq(gatehouse.QueryActive, true)},
		{"ActiveAsString", scim.Users, `active eq "False"`, eq(gatehouse.QueryActive, false)},
		{"LastModified", scim.Users, `meta.lastModified gt "2026-01-01T00:00:00Z"`, cmpf(gatehouse.FilterGt, gatehouse.QueryUpdated, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))},
		{"Enterprise", scim.Users, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42"`, eq(gatehouse.QueryEmployeeNumber, "42")},
		{"Manager", scim.Users, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1"`, eq(gatehouse.QueryManagerID, "m1")},
		{"EmailValuePath", scim.Users, `emails[type eq "work" and value eq "x@contoso.com"]`, and(all, eq(gatehouse.QueryMail, "x@contoso.com"))},
		{"EmailValuePathComparison", scim.Users, `emails[type eq "work"].value eq "x@contoso.com"`, and(all, eq(gatehouse.QueryMail, "x@contoso.com"))},
		{"Present", scim.Users, `title pr`, nil},
		{"GroupDisplayName", scim.Groups, `displayName eq "Sales"`, eq(gatehouse.QueryDisplayName, "Sales")},
		{"GroupMember", scim.Groups, `members[value eq "u1"]`, eq(gatehouse.QueryMember, "u1")},
		{"GroupIDAndMember", scim.Groups, `id eq "g1" and members.value eq "u1"`, and(eq(gatehouse.QueryID, "g1"), eq(gatehouse.QueryMember, "u1"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := scim.ParseFilter(tc.rt, tc.filter)
			if tc.want == nil {
				if se, ok := err.(*scim.Error); !ok || se.Type != scim.TypeInvalidFilter {
					t.Fatalf("ParseFilter = %v, %v; want invalidFilter (title is not stored in a column)", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// TestFilterLimits: the limits of SECURITY-CASES 49, each refused as invalidFilter before the filter reaches the
// store.
func TestFilterLimits(t *testing.T) {
	for _, tc := range []struct{ name, filter string }{
		{"Long", `userName eq "` + strings.Repeat("x", scim.MaxFilterLength) + `"`},
		{"Deep", strings.Repeat("(", scim.MaxFilterDepth+1) + `userName eq "x"` + strings.Repeat(")", scim.MaxFilterDepth+1)},
		{"DeepBrackets", `emails[` + strings.Repeat("(", scim.MaxFilterDepth) + `value eq "x"` + strings.Repeat(")", scim.MaxFilterDepth) + `]`},
		{"ManyTerms", strings.TrimSuffix(strings.Repeat(`userName eq "x" or `, scim.MaxFilterTerms+1), " or ")},
		{"Unknown", `nickName eq "x"`},
		{"Nested", `emails[value eq "x" and emails[type eq "work"]]`},
		{"BoolOp", `active co "t"`},
		{"BadTime", `meta.created gt "yesterday"`},
		{"MemberCo", `members co "u"`},
		{"UserAttributeOnGroup", `userName eq "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := scim.Users
			if strings.HasPrefix(tc.name, "Member") || tc.name == "UserAttributeOnGroup" {
				rt = scim.Groups
			}
			_, err := scim.ParseFilter(rt, tc.filter)
			if se, ok := err.(*scim.Error); !ok || se.Type != scim.TypeInvalidFilter {
				t.Fatalf("ParseFilter = %v, want invalidFilter", err)
			}
		})
	}
	// A quoted parenthesis does not count as nesting.
	if _, err := scim.ParseFilter(scim.Users, `displayName eq "`+strings.Repeat("(", 20)+`"`); err != nil {
		t.Errorf("parentheses inside a string: %v", err)
	}
}

// TestProjection checks attributes and excludedAttributes.
func TestProjection(t *testing.T) {
	doc := user()
	doc[scim.EnterpriseSchema] = map[string]any{"department": "Sales", "employeeNumber": "42"}
	for _, tc := range []struct {
		name, query string
		want        []string // the top-level keys returned
	}{
		{"All", "", []string{"active", "displayName", "emails", "id", "meta", "name", "phoneNumbers", "schemas", "title", "userName", scim.EnterpriseSchema}},
		{"Attributes", "attributes=displayName,name.givenName", []string{"displayName", "id", "name", "schemas", "userName"}},
		{"ExtensionAttribute", "attributes=" + scim.EnterpriseSchema + ":department", []string{"id", "schemas", "userName", scim.EnterpriseSchema}},
		{"Excluded", "excludedAttributes=emails,phoneNumbers,meta", []string{"active", "displayName", "id", "name", "schemas", "title", "userName", scim.EnterpriseSchema}},
		{"IDCannotBeExcluded", "excludedAttributes=id", []string{"active", "displayName", "emails", "id", "meta", "name", "phoneNumbers", "schemas", "title", "userName", scim.EnterpriseSchema}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			p, err := scim.ParseProjection(scim.Users, q.Get("attributes"), q.Get("excludedAttributes"))
			if err != nil {
				t.Fatal(err)
			}
			got := p.Apply(doc)
			var keys []string
			for k := range got {
				keys = append(keys, k)
			}
			if d := cmp.Diff(tc.want, keys, cmpSorted); d != "" {
				t.Errorf("keys (-want +got):\n%s", d)
			}
		})
	}
	p, _ := scim.ParseProjection(scim.Users, "name.givenName", "")
	if d := cmp.Diff(map[string]any{"givenName": "B"}, p.Apply(doc)["name"]); d != "" {
		t.Errorf("name.givenName (-want +got):\n%s", d)
	}
	if p, _ := scim.ParseProjection(scim.Groups, "", "members"); p.Wants("members") {
		t.Error("excludedAttributes=members still wants members")
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// TestUserRoundTrip: a user read from the resource Gatehouse renders for it is the same user.
func TestUserRoundTrip(t *testing.T) {
	u := &gatehouse.User{ID: "u1", DirectoryID: "d", UserName: "b.simon@contoso.com", FirstName: "B", LastName: "Simon",
		DisplayName: "B. Simon", Mail: "b.simon@contoso.com", ExternalID: "E1", Department: "Sales",
		EmployeeNumber: "42", CostCenter: "C", Organization: "O", Division: "D", ManagerID: "m1", Disabled: true,
		SCIMAttributes: `{"emails":[{"primary":true,"type":"work","value":"b.simon@contoso.com"},{"type":"home","value":"b@home.example"}],"name":{"middleName":"J"},"title":"Guide"}`,
		CreatedAt:      time.Unix(1, 0).UTC(), UpdatedAt: time.Unix(2, 0).UTC()}
	doc := scim.UserResource(u, []*gatehouse.Group{{ID: "g1", Name: "Sales"}}, "https://idp.example.com/d/d/scim/v2")
	got := *u
	got.UserName, got.Department, got.SCIMAttributes = "", "", ""
	if err := scim.ReadUser(doc, doc, &got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(u, &got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}
