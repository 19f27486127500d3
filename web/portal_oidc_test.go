package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestPortalOIDCApp adds Grafana from the gallery in the portal and configures it there: its Single sign-on page
// is the OpenID Connect settings page, which saves the client registration, refuses bad values beside their field
// keeping what was typed, creates a client secret shown once and rotates it, edits claims, and shows the values to
// set up the app; the claims preview shows a user's ID token claims.
func TestPortalOIDCApp(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	ctx := context.Background()
	p := c.post("/admin/d/default/apps/gallery/grafana", url.Values{"name": {"Grafana"}, "param-grafana_url": {"https://grafana.contoso.com"}})
	if p.Status != 303 || !strings.Contains(p.Location, "/sso") {
		t.Fatalf("adding Grafana: %d to %q\n%s", p.Status, p.Location, p.Body)
	}
	base := strings.Split(p.Location, "?")[0]
	id := strings.Split(strings.TrimPrefix(base, "/admin/d/default/apps/"), "/")[0]
	page := c.get(p.Location)
	for _, want := range []string{`was added as an OpenID Connect app`, `id="oidc"`, `id="secrets"`, `id="no-secrets"`, `id="claims"`,
		`id="setup-issuer">` + srv.URL + `/d/default<`, `id="setup-discovery">` + srv.URL + `/d/default/.well-known/openid-configuration<`,
		`https://grafana.contoso.com/login/generic_oauth`, `data-claim-name="groups"`, `id="test-sso"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the new app's page lacks %s", want)
		}
	}
	if strings.Contains(page.Body, "SAML signing certificate") || strings.Contains(page.Body, "Reply URLs") {
		t.Error("the OpenID Connect app's page shows SAML settings")
	}

	form := url.Values{"clientId": {"grafana-prod"}, "clientType": {"confidential"},
		"redirectUris":           {"https://grafana.contoso.com/login/generic_oauth\n\nhttps://grafana2.contoso.com/login/generic_oauth"},
		"postLogoutRedirectUris": {"https://grafana.contoso.com/login"}, "grantTypes": {"authorization_code", "refresh_token"},
		"requirePkce": {"on"}, "initiateLoginUri": {"https://grafana.contoso.com/login/generic_oauth"}, "backchannelLogoutUri": {""},
		"signingAlgorithm": {"ES256"}, "accessTokenFormat": {"jwt"}, "accessTokenLifetime": {"900"}, "idTokenLifetime": {"3600"},
		"refreshTokenLifetime": {"86400"}}
	if p := c.post(base+"/oidc", form); p.Status != 303 || !strings.HasSuffix(p.Location, "/sso#oidc") {
		t.Fatalf("save: %d to %q\n%s", p.Status, p.Location, p.Body)
	}
	a, err := srv.Store.FindApp(ctx, "default", id)
	if err != nil {
		t.Fatal(err)
	}
	o := a.OIDC
	if o.ClientID != "grafana-prod" || len(o.RedirectURIs) != 2 || o.SigningAlgorithm != "ES256" || o.AccessTokenFormat != "jwt" ||
		o.AccessTokenLifetime != 900 || !o.RequirePKCE || strings.Join(o.GrantTypes, ",") != "authorization_code,refresh_token" {
		t.Errorf("saved settings %+v", o)
	}

	for _, tc := range []struct{ name, field, value, errorID string }{
		{"RedirectWithFragment", "redirectUris", "https://grafana.contoso.com/cb#x", "error-redirectUris"},
		{"LifetimeTooLong", "accessTokenLifetime", "999999", "error-accessTokenLifetime"},
		{"LifetimeNotANumber", "idTokenLifetime", "an hour", "error-idTokenLifetime"},
		{"ClientIDWithSpace", "clientId", "grafana prod", "error-clientId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := url.Values{}
			for k, v := range form {
				bad[k] = v
			}
			bad.Set(tc.field, tc.value)
			p := c.post(base+"/oidc", bad)
			if p.Status != 400 || idOf(p.Body, tc.errorID) == "" || !strings.Contains(p.Body, tc.value) {
				t.Errorf("%s=%q: %d, message %q; want 400 with the message and the typed value", tc.field, tc.value, p.Status, idOf(p.Body, tc.errorID))
			}
		})
	}
	t.Run("PublicWithClientCredentials", func(t *testing.T) {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("clientType", "public")
		bad["grantTypes"] = []string{"authorization_code", "client_credentials"}
		if p := c.post(base+"/oidc", bad); p.Status != 400 || idOf(p.Body, "error-grantTypes") == "" {
			t.Errorf("a public client with client credentials: %d", p.Status)
		}
	})

	// A secret, shown once, then a rotation.
	// Each is shown on the page the form leads to, this once.
	follow := func(p *portalResp) *portalResp {
		t.Helper()
		if p.Status != 303 {
			t.Fatalf("%d, not a redirect\n%s", p.Status, p.Body)
		}
		return c.get(p.Location)
	}
	p = follow(c.post(base+"/secrets", url.Values{"expiresDays": {"365"}, "overlap": {"keep"}}))
	secret := idOf(p.Body, "client-secret")
	if p.Status != 200 || !strings.HasPrefix(secret, idp.ClientSecretPrefix) {
		t.Fatalf("new secret: %d, shown %q", p.Status, secret)
	}
	if again := c.get(base); strings.Contains(again.Body, secret) {
		t.Error("the secret is shown again")
	}
	p = follow(c.post(base+"/secrets", url.Values{"expiresDays": {"0"}, "overlap": {"86400"}}))
	second := idOf(p.Body, "client-secret")
	if second == "" || second == secret {
		t.Fatal("the rotation showed no new secret")
	}
	list, err := srv.Service.ClientSecrets(ctx, mustAdmin(t, srv), "default", id)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ExpiresAt != nil || list[1].ExpiresAt == nil || !list[1].Valid {
		t.Errorf("secrets after the rotation: %+v %+v", list[0].ClientSecret, list[1].ClientSecret)
	}
	if p := c.post(base+"/secrets/"+list[1].ID+"/delete", nil); p.Status != 303 {
		t.Errorf("delete: %d", p.Status)
	}
	if l, _ := srv.Service.ClientSecrets(ctx, mustAdmin(t, srv), "default", id); len(l) != 1 {
		t.Errorf("%d secrets after the delete", len(l))
	}

	// Claims: add, edit, remove.
	if p := c.post(base+"/claims", url.Values{"new-claim-name": {"department"}, "new-claim-source": {"constant"}, "new-claim-value": {"R&D"}}); p.Status != 303 {
		t.Fatalf("add claim: %d\n%s", p.Status, p.Body)
	}
	if p := c.get(base + "/claim?name=department"); p.Status != 200 {
		t.Errorf("claim page: %d", p.Status)
	}
	if p := c.post(base+"/claim", url.Values{"original": {"department"}, "name": {"dept"}, "source": {"constant"}, "value": {"Sales"}, "transform": {"keep"}}); p.Status != 303 {
		t.Errorf("edit claim: %d\n%s", p.Status, p.Body)
	}
	if p := c.post(base+"/claims", url.Values{"new-claim-name": {"sub"}, "new-claim-source": {"user.mail"}}); p.Status != 400 || idOf(p.Body, "error-claims") == "" {
		t.Errorf("a reserved claim name: %d", p.Status)
	}
	if p := c.post(base+"/claims/remove", url.Values{"name": {"family_name"}}); p.Status != 303 {
		t.Errorf("remove claim: %d", p.Status)
	}
	a, _ = srv.Store.FindApp(ctx, "default", id)
	names := []string{}
	for _, cl := range a.OIDC.Claims {
		names = append(names, cl.Name)
	}
	if got := strings.Join(names, ","); got != "name,given_name,preferred_username,email,groups,dept" {
		t.Errorf("claims %s", got)
	}

	// The claims preview of a user.
	u := mustUser(t, srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	p = c.get("/admin/d/default/apps/" + id + "/preview?user=" + u.ID)
	if p.Status != 200 || !strings.Contains(p.Body, "Claims preview") || !regexp.MustCompile(`data-claim="dept"><td><code>dept</code></td><td class="claim-value">Sales<`).MatchString(p.Body) ||
		!strings.Contains(p.Body, `id="preview-problems"`) {
		t.Errorf("claims preview: %d\n%s", p.Status, p.Body)
	}
}

// TestPortalOIDCKeys rolls the directory's signing keys over on its settings page: a next key is published first,
// then made active; only one next key per algorithm.
func TestPortalOIDCKeys(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	p := c.get("/admin/d/default/settings")
	if p.Status != 200 || !strings.Contains(p.Body, `id="oidc-keys"`) || strings.Count(p.Body, `data-state="active"`) != 2 {
		t.Fatalf("settings: %d\n%s", p.Status, p.Body)
	}
	if p := c.post("/admin/d/default/settings/oidc-keys", url.Values{"algorithm": {"ES256"}}); p.Status != 303 {
		t.Fatalf("new key: %d", p.Status)
	}
	p = c.get("/admin/d/default/settings")
	m := regexp.MustCompile(`data-key-id="([^"]+)" data-state="next"`).FindStringSubmatch(p.Body)
	if m == nil || !strings.Contains(p.Body, `data-section="oidc-keys"`) || !strings.Contains(p.Body, "Created a next key") || strings.Contains(p.Body, `id="new-oidc-key-ES256"`) || !strings.Contains(p.Body, `id="new-oidc-key-RS256"`) {
		t.Fatalf("after the new key:\n%s", p.Body)
	}
	if p := c.post("/admin/d/default/settings/oidc-keys/"+m[1]+"/activate", nil); p.Status != 303 {
		t.Fatalf("activate: %d", p.Status)
	}
	p = c.get("/admin/d/default/settings")
	if !strings.Contains(p.Body, `data-key-id="`+m[1]+`" data-state="active"`) || !strings.Contains(p.Body, `data-state="previous"`) {
		t.Errorf("after the rollover:\n%s", p.Body)
	}
}
