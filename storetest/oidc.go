package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// newOIDCApp returns an enabled OpenID Connect app with the default settings, the client ID and a redirect URI.
func newOIDCApp(directoryID, id, name, clientID string) *gatehouse.App {
	o := gatehouse.DefaultOIDCSettings()
	o.ClientID = clientID
	o.RedirectURIs = []string{"https://rp.example.com/" + id + "/callback"}
	o.Claims = append(o.Claims, gatehouse.Claim{Name: "groups", Groups: gatehouse.ClaimGroupsAssigned})
	return &gatehouse.App{ID: id, DirectoryID: directoryID, Name: name, GalleryID: "custom-oidc", Enabled: true,
		Visible: true, AssignmentRequired: true, Protocol: gatehouse.ProtocolOIDC, OIDC: &o, CreatedAt: t0, UpdatedAt: t0}
}

// oidcWorld creates directories d and e, in d the user u, the OpenID Connect apps rp (client ID "grafana") and rp2
// and the SAML app saml, and in e an app with the same client ID.
func oidcWorld(t *testing.T, s gatehouse.Store) {
	t.Helper()
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	must(t, s.CreateUser(ctx, newUser("d", "u", "u@d.example.com")))
	must(t, s.CreateUser(ctx, newUser("e", "eu", "u@e.example.com")))
	must(t, s.CreateApp(ctx, newOIDCApp("d", "rp", "Grafana", "grafana"), nil))
	must(t, s.CreateApp(ctx, newOIDCApp("d", "rp2", "Proxmox", "proxmox"), nil))
	must(t, s.CreateApp(ctx, newApp("d", "saml", "Mixpanel", "https://mixpanel.com"), nil))
	must(t, s.CreateApp(ctx, newOIDCApp("e", "erp", "Grafana", "grafana"), nil))
}

// testOIDCApps stores OpenID Connect apps beside SAML apps and finds them by client ID, which is unique in a
// directory.
func testOIDCApps(t *testing.T, open Opener) {
	s := open(t)
	oidcWorld(t, s)
	t.Run("RoundTrip", func(t *testing.T) {
		got, err := s.FindApp(ctx, "d", "rp")
		must(t, err)
		diff(t, "OpenID Connect app", newOIDCApp("d", "rp", "Grafana", "grafana"), got)
		saml, err := s.FindApp(ctx, "d", "saml")
		must(t, err)
		diff(t, "SAML app", newApp("d", "saml", "Mixpanel", "https://mixpanel.com"), saml)
	})
	t.Run("FindAppByClientID", func(t *testing.T) {
		for _, tc := range []struct {
			name, directoryID, clientID, want string
		}{
			{"Found", "d", "grafana", "rp"},
			{"OtherDirectory", "e", "grafana", "erp"},
			{"ExactCase", "d", "Grafana", ""},
			{"Unknown", "d", "nope", ""},
			{"EmptyFindsNoSAMLApp", "d", "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a, err := s.FindAppByClientID(ctx, tc.directoryID, tc.clientID)
				if tc.want == "" {
					wantCode(t, "FindAppByClientID", err, gatehouse.ENOTFOUND)
					return
				}
				must(t, err)
				if a.ID != tc.want {
					t.Errorf("FindAppByClientID(%q) = %s, want %s", tc.clientID, a.ID, tc.want)
				}
			})
		}
	})
	t.Run("ClientIDTaken", func(t *testing.T) {
		wantCode(t, "CreateApp with a taken client ID",
			s.CreateApp(ctx, newOIDCApp("d", "rp3", "Other", "grafana"), nil), gatehouse.ECONFLICT)
		a := newOIDCApp("d", "rp2", "Proxmox", "grafana")
		wantCode(t, "UpdateApp to a taken client ID", s.UpdateApp(ctx, a), gatehouse.ECONFLICT)
		got, err := s.FindApp(ctx, "d", "rp2")
		must(t, err)
		if got.OIDC.ClientID != "proxmox" {
			t.Errorf("client ID after a refused update = %q", got.OIDC.ClientID)
		}
	})
	t.Run("Update", func(t *testing.T) {
		a := newOIDCApp("d", "rp2", "Proxmox VE", "pve")
		a.OIDC.PublicClient, a.OIDC.RequirePKCE = true, true
		a.OIDC.PostLogoutRedirectURIs = []string{"https://pve.example.com/"}
		a.UpdatedAt = t0.Add(time.Hour)
		must(t, s.UpdateApp(ctx, a))
		got, err := s.FindApp(ctx, "d", "rp2")
		must(t, err)
		diff(t, "updated app", a, got)
		_, err = s.FindAppByClientID(ctx, "d", "proxmox")
		wantCode(t, "FindAppByClientID of the old client ID", err, gatehouse.ENOTFOUND)
		byID, err := s.FindAppByClientID(ctx, "d", "pve")
		must(t, err)
		diff(t, "app by its new client ID", a, byID)
	})
}

// testClientSecrets keeps an app's client secrets, newest first, and their expiry.
func testClientSecrets(t *testing.T, open Opener) {
	s := open(t)
	oidcWorld(t, s)
	var want []*gatehouse.ClientSecret
	for i, id := range []string{"s1", "s2", "s3"} {
		c := &gatehouse.ClientSecret{ID: id, DirectoryID: "d", AppID: "rp", SecretHash: "hash-" + id, Hint: "gs_" + id,
			CreatedAt: t0.Add(time.Duration(i) * time.Hour)}
		must(t, s.CreateClientSecret(ctx, c))
		want = append([]*gatehouse.ClientSecret{c}, want...)
	}
	list, err := s.FindClientSecrets(ctx, "d", "rp")
	must(t, err)
	diff(t, "client secrets", want, list)
	for _, tc := range []struct{ name, directoryID, appID string }{
		{"AppWithout", "d", "rp2"}, {"OtherDirectory", "e", "rp"}, {"MissingApp", "d", "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := s.FindClientSecrets(ctx, tc.directoryID, tc.appID)
			must(t, err)
			diff(t, "client secrets", []*gatehouse.ClientSecret(nil), list)
		})
	}
	t.Run("MissingApp", func(t *testing.T) {
		err := s.CreateClientSecret(ctx, &gatehouse.ClientSecret{ID: "x", DirectoryID: "e", AppID: "rp", SecretHash: "h",
			CreatedAt: t0})
		wantCode(t, "CreateClientSecret for an app of another directory", err, gatehouse.ENOTFOUND)
	})
	t.Run("Expiry", func(t *testing.T) {
		c := *want[2]
		c.ExpiresAt = ptr(t0.AddDate(0, 0, 7))
		must(t, s.UpdateClientSecret(ctx, &c))
		list, err := s.FindClientSecrets(ctx, "d", "rp")
		must(t, err)
		diff(t, "expiring secret", &c, list[2])
		if !c.Valid(t0) || c.Valid(t0.AddDate(0, 0, 7)) {
			t.Error("Valid does not end at ExpiresAt")
		}
		c.ExpiresAt = nil
		must(t, s.UpdateClientSecret(ctx, &c))
		list, err = s.FindClientSecrets(ctx, "d", "rp")
		must(t, err)
		diff(t, "secret without expiry", &c, list[2])
		wantCode(t, "UpdateClientSecret of another directory",
			s.UpdateClientSecret(ctx, &gatehouse.ClientSecret{ID: "s1", DirectoryID: "e"}), gatehouse.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		wantCode(t, "DeleteClientSecret in another directory", s.DeleteClientSecret(ctx, "e", "s2"), gatehouse.ENOTFOUND)
		must(t, s.DeleteClientSecret(ctx, "d", "s2"))
		wantCode(t, "DeleteClientSecret twice", s.DeleteClientSecret(ctx, "d", "s2"), gatehouse.ENOTFOUND)
		list, err := s.FindClientSecrets(ctx, "d", "rp")
		must(t, err)
		diff(t, "secrets left", []string{"s3", "s1"}, ids(list, func(c *gatehouse.ClientSecret) string { return c.ID }))
	})
}

func newOIDCKey(directoryID, id, alg string, created time.Time, active bool) *gatehouse.OIDCKey {
	return &gatehouse.OIDCKey{ID: id, DirectoryID: directoryID, Algorithm: alg, PublicKey: []byte("\x30\x59pub-" + id),
		EncryptedKey: []byte("\x00\xffsealed-" + id), Active: active, CreatedAt: created}
}

// testOIDCKeys keeps one active key per directory and algorithm, a next key beside it, and the time a replaced key
// stopped signing.
func testOIDCKeys(t *testing.T, open Opener) {
	s := open(t)
	oidcWorld(t, s)
	rs1 := newOIDCKey("d", "rs1", gatehouse.RS256, t0, true)
	es1 := newOIDCKey("d", "es1", gatehouse.ES256, t0.Add(time.Second), true)
	rs2 := newOIDCKey("d", "rs2", gatehouse.RS256, t0.Add(2*time.Second), false)
	for _, k := range []*gatehouse.OIDCKey{rs1, es1, rs2, newOIDCKey("e", "ers", gatehouse.RS256, t0, true)} {
		must(t, s.CreateOIDCKey(ctx, k))
	}
	list, err := s.FindOIDCKeys(ctx, "d")
	must(t, err)
	diff(t, "keys, newest first, the next key beside the active ones", []*gatehouse.OIDCKey{rs2, es1, rs1}, list)

	now := t0.Add(time.Hour)
	must(t, s.ActivateOIDCKey(ctx, "d", "rs2", now))
	rs1.Active, rs1.DeactivatedAt, rs2.Active = false, now, true
	list, err = s.FindOIDCKeys(ctx, "d")
	must(t, err)
	diff(t, "keys after the rollover of RS256", []*gatehouse.OIDCKey{rs2, es1, rs1}, list)

	es2 := newOIDCKey("d", "es2", gatehouse.ES256, t0.Add(2*time.Hour), true)
	must(t, s.CreateOIDCKey(ctx, es2))
	es1.Active, es1.DeactivatedAt = false, es2.CreatedAt
	list, err = s.FindOIDCKeys(ctx, "d")
	must(t, err)
	diff(t, "keys after a new active ES256 key", []*gatehouse.OIDCKey{es2, rs2, es1, rs1}, list)

	other, err := s.FindOIDCKeys(ctx, "e")
	must(t, err)
	if len(other) != 1 || !other[0].Active {
		t.Errorf("the other directory's keys changed: %+v", other)
	}
	wantCode(t, "ActivateOIDCKey of another directory's key", s.ActivateOIDCKey(ctx, "e", "rs1", now), gatehouse.ENOTFOUND)
	wantCode(t, "CreateOIDCKey in a missing directory", s.CreateOIDCKey(ctx, newOIDCKey("nope", "x", gatehouse.RS256, t0, true)), gatehouse.ENOTFOUND)
	wantCode(t, "CreateOIDCKey with a taken ID", s.CreateOIDCKey(ctx, newOIDCKey("d", "rs1", gatehouse.RS256, t0, false)), gatehouse.ECONFLICT)
}

// newGrant returns a grant of app rp to user u in session sess with an authorization code of the given hash.
func newGrant(id, codeHash, sess string) *gatehouse.OIDCGrant {
	return &gatehouse.OIDCGrant{ID: id, DirectoryID: "d", AppID: "rp", UserID: "u", SessionID: sess, CodeHash: codeHash,
		CodeExpiresAt: t0.Add(10 * time.Minute), CreatedAt: t0, ExpiresAt: t0.AddDate(0, 0, 30),
		Request: gatehouse.OIDCRequest{ClientID: "grafana", RedirectURI: "https://rp.example.com/rp/callback",
			Scopes: []string{"openid", "profile", "offline_access"}, State: "<state>", Nonce: "n-" + id,
			CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGEzfAU6O8", CodeChallengeMethod: "S256",
			Prompt: []string{"login"}, MaxAge: new(int), ACRValues: []string{"https://refeds.org/profile/mfa"},
			AuthTime: t0.Add(-time.Minute), ACR: "https://refeds.org/profile/mfa", AMR: []string{"pwd", "otp", "mfa"},
			SID: "sid-" + sess}}
}

// testOIDCGrants redeems an authorization code once, keeps the tokens of a grant, uses a refresh token once, and
// revokes a grant with all its tokens.
func testOIDCGrants(t *testing.T, open Opener) {
	s := open(t)
	oidcWorld(t, s)
	g := newGrant("g1", "code-1", "sess-1")
	g2 := newGrant("g2", "code-2", "sess-2")
	g2.CreatedAt = t0.Add(time.Second)
	machine := &gatehouse.OIDCGrant{ID: "g3", DirectoryID: "d", AppID: "rp2", CreatedAt: t0.Add(2 * time.Second),
		ExpiresAt: t0.Add(time.Hour), Request: gatehouse.OIDCRequest{ClientID: "proxmox", Scopes: []string{"api"}}}
	for _, x := range []*gatehouse.OIDCGrant{g, g2, machine} {
		must(t, s.CreateOIDCGrant(ctx, x))
	}
	t.Run("RoundTrip", func(t *testing.T) {
		for _, want := range []*gatehouse.OIDCGrant{g, g2, machine} {
			got, err := s.FindOIDCGrant(ctx, "d", want.ID)
			must(t, err)
			diff(t, "grant "+want.ID, want, got)
		}
		_, err := s.FindOIDCGrant(ctx, "e", "g1")
		wantCode(t, "FindOIDCGrant in another directory", err, gatehouse.ENOTFOUND)
	})
	t.Run("Refused", func(t *testing.T) {
		bad := newGrant("x", "code-x", "s")
		bad.UserID = "eu"
		wantCode(t, "a grant for a user of another directory", s.CreateOIDCGrant(ctx, bad), gatehouse.ENOTFOUND)
		bad = newGrant("x", "code-1", "s")
		wantCode(t, "a grant with a taken code", s.CreateOIDCGrant(ctx, bad), gatehouse.ECONFLICT)
	})
	t.Run("RedeemOnce", func(t *testing.T) {
		now := t0.Add(time.Minute)
		got, err := s.RedeemOIDCCode(ctx, "d", "code-1", now)
		must(t, err)
		want := *g
		want.CodeUsedAt = now
		diff(t, "redeemed grant", &want, got)
		again, err := s.RedeemOIDCCode(ctx, "d", "code-1", now.Add(time.Second))
		wantCode(t, "redeeming a code twice", err, gatehouse.ECONFLICT)
		if again == nil || again.ID != "g1" || !again.CodeUsedAt.Equal(now) {
			t.Errorf("the second redemption returned %+v, want grant g1 used at %v", again, now)
		}
		for _, tc := range []struct {
			name, directoryID, hash string
			now                     time.Time
		}{
			{"Unknown", "d", "nope", now},
			{"OtherDirectory", "e", "code-2", now},
			{"Expired", "d", "code-2", t0.Add(10 * time.Minute)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.RedeemOIDCCode(ctx, tc.directoryID, tc.hash, tc.now)
				wantCode(t, "RedeemOIDCCode", err, gatehouse.ENOTFOUND)
				if got != nil {
					t.Errorf("RedeemOIDCCode returned a grant: %+v", got)
				}
			})
		}
		g2now, err := s.FindOIDCGrant(ctx, "d", "g2")
		must(t, err)
		if !g2now.CodeUsedAt.IsZero() {
			t.Error("a refused redemption marked the code used")
		}
	})

	access := &gatehouse.OIDCToken{ID: "t1", DirectoryID: "d", GrantID: "g1", Kind: gatehouse.TokenAccess,
		Scopes: []string{"openid", "profile"}, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	refresh := &gatehouse.OIDCToken{ID: "t2", DirectoryID: "d", GrantID: "g1", Kind: gatehouse.TokenRefresh,
		SecretHash: "refresh-hash", Scopes: []string{"openid", "offline_access"}, CreatedAt: t0, ExpiresAt: t0.AddDate(0, 0, 30)}
	other := &gatehouse.OIDCToken{ID: "t3", DirectoryID: "d", GrantID: "g2", Kind: gatehouse.TokenAccess,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	for _, x := range []*gatehouse.OIDCToken{access, refresh, other} {
		must(t, s.CreateOIDCToken(ctx, x))
	}
	t.Run("Tokens", func(t *testing.T) {
		got, err := s.FindOIDCToken(ctx, "d", "t1")
		must(t, err)
		diff(t, "access token", access, got)
		got, err = s.FindOIDCTokenBySecretHash(ctx, "d", "refresh-hash")
		must(t, err)
		diff(t, "refresh token", refresh, got)
		_, err = s.FindOIDCTokenBySecretHash(ctx, "e", "refresh-hash")
		wantCode(t, "FindOIDCTokenBySecretHash in another directory", err, gatehouse.ENOTFOUND)
		_, err = s.FindOIDCToken(ctx, "e", "t1")
		wantCode(t, "FindOIDCToken in another directory", err, gatehouse.ENOTFOUND)
		list, err := s.FindOIDCTokens(ctx, "d", "g1")
		must(t, err)
		diff(t, "tokens of g1", []*gatehouse.OIDCToken{access, refresh}, list)
		list, err = s.FindOIDCTokens(ctx, "e", "g1")
		must(t, err)
		diff(t, "tokens of g1 in another directory", []*gatehouse.OIDCToken(nil), list)
		wantCode(t, "a token of a missing grant", s.CreateOIDCToken(ctx, &gatehouse.OIDCToken{ID: "t9", DirectoryID: "e",
			GrantID: "g1", Kind: gatehouse.TokenAccess, CreatedAt: t0, ExpiresAt: t0}), gatehouse.ENOTFOUND)
	})
	t.Run("UseOnce", func(t *testing.T) {
		now := t0.Add(2 * time.Minute)
		must(t, s.UseOIDCToken(ctx, "d", "t2", now))
		wantCode(t, "using a refresh token twice", s.UseOIDCToken(ctx, "d", "t2", now), gatehouse.ECONFLICT)
		wantCode(t, "using a missing token", s.UseOIDCToken(ctx, "d", "nope", now), gatehouse.ENOTFOUND)
		got, err := s.FindOIDCToken(ctx, "d", "t2")
		must(t, err)
		if !got.UsedAt.Equal(now) {
			t.Errorf("UsedAt = %v, want %v", got.UsedAt, now)
		}
	})
	t.Run("RevokeToken", func(t *testing.T) {
		now := t0.Add(3 * time.Minute)
		must(t, s.RevokeOIDCToken(ctx, "d", "t3", now))
		must(t, s.RevokeOIDCToken(ctx, "d", "t3", now.Add(time.Minute)))
		got, err := s.FindOIDCToken(ctx, "d", "t3")
		must(t, err)
		if !got.RevokedAt.Equal(now) {
			t.Errorf("RevokedAt = %v, want the first revocation's %v", got.RevokedAt, now)
		}
		wantCode(t, "revoking a token of another directory", s.RevokeOIDCToken(ctx, "e", "t1", now), gatehouse.ENOTFOUND)
	})
	t.Run("FindOIDCGrants", func(t *testing.T) {
		grantID := func(g *gatehouse.OIDCGrant) string { return g.ID }
		for _, tc := range []struct {
			name string
			f    gatehouse.OIDCGrantFilter
			want []string
		}{
			{"All", gatehouse.OIDCGrantFilter{}, []string{"g3", "g2", "g1"}},
			{"Session", gatehouse.OIDCGrantFilter{SessionID: "sess-2"}, []string{"g2"}},
			{"AppAndUser", gatehouse.OIDCGrantFilter{AppID: "rp", UserID: "u"}, []string{"g2", "g1"}},
			{"LiveAtNow", gatehouse.OIDCGrantFilter{Live: true, Now: t0.Add(2 * time.Hour)}, []string{"g2", "g1"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := s.FindOIDCGrants(ctx, "d", tc.f)
				must(t, err)
				diff(t, "grants", tc.want, ids(list, grantID))
			})
		}
	})
	t.Run("RevokeGrant", func(t *testing.T) {
		now := t0.Add(4 * time.Minute)
		must(t, s.RevokeOIDCGrant(ctx, "d", "g1", now))
		got, err := s.FindOIDCGrant(ctx, "d", "g1")
		must(t, err)
		if !got.RevokedAt.Equal(now) {
			t.Errorf("grant RevokedAt = %v, want %v", got.RevokedAt, now)
		}
		for _, id := range []string{"t1", "t2"} {
			tok, err := s.FindOIDCToken(ctx, "d", id)
			must(t, err)
			if !tok.RevokedAt.Equal(now) {
				t.Errorf("token %s RevokedAt = %v, want %v", id, tok.RevokedAt, now)
			}
		}
		tok, err := s.FindOIDCToken(ctx, "d", "t3")
		must(t, err)
		if !tok.RevokedAt.Equal(t0.Add(3 * time.Minute)) {
			t.Errorf("revoking g1 changed a token of g2: %v", tok.RevokedAt)
		}
		live, err := s.FindOIDCGrants(ctx, "d", gatehouse.OIDCGrantFilter{Live: true, Now: now})
		must(t, err)
		diff(t, "live grants", []string{"g3", "g2"}, ids(live, func(g *gatehouse.OIDCGrant) string { return g.ID }))
		wantCode(t, "revoking a grant of another directory", s.RevokeOIDCGrant(ctx, "e", "g2", now), gatehouse.ENOTFOUND)
	})
	t.Run("SignInRequest", func(t *testing.T) {
		r := &gatehouse.SignInRequest{ID: "pending", DirectoryID: "d", AppID: "rp", ForceAuthn: true, CreatedAt: t0,
			ExpiresAt: t0.Add(10 * time.Minute), Protocol: gatehouse.ProtocolOIDC, OIDC: &newGrant("p", "", "").Request}
		must(t, s.CreateSignInRequest(ctx, r))
		got, err := s.TakeSignInRequest(ctx, "d", "pending", t0)
		must(t, err)
		diff(t, "pending OpenID Connect sign-in", r, got)
	})
	t.Run("Cascades", func(t *testing.T) {
		must(t, s.CreateClientSecret(ctx, &gatehouse.ClientSecret{ID: "sec", DirectoryID: "d", AppID: "rp2", SecretHash: "h",
			CreatedAt: t0}))
		must(t, s.CreateOIDCToken(ctx, &gatehouse.OIDCToken{ID: "t4", DirectoryID: "d", GrantID: "g3",
			Kind: gatehouse.TokenAccess, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
		must(t, s.DeleteUser(ctx, "d", "u"))
		for _, id := range []string{"g1", "g2"} {
			_, err := s.FindOIDCGrant(ctx, "d", id)
			wantCode(t, "a grant of a deleted user", err, gatehouse.ENOTFOUND)
		}
		_, err := s.FindOIDCToken(ctx, "d", "t1")
		wantCode(t, "a token of a deleted user", err, gatehouse.ENOTFOUND)
		must(t, s.DeleteApp(ctx, "d", "rp2"))
		_, err = s.FindOIDCGrant(ctx, "d", "g3")
		wantCode(t, "a grant of a deleted app", err, gatehouse.ENOTFOUND)
		_, err = s.FindOIDCToken(ctx, "d", "t4")
		wantCode(t, "a token of a deleted app", err, gatehouse.ENOTFOUND)
		list, err := s.FindClientSecrets(ctx, "d", "rp2")
		must(t, err)
		diff(t, "secrets of a deleted app", []*gatehouse.ClientSecret(nil), list)
	})
}

// testOIDCExpiry forgets expired grants, with their tokens, and expired tokens.
func testOIDCExpiry(t *testing.T, open Opener) {
	s := open(t)
	oidcWorld(t, s)
	short := newGrant("short", "c1", "s")
	short.ExpiresAt = t0.Add(time.Hour)
	long := newGrant("long", "c2", "s")
	must(t, s.CreateOIDCGrant(ctx, short))
	must(t, s.CreateOIDCGrant(ctx, long))
	for _, tok := range []*gatehouse.OIDCToken{
		{ID: "in-short", DirectoryID: "d", GrantID: "short", Kind: gatehouse.TokenAccess, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)},
		{ID: "old", DirectoryID: "d", GrantID: "long", Kind: gatehouse.TokenAccess, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)},
		{ID: "new", DirectoryID: "d", GrantID: "long", Kind: gatehouse.TokenRefresh, SecretHash: "r", CreatedAt: t0, ExpiresAt: t0.AddDate(0, 0, 1)},
	} {
		must(t, s.CreateOIDCToken(ctx, tok))
	}
	must(t, s.DeleteExpired(ctx, t0.Add(2*time.Hour)))
	_, err := s.FindOIDCGrant(ctx, "d", "short")
	wantCode(t, "an expired grant", err, gatehouse.ENOTFOUND)
	for _, id := range []string{"in-short", "old"} {
		_, err := s.FindOIDCToken(ctx, "d", id)
		wantCode(t, "expired token "+id, err, gatehouse.ENOTFOUND)
	}
	if _, err := s.FindOIDCGrant(ctx, "d", "long"); err != nil {
		t.Errorf("a live grant was deleted: %v", err)
	}
	if _, err := s.FindOIDCToken(ctx, "d", "new"); err != nil {
		t.Errorf("a live token was deleted: %v", err)
	}
}
