package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse"
)

// oidcApp is an OpenID Connect app registered in Gatehouse for a relying party, with its client secret.
type oidcApp struct {
	ID, Name, ClientID, Secret, Issuer string
}

// createOIDCApp adds an OpenID Connect app from the gallery template galleryID with the template's parameters,
// changes its OpenID Connect settings with patch (when not nil), assigns the test user and creates a client
// secret, all through the REST API.
func (s *gatehouseServer) createOIDCApp(t *testing.T, galleryID, name string, params map[string]string, patch map[string]any) *oidcApp {
	t.Helper()
	var a gatehouse.App
	s.api.mustCall(t, "POST", "/api/v1/directories/"+directory+"/apps", map[string]any{"galleryId": galleryID, "name": name, "parameters": params}, http.StatusCreated, &a)
	path := "/api/v1/directories/" + directory + "/apps/" + a.ID
	s.api.mustCall(t, "POST", path+"/assignments", map[string]string{"principalType": "user", "principalId": s.user.ID}, http.StatusCreated, nil)
	if patch != nil {
		s.api.mustCall(t, "PATCH", path+"/oidc", patch, http.StatusOK, nil)
	}
	var settings struct {
		ClientID string `json:"clientId"`
	}
	s.api.mustCall(t, "GET", path+"/oidc", nil, http.StatusOK, &settings)
	var secret struct {
		Secret string `json:"secret"`
	}
	s.api.mustCall(t, "POST", path+"/oidc/secrets", map[string]any{}, http.StatusCreated, &secret)
	var setup struct {
		OIDC struct {
			Issuer string `json:"issuer"`
		} `json:"oidc"`
	}
	s.api.mustCall(t, "GET", path+"/setup", nil, http.StatusOK, &setup)
	if settings.ClientID == "" || secret.Secret == "" || setup.OIDC.Issuer == "" {
		t.Fatalf("app %s: client ID %q, secret set %v, issuer %q", name, settings.ClientID, secret.Secret != "", setup.OIDC.Issuer)
	}
	return &oidcApp{ID: a.ID, Name: name, ClientID: settings.ClientID, Secret: secret.Secret, Issuer: setup.OIDC.Issuer}
}

// tamperingProxy returns the URL of a loopback proxy in front of Gatehouse whose token endpoint answers carry an
// ID token changed after it was signed: its e-mail claim names mallory. Everything else passes through unchanged.
func tamperingProxy(t *testing.T, gh *gatehouseServer) string {
	t.Helper()
	target, err := url.Parse(gh.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(resp *http.Response) error {
		if !strings.HasSuffix(resp.Request.URL.Path, "/oidc/token") || resp.StatusCode != http.StatusOK {
			return nil
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		data = tamperTokenResponse(data)
		resp.Body = io.NopCloser(bytes.NewReader(data))
		resp.ContentLength = int64(len(data))
		resp.Header.Set("Content-Length", fmt.Sprint(len(data)))
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL
}

// tamperTokenResponse changes the payload of the id_token of a token response, keeping its header and signature.
func tamperTokenResponse(data []byte) []byte {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return data
	}
	tok, _ := m["id_token"].(string)
	if t := tamperIDToken(tok); t != "" {
		m["id_token"] = t
	}
	out, err := json.Marshal(m)
	if err != nil {
		return data
	}
	return out
}

// tamperIDToken returns jwt with the e-mail claim of its payload changed to mallory's, or "" when jwt is not a
// JWT.
func tamperIDToken(jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	claims["email"] = mallory
	changed, _ := json.Marshal(claims)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(changed) + "." + parts[2]
}

// callbackServer is a relying party's redirect URI on loopback: it answers every request with 200 and the request's
// URL, so that a flow stops there and the test reads the code or the error from the URL.
func callbackServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "callback %s", r.URL)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestGoOIDC runs the OpenID Connect checks with github.com/coreos/go-oidc/v3 and golang.org/x/oauth2 as the
// relying party, in the test process: discovery, the code flow with PKCE and a nonce, the user and groups in the
// verified ID token and at userinfo, refresh with rotation, RP-initiated logout, and a tampered ID token that
// go-oidc refuses.
func TestGoOIDC(t *testing.T) {
	const rp = "go-oidc"
	gh := startGatehouse(t)
	ctx := context.Background()
	cb := callbackServer(t)
	app := gh.createOIDCApp(t, "custom-oidc", "go-oidc", nil, map[string]any{
		"redirectUris": []string{cb + "/callback"}, "postLogoutRedirectUris": []string{cb + "/signed-out"},
		"grantTypes": []string{gatehouse.GrantAuthorizationCode, gatehouse.GrantRefreshToken},
		"claims":     []gatehouse.Claim{{Name: "email", Source: gatehouse.AttrMail}, {Name: "groups", Groups: gatehouse.ClaimGroupsAll}},
	})
	var provider *oidc.Provider
	var conf *oauth2.Config
	runCheck(t, rp, checkDiscovery, func(c *checkT) {
		var err error
		if provider, err = oidc.NewProvider(ctx, app.Issuer); err != nil {
			c.Fatalf("discovery at %s: %v", app.Issuer, err)
		}
		conf = &oauth2.Config{ClientID: app.ClientID, ClientSecret: app.Secret, Endpoint: provider.Endpoint(),
			RedirectURL: cb + "/callback", Scopes: []string{oidc.ScopeOpenID, "email", "profile", oidc.ScopeOfflineAccess}}
	})
	if conf == nil {
		t.Fatal("discovery failed; the other checks need it")
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: app.ClientID})
	b := newBrowser()
	// signIn runs the code flow in b and returns the tokens and the ID token, verified by go-oidc.
	signIn := func(t testing.TB) (*oauth2.Token, *oidc.IDToken) {
		t.Helper()
		pkce := oauth2.GenerateVerifier()
		p := b.flow().run(t, conf.AuthCodeURL("st-1", oauth2.S256ChallengeOption(pkce), oidc.Nonce("n-1")))
		u, err := url.Parse(p.URL)
		if err != nil || !strings.HasPrefix(p.URL, cb+"/callback") || u.Query().Get("code") == "" || u.Query().Get("state") != "st-1" {
			t.Fatalf("the flow ended at %s (status %d), not at the callback with a code:\n%s", p.URL, p.Status, clip(p.Body))
		}
		tok, err := conf.Exchange(ctx, u.Query().Get("code"), oauth2.VerifierOption(pkce))
		if err != nil {
			t.Fatalf("code exchange: %v", err)
		}
		raw, _ := tok.Extra("id_token").(string)
		id, err := verifier.Verify(ctx, raw)
		if err != nil {
			t.Fatalf("go-oidc refuses the ID token: %v", err)
		}
		if id.Nonce != "n-1" {
			t.Fatalf("nonce %q, want n-1", id.Nonce)
		}
		return tok, id
	}
	var tok *oauth2.Token
	var id *oidc.IDToken
	runCheck(t, rp, checkCodePKCE, func(c *checkT) { tok, id = signIn(c) })
	runCheck(t, rp, checkUserGroups, func(c *checkT) {
		if id == nil {
			c.Fatal("no ID token: the sign-in failed")
		}
		var claims struct {
			Email  string   `json:"email"`
			Groups []string `json:"groups"`
		}
		if err := id.Claims(&claims); err != nil {
			c.Fatal(err)
		}
		info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			c.Fatalf("userinfo: %v", err)
		}
		var fromInfo struct {
			Groups []string `json:"groups"`
		}
		if err := info.Claims(&fromInfo); err != nil {
			c.Fatal(err)
		}
		for _, g := range groupNames {
			if !slices.Contains(claims.Groups, g) || !slices.Contains(fromInfo.Groups, g) {
				c.Errorf("group %q: ID token %v, userinfo %v", g, claims.Groups, fromInfo.Groups)
			}
		}
		if claims.Email != userName || info.Email != userName {
			c.Errorf("e-mail: ID token %q, userinfo %q, want %s", claims.Email, info.Email, userName)
		}
		c.notePass("groups %s", strings.Join(claims.Groups, ", "))
	})
	runCheck(t, rp, checkRefresh, func(c *checkT) {
		if tok == nil || tok.RefreshToken == "" {
			c.Fatal("no refresh token from the sign-in")
		}
		old := *tok
		old.Expiry = old.Expiry.Add(-24 * 3600e9) // the access token has expired: the token source refreshes
		fresh, err := conf.TokenSource(ctx, &old).Token()
		if err != nil {
			c.Fatalf("refresh: %v", err)
		}
		if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
			c.Fatal("the refresh did not rotate the refresh token and the access token")
		}
		if raw, _ := fresh.Extra("id_token").(string); raw != "" {
			if _, err := verifier.Verify(ctx, raw); err != nil {
				c.Fatalf("the refreshed ID token: %v", err)
			}
		}
		// The replaced refresh token is refused, and its reuse revokes the grant (SECURITY-CASES 58).
		if _, err := conf.TokenSource(ctx, &old).Token(); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			c.Fatalf("the replaced refresh token: %v, want invalid_grant", err)
		}
		again := *fresh
		again.Expiry = old.Expiry
		if _, err := conf.TokenSource(ctx, &again).Token(); err == nil {
			c.Fatal("the grant still works after its replaced refresh token was reused")
		}
		tok, id = signIn(c)
	})
	runCheck(t, rp, checkRPLogout, func(c *checkT) {
		if tok == nil {
			c.Fatal("no tokens: the sign-in failed")
		}
		raw, _ := tok.Extra("id_token").(string)
		var meta struct {
			EndSession string `json:"end_session_endpoint"`
		}
		if err := provider.Claims(&meta); err != nil || meta.EndSession == "" {
			c.Fatalf("no end_session_endpoint in discovery: %v", err)
		}
		q := url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {cb + "/signed-out"}, "state": {"bye"}}
		p := b.flow().run(c, meta.EndSession+"?"+q.Encode())
		if !strings.HasPrefix(p.URL, cb+"/signed-out") || !strings.Contains(p.URL, "state=bye") {
			c.Fatalf("the logout ended at %s (status %d), not at the post-logout redirect URI:\n%s", p.URL, p.Status, clip(p.Body))
		}
		f := b.flow()
		f.StopAtLogin = true
		p = f.run(c, conf.AuthCodeURL("st-2", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if !strings.HasPrefix(p.URL, gh.URL+"/d/"+directory+"/login") {
			c.Fatalf("after logout the app's sign-in ended at %s, not at Gatehouse's sign-in page", p.URL)
		}
	})
	runCheck(t, rp, checkTamperedJWT, func(c *checkT) {
		tampered := tamperIDToken(func() string { s, _ := tok.Extra("id_token").(string); return s }())
		if tampered == "" {
			c.Fatal("no ID token to tamper with")
		}
		if _, err := verifier.Verify(ctx, tampered); err == nil {
			c.Fatal("go-oidc accepted an ID token whose payload changed after signing")
		} else {
			c.notePass("refused: %v", err)
		}
	})
}
