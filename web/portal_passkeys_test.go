package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// mustPasskey stores a passkey of u directly, as a registration would have.
func mustPasskey(t *testing.T, srv *testserver.Server, u *gatehouse.User, id, name string) *gatehouse.Passkey {
	t.Helper()
	k := &gatehouse.Passkey{ID: id, DirectoryID: u.DirectoryID, UserID: u.ID, Name: name, CredentialID: []byte("cred-" + id),
		PublicKey: []byte("cose-" + id), AAGUID: "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4", CreatedAt: time.Now().UTC().Truncate(time.Second)}
	if err := srv.Store.CreatePasskey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return k
}

// TestPortalPasskeys sets the directory's passkey policy on its portal page (with a message for an AAGUID that is
// not one), lists a user's passkeys on the user's page, removes one, and resets the user's two-step verification,
// which removes the rest; a user admin sees the policy but cannot change it.
func TestPortalPasskeys(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Localhost: true})
	c := adminClient(t, srv)
	p := c.get("/admin/d/default/settings/passkeys")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `id="passkey-rp-id">localhost<`) || !strings.Contains(p.Body, `value="passwordless" checked`) {
		t.Fatalf("policy page: %d\n%s", p.Status, p.Body)
	}
	form := url.Values{"passkeys": {"second-factor"}, "aaguids": {"not-a-uuid"}}
	if p = c.post("/admin/d/default/settings/passkeys", form); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "not an AAGUID") {
		t.Errorf("a bad AAGUID: %d\n%s", p.Status, p.Body)
	}
	form.Set("aaguids", "EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4\n")
	if p = c.post("/admin/d/default/settings/passkeys", form); p.Status != http.StatusSeeOther {
		t.Fatalf("saving the policy: %d\n%s", p.Status, p.Body)
	}
	pol, _, err := srv.Service.SignInPasskeyPolicy(context.Background(), "default")
	if err != nil || pol.Passkeys != gatehouse.PasskeysSecondFactor || pol.RequirePhishingResistant || pol.RecoveryCodesAllowed() ||
		len(pol.AAGUIDs) != 1 || pol.AAGUIDs[0] != "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4" {
		t.Fatalf("policy after saving: %+v, %v", pol, err)
	}

	u := mustUser(t, srv, "keys@contoso.com", "Keys", gatehouse.RoleUser)
	mustPasskey(t, srv, u, "pk-a", "Laptop <b>")
	mustPasskey(t, srv, u, "pk-b", "Phone")
	p = c.get("/admin/d/default/users/" + u.ID)
	if !strings.Contains(p.Body, "Laptop &lt;b&gt;") || !strings.Contains(p.Body, `data-passkey-id="pk-b"`) {
		t.Fatalf("user page does not list the passkeys:\n%s", p.Body)
	}
	if p = c.post("/admin/d/default/users/"+u.ID+"/passkeys/pk-a/remove", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("removing a passkey: %d", p.Status)
	}
	if p = c.get(p.Location); strings.Contains(p.Body, `data-passkey-id="pk-a"`) || !strings.Contains(p.Body, "The passkey is removed") {
		t.Errorf("after the removal:\n%s", p.Body)
	}
	if p = c.post("/admin/d/default/users/"+u.ID+"/reset-mfa", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d", p.Status)
	}
	if left, _ := srv.Store.FindPasskeys(context.Background(), "default", u.ID); len(left) != 0 {
		t.Errorf("%d passkeys after the reset", len(left))
	}
	events, _, err := srv.Service.FindAuditEvents(context.Background(), mustAdmin(t, srv), "default", gatehouse.AuditFilter{TargetType: "passkey", TargetID: "pk-b"})
	if err != nil || len(events) != 0 {
		t.Errorf("a reset is one audit entry of the user, not one per passkey: %+v", events)
	}

	// A user admin reads the policy but cannot change it.
	mustUser(t, srv, "ua@contoso.com", "UA", gatehouse.RoleUserAdmin)
	ua := newPortalClient(t, srv)
	ua.signIn("default", "ua@contoso.com", userPassword)
	if p = ua.get("/admin/d/default/settings/passkeys"); p.Status != http.StatusOK || strings.Contains(p.Body, `id="save-passkey-policy"`) {
		t.Errorf("user admin's policy page: %d, save button %v", p.Status, strings.Contains(p.Body, "save-passkey-policy"))
	}
	if p = ua.post("/admin/d/default/settings/passkeys", url.Values{"passkeys": {"off"}}); p.Status != http.StatusForbidden {
		t.Errorf("user admin saving the policy: %d, want 403", p.Status)
	}

	// Requiring a phishing-resistant sign-in applies at once: the admin, signed in with a password, must add a
	// passkey before the portal opens again.
	form.Set("requirePhishingResistant", "on")
	if p = c.post("/admin/d/default/settings/passkeys", form); p.Status != http.StatusSeeOther {
		t.Fatalf("requiring passkeys: %d\n%s", p.Status, p.Body)
	}
	p = c.get("/admin/d/default/users")
	if p.Status != http.StatusSeeOther {
		t.Fatalf("portal after requiring passkeys: %d", p.Status)
	}
	if p = c.get(p.Location); p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/d/default/passkeys/new") {
		t.Errorf("the admin is sent to %q (%d), want the page that adds a passkey", p.Location, p.Status)
	}
}

// TestPasskeyAPI reads and changes the passkey policy and lists and removes a user's passkeys through the REST API,
// with the permission and directory checks of every admin route (SECURITY-CASES 34, 35).
func TestPasskeyAPI(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Localhost: true})
	token := apiToken(t, srv)
	u := mustUser(t, srv, "api.keys@contoso.com", "API Keys", gatehouse.RoleUser)
	mustPasskey(t, srv, u, "pk-1", "Key")
	call := func(method, path, body, tok string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	userToken, _, err := srv.Service.LoginWithCode(context.Background(), "default", u.UserName, userPassword, "", "t")
	if gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN || !strings.Contains(gatehouse.ErrorMessage(err), "passkey") {
		t.Fatalf("CLI login of a passkey user with the password alone: %q, %v; want refused, naming the passkey", userToken, err)
	}
	plain := mustUser(t, srv, "plain@contoso.com", "Plain", gatehouse.RoleUser)
	plainToken, _, err := srv.Service.LoginWithCode(context.Background(), "default", plain.UserName, userPassword, "", "t")
	if err != nil {
		t.Fatal(err)
	}
	base := "/api/v1/directories/default"
	tests := []struct {
		name, method, path, body, token string
		status                          int
		want                            string
	}{
		{"policy", "GET", base + "/passkey-policy", "", token, 200, `"passkeys": "passwordless"`},
		{"policy, not an admin", "GET", base + "/passkey-policy", "", plainToken, 403, ""},
		{"bad use", "PATCH", base + "/passkey-policy", `{"passkeys":"sometimes"}`, token, 400, `"field": "passkeys"`},
		{"unknown field", "PATCH", base + "/passkey-policy", `{"passkey":"off"}`, token, 400, ""},
		{"require with passkeys off", "PATCH", base + "/passkey-policy", `{"passkeys":"off","requirePhishingResistant":true}`, token, 400, `"field": "requirePhishingResistant"`},
		{"second factor only", "PATCH", base + "/passkey-policy", `{"passkeys":"second-factor"}`, token, 200, `"passkeys": "second-factor"`},
		{"change, not an admin", "PATCH", base + "/passkey-policy", `{"passkeys":"off"}`, plainToken, 403, ""},
		{"list", "GET", base + "/users/" + u.ID + "/passkeys", "", token, 200, `"name": "Key"`},
		{"list, not an admin", "GET", base + "/users/" + u.ID + "/passkeys", "", plainToken, 403, ""},
		{"list, no such user", "GET", base + "/users/nobody/passkeys", "", token, 404, ""},
		{"remove, not an admin", "DELETE", base + "/users/" + u.ID + "/passkeys/pk-1", "", plainToken, 403, ""},
		{"remove another user's passkey", "DELETE", base + "/users/" + plain.ID + "/passkeys/pk-1", "", token, 404, ""},
		{"remove", "DELETE", base + "/users/" + u.ID + "/passkeys/pk-1", "", token, 204, ""},
		{"remove again", "DELETE", base + "/users/" + u.ID + "/passkeys/pk-1", "", token, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(tt.method, tt.path, tt.body, tt.token)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%s %s: %d %s; want %d with %q", tt.method, tt.path, status, body, tt.status, tt.want)
			}
			if strings.Contains(body, "cose-") || strings.Contains(body, "publicKey") {
				t.Errorf("the answer carries a public key or credential: %s", body)
			}
		})
	}
	var list struct {
		Items []gatehouse.Passkey `json:"items"`
	}
	_, body := call("GET", base+"/users/"+u.ID+"/passkeys", "", token)
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Items) != 0 {
		t.Errorf("passkeys after the removal: %s, %v", body, err)
	}
}
