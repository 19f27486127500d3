package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// authURL returns an authorization URL of the app with the given parameters added to (or, with "", removed from)
// a valid request: code flow, openid, state and PKCE.
func (e *oidcEnv) authURL(change map[string]string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {e.app.OIDC.ClientID}, "redirect_uri": {e.redirect},
		"scope": {"openid email"}, "state": {"st"}, "code_challenge": {oauth2.S256ChallengeFromVerifier("v" + strings.Repeat("x", 50))},
		"code_challenge_method": {"S256"}, "nonce": {"n-1"}}
	for k, v := range change {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return e.issuer + "/oidc/authorize?" + q.Encode()
}

// oauthError returns the error of the app's redirect u, failing when there is none.
func oauthError(t testing.TB, u *url.URL, resp *signinResponse) (typ, desc, state string) {
	t.Helper()
	if u == nil {
		t.Fatalf("Gatehouse answered with a page, not a redirect to the app: %d\n%s", resp.status, resp.body)
	}
	q := u.Query()
	if q.Get("error") == "" {
		t.Fatalf("the app got %s, want an error", u)
	}
	return q.Get("error"), q.Get("error_description"), q.Get("state")
}

// lastSignIn returns the newest sign-in log entry of the directory.
func (e *oidcEnv) lastSignIn() *gatehouse.SignInEvent {
	e.t.Helper()
	list, _, err := e.srv.Service.FindSignInEvents(e.ctx, e.root, "default", gatehouse.SignInFilter{Limit: 1})
	if err != nil || len(list) == 0 {
		e.t.Fatalf("sign-in log: %v %v", list, err)
	}
	return list[0]
}

// TestSecurityCase55RedirectURI sends authorization requests whose redirect_uri is not registered byte for byte:
// each gets the error page with GH8002, never a redirect, and the values received and expected only for an admin of
// the directory. An unknown client gets GH8001 the same way. Every attempt is in the sign-in log.
func TestSecurityCase55RedirectURI(t *testing.T) {
	e := newOIDCEnv(t)
	admin := e.browser()
	if r := admin.signIn(testserver.AdminUser, testserver.AdminPassword); r.status != http.StatusSeeOther {
		t.Fatalf("admin sign-in: %d", r.status)
	}
	anon := e.browser()
	for _, tc := range []struct{ name, uri string }{
		{"TrailingSlash", e.redirect + "/"},
		{"NoPath", "http://127.0.0.1:9"},
		{"Case", "http://127.0.0.1:9/Callback"},
		{"HostCase", "HTTP://127.0.0.1:9/callback"},
		{"Port", "http://127.0.0.1:90/callback"},
		{"DefaultPortSpelledOut", "http://127.0.0.1:9/callback:80"},
		{"Userinfo", "http://attacker@127.0.0.1:9/callback"},
		{"Fragment", e.redirect + "#x"},
		{"Query", e.redirect + "?next=https://attacker.example"},
		{"Encoded", "http://127.0.0.1:9/%63allback"},
		{"OtherHost", "https://attacker.example/callback"},
		{"Missing", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			change := map[string]string{"redirect_uri": tc.uri}
			u, resp := anon.authorize(e.authURL(change), "")
			if u != nil || resp.status != http.StatusBadRequest || !strings.Contains(resp.body, "GH8002") {
				t.Fatalf("redirect_uri %q: redirect %v, status %d, want the GH8002 page", tc.uri, u, resp.status)
			}
			if strings.Contains(resp.body, e.redirect) || strings.Contains(resp.body, `id="error-received"`) {
				t.Error("the page shows the registered redirect URI or the value received to someone who is not an admin")
			}
			ev := e.lastSignIn()
			if ev.Code != idp.CodeRedirectURIMismatch || ev.AppID != e.app.ID || ev.Protocol != gatehouse.ProtocolOIDC || ev.Setting != idp.SettingOIDC {
				t.Errorf("sign-in log entry %+v", ev)
			}
			_, resp = admin.authorize(e.authURL(change), "")
			if !strings.Contains(resp.body, `id="error-expected"`) || !strings.Contains(resp.body, e.redirect) || !strings.Contains(resp.body, `id="error-hint"`) {
				t.Errorf("the admin's page lacks the registered redirect URI or the hint:\n%s", resp.body)
			}
		})
	}
	t.Run("UnknownClient", func(t *testing.T) {
		u, resp := anon.authorize(e.authURL(map[string]string{"client_id": "nope"}), "")
		if u != nil || resp.status != http.StatusBadRequest || !strings.Contains(resp.body, "GH8001") {
			t.Fatalf("unknown client: redirect %v, status %d", u, resp.status)
		}
		// The admin learns which app registers the redirect URI that was asked for.
		_, resp = admin.authorize(e.authURL(map[string]string{"client_id": "nope"}), "")
		if !strings.Contains(resp.body, e.app.OIDC.ClientID) {
			t.Errorf("the admin's hint does not name the app's client ID:\n%s", resp.body)
		}
		if ev := e.lastSignIn(); ev.Code != idp.CodeUnknownClient || ev.AppID != e.app.ID {
			t.Errorf("sign-in log entry %+v", ev)
		}
	})
}

// TestSecurityCase56PKCE refuses a public client's request without PKCE and any plain challenge at the
// authorization endpoint, and a missing or wrong code verifier at the token endpoint.
func TestSecurityCase56PKCE(t *testing.T) {
	yes := true
	e := newOIDCEnv(t, idp.OIDCPatch{PublicClient: &yes, GrantTypes: &[]string{gatehouse.GrantAuthorizationCode, gatehouse.GrantRefreshToken}})
	b := e.browser()
	for _, tc := range []struct {
		name   string
		change map[string]string
	}{
		{"NoChallenge", map[string]string{"code_challenge": "", "code_challenge_method": ""}},
		{"Plain", map[string]string{"code_challenge_method": "plain"}},
		{"NoMethodMeansPlain", map[string]string{"code_challenge_method": ""}},
		{"NotSHA256Shaped", map[string]string{"code_challenge": "short"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ, desc, state := b.oauthError(e.authURL(tc.change), "alice@contoso.com")
			if typ != "invalid_request" || !strings.Contains(desc, idp.CodePKCERequired) || state != "st" {
				t.Errorf("error %q %q state %q", typ, desc, state)
			}
		})
	}
	cfg := e.oauth2("email")
	for _, tc := range []struct{ name, verifier string }{
		{"WrongVerifier", oauth2.GenerateVerifier()},
		{"NoVerifier", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			code, _ := b.code(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "alice@contoso.com")
			var opts []oauth2.AuthCodeOption
			if tc.verifier != "" {
				opts = append(opts, oauth2.VerifierOption(tc.verifier))
			}
			_, err := cfg.Exchange(e.ctx, code, opts...)
			if code := retrieveErrorCode(err); code != "invalid_grant" {
				t.Fatalf("exchange with %s: %v", tc.name, err)
			}
			if ev := e.lastSignIn(); ev.Code != idp.CodePKCEFailed || ev.UserID != e.alice.ID {
				t.Errorf("sign-in log entry %+v", ev)
			}
		})
	}
	t.Run("PublicClientSucceedsWithPKCE", func(t *testing.T) {
		if _, id := e.signedIn(b, "alice@contoso.com"); id.Subject == "" {
			t.Error("no subject")
		}
	})
}

// oauthError runs an authorization request that must end with an error at the app, and returns it.
func (b *oidcBrowser) oauthError(authURL, user string) (typ, desc, state string) {
	b.t.Helper()
	u, resp := b.authorize(authURL, user)
	return oauthError(b.t, u, resp)
}

// clientCredentials returns the app's client credentials configuration for scopes.
func clientCredentials(e *oidcEnv, scopes ...string) *clientcredentials.Config {
	return &clientcredentials.Config{ClientID: e.app.OIDC.ClientID, ClientSecret: e.secret,
		TokenURL: e.provider.Endpoint().TokenURL, Scopes: scopes, AuthStyle: oauth2.AuthStyleInParams}
}

// retrieveErrorCode returns the OAuth error code of a token endpoint error.
func retrieveErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// TestSecurityCase57CodeTwice redeems an authorization code twice: the second exchange is refused and the tokens of
// the first are revoked. A code presented by another client is refused and spent.
func TestSecurityCase57CodeTwice(t *testing.T) {
	e := newOIDCEnv(t)
	b := e.browser()
	cfg := e.oauth2("email", "offline_access")
	verifier := oauth2.GenerateVerifier()
	code, _ := b.code(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "alice@contoso.com")
	tok, err := cfg.Exchange(e.ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if !e.introspect(tok.AccessToken).Active || tok.RefreshToken == "" {
		t.Fatal("the first exchange gave no live access token and refresh token")
	}
	if _, err := cfg.Exchange(e.ctx, code, oauth2.VerifierOption(verifier)); retrieveErrorCode(err) != "invalid_grant" {
		t.Fatalf("second exchange: %v", err)
	}
	if ev := e.lastSignIn(); ev.Code != idp.CodeCodeReused || ev.UserID != e.alice.ID || ev.AppID != e.app.ID {
		t.Errorf("sign-in log entry %+v", ev)
	}
	if e.introspect(tok.AccessToken).Active {
		t.Error("the access token of the first exchange still works")
	}
	if _, err := e.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("userinfo answers the access token of the first exchange")
	}
	if _, err := cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); retrieveErrorCode(err) != "invalid_grant" {
		t.Errorf("the refresh token of the first exchange: %v", err)
	}

	t.Run("AnotherClient", func(t *testing.T) {
		other := e.secondApp()
		code, _ := b.code(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "alice@contoso.com")
		thief := *cfg
		thief.ClientID, thief.ClientSecret = other.clientID, other.secret
		if _, err := thief.Exchange(e.ctx, code, oauth2.VerifierOption(verifier)); retrieveErrorCode(err) != "invalid_grant" {
			t.Fatalf("another client's exchange: %v", err)
		}
		if ev := e.lastSignIn(); ev.Code != idp.CodeWrongClient || ev.AppID != other.id {
			t.Errorf("sign-in log entry %+v", ev)
		}
		if _, err := cfg.Exchange(e.ctx, code, oauth2.VerifierOption(verifier)); retrieveErrorCode(err) != "invalid_grant" {
			t.Errorf("the code still works for its own client after another presented it: %v", err)
		}
	})
}

// otherApp is a second confidential client of oidcEnv's directory.
type otherApp struct{ id, clientID, secret string }

// secondApp adds a second confidential client with the same redirect URI, which alice is assigned to.
func (e *oidcEnv) secondApp() otherApp {
	e.t.Helper()
	svc := e.srv.Service
	a, _, err := svc.AddApp(e.ctx, e.root, "default", idp.AppInput{GalleryID: "custom-oidc", Name: "Other"})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := svc.UpdateOIDC(e.ctx, e.root, "default", a.ID, idp.OIDCPatch{RedirectURIs: &[]string{e.redirect}}); err != nil {
		e.t.Fatal(err)
	}
	secret, _, err := svc.CreateClientSecret(e.ctx, e.root, "default", a.ID, idp.NewClientSecret{})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := svc.Assign(e.ctx, e.root, "default", a.ID, gatehouse.PrincipalUser, e.alice.ID); err != nil {
		e.t.Fatal(err)
	}
	return otherApp{id: a.ID, clientID: a.OIDC.ClientID, secret: secret}
}

// introspection is the answer of the introspection endpoint.
type introspection struct {
	Active   bool   `json:"active"`
	ClientID string `json:"client_id"`
	Sub      string `json:"sub"`
	Scope    string `json:"scope"`
	Email    string `json:"email"`
}

// introspect asks the introspection endpoint about token as the app.
func (e *oidcEnv) introspect(token string) introspection {
	e.t.Helper()
	in, status := e.introspectAs(e.app.OIDC.ClientID, e.secret, token)
	if status != http.StatusOK {
		e.t.Fatalf("introspection: %d", status)
	}
	return in
}

// introspectAs asks the introspection endpoint about token as a client, and returns its answer and status.
func (e *oidcEnv) introspectAs(clientID, secret, token string) (introspection, int) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/oidc/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out introspection
	if resp.StatusCode != http.StatusOK {
		return out, resp.StatusCode
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		e.t.Fatal(err)
	}
	return out, resp.StatusCode
}

// TestSecurityCase58RefreshReuse refreshes once, then uses the replaced refresh token again: it is refused, and
// the whole family is revoked — the new refresh token and every access token of the sign-in.
func TestSecurityCase58RefreshReuse(t *testing.T) {
	e := newOIDCEnv(t)
	b := e.browser()
	tok, _ := e.signedIn(b, "alice@contoso.com", "email", "offline_access")
	cfg := e.oauth2("email", "offline_access")
	next, err := cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken {
		t.Fatal("the refresh did not rotate the refresh token")
	}
	if raw, _ := next.Extra("id_token").(string); raw == "" {
		t.Error("the refresh gave no new ID token")
	} else if _, err := e.verifier().Verify(e.ctx, raw); err != nil {
		t.Errorf("the refreshed ID token: %v", err)
	}
	if !e.introspect(next.AccessToken).Active {
		t.Fatal("the refreshed access token is not active")
	}
	if _, err := cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); retrieveErrorCode(err) != "invalid_grant" {
		t.Fatalf("reusing the replaced refresh token: %v", err)
	}
	if ev := e.lastSignIn(); ev.Code != idp.CodeRefreshReused || ev.UserID != e.alice.ID {
		t.Errorf("sign-in log entry %+v", ev)
	}
	if _, err := cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: next.RefreshToken}).Token(); retrieveErrorCode(err) != "invalid_grant" {
		t.Errorf("the new refresh token still works after the reuse: %v", err)
	}
	for _, at := range []string{tok.AccessToken, next.AccessToken} {
		if e.introspect(at).Active {
			t.Error("an access token of the family is still active")
		}
	}
}

// TestSecurityCase59TokenAlgorithms gives Gatehouse ID tokens it must not trust as id_token_hint — unsigned
// (alg=none), signed with HMAC keyed by the public key, signed by an unknown key (kid), and changed after signing
// — and checks that go-oidc, as a relying party, refuses a changed ID token too.
func TestSecurityCase59TokenAlgorithms(t *testing.T) {
	e := newOIDCEnv(t)
	b := e.browser()
	tok, _ := e.signedIn(b, "alice@contoso.com", "email")
	real, _ := tok.Extra("id_token").(string)
	parts := strings.Split(real, ".")
	var jwks jose.JSONWebKeySet
	getJSON(t, e.issuer+"/oidc/keys", &jwks)
	var rsaKey jose.JSONWebKey
	for _, k := range jwks.Keys {
		if k.Algorithm == "RS256" {
			rsaKey = k
		}
	}
	pubDER, err := x509.MarshalPKIXPublicKey(rsaKey.Key)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	b64 := base64.RawURLEncoding.EncodeToString
	hmacSigned := func() string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pubDER}, (&jose.SignerOptions{}).WithHeader("kid", rsaKey.KeyID))
		if err != nil {
			t.Fatal(err)
		}
		o, err := s.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := o.CompactSerialize()
		return c
	}
	foreign := func() string {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithHeader("kid", "unknown-kid"))
		o, _ := s.Sign(payload)
		c, _ := o.CompactSerialize()
		return c
	}
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	claims["sub"] = "someone-else"
	changed, _ := json.Marshal(claims)
	for _, tc := range []struct{ name, token string }{
		{"AlgNone", b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."},
		{"HMACWithThePublicKey", hmacSigned()},
		{"UnknownKID", foreign()},
		{"ChangedAfterSigning", parts[0] + "." + b64(changed) + "." + parts[2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ, desc, _ := b.oauthError(e.authURL(map[string]string{"id_token_hint": tc.token}), "alice@contoso.com")
			if typ != "invalid_request" || !strings.Contains(desc, idp.CodeBadIDTokenHint) {
				t.Errorf("authorization with the hint: %s %s", typ, desc)
			}
			resp := b.send(http.MethodGet, "/d/default/oidc/logout?"+url.Values{"id_token_hint": {tc.token}}.Encode(), nil, nil)
			if resp.status != http.StatusBadRequest || !strings.Contains(resp.body, idp.CodeBadLogoutRequest) {
				t.Errorf("logout with the hint: %d", resp.status)
			}
			if _, err := e.verifier().Verify(e.ctx, tc.token); err == nil {
				t.Error("go-oidc accepted the token")
			}
		})
	}
	if _, err := e.verifier().Verify(e.ctx, real); err != nil {
		t.Errorf("the real ID token: %v", err)
	}
}

// TestSecurityCase60StateAndPromptNone refuses a request that carries neither state nor PKCE, and answers
// prompt=none without a session with login_required at the app, never a page.
func TestSecurityCase60StateAndPromptNone(t *testing.T) {
	e := newOIDCEnv(t)
	b := e.browser()
	typ, desc, _ := b.oauthError(e.authURL(map[string]string{"state": "", "code_challenge": "", "code_challenge_method": ""}), "alice@contoso.com")
	if typ != "invalid_request" || !strings.Contains(desc, idp.CodeBadAuthorizationRequest) {
		t.Errorf("no state and no PKCE: %s %s", typ, desc)
	}
	u, resp := b.authorize(e.authURL(map[string]string{"prompt": "none"}), "")
	typ, desc, state := oauthError(t, u, resp)
	if typ != "login_required" || state != "st" || !strings.Contains(desc, idp.CodeLoginRequired) {
		t.Errorf("prompt=none without a session: %s %s state %q", typ, desc, state)
	}
	if ev := e.lastSignIn(); ev.Code != idp.CodeLoginRequired || ev.Protocol != gatehouse.ProtocolOIDC {
		t.Errorf("sign-in log entry %+v", ev)
	}
	// With a session, prompt=none answers at once.
	e.signedIn(b, "alice@contoso.com")
	u, _ = b.authorize(e.authURL(map[string]string{"prompt": "none"}), "")
	if u == nil || u.Query().Get("code") == "" {
		t.Errorf("prompt=none with a session: %v", u)
	}
	typ, _, _ = b.oauthError(e.authURL(map[string]string{"prompt": "none login"}), "")
	if typ != "invalid_request" {
		t.Errorf("prompt=none with login: %s", typ)
	}
}

// TestOIDCPolicyRefusals sends an unassigned user and a disabled app through the code flow: each gets
// access_denied at the app with the reason's code, and the refusal is in the sign-in log with the user and the app.
// A user disabled after signing in can no longer refresh or read userinfo.
func TestOIDCPolicyRefusals(t *testing.T) {
	e := newOIDCEnv(t)
	t.Run("Unassigned", func(t *testing.T) {
		typ, desc, _ := e.browser().oauthError(e.authURL(nil), "bob@contoso.com")
		if typ != "access_denied" || !strings.Contains(desc, idp.CodeNotAssigned) {
			t.Errorf("%s %s", typ, desc)
		}
		if ev := e.lastSignIn(); ev.Code != idp.CodeNotAssigned || ev.UserID != e.bob.ID || ev.AppID != e.app.ID || ev.Setting != idp.SettingAssignments {
			t.Errorf("sign-in log entry %+v", ev)
		}
	})
	tok, _ := e.signedIn(e.browser(), "alice@contoso.com", "email", "offline_access")
	t.Run("DisabledApp", func(t *testing.T) {
		off, on := false, true
		if _, err := e.srv.Service.UpdateApp(e.ctx, e.root, "default", e.app.ID, idp.AppPatch{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		defer e.srv.Service.UpdateApp(e.ctx, e.root, "default", e.app.ID, idp.AppPatch{Enabled: &on})
		typ, desc, _ := e.browser().oauthError(e.authURL(nil), "alice@contoso.com")
		if typ != "access_denied" || !strings.Contains(desc, idp.CodeAppDisabled) {
			t.Errorf("%s %s", typ, desc)
		}
		if e.introspect(tok.AccessToken).Active {
			t.Error("an access token of a disabled app is active")
		}
	})
	t.Run("UserDisabledLater", func(t *testing.T) {
		yes := true
		if _, err := e.srv.Service.UpdateUser(e.ctx, e.root, "default", e.alice.ID, idp.UserPatch{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.oauth2().TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); retrieveErrorCode(err) != "invalid_grant" {
			t.Errorf("refresh for a disabled user: %v", err)
		}
		if ev := e.lastSignIn(); ev.Code != idp.CodeUserDisabled {
			t.Errorf("sign-in log entry %+v", ev)
		}
		if _, err := e.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("userinfo answers for a disabled user")
		}
	})
}

// TestOIDCReauthentication makes a signed-in user sign in again for prompt=login and for a max_age the session is
// older than, as ForceAuthn does for SAML; the ID token's auth_time is then the new sign-in's.
func TestOIDCReauthentication(t *testing.T) {
	e := newOIDCEnv(t)
	b := e.browser()
	_, first := e.signedIn(b, "alice@contoso.com")
	for _, change := range []map[string]string{{"prompt": "login"}, {"max_age": "0"}} {
		resp := b.send(http.MethodGet, strings.TrimPrefix(e.authURL(change), e.srv.URL), nil, nil)
		loc, _ := url.Parse(resp.header.Get("Location"))
		if resp.status != http.StatusSeeOther || loc.Path != "/d/default/login" || loc.Query().Get("force") != "1" {
			t.Errorf("%v with a session: %d to %s, want the sign-in page with force=1", change, resp.status, loc)
		}
	}
	_, again := e.signedIn(b, "alice@contoso.com")
	if !again.IssuedAt.After(first.IssuedAt.Add(-1)) {
		t.Error("no new ID token")
	}
	// Without them, the session answers at once.
	u, _ := b.authorize(e.authURL(map[string]string{"max_age": "3600"}), "")
	if u == nil || u.Query().Get("code") == "" {
		t.Errorf("max_age=3600 with a fresh session: %v", u)
	}
}

// TestOIDCACRValues maps acr_values to the authentication context classes: a class a password meets is stated in
// acr; a class that needs a second factor is refused for a user who signed in with a password only.
func TestOIDCACRValues(t *testing.T) {
	e := newOIDCEnv(t)
	b := e.browser()
	cfg := e.oauth2()
	verifier := oauth2.GenerateVerifier()
	code, _ := b.code(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("acr_values", "urn:example:unknown urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")), "alice@contoso.com")
	tok, err := cfg.Exchange(e.ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.verifier().Verify(e.ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		ACR string `json:"acr"`
	}
	_ = id.Claims(&c)
	if c.ACR != "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport" {
		t.Errorf("acr %q", c.ACR)
	}
	typ, desc, _ := b.oauthError(e.authURL(map[string]string{"acr_values": "https://refeds.org/profile/mfa"}), "")
	if typ != "access_denied" || !strings.Contains(desc, "GH4003") {
		t.Errorf("MFA for a password sign-in: %s %s", typ, desc)
	}
	if ev := e.lastSignIn(); ev.Setting != idp.SettingDirectory {
		t.Errorf("the refusal's setting is %q, want the directory's two-step verification", ev.Setting)
	}
}

// TestOIDCClientCredentials gets an access token for the app itself: it introspects as the app's, with no user,
// and userinfo refuses it.
func TestOIDCClientCredentials(t *testing.T) {
	e := newOIDCEnv(t)
	cfg := clientCredentials(e, "api")
	tok, err := cfg.Token(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != "" {
		t.Error("the client credentials grant gave a refresh token")
	}
	in := e.introspect(tok.AccessToken)
	if !in.Active || in.Sub != e.app.OIDC.ClientID || in.ClientID != e.app.OIDC.ClientID {
		t.Errorf("introspection %+v", in)
	}
	if _, err := e.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("userinfo answered a token without a user")
	}
	bad := clientCredentials(e, "api")
	bad.ClientSecret = "ghc_wrong"
	if _, err := bad.Token(e.ctx); err == nil {
		t.Error("a wrong secret got a token")
	}
	if ev := e.lastSignIn(); ev.Code != idp.CodeClientAuthFailed || ev.AppID != e.app.ID {
		t.Errorf("sign-in log entry %+v", ev)
	}
}

// TestOIDCIntrospectionAndRevocation lets an app introspect and revoke its own tokens only: another app sees them
// inactive and cannot revoke them; revoking an access token ends it alone, revoking a refresh token its grant.
func TestOIDCIntrospectionAndRevocation(t *testing.T) {
	e := newOIDCEnv(t)
	other := e.secondApp()
	tok, _ := e.signedIn(e.browser(), "alice@contoso.com", "email", "offline_access")
	in := e.introspect(tok.AccessToken)
	if !in.Active || in.Email != "alice@contoso.com" || !strings.Contains(in.Scope, "email") {
		t.Errorf("own token %+v", in)
	}
	if in, _ := e.introspectAs(other.clientID, other.secret, tok.AccessToken); in.Active {
		t.Error("another app sees the token active")
	}
	if _, status := e.introspectAs(e.app.OIDC.ClientID, "ghc_wrong", tok.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("introspection with a wrong secret: %d, want 401", status)
	}
	if in := e.introspect(tok.RefreshToken); !in.Active {
		t.Error("the refresh token is not active")
	}
	if st := e.revoke(other.clientID, other.secret, tok.AccessToken); st == http.StatusOK {
		t.Error("another app revoked the token")
	}
	if !e.introspect(tok.AccessToken).Active {
		t.Fatal("another app's revocation ended the token")
	}
	if st := e.revoke(e.app.OIDC.ClientID, e.secret, tok.AccessToken); st != http.StatusOK {
		t.Fatalf("revocation: %d", st)
	}
	if e.introspect(tok.AccessToken).Active || !e.introspect(tok.RefreshToken).Active {
		t.Error("revoking the access token did not end it alone")
	}
	if st := e.revoke(e.app.OIDC.ClientID, e.secret, tok.RefreshToken); st != http.StatusOK {
		t.Fatalf("revocation of the refresh token: %d", st)
	}
	if e.introspect(tok.RefreshToken).Active {
		t.Error("the revoked refresh token is active")
	}
	if st := e.revoke(e.app.OIDC.ClientID, e.secret, "no-such-token"); st != http.StatusOK {
		t.Errorf("revoking an unknown token: %d, want 200 (RFC 7009)", st)
	}
}

// revoke posts to the revocation endpoint and returns the status.
func (e *oidcEnv) revoke(clientID, secret, token string) int {
	e.t.Helper()
	form := url.Values{"token": {token}, "client_id": {clientID}, "client_secret": {secret}}
	resp, err := http.PostForm(e.issuer+"/oidc/revoke", form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
