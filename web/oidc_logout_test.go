package web_test

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// backchannel is an app's back-channel logout endpoint on loopback that keeps the logout tokens it receives.
type backchannel struct {
	*httptest.Server
	mu     sync.Mutex
	tokens []string // guarded by mu
}

func newBackchannel(t *testing.T) *backchannel {
	b := &backchannel{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		b.tokens = append(b.tokens, r.PostForm.Get("logout_token"))
		b.mu.Unlock()
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *backchannel) received() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.tokens...)
}

// sessionToken returns the browser's Gatehouse session cookie.
func (b *oidcBrowser) sessionToken() string {
	u, _ := url.Parse(b.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "gatehouse_session" {
			return c.Value
		}
	}
	return ""
}

// TestOIDCEndSession checks RP-initiated logout: with the app's ID token of the session the session ends at once
// and the browser goes to the registered post-logout redirect URI with the state; without one the user is asked
// first; an unregistered post-logout redirect URI is an error page, never a redirect.
func TestOIDCEndSession(t *testing.T) {
	e := newOIDCEnv(t)
	b := e.browser()
	tok, _ := e.signedIn(b, "alice@contoso.com", "email")
	hint := tok.Extra("id_token").(string)
	logout := func(q url.Values) *signinResponse {
		t.Helper()
		return b.send(http.MethodGet, "/d/default/oidc/logout?"+q.Encode(), nil, nil)
	}
	t.Run("UnregisteredRedirect", func(t *testing.T) {
		for _, uri := range []string{"http://127.0.0.1:9/bye/", "https://attacker.example/bye"} {
			resp := logout(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {uri}})
			if resp.status != http.StatusBadRequest || resp.header.Get("Location") != "" || !strings.Contains(resp.body, idp.CodeBadLogoutRequest) {
				t.Errorf("post_logout_redirect_uri %q: %d to %q", uri, resp.status, resp.header.Get("Location"))
			}
		}
		resp := logout(url.Values{"post_logout_redirect_uri": {"http://127.0.0.1:9/bye"}})
		if resp.status != http.StatusBadRequest {
			t.Errorf("a post_logout_redirect_uri without a client: %d", resp.status)
		}
		if b.sessionToken() == "" {
			t.Fatal("a refused logout ended the session")
		}
	})
	t.Run("AskedWithoutHint", func(t *testing.T) {
		resp := logout(url.Values{"client_id": {e.app.OIDC.ClientID}, "post_logout_redirect_uri": {"http://127.0.0.1:9/bye"}, "state": {"s1"}})
		if resp.status != http.StatusOK || !strings.Contains(resp.body, `id="logout-confirm"`) || !strings.Contains(resp.body, "Wiki") {
			t.Fatalf("logout without a hint: %d\n%s", resp.status, resp.body)
		}
		if _, _, err := e.srv.Service.SessionUser(e.ctx, b.sessionToken()); err != nil {
			t.Fatal("asking ended the session")
		}
		// A forged confirmation does not end it either.
		forged := b.postForm("/d/default/oidc/logout", url.Values{"client_id": {e.app.OIDC.ClientID}, "confirm": {"00"}})
		if forged.status != http.StatusOK || !strings.Contains(forged.body, `id="logout-confirm"`) {
			t.Errorf("a forged confirmation: %d", forged.status)
		}
		form := url.Values{}
		for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(resp.body, -1) {
			form.Set(m[1], html.UnescapeString(m[2]))
		}
		done := b.postForm("/d/default/oidc/logout", form)
		if done.status != http.StatusSeeOther || done.header.Get("Location") != "http://127.0.0.1:9/bye?state=s1" {
			t.Errorf("confirmed logout: %d to %q", done.status, done.header.Get("Location"))
		}
		if _, _, err := e.srv.Service.SessionUser(e.ctx, b.sessionToken()); err == nil {
			t.Error("the session survived the confirmed logout")
		}
	})
	t.Run("WithHint", func(t *testing.T) {
		tok, _ := e.signedIn(b, "alice@contoso.com", "email")
		resp := logout(url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"http://127.0.0.1:9/bye"}, "state": {"s2"}})
		if resp.status != http.StatusFound || resp.header.Get("Location") != "http://127.0.0.1:9/bye?state=s2" {
			t.Fatalf("logout with the hint: %d to %q\n%s", resp.status, resp.header.Get("Location"), resp.body)
		}
		if b.sessionToken() != "" {
			t.Error("the session cookie is still there")
		}
		if e.introspect(tok.AccessToken).Active {
			t.Error("the session's access token survived the logout")
		}
	})
}

// TestOIDCSingleLogout signs alice in to two OpenID Connect apps and a SAML app in one session. The first app's
// RP-initiated logout ends the session: the SAML app gets its LogoutRequest on the logout page, the second app a
// logout token by the back channel, which verifies with the directory's keys and names the session of its ID token;
// access tokens of the session stop working, refresh tokens for offline access do not. The sign-out button does the
// same for an app signed in with the next session.
func TestOIDCSingleLogout(t *testing.T) {
	e := newOIDCEnv(t)
	svc := e.srv.Service
	bc := newBackchannel(t)
	other := e.secondApp()
	if _, err := svc.UpdateOIDC(e.ctx, e.root, "default", other.id, idp.OIDCPatch{BackchannelLogoutURI: &bc.URL,
		GrantTypes: &[]string{gatehouse.GrantAuthorizationCode, gatehouse.GrantRefreshToken}}); err != nil {
		t.Fatal(err)
	}
	saml, _, err := svc.AddApp(e.ctx, e.root, "default", idp.AppInput{GalleryID: "custom", Name: "Mixpanel"})
	if err != nil {
		t.Fatal(err)
	}
	s := saml.SAML
	s.EntityID, s.ReplyURLs, s.LogoutURL = "https://sp.example.test", []string{"https://sp.example.test/acs"}, "https://sp.example.test/slo"
	off := false
	if _, err := svc.UpdateApp(e.ctx, e.root, "default", saml.ID, idp.AppPatch{AssignmentRequired: &off, SAML: &s}); err != nil {
		t.Fatal(err)
	}

	b := e.browser()
	first, _ := e.signedIn(b, "alice@contoso.com", "email")
	otherCfg := e.oauth2("offline_access")
	otherCfg.ClientID, otherCfg.ClientSecret = other.clientID, other.secret
	verifier := oauth2.GenerateVerifier()
	code, _ := b.code(otherCfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "alice@contoso.com")
	second, err := otherCfg.Exchange(e.ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	otherVerifier := e.provider.Verifier(&gooidc.Config{ClientID: other.clientID})
	secondID, err := otherVerifier.Verify(e.ctx, second.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.OpenApp(e.ctx, "default", saml.ID, b.sessionToken()); err != nil {
		t.Fatal(err)
	}

	resp := b.send(http.MethodGet, "/d/default/oidc/logout?"+url.Values{"id_token_hint": {first.Extra("id_token").(string)},
		"post_logout_redirect_uri": {"http://127.0.0.1:9/bye"}}.Encode(), nil, nil)
	if resp.status != http.StatusOK || !strings.Contains(resp.body, `src="https://sp.example.test/slo?SAMLRequest=`) ||
		!strings.Contains(resp.body, `href="http://127.0.0.1:9/bye"`) {
		t.Fatalf("logout page: %d\n%s", resp.status, resp.body)
	}
	tokens := bc.received()
	if len(tokens) != 1 {
		t.Fatalf("the second app got %d logout tokens, want 1", len(tokens))
	}
	checkLogoutToken(t, e, other.clientID, tokens[0], secondID)
	if e.introspect(first.AccessToken).Active {
		t.Error("the first app's access token survived")
	}
	if in, _ := e.introspectAs(other.clientID, other.secret, second.RefreshToken); !in.Active {
		t.Error("the offline refresh token did not survive the logout")
	}

	// The sign-out button: the second app signed in again, with the next session.
	b2 := e.browser()
	code, _ = b2.code(otherCfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "alice@contoso.com")
	third, err := otherCfg.Exchange(e.ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	thirdID, err := otherVerifier.Verify(e.ctx, third.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if out := b2.postForm("/d/default/logout", url.Values{}); out.status != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", out.status)
	}
	if tokens = bc.received(); len(tokens) != 2 {
		t.Fatalf("after the sign-out button the second app got %d logout tokens in all, want 2", len(tokens))
	}
	checkLogoutToken(t, e, other.clientID, tokens[1], thirdID)
}

// checkLogoutToken verifies a logout token as the app with clientID would: signed by the directory, for the app,
// the back-channel logout event, and the subject and session of the app's ID token.
func checkLogoutToken(t *testing.T, e *oidcEnv, clientID, raw string, id *gooidc.IDToken) {
	t.Helper()
	lt, err := e.provider.Verifier(&gooidc.Config{ClientID: clientID}).Verify(e.ctx, raw)
	if err != nil {
		t.Fatalf("logout token: %v", err)
	}
	var c, idc struct {
		SID    string         `json:"sid"`
		Nonce  string         `json:"nonce"`
		Events map[string]any `json:"events"`
	}
	if err := lt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	_ = id.Claims(&idc)
	if _, ok := c.Events["http://schemas.openid.net/event/backchannel-logout"]; !ok || c.Nonce != "" || c.SID == "" || c.SID != idc.SID || lt.Subject != id.Subject {
		t.Errorf("logout token claims %+v subject %q; want the event, no nonce, sid %q and subject %q", c, lt.Subject, idc.SID, id.Subject)
	}
}

// TestOIDCKeyRollover publishes a next key in the JWKS before it signs, signs with it once it is made active, and
// keeps the replaced key published, so that tokens signed before the rollover still verify. Apps choosing ES256
// get ES256 tokens from the directory's ES256 key.
func TestOIDCKeyRollover(t *testing.T) {
	es := gatehouse.ES256
	e := newOIDCEnv(t)
	svc := e.srv.Service
	kids := func() map[string]string {
		var set jose.JSONWebKeySet
		getJSON(t, e.issuer+"/oidc/keys", &set)
		m := map[string]string{}
		for _, k := range set.Keys {
			if k.Use != "sig" || !k.IsPublic() {
				t.Errorf("key %s: use %q, public %v", k.KeyID, k.Use, k.IsPublic())
			}
			m[k.KeyID] = k.Algorithm
		}
		return m
	}
	headerKID := func(raw string) (string, string) {
		jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
		if err != nil {
			t.Fatal(err)
		}
		return jws.Signatures[0].Header.KeyID, jws.Signatures[0].Header.Algorithm
	}
	before, _ := e.signedIn(e.browser(), "alice@contoso.com")
	oldKID, alg := headerKID(before.Extra("id_token").(string))
	if alg != "RS256" || len(kids()) != 2 {
		t.Fatalf("before the rollover: alg %s, JWKS %v", alg, kids())
	}
	next, err := svc.CreateNextOIDCKey(e.ctx, e.root, "default", gatehouse.RS256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateNextOIDCKey(e.ctx, e.root, "default", gatehouse.RS256); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
		t.Errorf("a second next key: %v", err)
	}
	if k := kids(); k[next.ID] != "RS256" || k[oldKID] != "RS256" {
		t.Fatalf("the JWKS does not publish the next key beside the active one: %v", k)
	}
	during, _ := e.signedIn(e.browser(), "alice@contoso.com")
	if kid, _ := headerKID(during.Extra("id_token").(string)); kid != oldKID {
		t.Error("the next key signed before it was made active")
	}
	if _, err := svc.ActivateOIDCKey(e.ctx, e.root, "default", next.ID); err != nil {
		t.Fatal(err)
	}
	after, _ := e.signedIn(e.browser(), "alice@contoso.com")
	if kid, _ := headerKID(after.Extra("id_token").(string)); kid != next.ID {
		t.Errorf("after the rollover tokens are signed by %s, want %s", kid, next.ID)
	}
	if _, ok := kids()[oldKID]; !ok {
		t.Error("the replaced key left the JWKS at once")
	}
	if _, err := e.verifier().Verify(e.ctx, before.Extra("id_token").(string)); err != nil {
		t.Errorf("a token signed before the rollover: %v", err)
	}
	if e.app, err = svc.UpdateOIDC(e.ctx, e.root, "default", e.app.ID, idp.OIDCPatch{SigningAlgorithm: &es}); err != nil {
		t.Fatal(err)
	}
	ec, id := e.signedIn(e.browser(), "alice@contoso.com")
	if _, alg := headerKID(ec.Extra("id_token").(string)); alg != "ES256" || id.Subject == "" {
		t.Errorf("the ES256 app's ID token is signed with %s", alg)
	}
	keys, err := svc.OIDCKeyList(e.ctx, e.root, "default")
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, k := range keys {
		states[k.ID] = k.State
	}
	if states[next.ID] != idp.KeyActive || states[oldKID] != idp.KeyPrevious {
		t.Errorf("key states %v", states)
	}
}

// TestOIDCSecretRotation rotates the client secret with an overlap: both secrets work until the overlap ends;
// rotating with no overlap ends the old one at once; a deleted secret stops at once.
func TestOIDCSecretRotation(t *testing.T) {
	e := newOIDCEnv(t)
	svc := e.srv.Service
	works := func(secret string) bool {
		cfg := clientCredentials(e)
		cfg.ClientSecret = secret
		_, err := cfg.Token(e.ctx)
		return err == nil
	}
	old := e.secret
	hour := 3600
	second, _, err := svc.CreateClientSecret(e.ctx, e.root, "default", e.app.ID, idp.NewClientSecret{Overlap: &hour})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(second, idp.ClientSecretPrefix) || !works(old) || !works(second) {
		t.Fatal("during the overlap both secrets must work")
	}
	list, err := svc.ClientSecrets(e.ctx, e.root, "default", e.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[1].ExpiresAt == nil || list[0].ExpiresAt != nil || !list[1].Valid {
		t.Errorf("secrets after the rotation: %+v %+v", list[0].ClientSecret, list[1].ClientSecret)
	}
	zero := 0
	third, _, err := svc.CreateClientSecret(e.ctx, e.root, "default", e.app.ID, idp.NewClientSecret{Overlap: &zero})
	if err != nil {
		t.Fatal(err)
	}
	if works(old) || works(second) || !works(third) {
		t.Error("a rotation without overlap left an old secret working")
	}
	list, _ = svc.ClientSecrets(e.ctx, e.root, "default", e.app.ID)
	if err := svc.DeleteClientSecret(e.ctx, e.root, "default", e.app.ID, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if works(third) {
		t.Error("a deleted secret works")
	}
	body, _ := io.ReadAll(strings.NewReader(list[0].Hint))
	if strings.Contains(string(body), third[len(idp.ClientSecretPrefix)+4:]) {
		t.Error("the hint holds the secret")
	}
}

// TestOIDCMyAppsTile opens an OpenID Connect app from My Apps: the tile goes to the app's initiate login URI with
// the directory as iss; without one, the user access URL explains that the app starts sign-in itself.
func TestOIDCMyAppsTile(t *testing.T) {
	e := newOIDCEnv(t)
	b := e.browser()
	b.signIn("alice@contoso.com", oidcPassword)
	page := b.send(http.MethodGet, "/d/default/myapps", nil, nil)
	access := "/d/default/apps/" + e.app.ID + "/signin"
	if !strings.Contains(page.body, `href="`+access+`"`) && !strings.Contains(page.body, access) {
		t.Fatalf("My Apps has no tile for the app:\n%s", page.body)
	}
	resp := b.send(http.MethodGet, access, nil, nil)
	if resp.status != http.StatusBadRequest || !strings.Contains(resp.body, idp.CodeNoInitiateLoginURI) {
		t.Errorf("user access URL without an initiate login URI: %d", resp.status)
	}
	start := "https://wiki.example.test/login?from=gatehouse"
	if _, err := e.srv.Service.UpdateOIDC(e.ctx, e.root, "default", e.app.ID, idp.OIDCPatch{InitiateLoginURI: &start}); err != nil {
		t.Fatal(err)
	}
	want := "https://wiki.example.test/login?from=gatehouse&amp;iss=" + url.QueryEscape(e.issuer)
	if page := b.send(http.MethodGet, "/d/default/myapps", nil, nil); !strings.Contains(page.body, want) {
		t.Errorf("the tile does not lead to the initiate login URI %s:\n%s", want, page.body)
	}
	if resp := b.send(http.MethodGet, access, nil, nil); resp.status != http.StatusFound || resp.header.Get("Location") != html.UnescapeString(want) {
		t.Errorf("user access URL: %d to %q", resp.status, resp.header.Get("Location"))
	}
}

// TestOIDCDiscovery reads the directory's discovery document: its issuer and endpoints, the code flow with S256
// PKCE only, both signing algorithms and never none, back-channel logout; and 404 for a directory that does not
// exist.
func TestOIDCDiscovery(t *testing.T) {
	e := newOIDCEnv(t)
	var d map[string]any
	getJSON(t, e.issuer+"/.well-known/openid-configuration", &d)
	str := func(k string) string { s, _ := d[k].(string); return s }
	list := func(k string) string {
		var out []string
		for _, v := range d[k].([]any) {
			out = append(out, v.(string))
		}
		return strings.Join(out, " ")
	}
	for k, want := range map[string]string{
		"issuer": e.issuer, "authorization_endpoint": e.issuer + "/oidc/authorize", "token_endpoint": e.issuer + "/oidc/token",
		"userinfo_endpoint": e.issuer + "/oidc/userinfo", "jwks_uri": e.issuer + "/oidc/keys", "end_session_endpoint": e.issuer + "/oidc/logout",
		"introspection_endpoint": e.issuer + "/oidc/introspect", "revocation_endpoint": e.issuer + "/oidc/revoke",
	} {
		if str(k) != want {
			t.Errorf("%s = %q, want %q", k, str(k), want)
		}
	}
	for k, want := range map[string]string{
		"response_types_supported": "code", "code_challenge_methods_supported": "S256",
		"id_token_signing_alg_values_supported": "RS256 ES256", "subject_types_supported": "pairwise",
		"grant_types_supported":                 "authorization_code refresh_token client_credentials",
		"token_endpoint_auth_methods_supported": "client_secret_basic client_secret_post none",
	} {
		if got := list(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if d["backchannel_logout_supported"] != true || !strings.Contains(list("acr_values_supported"), "https://refeds.org/profile/mfa") {
		t.Errorf("back-channel logout or acr values missing: %v", d)
	}
	resp, err := http.Get(e.srv.URL + "/d/nope/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("discovery of a missing directory: %d", resp.StatusCode)
	}
}
