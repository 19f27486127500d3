package web_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// The OpenID Connect provider tested with an independent relying party library, github.com/coreos/go-oidc with
// golang.org/x/oauth2, against the in-process server, and a browser without JavaScript (signinHTTP) that signs in.

// Passwords of the users of oidcEnv.
const oidcPassword = "a long enough passphrase 42"

// oidcEnv is a directory with an OpenID Connect app (a confidential client with a secret, its redirect URI on
// loopback that is never contacted) that alice is assigned to, through the group Engineers, and bob is not.
type oidcEnv struct {
	t        testing.TB
	ctx      context.Context
	srv      *testserver.Server
	root     *gatehouse.User
	alice    *gatehouse.User
	bob      *gatehouse.User
	app      *gatehouse.App
	secret   string
	redirect string
	issuer   string
	provider *gooidc.Provider
}

// newOIDCEnv starts a test server with an OpenID Connect app changed by patch, if given.
func newOIDCEnv(t testing.TB, patch ...idp.OIDCPatch) *oidcEnv {
	t.Helper()
	e := &oidcEnv{t: t, ctx: context.Background(), srv: testserver.Start(t, testserver.Options{}),
		redirect: "http://127.0.0.1:9/callback"}
	e.issuer = e.srv.URL + "/d/default"
	svc := e.srv.Service
	var err error
	if e.root, err = e.srv.Store.FindUserByName(e.ctx, "default", testserver.AdminUser); err != nil {
		t.Fatal(err)
	}
	e.app, _, err = svc.AddApp(e.ctx, e.root, "default", idp.AppInput{GalleryID: "custom-oidc", Name: "Wiki"})
	if err != nil {
		t.Fatal(err)
	}
	p := idp.OIDCPatch{RedirectURIs: &[]string{e.redirect}, PostLogoutRedirectURIs: &[]string{"http://127.0.0.1:9/bye"},
		GrantTypes: &[]string{gatehouse.GrantAuthorizationCode, gatehouse.GrantRefreshToken, gatehouse.GrantClientCredentials},
		Claims:     &[]gatehouse.Claim{{Name: "name", Source: gatehouse.AttrDisplayName}, {Name: "email", Source: gatehouse.AttrMail}, {Name: "groups", Groups: gatehouse.ClaimGroupsAll}}}
	if e.app, err = svc.UpdateOIDC(e.ctx, e.root, "default", e.app.ID, p); err != nil {
		t.Fatal(err)
	}
	for _, q := range patch {
		if e.app, err = svc.UpdateOIDC(e.ctx, e.root, "default", e.app.ID, q); err != nil {
			t.Fatal(err)
		}
	}
	if !e.app.OIDC.PublicClient {
		if e.secret, _, err = svc.CreateClientSecret(e.ctx, e.root, "default", e.app.ID, idp.NewClientSecret{}); err != nil {
			t.Fatal(err)
		}
	}
	e.alice = e.user("alice@contoso.com", "Alice Liddell")
	e.bob = e.user("bob@contoso.com", "Bob")
	g, err := svc.CreateGroup(e.ctx, e.root, "default", idp.GroupInput{Name: "Engineers"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AddGroupMember(e.ctx, e.root, "default", g.ID, e.alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Assign(e.ctx, e.root, "default", e.app.ID, gatehouse.PrincipalGroup, g.ID); err != nil {
		t.Fatal(err)
	}
	if e.provider, err = gooidc.NewProvider(e.ctx, e.issuer); err != nil {
		t.Fatal(err)
	}
	return e
}

// user creates a user with oidcPassword, not temporary.
func (e *oidcEnv) user(name, display string) *gatehouse.User {
	e.t.Helper()
	u, temp, err := e.srv.Service.CreateUser(e.ctx, e.root, "default", idp.UserInput{UserName: name, DisplayName: display, Mail: name})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.srv.Service.ChangePassword(e.ctx, u, temp, oidcPassword); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// oauth2 returns the client's oauth2 configuration.
func (e *oidcEnv) oauth2(scopes ...string) *oauth2.Config {
	// One authentication style: the automatic one retries a refused code with the other, which spends it twice.
	ep := e.provider.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	return &oauth2.Config{ClientID: e.app.OIDC.ClientID, ClientSecret: e.secret, Endpoint: ep,
		RedirectURL: e.redirect, Scopes: append([]string{gooidc.ScopeOpenID}, scopes...)}
}

// verifier returns go-oidc's ID token verifier for the app.
func (e *oidcEnv) verifier() *gooidc.IDTokenVerifier {
	return e.provider.Verifier(&gooidc.Config{ClientID: e.app.OIDC.ClientID, SupportedSigningAlgs: []string{"RS256", "ES256"}})
}

// oidcBrowser is a browser without JavaScript that follows the sign-in pages and stops at the app.
type oidcBrowser struct {
	*signinHTTP
	e *oidcEnv
}

func (e *oidcEnv) browser() *oidcBrowser {
	return &oidcBrowser{signinHTTP: newSigninHTTP(e.t, e.srv), e: e}
}

// authorize sends the browser to authURL and, when Gatehouse asks, signs in as user; it returns the redirect to the
// app (the final Location outside Gatehouse) or, when Gatehouse answers with a page, that response.
func (b *oidcBrowser) authorize(authURL, user string) (*url.URL, *signinResponse) {
	b.t.Helper()
	next := strings.TrimPrefix(authURL, b.srv.URL)
	for range 10 {
		resp := b.send(http.MethodGet, next, nil, nil)
		loc := resp.header.Get("Location")
		if loc == "" {
			return nil, resp
		}
		u, err := url.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		if u.Host != "" && !strings.HasPrefix(loc, b.srv.URL) {
			return u, resp
		}
		if u.Path == "/d/default/login" {
			form := url.Values{"userName": {user}, "password": {oidcPassword}, "signin": {u.Query().Get("signin")}, "next": {u.Query().Get("next")}}
			resp = b.postForm("/d/default/login", form)
			if resp.header.Get("Location") == "" {
				b.t.Fatalf("signing in as %s: %d\n%s", user, resp.status, resp.body)
			}
			loc = resp.header.Get("Location")
		}
		next = strings.TrimPrefix(loc, b.srv.URL)
	}
	b.t.Fatal("too many redirects")
	return nil, nil
}

// code runs an authorization request and returns the code and state of the app's redirect, failing on an error.
func (b *oidcBrowser) code(authURL, user string) (code, state string) {
	b.t.Helper()
	u, resp := b.authorize(authURL, user)
	if u == nil {
		b.t.Fatalf("the authorization request ended at Gatehouse: %d\n%s", resp.status, resp.body)
	}
	q := u.Query()
	if q.Get("error") != "" || q.Get("code") == "" {
		b.t.Fatalf("the app got %s", u)
	}
	return q.Get("code"), q.Get("state")
}

// signedIn signs in through the app: code and PKCE, token exchange, ID token verified.
func (e *oidcEnv) signedIn(b *oidcBrowser, user string, scopes ...string) (*oauth2.Token, *gooidc.IDToken) {
	e.t.Helper()
	cfg := e.oauth2(scopes...)
	verifier := oauth2.GenerateVerifier()
	nonce := rand.Text()
	code, state := b.code(cfg.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce)), user)
	if state != "st-1" {
		e.t.Errorf("state %q came back, want st-1", state)
	}
	tok, err := cfg.Exchange(e.ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		e.t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := e.verifier().Verify(e.ctx, raw)
	if err != nil {
		e.t.Fatal(err)
	}
	if id.Nonce != nonce {
		e.t.Errorf("nonce %q, want %q", id.Nonce, nonce)
	}
	return tok, id
}

// TestOIDCCodeFlow signs alice in to the app through go-oidc: the ID token verifies with the directory's JWKS and
// carries her claims, built by the claims machinery, with her groups; userinfo gives the same; the sign-in is in
// the sign-in log as OpenID Connect.
func TestOIDCCodeFlow(t *testing.T) {
	e := newOIDCEnv(t)
	b := e.browser()
	tok, id := e.signedIn(b, "alice@contoso.com", "profile", "email")
	var claims struct {
		Email         string   `json:"email"`
		EmailVerified bool     `json:"email_verified"`
		Name          string   `json:"name"`
		Groups        []string `json:"groups"`
		ACR           string   `json:"acr"`
		AMR           []string `json:"amr"`
		SID           string   `json:"sid"`
		AuthTime      int64    `json:"auth_time"`
		AZP           string   `json:"azp"`
	}
	if err := id.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Email != "alice@contoso.com" || !claims.EmailVerified || claims.Name != "Alice Liddell" ||
		strings.Join(claims.Groups, ",") != "Engineers" || claims.ACR != "urn:oasis:names:tc:SAML:2.0:ac:classes:Password" ||
		strings.Join(claims.AMR, ",") != "pwd" || claims.SID == "" || claims.AuthTime == 0 {
		t.Errorf("ID token claims %+v", claims)
	}
	if id.Issuer != e.issuer || id.Subject == "" || id.Subject == e.alice.ID {
		t.Errorf("issuer %q, subject %q: want the directory and a pairwise subject", id.Issuer, id.Subject)
	}
	info, err := e.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	var ui map[string]any
	if err := info.Claims(&ui); err != nil {
		t.Fatal(err)
	}
	if info.Subject != id.Subject || ui["email"] != "alice@contoso.com" || ui["name"] != "Alice Liddell" {
		t.Errorf("userinfo %v", ui)
	}
	events, _, err := e.srv.Service.FindSignInEvents(e.ctx, e.root, "default", gatehouse.SignInFilter{AppID: e.app.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Protocol != gatehouse.ProtocolOIDC || events[0].Result != gatehouse.ResultSuccess || events[0].UserID != e.alice.ID {
		t.Errorf("sign-in log %+v", events)
	}
}

// getJSON fetches a JSON document.
func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
