package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse/scim"
)

// TestSecurityCase46SCIMTokenScope: a SCIM token works only on its own directory's SCIM endpoint, never on the
// REST API or another directory; an API token does not work on SCIM; revoking is immediate; only a hash is stored;
// changes are audited under the token's name (TestSCIMUserLifecycle checks the audit log).
func TestSecurityCase46SCIMTokenScope(t *testing.T) {
	e := newSCIMEnv(t)
	ctx := context.Background()
	e.restCall("POST", "/api/v1/directories", map[string]any{"id": "fabrikam", "name": "Fabrikam"}, http.StatusCreated, nil)
	var other struct {
		Token string `json:"token"`
	}
	e.restCall("POST", "/api/v1/directories/fabrikam/scim-tokens", map[string]any{"name": "Okta"}, http.StatusCreated, &other)

	e.must(http.StatusOK, "GET", "/Users", nil)
	// Another directory's endpoint refuses the token, and this one refuses the other directory's token.
	e.wantError(http.StatusUnauthorized, "", "GET", e.srv.URL+"/d/fabrikam/scim/v2/Users", nil)
	e.wantError(http.StatusUnauthorized, "", "GET", "/Users", nil, "Authorization", "Bearer "+other.Token)
	// The REST API refuses a SCIM token; the SCIM endpoint refuses an API token and no token.
	for _, path := range []string{"/api/v1/me", "/api/v1/directories/default/users"} {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s with a SCIM token: status %d, want 401", path, resp.StatusCode)
		}
	}
	e.wantError(http.StatusUnauthorized, "", "GET", "/Users", nil, "Authorization", "Bearer "+e.api)
	e.wantError(http.StatusUnauthorized, "", "GET", "/Users", nil, "Authorization", "")

	// Stored hashed: the store holds the SHA-256 of the secret and no column holds the secret.
	sum := sha256.Sum256([]byte(e.token))
	tok, err := e.srv.Store.FindSCIMTokenBySecretHash(ctx, hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatalf("no token stored under the secret's hash: %v", err)
	}
	if strings.Contains(fmt.Sprintf("%+v", *tok), e.token[len(tok.Prefix):]) {
		t.Error("the stored token holds the secret")
	}

	// Listed (without the secret) and revoked at once.
	var list struct {
		Items []map[string]any `json:"items"`
	}
	e.restCall("GET", "/api/v1/directories/default/scim-tokens", nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0]["name"] != "Entra ID" || list.Items[0]["secretHash"] != nil {
		t.Fatalf("token list %v", list.Items)
	}
	e.restCall("DELETE", "/api/v1/directories/default/scim-tokens/"+tok.ID, nil, http.StatusNoContent, nil)
	e.wantError(http.StatusUnauthorized, "", "GET", "/Users", nil)
}

// TestSecurityCase47SCIMMutability: setting read-only or server-owned attributes (id, meta, groups on a user, a role,
// a password) is a mutability error and writes nothing.
func TestSecurityCase47SCIMMutability(t *testing.T) {
	e := newSCIMEnv(t)
	user := e.createUser("m.user@contoso.com", nil)
	id := user["id"].(string)
	group := e.createGroup("Admins")
	gid := group["id"].(string)
	version := user["meta"].(map[string]any)["version"]
	base := map[string]any{"schemas": []string{scim.UserSchema}, "userName": "new.user@contoso.com"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for bk, bv := range base {
			m[bk] = bv
		}
		m[k] = v
		return m
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
	}{
		{"CreateWithID", "POST", "/Users", with("id", "chosen-id")},
		{"CreateWithMeta", "POST", "/Users", with("meta", map[string]any{"created": "2020-01-01T00:00:00Z"})},
		{"CreateWithGroups", "POST", "/Users", with("groups", []any{map[string]any{"value": gid}})},
		{"CreateWithPassword", "POST", "/Users", with("password", "s3cret!")},
		{"CreateWithRoles", "POST", "/Users", with("roles", []any{map[string]any{"value": "global-admin"}})},
		{"CreateWithPasswordHash", "POST", "/Users", with("passwordHash", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")},
		{"PutChangesID", "PUT", "/Users/" + id, with("id", "other-id")},
		{"PutChangesGroups", "PUT", "/Users/" + id, with("groups", []any{map[string]any{"value": gid}})},
		{"PatchID", "PATCH", "/Users/" + id, patchOp(map[string]any{"op": "replace", "path": "id", "value": "x"})},
		{"PatchMeta", "PATCH", "/Users/" + id, patchOp(map[string]any{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"})},
		{"PatchGroups", "PATCH", "/Users/" + id, patchOp(map[string]any{"op": "add", "path": "groups", "value": []any{map[string]any{"value": gid}}})},
		{"PatchPassword", "PATCH", "/Users/" + id, patchOp(map[string]any{"op": "replace", "value": map[string]any{"password": "x", "displayName": "Changed"}})},
		{"PatchRole", "PATCH", "/Users/" + id, patchOp(map[string]any{"op": "replace", "value": map[string]any{"displayName": "Changed", "roles": []any{"global-admin"}}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.wantError(http.StatusBadRequest, "mutability", tc.method, tc.path, tc.body)
		})
	}
	e.t = t
	after := e.must(http.StatusOK, "GET", "/Users/"+id, nil).Doc
	if after["meta"].(map[string]any)["version"] != version || after["displayName"] != user["displayName"] {
		t.Errorf("a refused change was written: %v", after)
	}
	r := e.must(http.StatusOK, "GET", "/Users?filter="+url.QueryEscape(`userName eq "new.user@contoso.com"`), nil)
	if r.Doc["totalResults"] != 0.0 {
		t.Errorf("a refused create made a user: %s", r.Raw)
	}
}

// TestSecurityCase48SCIMUniqueness: a userName that differs from an existing one only by case or Unicode form is a
// uniqueness 409, not a second user. (Letters outside A–Z are allowed only in an internationalised domain, by the
// user-name rule of docs/input.md, so the Unicode forms are in the domain.)
func TestSecurityCase48SCIMUniqueness(t *testing.T) {
	e := newSCIMEnv(t)
	e.createUser("jose.garcia@bücher.example", nil)
	for _, tc := range []struct{ name, userName string }{
		{"Same", "jose.garcia@bücher.example"},
		{"UpperCase", "JOSE.GARCIA@bücher.example"},
		{"Decomposed", "jose.garcia@bu\u0308cher.example"},
		{"FullwidthLetters", "ｊｏｓｅ.garcia@bücher.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.wantError(http.StatusConflict, "uniqueness", "POST", "/Users", map[string]any{
				"schemas": []string{scim.UserSchema}, "userName": tc.userName})
		})
	}
	e.t = t
	other := e.createUser("someone@contoso.com", nil)
	e.wantError(http.StatusConflict, "uniqueness", "PATCH", "/Users/"+other["id"].(string),
		patchOp(map[string]any{"op": "replace", "path": "userName", "value": "JOSE.GARCIA@bu\u0308cher.example"}))
	r := e.must(http.StatusOK, "GET", "/Users?count=0", nil)
	if r.Doc["totalResults"] != 3.0 { // the admin and the two users
		t.Errorf("the directory has %v users, want 3", r.Doc["totalResults"])
	}
}

// TestSecurityCase49SCIMFilters: deep nesting, huge values and unknown attributes are invalidFilter 400 in bounded
// time, and never reach SQL as text.
func TestSecurityCase49SCIMFilters(t *testing.T) {
	e := newSCIMEnv(t)
	e.createUser("f.user@contoso.com", nil)
	for _, tc := range []struct{ name, filter string }{
		{"DeepNesting", strings.Repeat("(", 50) + `userName eq "x"` + strings.Repeat(")", 50)},
		{"DeepNot", strings.Repeat("not (", 20) + `userName eq "x"` + strings.Repeat(")", 20)},
		{"HugeValue", `userName eq "` + strings.Repeat("a", 100_000) + `"`},
		{"ManyTerms", strings.TrimSuffix(strings.Repeat(`userName eq "x" or `, 40), " or ")},
		{"UnknownAttribute", `password eq "x"`},
		{"UnknownExtension", `urn:example:User:secret eq "x"`},
		{"SQLInText", `userName eq "x" ; DROP TABLE users; --`},
		{"NotAFilter", `userName equals x`},
		{"Empty operator value", `userName eq`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			start := time.Now()
			e.wantError(http.StatusBadRequest, "invalidFilter", "GET", "/Users?filter="+url.QueryEscape(tc.filter), nil)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("refusing the filter took %v", d)
			}
		})
	}
	e.t = t
	// A value full of SQL is a value: it finds nothing, and the table is still there.
	r := e.must(http.StatusOK, "GET", "/Users?filter="+url.QueryEscape(`userName eq "x' OR '1'='1"`), nil)
	if r.Doc["totalResults"] != 0.0 {
		t.Errorf("an injected value matched: %s", r.Raw)
	}
	e.must(http.StatusOK, "GET", "/Users?filter="+url.QueryEscape(`userName eq "f.user@contoso.com"`), nil)
}

// TestSCIMETags: If-Match with an old version is 412 and changes nothing; the current version passes.
func TestSCIMETags(t *testing.T) {
	e := newSCIMEnv(t)
	u := e.createUser("etag@contoso.com", nil)
	id := u["id"].(string)
	v1 := u["meta"].(map[string]any)["version"].(string)
	e.must(http.StatusOK, "PATCH", "/Users/"+id, patchOp(map[string]any{"op": "replace", "path": "displayName", "value": "Two"}), "If-Match", v1)
	e.wantError(http.StatusPreconditionFailed, "", "PATCH", "/Users/"+id, patchOp(map[string]any{"op": "replace", "path": "displayName", "value": "Three"}), "If-Match", v1)
	e.wantError(http.StatusPreconditionFailed, "", "DELETE", "/Users/"+id, nil, "If-Match", v1)
	cur := e.must(http.StatusOK, "GET", "/Users/"+id, nil)
	if cur.Doc["displayName"] != "Two" {
		t.Errorf("displayName = %v after a refused PATCH", cur.Doc["displayName"])
	}
	e.must(http.StatusNoContent, "DELETE", "/Users/"+id, nil, "If-Match", cur.Header.Get("ETag"))
	g := e.createGroup("ETag group")
	gid := g["id"].(string)
	e.wantError(http.StatusPreconditionFailed, "", "PUT", "/Groups/"+gid,
		map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": "Renamed"}, "If-Match", `W/"0"`)
	// Members are part of a group: a change of them outside SCIM (REST API, portal, CLI) is a new version too,
	// so a client holding the old ETag cannot overwrite it.
	before := e.must(http.StatusOK, "GET", "/Groups/"+gid, nil).Header.Get("ETag")
	member := e.createUser("etag-member@contoso.com", nil)["id"].(string)
	for _, method := range []string{"PUT", "DELETE"} {
		e.restCall(method, "/api/v1/directories/default/groups/"+gid+"/members/"+member, nil, http.StatusNoContent, nil)
		after := e.must(http.StatusOK, "GET", "/Groups/"+gid, nil).Header.Get("ETag")
		if after == before {
			t.Fatalf("the group's ETag %s did not change when the REST API sent %s of a member", after, method)
		}
		e.wantError(http.StatusPreconditionFailed, "", "PUT", "/Groups/"+gid,
			map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": "Renamed"}, "If-Match", before)
		before = after
	}
}

// TestSCIMLimits: a body over the limit is 413, malformed input is a SCIM 400 (never a 500), pages are capped, and
// a token over its rate gets 429 with Retry-After.
func TestSCIMLimits(t *testing.T) {
	e := newSCIMEnv(t)
	for i := range 3 {
		e.createUser(fmt.Sprintf("l%d@contoso.com", i), nil)
	}
	e.wantError(http.StatusRequestEntityTooLarge, "", "POST", "/Users", `{"userName":"`+strings.Repeat("a", 2<<20)+`"}`)
	for _, tc := range []struct {
		name, method, path, body, typ string
	}{
		{"NotJSON", "POST", "/Users", `{"userName":`, "invalidSyntax"},
		{"Array", "POST", "/Users", `[]`, "invalidSyntax"},
		{"WrongType", "POST", "/Users", `{"userName":42}`, "invalidValue"},
		{"UnknownAttribute", "POST", "/Users", `{"userName":"a@contoso.com","shoeSize":"44"}`, "invalidSyntax"},
		{"NoUserName", "POST", "/Users", `{"displayName":"x"}`, "invalidValue"},
		{"BadUserName", "POST", "/Users", `{"userName":"not an email"}`, "invalidValue"},
		{"WrongSchema", "POST", "/Users", `{"schemas":["urn:example"],"userName":"a@contoso.com"}`, "invalidSyntax"},
		{"PatchNotPatchOp", "PATCH", "/Users/x", `{"Operations":[]}`, "invalidSyntax"},
		{"PatchBadOp", "PATCH", "/Users/x", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"move","path":"title"}]}`, "invalidSyntax"},
		{"GroupNestedMember", "POST", "/Groups", `{"displayName":"G","members":[{"value":"x","type":"Group"}]}`, "invalidValue"},
		{"GroupUnknownMember", "POST", "/Groups", `{"displayName":"G","members":[{"value":"nobody"}]}`, "invalidValue"},
		{"BadStartIndex", "GET", "/Users?startIndex=abc", "", "invalidValue"},
		{"BadSortBy", "GET", "/Users?sortBy=password", "", "invalidValue"},
		{"BadAttributes", "GET", "/Users?attributes=nope", "", "invalidValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			var body any
			if tc.body != "" {
				body = tc.body
			}
			e.wantError(http.StatusBadRequest, tc.typ, tc.method, tc.path, body)
		})
	}
	e.t = t
	r := e.must(http.StatusOK, "GET", "/Users?count=100000&startIndex=2", nil)
	if r.Doc["itemsPerPage"] != 3.0 || r.Doc["startIndex"] != 2.0 || r.Doc["totalResults"] != 4.0 {
		t.Errorf("page: %v %v %v", r.Doc["itemsPerPage"], r.Doc["startIndex"], r.Doc["totalResults"])
	}
	e.wantError(http.StatusNotFound, "", "GET", "/Bulk", nil)
	// The token's rate: the burst passes, then 429 with Retry-After.
	limited := 0
	for range 400 {
		r := e.do("GET", "/ServiceProviderConfig", nil)
		if r.Status == http.StatusTooManyRequests {
			if r.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			limited++
			break
		}
	}
	if limited == 0 {
		t.Error("400 requests at once were never rate-limited")
	}
}

// TestSCIMDiscovery: the service provider configuration, resource types and schemas describe what the endpoint does.
func TestSCIMDiscovery(t *testing.T) {
	e := newSCIMEnv(t)
	cfg := e.must(http.StatusOK, "GET", "/ServiceProviderConfig", nil).Doc
	for _, k := range []string{"patch", "filter", "etag", "sort"} {
		if cfg[k].(map[string]any)["supported"] != true {
			t.Errorf("%s not supported in %v", k, cfg)
		}
	}
	if cfg["bulk"].(map[string]any)["supported"] != false {
		t.Error("bulk advertised")
	}
	rts := e.must(http.StatusOK, "GET", "/ResourceTypes", nil).Doc
	if rts["totalResults"] != 2.0 {
		t.Errorf("resource types: %v", rts)
	}
	e.must(http.StatusOK, "GET", "/ResourceTypes/User", nil)
	schemas := e.must(http.StatusOK, "GET", "/Schemas", nil).Doc
	var ids []string
	for _, s := range schemas["Resources"].([]any) {
		ids = append(ids, s.(map[string]any)["id"].(string))
	}
	sort.Strings(ids)
	want := []string{scim.GroupSchema, scim.UserSchema, scim.EnterpriseSchema}
	sort.Strings(want)
	if d := cmp.Diff(want, ids); d != "" {
		t.Errorf("schemas (-want +got):\n%s", d)
	}
	e.must(http.StatusOK, "GET", "/Schemas/"+scim.EnterpriseSchema, nil)
	e.wantError(http.StatusNotFound, "", "GET", "/Schemas/urn:nope", nil)
}

// TestSCIMFilterDifferential parses every filter with scim2-parse-filter too, and compares which users each selects
// in Gatehouse's store with which the reference selects from the same users as JSON.
func TestSCIMFilterDifferential(t *testing.T) {
	e := newSCIMEnv(t)
	ent := "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	for i, dept := range []string{"Sales", "R&D", "Sales", ""} {
		extra := map[string]any{"active": i != 2}
		if dept != "" {
			extra[ent] = map[string]any{"department": dept, "employeeNumber": fmt.Sprint(100 + i)}
		}
		e.createUser(fmt.Sprintf("d%d.user@contoso.com", i), extra)
	}
	all := e.must(http.StatusOK, "GET", "/Users?count=200", nil).Doc["Resources"].([]any)
	var docs []map[string]any
	for _, d := range all {
		docs = append(docs, d.(map[string]any))
	}
	// Where scim2-parse-filter is wrong about the RFC, the users the RFC selects, by user name. scim2-parse-filter
	// compares every string case-sensitively, but RFC 7643 section 4.1.1 defines userName with caseExact false, so
	// "eq" ignores case: D1.USER@contoso.com is d1.user@contoso.com.
	refWrong := map[string][]string{
		`userName eq "D1.USER@contoso.com"`: {"d1.user@contoso.com"},
	}
	for _, f := range []string{
		`userName eq "d1.user@contoso.com"`,
		`userName eq "D1.USER@contoso.com"`,
		`userName sw "d"`,
		`userName co "user@"`,
		`userName ew "contoso.com"`,
		`active eq false`,
		`active eq true and userName sw "d"`,
		`not (userName sw "d")`,
		`displayName pr`,
		`externalId eq "ext-d2.user@contoso.com"`,
		`emails[value eq "d3.user@contoso.com"]`,
		`emails.value eq "d0.user@contoso.com" or userName eq "d3.user@contoso.com"`,
		`name.givenName eq "Test" and name.familyName eq "User"`,
		ent + `:department eq "Sales"`,
		`userName gt "d1" and userName lt "d3"`,
	} {
		t.Run(f, func(t *testing.T) {
			e.t = t
			if _, refErr := e.ref.ParseFilter(t, f); refErr != "" {
				t.Fatalf("scim2-parse-filter refuses %q: %s", f, refErr)
			}
			if _, err := scim.ParseFilter(scim.Users, f); err != nil {
				t.Fatalf("Gatehouse refuses %q: %v", f, err)
			}
			idx, refErr := e.ref.Match(t, f, docs)
			if refErr != "" {
				t.Fatalf("scim2-parse-filter cannot evaluate %q: %s", f, refErr)
			}
			var want []string
			for _, i := range idx {
				want = append(want, docs[i]["id"].(string))
			}
			if names, ok := refWrong[f]; ok {
				if len(want) != 0 {
					t.Errorf("scim2-parse-filter now selects %v for %q: check the note on refWrong", want, f)
				}
				want = nil
				for _, d := range docs {
					for _, n := range names {
						if d["userName"] == n {
							want = append(want, d["id"].(string))
						}
					}
				}
			}
			r := e.must(http.StatusOK, "GET", "/Users?count=200&filter="+url.QueryEscape(f), nil)
			var got []string
			for _, d := range r.Doc["Resources"].([]any) {
				got = append(got, d.(map[string]any)["id"].(string))
			}
			sort.Strings(want)
			sort.Strings(got)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("filter %q selects different users (-scim2-parse-filter +gatehouse):\n%s", f, d)
			}
		})
	}
	// Both parsers refuse what is not a filter.
	e.t = t
	for _, f := range []string{`userName equals "x"`, `(userName eq "x"`, `userName eq "x" and`} {
		if _, refErr := e.ref.ParseFilter(t, f); refErr == "" {
			t.Errorf("scim2-parse-filter accepts %q", f)
		}
		if _, err := scim.ParseFilter(scim.Users, f); err == nil {
			t.Errorf("Gatehouse accepts %q", f)
		}
	}
}
