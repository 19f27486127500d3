package e2e

import (
	"html"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"
	"github.com/gatehouse-idp/gatehouse/internal/passkeytest"

	"github.com/gatehouse-idp/gatehouse"
)

var (
	dataOptionsRE = regexp.MustCompile(`data-options="([^"]*)"`)
	stateRE       = regexp.MustCompile(`<input type="hidden" name="state" value="([^"]*)">`)
)

// passkeyForm returns the passkey options and state of a page, failing the test when it offers none.
func passkeyForm(t *testing.T, p *page) (options, state string) {
	t.Helper()
	o, s := dataOptionsRE.FindStringSubmatch(p.Body), stateRE.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || o == nil || s == nil {
		t.Fatalf("page (status %d) offers no passkey:\n%.2000s", p.Status, p.Body)
	}
	return html.UnescapeString(o[1]), html.UnescapeString(s[1])
}

// TestPasskeysOverHTTP drives the real binary with an independent virtual authenticator
// (descope/virtualwebauthn), not a browser: a user adds a passkey from the sign-in pages, signs in with it alone
// and as the second step after the password, and an admin lists it through the REST API and the CLI and removes
// it. The server's public URL is http://localhost:PORT, its passkey relying-party ID localhost.
func TestPasskeysOverHTTP(t *testing.T) {
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	public := "http://localhost:" + port
	srv := startServerOn(t, t.TempDir(), addr, "GATEHOUSE_PUBLIC_URL="+public,
		"GATEHOUSE_ADMIN_USER="+adminUser, "GATEHOUSE_ADMIN_PASSWORD="+adminPassword)
	api := &apiClient{t: t, base: srv.URL}
	var tok struct {
		Token string `json:"token"`
	}
	api.call("POST", "/api/v1/tokens", map[string]string{"directory": "default", "userName": adminUser, "password": adminPassword, "name": "e2e"}, http.StatusCreated, &tok)
	api.token = tok.Token

	const userName, pw = "passkey.http@contoso.com", "Passkey-Over-Http-7"
	var created struct {
		User              gatehouse.User `json:"user"`
		TemporaryPassword string         `json:"temporaryPassword"`
	}
	api.call("POST", "/api/v1/directories/default/users", map[string]string{"userName": userName, "firstName": "P", "lastName": "K"}, http.StatusCreated, &created)
	api.call("POST", "/api/v1/password", map[string]string{"directory": "default", "userName": userName,
		"currentPassword": created.TemporaryPassword, "newPassword": pw}, http.StatusNoContent, nil)
	u := created.User

	rp := virtualwebauthn.RelyingParty{ID: "localhost", Name: "Gatehouse", Origin: public}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(u.ID)})
	cred := passkeytest.NewCredential()

	// Sign in with the password and add the passkey.
	b := newBrowser(t)
	p := b.post(srv.URL+"/d/default/login", map[string]string{"userName": userName, "password": pw})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("password sign-in: %d", p.Status)
	}
	options, state := passkeyForm(t, b.get(srv.URL+"/d/default/passkeys/new?next=/d/default/security"))
	att, err := virtualwebauthn.ParseAttestationOptions(options)
	if err != nil {
		t.Fatal(err)
	}
	if att.RelyingPartyID != "localhost" {
		t.Errorf("relying-party ID %q, want localhost", att.RelyingPartyID)
	}
	p = b.post(srv.URL+"/d/default/passkeys", map[string]string{"name": "Virtual key", "state": state, "next": "/d/default/security",
		"credential": virtualwebauthn.CreateAttestationResponse(rp, auth, cred, *att)})
	if p.Status != http.StatusOK || strings.Count(p.Body, `class="recovery-code"`) != 10 {
		t.Fatalf("adding the passkey: %d\n%.2000s", p.Status, p.Body)
	}
	auth.AddCredential(cred)
	b.post(srv.URL+"/d/default/logout", nil)

	signIn := func(b *browser, p *page, action string) *page {
		t.Helper()
		options, state := passkeyForm(t, p)
		as, err := virtualwebauthn.ParseAssertionOptions(options)
		if err != nil {
			t.Fatal(err)
		}
		c := auth.FindAllowedCredential(*as)
		if c == nil {
			c = &auth.Credentials[0] // a discoverable sign-in names no credential
		}
		c.Counter++
		return b.post(srv.URL+action, map[string]string{"state": state, "credential": virtualwebauthn.CreateAssertionResponse(rp, auth, *c, *as)})
	}

	// A passkey alone, from the sign-in page, without a user name.
	b = newBrowser(t)
	p = signIn(b, b.get(srv.URL+"/d/default/login"), "/d/default/login/passkey")
	if p.Status != http.StatusSeeOther || p.Location != "/d/default/myapps" {
		t.Fatalf("passwordless sign-in: %d to %q\n%.2000s", p.Status, p.Location, p.Body)
	}
	if p = b.follow(srv.URL, p); !strings.Contains(p.Body, userName) {
		t.Fatalf("My Apps after the passkey does not show the user")
	}

	// The password, then the passkey as the second step.
	b = newBrowser(t)
	p = b.post(srv.URL+"/d/default/login", map[string]string{"userName": userName, "password": pw})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/d/default/mfa") {
		t.Fatalf("password of a passkey user: %d to %q, want the second step", p.Status, p.Location)
	}
	p = signIn(b, b.follow(srv.URL, p), "/d/default/mfa/passkey")
	if p.Status != http.StatusSeeOther || p.Location != "/d/default/myapps" {
		t.Fatalf("second step with the passkey: %d to %q\n%.2000s", p.Status, p.Location, p.Body)
	}

	// The admin sees it, with its use, through the API and the CLI, and removes it.
	var keys struct {
		Items []gatehouse.Passkey `json:"items"`
	}
	api.call("GET", "/api/v1/directories/default/users/"+u.ID+"/passkeys", nil, http.StatusOK, &keys)
	if len(keys.Items) != 1 || keys.Items[0].Name != "Virtual key" || keys.Items[0].LastUsedAt == nil || keys.Items[0].SignCount != cred.Counter+2 {
		t.Fatalf("passkeys through the API: %+v (authenticator counter %d)", keys.Items, auth.Credentials[0].Counter)
	}
	cmd := exec.Command(gatehouseBinary(t), "user", "passkeys", userName)
	cmd.Env = append(os.Environ(), "GATEHOUSE_SERVER="+srv.URL, "GATEHOUSE_TOKEN="+api.token)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Virtual key") || !strings.Contains(string(out), keys.Items[0].ID) {
		t.Fatalf("gatehouse user passkeys: %v\n%s", err, out)
	}
	api.call("DELETE", "/api/v1/directories/default/users/"+u.ID+"/passkeys/"+keys.Items[0].ID, nil, http.StatusNoContent, nil)
	var audit struct {
		Items []gatehouse.AuditEvent `json:"items"`
	}
	api.call("GET", "/api/v1/directories/default/audit?targetType=passkey&targetId="+keys.Items[0].ID, nil, http.StatusOK, &audit)
	if len(audit.Items) != 2 || audit.Items[0].Action != "user.passkey-remove" || audit.Items[1].Action != "user.passkey-add" {
		t.Errorf("audit of the passkey: %+v", audit.Items)
	}
	// The removed passkey no longer signs in.
	b = newBrowser(t)
	p = signIn(b, b.get(srv.URL+"/d/default/login"), "/d/default/login/passkey")
	if p.Status != http.StatusUnauthorized {
		t.Errorf("a removed passkey: %d, want 401", p.Status)
	}
}
