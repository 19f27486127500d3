package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// The Single sign-on page of an OpenID Connect app: its client registration, client secrets, claims and the
// values to set up in the app; and the directory's signing keys on the settings page.

// oidcForm is the OpenID Connect settings form: the stored values, or what was typed.
type oidcForm struct {
	ClientID, RedirectURIs, PostLogoutRedirectURIs, InitiateLoginURI, BackchannelLogoutURI string
	PublicClient, RequirePKCE                                                              bool
	GrantTypes                                                                             []string
	SigningAlgorithm, AccessTokenFormat                                                    string
	AccessTokenLifetime, IDTokenLifetime, RefreshTokenLifetime                             string
}

func oidcFormOf(o *gatehouse.OIDCSettings) oidcForm {
	return oidcForm{ClientID: o.ClientID, RedirectURIs: strings.Join(o.RedirectURIs, "\n"),
		PostLogoutRedirectURIs: strings.Join(o.PostLogoutRedirectURIs, "\n"), InitiateLoginURI: o.InitiateLoginURI,
		BackchannelLogoutURI: o.BackchannelLogoutURI, PublicClient: o.PublicClient, RequirePKCE: o.RequirePKCE,
		GrantTypes: o.GrantTypes, SigningAlgorithm: o.SigningAlgorithm, AccessTokenFormat: o.AccessTokenFormat,
		AccessTokenLifetime: strconv.Itoa(o.AccessTokenLifetime), IDTokenLifetime: strconv.Itoa(o.IDTokenLifetime),
		RefreshTokenLifetime: strconv.Itoa(o.RefreshTokenLifetime)}
}

// Grants reports whether the form allows grant type g, for its checkboxes.
func (f oidcForm) Grants(g string) bool { return slices.Contains(f.GrantTypes, g) }

// oidcFields are the fields of the OpenID Connect settings form that field errors can name.
var oidcFields = []string{"clientId", "redirectUris", "postLogoutRedirectUris", "initiateLoginUri", "backchannelLogoutUri",
	"grantTypes", "requirePkce", "signingAlgorithm", "accessTokenFormat", "accessTokenLifetime", "idTokenLifetime",
	"refreshTokenLifetime", "publicClient", "expiresIn", "overlap"}

// oidcPage is the Single sign-on page of an OpenID Connect app.
type oidcPage struct {
	appBase
	Form     oidcForm
	Setup    *idp.OIDCSetup
	Secrets  []idp.ClientSecretInfo
	Template *gallery.Template
	// NewSecret is a client secret just created, shown this once (it comes with the notice that tells of it).
	NewSecret string
	// Missing lists the settings of a newly added app still to complete.
	Missing []string
	// TestURL starts a sign-in at the app (its initiate login URI with iss), "" when it has none.
	TestURL  string
	Assigned bool

	GrantTypes, Algorithms, TokenFormats, Attributes, Transforms []string
}

func (s *Server) oidcPage(r *http.Request, v *portalView, a *gatehouse.App) (*oidcPage, error) {
	st, err := s.Service.Setup(r.Context(), v.Me, v.Dir.ID, a.ID)
	if err != nil {
		return nil, err
	}
	p := &oidcPage{appBase: appBase{Base: v.Base, App: a, Tab: "sso"}, Form: oidcFormOf(a.OIDC), Setup: st.OIDC,
		GrantTypes: gatehouse.GrantTypes, Algorithms: gatehouse.OIDCAlgorithms,
		TokenFormats: []string{gatehouse.AccessTokenOpaque, gatehouse.AccessTokenJWT}, Attributes: gatehouse.Attributes,
		Transforms: []string{"", gatehouse.TransformLower, gatehouse.TransformUpper, gatehouse.TransformMailPrefix}}
	if p.Secrets, err = s.Service.ClientSecrets(r.Context(), v.Me, v.Dir.ID, a.ID); err != nil {
		return nil, err
	}
	if t, err := s.Service.GalleryTemplate(a.GalleryID); err == nil {
		p.Template = t
	}
	if a.OIDC.InitiateLoginURI != "" {
		p.TestURL = st.UserAccessURL
	}
	if apps, err := s.Service.FindUserApps(r.Context(), v.Me, v.Me.DirectoryID, v.Me.ID); err == nil {
		p.Assigned = slices.ContainsFunc(apps, func(x *gatehouse.App) bool { return x.ID == a.ID })
	}
	if !a.AssignmentRequired && v.Me.DirectoryID == a.DirectoryID {
		p.Assigned = true
	}
	q := r.URL.Query()
	if m := q.Get("missing"); m != "" {
		for _, f := range strings.Split(m, ",") {
			if slices.Contains(oidcFields, f) {
				p.Missing = append(p.Missing, f)
			}
		}
	}
	return p, nil
}

// portalOIDC shows the Single sign-on page of an OpenID Connect app.
func (s *Server) portalOIDC(w http.ResponseWriter, r *http.Request, v *portalView, a *gatehouse.App, change func(*oidcPage)) error {
	p, err := s.oidcPage(r, v, a)
	if err != nil {
		return err
	}
	if n := s.takeNotice(w, r); n != nil && n.Section == "secrets" && n.PasswordUser == a.ID {
		p.NewSecret = n.Password
	}
	if change != nil {
		change(p)
	}
	v.Nav = "apps"
	w.Header().Set("Cache-Control", "no-store")
	s.show(w, r, v, "app_oidc.html", p)
	return nil
}

// portalSaveOIDC saves the OpenID Connect settings form; an error goes back to the page beside its field, with
// what was typed.
func (s *Server) portalSaveOIDC(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	f := r.PostForm
	typed := oidcForm{ClientID: strings.TrimSpace(f.Get("clientId")), RedirectURIs: f.Get("redirectUris"),
		PostLogoutRedirectURIs: f.Get("postLogoutRedirectUris"), InitiateLoginURI: strings.TrimSpace(f.Get("initiateLoginUri")),
		BackchannelLogoutURI: strings.TrimSpace(f.Get("backchannelLogoutUri")), PublicClient: f.Get("clientType") == "public",
		RequirePKCE: f.Get("requirePkce") != "", GrantTypes: f["grantTypes"], SigningAlgorithm: f.Get("signingAlgorithm"),
		AccessTokenFormat: f.Get("accessTokenFormat"), AccessTokenLifetime: f.Get("accessTokenLifetime"),
		IDTokenLifetime: f.Get("idTokenLifetime"), RefreshTokenLifetime: f.Get("refreshTokenLifetime")}
	redirects, postLogout, grants := lines(typed.RedirectURIs), lines(typed.PostLogoutRedirectURIs), slices.Clone(typed.GrantTypes)
	if grants == nil {
		grants = []string{}
	}
	p := idp.OIDCPatch{ClientID: &typed.ClientID, PublicClient: &typed.PublicClient, RedirectURIs: &redirects,
		PostLogoutRedirectURIs: &postLogout, GrantTypes: &grants, InitiateLoginURI: &typed.InitiateLoginURI,
		BackchannelLogoutURI: &typed.BackchannelLogoutURI, RequirePKCE: &typed.RequirePKCE,
		SigningAlgorithm: &typed.SigningAlgorithm, AccessTokenFormat: &typed.AccessTokenFormat}
	for _, n := range []struct {
		field, text string
		to          **int
	}{
		{"accessTokenLifetime", typed.AccessTokenLifetime, &p.AccessTokenLifetime},
		{"idTokenLifetime", typed.IDTokenLifetime, &p.IDTokenLifetime},
		{"refreshTokenLifetime", typed.RefreshTokenLifetime, &p.RefreshTokenLifetime},
	} {
		v, err := strconv.Atoi(strings.TrimSpace(n.text))
		if err != nil {
			v = -1 // refused by the service with its message
		}
		*n.to = &v
	}
	if _, err = s.Service.UpdateOIDC(r.Context(), v.Me, v.Dir.ID, a.ID, p); err == nil {
		s.notify(w, r, notice{Section: "oidc", Message: "Saved the OpenID Connect settings."})
		return redirect(w, r, v.appURL(a, "sso")+"#oidc")
	}
	if !v.formError(err, oidcFields...) {
		return err
	}
	return s.portalOIDC(w, r, v, a, func(pg *oidcPage) { pg.Form = typed })
}

// portalCreateClientSecret creates a client secret and shows the page with the secret, this once; the other
// secrets stop working after the overlap chosen, when one is.
func (s *Server) portalCreateClientSecret(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	var in idp.NewClientSecret
	if d, err := strconv.Atoi(r.PostForm.Get("expiresDays")); err == nil {
		in.ExpiresIn = d * 24 * 3600
	}
	if o := r.PostForm.Get("overlap"); o != "" && o != "keep" {
		n, err := strconv.Atoi(o)
		if err != nil {
			n = -1
		}
		in.Overlap = &n
	}
	secret, _, err := s.Service.CreateClientSecret(r.Context(), v.Me, v.Dir.ID, a.ID, in)
	if err != nil {
		if !v.formError(err, oidcFields...) {
			return err
		}
		return s.portalOIDC(w, r, v, a, nil)
	}
	// The secret rides in the sealed notice to the page, which shows it this once: a reload neither shows it again
	// nor makes another.
	s.notify(w, r, notice{Section: "secrets", Message: "Created a client secret.", Password: secret, PasswordUser: a.ID})
	return redirect(w, r, v.appURL(a, "sso")+"#secrets")
}

// portalDeleteClientSecret deletes a client secret.
func (s *Server) portalDeleteClientSecret(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	if err := s.Service.DeleteClientSecret(r.Context(), v.Me, v.Dir.ID, a.ID, r.PathValue("secretId")); err != nil {
		return err
	}
	s.notify(w, r, notice{Section: "secrets", Message: "The client secret was deleted and no longer works."})
	return redirect(w, r, v.appURL(a, "sso")+"#secrets")
}

// oidcKeysSection is the signing keys section of the directory's settings page.
type oidcKeysSection struct {
	Keys   []idp.OIDCKeyInfo
	JWKS   string
	Issuer string
	// HasNext lists the algorithms with a next key waiting, which get no New key button.
	HasNext    map[string]bool
	Algorithms []string
}

// oidcKeysSection returns the directory's signing keys for the settings page.
func (s *Server) oidcKeysSection(r *http.Request, v *portalView) (*oidcKeysSection, error) {
	keys, err := s.Service.OIDCKeyList(r.Context(), v.Me, v.Dir.ID)
	if err != nil {
		return nil, err
	}
	iss := s.Service.OIDCIssuer(v.Dir.ID)
	p := &oidcKeysSection{Keys: keys, JWKS: iss + idp.OIDCKeysPath, Issuer: iss, HasNext: map[string]bool{},
		Algorithms: gatehouse.OIDCAlgorithms}
	for _, k := range keys {
		if k.State == idp.KeyNext {
			p.HasNext[k.Algorithm] = true
		}
	}
	return p, nil
}

// portalCreateOIDCKey creates the directory's next signing key for an algorithm.
func (s *Server) portalCreateOIDCKey(w http.ResponseWriter, r *http.Request, v *portalView) error {
	if _, err := s.Service.CreateNextOIDCKey(r.Context(), v.Me, v.Dir.ID, r.PostForm.Get("algorithm")); err != nil {
		return err
	}
	s.notify(w, r, notice{Section: "oidc-keys", Message: "Created a next key: it is in the JWKS now; make it active once the apps have read it."})
	return redirect(w, r, v.Base+"/settings#oidc-keys")
}

// portalActivateOIDCKey makes a signing key active.
func (s *Server) portalActivateOIDCKey(w http.ResponseWriter, r *http.Request, v *portalView) error {
	if _, err := s.Service.ActivateOIDCKey(r.Context(), v.Me, v.Dir.ID, r.PathValue("keyId")); err != nil {
		return err
	}
	s.notify(w, r, notice{Section: "oidc-keys", Message: "The key is active: it signs from now on, and the key it replaced stays in the JWKS for 7 days."})
	return redirect(w, r, v.Base+"/settings#oidc-keys")
}

// appClaims returns an app's claims: its SAML attributes or its OpenID Connect claims.
func appClaims(a *gatehouse.App) []gatehouse.Claim {
	if a.OIDC != nil {
		return a.OIDC.Claims
	}
	return a.SAML.Claims
}

// saveClaims sets and removes single claims of an app, of either protocol, then goes back to the app's page at its
// claims, or shows the page again with the error.
func (s *Server) saveClaims(w http.ResponseWriter, r *http.Request, v *portalView, set []idp.ClaimSet, remove []string) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	if a.OIDC == nil {
		return s.saveSAML(w, r, v, "claims", idp.SAMLPatch{SetClaims: set, RemoveClaims: remove}, nil)
	}
	if _, err := s.Service.UpdateOIDC(r.Context(), v.Me, v.Dir.ID, a.ID, idp.OIDCPatch{SetClaims: set, RemoveClaims: remove}); err != nil {
		if !v.formError(err, "claims", "removeClaims") {
			return err
		}
		if v.Errors["removeClaims"] != "" {
			v.Errors["claims"] = v.Errors["removeClaims"]
		}
		return s.portalOIDC(w, r, v, a, nil)
	}
	s.notify(w, r, notice{Section: "claims", Message: "Saved the claims."})
	return redirect(w, r, v.appURL(a, "sso")+"#claims")
}
