package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/scimref"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/web"
)

// scimEnv is a test server with a SCIM token of the default directory and an admin API token.
type scimEnv struct {
	t      *testing.T
	srv    *testserver.Server
	ref    *scimref.Ref
	token  string
	api    string // the admin's API token
	base   string
	client *http.Client
}

func newSCIMEnv(t *testing.T) *scimEnv {
	t.Helper()
	// The limits gatehouse serve sets by default.
	srv := testserver.Start(t, testserver.Options{Configure: func(_ *idp.Config, w *web.Server) {
		w.SCIMRateLimit, w.SCIMRateBurst = 50, 200
	}})
	ref := scimref.Get(t)
	api, _, err := srv.Service.Login(context.Background(), "default", testserver.AdminUser, testserver.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	e := &scimEnv{t: t, srv: srv, ref: ref, api: api, base: srv.URL + "/d/default/scim/v2", client: &http.Client{}}
	var created struct {
		Token   string `json:"token"`
		BaseURL string `json:"baseUrl"`
	}
	e.restCall("POST", "/api/v1/directories/default/scim-tokens", map[string]any{"name": "Entra ID"}, http.StatusCreated, &created)
	if created.BaseURL != e.base || !strings.HasPrefix(created.Token, "ghs_") {
		t.Fatalf("created SCIM token %q with base URL %q, want a ghs_ token and %q", created.Token, created.BaseURL, e.base)
	}
	e.token = created.Token
	return e
}

// restCall calls the REST API as the admin and decodes the answer into out.
func (e *scimEnv) restCall(method, path string, body any, want int, out any) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+e.api)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
}

// scimResp is a SCIM answer.
type scimResp struct {
	Status int
	Header http.Header
	Doc    map[string]any
	Raw    string
}

// do sends a SCIM request with the token (or the given Authorization when auth is not "").
func (e *scimEnv) do(method, path string, body any, headers ...string) *scimResp {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.base + path
	}
	req, _ := http.NewRequest(method, u, r)
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := &scimResp{Status: resp.StatusCode, Header: resp.Header, Raw: string(b)}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out.Doc); err != nil {
			e.t.Fatalf("%s %s: the answer is not JSON: %v\n%s", method, path, err, b)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/scim+json" {
			e.t.Errorf("%s %s: Content-Type %q, want application/scim+json", method, path, ct)
		}
	}
	if resp.StatusCode >= 500 {
		e.t.Fatalf("%s %s: status %d (never a 500 for a request)\n%s", method, path, resp.StatusCode, b)
	}
	if resp.StatusCode >= 400 {
		if out.Doc["schemas"] == nil || !strings.Contains(fmt.Sprint(out.Doc["schemas"]), "api:messages:2.0:Error") ||
			out.Doc["status"] != fmt.Sprint(resp.StatusCode) {
			e.t.Errorf("%s %s: error %d is not in the SCIM error schema: %s", method, path, resp.StatusCode, b)
		}
	} else if out.Doc != nil {
		e.validate(out.Doc)
	}
	return out
}

// must sends a request and fails the test unless the status is want.
func (e *scimEnv) must(want int, method, path string, body any, headers ...string) *scimResp {
	e.t.Helper()
	r := e.do(method, path, body, headers...)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, want, r.Raw)
	}
	return r
}

// wantError sends a request that must fail with status and scimType (none when typ is "").
func (e *scimEnv) wantError(status int, typ, method, path string, body any, headers ...string) *scimResp {
	e.t.Helper()
	r := e.do(method, path, body, headers...)
	got, _ := r.Doc["scimType"].(string)
	if r.Status != status || got != typ {
		e.t.Fatalf("%s %s: status %d scimType %q, want %d %q\n%s", method, path, r.Status, got, status, typ, r.Raw)
	}
	return r
}

// validate checks a resource Gatehouse returned against the core schemas as scimmy defines them: it must coerce
// without error and lose nothing in coercion.
func (e *scimEnv) validate(doc map[string]any) {
	e.t.Helper()
	if list, ok := doc["Resources"].([]any); ok {
		for _, r := range list {
			if m, ok := r.(map[string]any); ok && m["meta"] != nil {
				e.validate(m)
			}
		}
		return
	}
	m, _ := doc["meta"].(map[string]any)
	typ, _ := m["resourceType"].(string)
	if typ != "User" && typ != "Group" {
		return
	}
	coerced, refErr := e.ref.Validate(e.t, typ, doc)
	if refErr != "" {
		e.t.Errorf("scimmy refuses the %s Gatehouse returned: %s\n%v", typ, refErr, doc)
		return
	}
	if d := cmp.Diff(normalizeTimes(doc), normalizeTimes(coerced)); d != "" {
		e.t.Errorf("scimmy's coercion of the %s changed it (an attribute outside the schema?) (-gatehouse +scimmy):\n%s", typ, d)
	}
}

// normalizeTimes rewrites meta's times to whole seconds, the precision both sides agree on.
func normalizeTimes(doc map[string]any) map[string]any {
	out := deepCopy(doc).(map[string]any)
	if m, ok := out["meta"].(map[string]any); ok {
		for _, k := range []string{"created", "lastModified"} {
			if s, ok := m[k].(string); ok {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					m[k] = t.UTC().Truncate(time.Second).Format(time.RFC3339)
				}
			}
		}
	}
	return out
}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// comparable strips what only the server computes from a resource: meta, the read-only groups of a user, and of
// members everything but their value, sorted.
func comparable(doc map[string]any) map[string]any {
	out := deepCopy(doc).(map[string]any)
	delete(out, "meta")
	delete(out, "groups")
	if list, ok := out["members"].([]any); ok {
		var vals []string
		for _, m := range list {
			vals = append(vals, fmt.Sprint(m.(map[string]any)["value"]))
		}
		sort.Strings(vals)
		out["members"] = vals
	}
	if s, ok := out["schemas"].([]any); ok {
		sort.Slice(s, func(i, j int) bool { return fmt.Sprint(s[i]) < fmt.Sprint(s[j]) })
	}
	return out
}

// patch sends a PATCH and applies the same body to a JSON copy of the resource with scim-patch; the resource
// Gatehouse holds afterwards must be the reference's result. status is the answer expected (200 or 204).
func (e *scimEnv) patch(path string, body map[string]any, status int) map[string]any {
	e.t.Helper()
	before := e.must(http.StatusOK, "GET", path, nil).Doc
	want, refErr := e.ref.Patch(e.t, referenceCopy(before), body)
	e.must(status, "PATCH", path, body)
	after := e.must(http.StatusOK, "GET", path, nil).Doc
	if refErr != "" {
		e.t.Errorf("scim-patch refused a PATCH Gatehouse applied: %s", refErr)
		return after
	}
	if d := cmp.Diff(comparable(withExtensionSchemas(canonicalBools(want))), comparable(after)); d != "" {
		e.t.Errorf("after PATCH %v, Gatehouse and scim-patch disagree (-scim-patch +gatehouse):\n%s", body["Operations"], d)
	}
	return after
}

// canonicalBools turns "True"/"False" strings of boolean attributes into booleans: Gatehouse reads booleans sent
// as strings (a client quirk) and stores booleans, while scim-patch copies the string as it is.
func canonicalBools(doc map[string]any) map[string]any {
	out := deepCopy(doc).(map[string]any)
	var walk func(m map[string]any)
	walk = func(m map[string]any) {
		for k, v := range m {
			switch v := v.(type) {
			case string:
				if k == "active" || k == "primary" {
					switch strings.ToLower(v) {
					case "true":
						m[k] = true
					case "false":
						m[k] = false
					}
				}
			case map[string]any:
				walk(v)
			case []any:
				for _, e := range v {
					if em, ok := e.(map[string]any); ok {
						walk(em)
					}
				}
			}
		}
	}
	walk(out)
	return out
}

// referenceCopy is the JSON copy of a resource that scim-patch gets. Members are reduced to their value:
// scim-patch removes members listed in a remove's value array only when the whole member object is equal, while
// Entra ID lists a member as {"value": id} and Gatehouse's members also carry display and $ref; Gatehouse matches
// listed members by value. The RFC does not define a value on remove with a path at all (RFC 7644 3.5.2.2 removes
// every member), so this quirk is compared on members as values.
func referenceCopy(doc map[string]any) map[string]any {
	out := deepCopy(doc).(map[string]any)
	if list, ok := out["members"].([]any); ok {
		for i, m := range list {
			list[i] = map[string]any{"value": m.(map[string]any)["value"]}
		}
	}
	return out
}

// withExtensionSchemas adds to schemas the URN of every extension the resource has attributes of. scim-patch does
// not, but RFC 7643 section 3 says schemas lists "the schema extensions ... present", which Gatehouse follows: a
// PATCH that sets the first enterprise attribute adds the enterprise URN.
func withExtensionSchemas(doc map[string]any) map[string]any {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	if _, ok := doc[ent]; ok {
		list, _ := doc["schemas"].([]any)
		if !strings.Contains(fmt.Sprint(list), ent) {
			doc["schemas"] = append(list, ent)
		}
	}
	return doc
}

func patchOp(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": list}
}

// createUser creates a user the way Entra ID does and returns its resource.
func (e *scimEnv) createUser(userName string, extra map[string]any) map[string]any {
	e.t.Helper()
	body := map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"userName": userName, "active": true, "displayName": "Test " + userName, "externalId": "ext-" + userName,
		"name":   map[string]any{"givenName": "Test", "familyName": "User"},
		"emails": []any{map[string]any{"primary": true, "type": "work", "value": userName}},
	}
	for k, v := range extra {
		body[k] = v
	}
	return e.must(http.StatusCreated, "POST", "/Users", body).Doc
}

func (e *scimEnv) createGroup(name string, members ...string) map[string]any {
	e.t.Helper()
	var ms []any
	for _, m := range members {
		ms = append(ms, map[string]any{"value": m})
	}
	body := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": name}
	if ms != nil {
		body["members"] = ms
	}
	return e.must(http.StatusCreated, "POST", "/Groups", body).Doc
}

// TestSCIMUserLifecycle provisions a user as Entra ID does: create, find by userName, update, disable, delete —
// with the directory's user, its source and the audit log checked through the services.
func TestSCIMUserLifecycle(t *testing.T) {
	e := newSCIMEnv(t)
	ctx := context.Background()
	created := e.createUser("b.simon@contoso.com", map[string]any{
		"title": "Tour Guide", "phoneNumbers": []any{map[string]any{"type": "work", "value": "555-555-8377"}},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
			"department": "Sales", "employeeNumber": "701984", "costCenter": "4130", "organization": "Contoso",
			"division": "EMEA", "manager": map[string]any{"value": "m-1"}},
	})
	id := created["id"].(string)
	admin, err := e.srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.srv.Service.FindUser(ctx, admin, "default", id)
	if err != nil {
		t.Fatal(err)
	}
	want := gatehouse.User{UserName: "b.simon@contoso.com", FirstName: "Test", LastName: "User",
		DisplayName: "Test b.simon@contoso.com", Mail: "b.simon@contoso.com", Source: gatehouse.SourceSCIM,
		ExternalID: "ext-b.simon@contoso.com", Department: "Sales", EmployeeNumber: "701984", CostCenter: "4130",
		Organization: "Contoso", Division: "EMEA", ManagerID: "m-1", Role: gatehouse.RoleUser}
	got := gatehouse.User{UserName: u.UserName, FirstName: u.FirstName, LastName: u.LastName, DisplayName: u.DisplayName,
		Mail: u.Mail, Source: u.Source, ExternalID: u.ExternalID, Department: u.Department,
		EmployeeNumber: u.EmployeeNumber, CostCenter: u.CostCenter, Organization: u.Organization, Division: u.Division,
		ManagerID: u.ManagerID, Role: u.Role}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("directory user mismatch (-want +got):\n%s", d)
	}
	if u.HasPassword() || u.MustChangePassword {
		t.Errorf("a provisioned user has a password (%v) or must change one (%v); want none until an admin sets one", u.HasPassword(), u.MustChangePassword)
	}
	if _, err := e.srv.Service.Authenticate(ctx, "default", "b.simon@contoso.com", ""); err == nil {
		t.Error("a provisioned user without a password signed in with an empty password")
	}

	// Entra's matching query, then the resource by ID with an ETag.
	list := e.must(http.StatusOK, "GET", "/Users?filter="+url.QueryEscape(`userName eq "B.Simon@contoso.com"`), nil).Doc
	if list["totalResults"] != 1.0 {
		t.Fatalf("filter by userName found %v users, want 1", list["totalResults"])
	}
	get := e.must(http.StatusOK, "GET", "/Users/"+id, nil)
	if get.Header.Get("ETag") == "" || get.Header.Get("ETag") != get.Doc["meta"].(map[string]any)["version"] {
		t.Errorf("ETag %q does not match meta.version %v", get.Header.Get("ETag"), get.Doc["meta"])
	}

	// PUT the resource back with a new title (Okta's replace, with id and groups echoed).
	put := deepCopy(get.Doc).(map[string]any)
	put["title"] = "Head Guide"
	put["groups"] = []any{}
	r := e.must(http.StatusOK, "PUT", "/Users/"+id, put)
	if r.Doc["title"] != "Head Guide" {
		t.Errorf("PUT did not change the title: %v", r.Doc["title"])
	}

	// Disable, then delete; every change in the audit log under the token's name.
	e.patch("/Users/"+id, patchOp(map[string]any{"op": "replace", "path": "active", "value": false}), http.StatusOK)
	u, _ = e.srv.Service.FindUser(ctx, admin, "default", id)
	if !u.Disabled {
		t.Error("active=false did not disable the user")
	}
	e.must(http.StatusNoContent, "DELETE", "/Users/"+id, nil)
	e.wantError(http.StatusNotFound, "", "GET", "/Users/"+id, nil)
	events, _, err := e.srv.Store.FindAuditEvents(ctx, "default", gatehouse.AuditFilter{TargetID: id})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range events {
		actions = append(actions, ev.Action+" by "+ev.ActorName)
	}
	sort.Strings(actions)
	wantActions := []string{"user.create by Entra ID (SCIM)", "user.delete by Entra ID (SCIM)", "user.update by Entra ID (SCIM)", "user.update by Entra ID (SCIM)"}
	if d := cmp.Diff(wantActions, actions); d != "" {
		t.Errorf("audit log mismatch (-want +got):\n%s", d)
	}
}

// TestSCIMDeactivateEndsSessions: active=false disables the user and ends their sessions at once.
func TestSCIMDeactivateEndsSessions(t *testing.T) {
	e := newSCIMEnv(t)
	ctx := context.Background()
	doc := e.createUser("c.jones@contoso.com", nil)
	id := doc["id"].(string)
	u, err := e.srv.Store.FindUser(ctx, "default", id)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := e.srv.Service.CreateSession(ctx, u, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.srv.Service.SessionUser(ctx, token); err != nil {
		t.Fatal(err)
	}
	e.patch("/Users/"+id, patchOp(map[string]any{"op": "Replace", "value": map[string]any{"active": false}}), http.StatusOK)
	if _, _, err := e.srv.Service.SessionUser(ctx, token); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		t.Errorf("the session of a deactivated user still works (err %v)", err)
	}
}

// TestSCIMQuirks replays the request shapes of real clients that differ from the RFCs; each must work, and each
// PATCH agrees with scim-patch.
func TestSCIMQuirks(t *testing.T) {
	e := newSCIMEnv(t)
	user := e.createUser("quirk@contoso.com", nil)
	uid := user["id"].(string)
	other := e.createUser("other@contoso.com", nil)
	oid := other["id"].(string)

	t.Run("CapitalisedOps", func(t *testing.T) {
		// Entra ID sends op values capitalised.
		e.t = t
		e.patch("/Users/"+uid, patchOp(
			map[string]any{"op": "Replace", "path": "displayName", "value": "Quirky One"},
			map[string]any{"op": "Add", "path": "title", "value": "Engineer"},
			map[string]any{"op": "Remove", "path": "title"},
		), http.StatusOK)
	})
	t.Run("BooleansAsStrings", func(t *testing.T) {
		// Entra ID sends active as the string "False".
		e.t = t
		after := e.patch("/Users/"+uid, patchOp(map[string]any{"op": "Replace", "path": "active", "value": "False"}), http.StatusOK)
		if after["active"] != false {
			t.Errorf("active = %v, want false", after["active"])
		}
		e.patch("/Users/"+uid, patchOp(map[string]any{"op": "Replace", "path": "active", "value": "True"}), http.StatusOK)
	})
	t.Run("TypedEmailPath", func(t *testing.T) {
		// Entra ID: emails[type eq "work"].value.
		e.t = t
		after := e.patch("/Users/"+uid, patchOp(map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": "quirk2@contoso.com"}), http.StatusOK)
		if after["emails"].([]any)[0].(map[string]any)["value"] != "quirk2@contoso.com" {
			t.Errorf("emails = %v", after["emails"])
		}
	})
	t.Run("ReplaceCreatesMissingTypedValue", func(t *testing.T) {
		// Entra ID replaces a typed value the user does not have yet: it is created.
		e.t = t
		after := e.patch("/Users/"+uid, patchOp(map[string]any{"op": "replace", "path": `phoneNumbers[type eq "mobile"].value`, "value": "+1 555 0100"}), http.StatusOK)
		if fmt.Sprint(after["phoneNumbers"]) != "[map[type:mobile value:+1 555 0100]]" {
			t.Errorf("phoneNumbers = %v", after["phoneNumbers"])
		}
	})
	t.Run("ReplaceWithoutPathDottedKeys", func(t *testing.T) {
		// A replace without a path whose value has dotted keys, as Okta and Entra send them.
		e.t = t
		after := e.patch("/Users/"+uid, patchOp(map[string]any{"op": "replace", "value": map[string]any{
			"name.givenName": "Quincy", "name.familyName": "Irk", "displayName": "Quincy Irk"}}), http.StatusOK)
		if fmt.Sprint(after["name"]) != "map[familyName:Irk givenName:Quincy]" {
			t.Errorf("name = %v", after["name"])
		}
	})
	t.Run("EnterpriseManagerByURNPath", func(t *testing.T) {
		e.t = t
		e.patch("/Users/"+uid, patchOp(map[string]any{"op": "Add",
			"path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": map[string]any{"value": oid}}), http.StatusOK)
	})
	t.Run("ManagerAsBareID", func(t *testing.T) {
		// Entra ID sets the manager with the manager's id as the value, not {"value": id}. scim-patch copies the
		// string as it is; Gatehouse stores the manager, so the result is checked here rather than against it.
		e.t = t
		e.must(http.StatusOK, "PATCH", "/Users/"+uid, patchOp(map[string]any{"op": "Add",
			"path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": oid}))
		after := e.must(http.StatusOK, "GET", "/Users/"+uid, nil).Doc
		ent, _ := after["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
		if fmt.Sprint(ent["manager"]) != fmt.Sprintf("map[value:%s]", oid) {
			t.Errorf("manager = %v", ent["manager"])
		}
	})
	t.Run("ValuePathComparisonFilter", func(t *testing.T) {
		// emails[type eq "work"].value eq "x" is outside RFC 7644's grammar; it is read as a value filter.
		e.t = t
		r := e.must(http.StatusOK, "GET", "/Users?filter="+url.QueryEscape(`emails[type eq "work"].value eq "other@contoso.com"`), nil)
		if r.Doc["totalResults"] != 1.0 || r.Doc["Resources"].([]any)[0].(map[string]any)["id"] != oid {
			t.Errorf("filter found %v", r.Raw)
		}
	})

	group := e.createGroup("Quirk Team", uid, oid)
	gid := group["id"].(string)
	t.Run("ExcludedAttributesMembers", func(t *testing.T) {
		// Entra ID reads groups with excludedAttributes=members.
		e.t = t
		r := e.must(http.StatusOK, "GET", "/Groups?excludedAttributes=members&filter="+url.QueryEscape(`displayName eq "Quirk Team"`), nil)
		res := r.Doc["Resources"].([]any)
		if len(res) != 1 || res[0].(map[string]any)["members"] != nil || res[0].(map[string]any)["displayName"] != "Quirk Team" {
			t.Errorf("answer %s", r.Raw)
		}
		one := e.must(http.StatusOK, "GET", "/Groups/"+gid+"?excludedAttributes=members", nil)
		if one.Doc["members"] != nil {
			t.Errorf("members returned although excluded: %s", one.Raw)
		}
	})
	t.Run("MemberRemovalByValueArray", func(t *testing.T) {
		// Entra ID removes a member with path "members" and the member in a value array, instead of a filter.
		e.t = t
		after := e.patch("/Groups/"+gid, patchOp(map[string]any{"op": "Remove", "path": "members",
			"value": []any{map[string]any{"value": oid}}}), http.StatusNoContent)
		if len(after["members"].([]any)) != 1 {
			t.Errorf("members after removal: %v", after["members"])
		}
	})
	t.Run("GroupPatchAnswered204", func(t *testing.T) {
		// Group PATCH answers 204 without a body, as Entra ID and Okta expect of large groups.
		e.t = t
		r := e.patch("/Groups/"+gid, patchOp(map[string]any{"op": "Add", "path": "members",
			"value": []any{map[string]any{"value": oid}}}), http.StatusNoContent)
		if len(r["members"].([]any)) != 2 {
			t.Errorf("members after add: %v", r["members"])
		}
		e.patch("/Groups/"+gid, patchOp(map[string]any{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, uid)}), http.StatusNoContent)
	})
	t.Run("OktaCreateWithEmptyGroups", func(t *testing.T) {
		// Okta's create sends "groups": [] and a locale.
		e.t = t
		e.must(http.StatusCreated, "POST", "/Users", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "okta.user@contoso.com",
			"name": map[string]any{"givenName": "Okta", "familyName": "User"}, "displayName": "Okta User",
			"emails": []any{map[string]any{"primary": true, "value": "okta.user@contoso.com", "type": "work"}},
			"locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7", "groups": []any{}, "active": true})
	})
}
