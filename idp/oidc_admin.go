package idp

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// addOIDCApp adds an OpenID Connect app from template t: its settings with the placeholders filled, its ID as
// client ID, no secret yet (CreateClientSecret makes one). The directory's signing keys are made first when it has
// none, outside the transaction: generating a key takes time.
func (s *Service) addOIDCApp(ctx context.Context, actor *gatehouse.User, dirID string, t *gallery.Template, in AppInput) (*gatehouse.App, []string, error) {
	if in.Metadata != "" || in.MetadataURL != "" {
		return nil, nil, gatehouse.FieldErrorf("metadata", "%s is an OpenID Connect app; SAML metadata does not apply to it.", t.Name)
	}
	id := s.newID()
	settings, missing, err := t.OIDCSettings(in.Parameters, id)
	if err != nil {
		return nil, nil, err
	}
	a := &gatehouse.App{
		ID: id, DirectoryID: dirID, Name: strings.TrimSpace(in.Name), GalleryID: t.ID, Enabled: true,
		AssignmentRequired: true, Visible: true, Protocol: gatehouse.ProtocolOIDC, OIDC: &settings,
		CreatedAt: s.now(), UpdatedAt: s.now(),
	}
	if a.Name == "" {
		a.Name = t.Name
	}
	if err := a.Validate(); err != nil {
		return nil, nil, err
	}
	if _, err := s.oidcKeys(ctx, dirID); err != nil {
		return nil, nil, err
	}
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateApp(ctx, a, nil); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "app.create", "app", a.ID, nil, a)
	})
	if err != nil {
		return nil, nil, err
	}
	return a, missing, nil
}

// OIDCPatch lists the OpenID Connect settings to change; nil fields stay as they are, and lists are replaced
// whole.
type OIDCPatch struct {
	ClientID               *string            `json:"clientId"`
	PublicClient           *bool              `json:"publicClient"`
	RedirectURIs           *[]string          `json:"redirectUris"`
	PostLogoutRedirectURIs *[]string          `json:"postLogoutRedirectUris"`
	GrantTypes             *[]string          `json:"grantTypes"`
	InitiateLoginURI       *string            `json:"initiateLoginUri"`
	BackchannelLogoutURI   *string            `json:"backchannelLogoutUri"`
	RequirePKCE            *bool              `json:"requirePkce"`
	SigningAlgorithm       *string            `json:"signingAlgorithm"`
	AccessTokenFormat      *string            `json:"accessTokenFormat"`
	AccessTokenLifetime    *int               `json:"accessTokenLifetime"`
	IDTokenLifetime        *int               `json:"idTokenLifetime"`
	RefreshTokenLifetime   *int               `json:"refreshTokenLifetime"`
	Claims                 *[]gatehouse.Claim `json:"claims"`
	// SetClaims and RemoveClaims change single claims, as in a SAMLPatch, after Claims (when set) replaced them.
	SetClaims    []ClaimSet `json:"setClaims,omitempty"`
	RemoveClaims []string   `json:"removeClaims,omitempty"`
}

// UpdateOIDC changes the fields of an OpenID Connect app's settings that p sets, in one transaction. Making the app
// a public client turns on Require PKCE. EINVALID naming the field for settings that cannot be stored (an app that
// is not an OpenID Connect app is "protocol"), ECONFLICT ("clientId") when another app of the directory has the
// client ID.
func (s *Service) UpdateOIDC(ctx context.Context, actor *gatehouse.User, dirID, appID string, p OIDCPatch) (*gatehouse.App, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	var out *gatehouse.App
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		a, err := tx.FindAppForUpdate(ctx, dirID, appID)
		if err != nil {
			return err
		}
		if !a.IsOIDC() || a.OIDC == nil {
			return gatehouse.FieldErrorf("protocol", "%s is a SAML app; it has no OpenID Connect settings.", a.Name)
		}
		before := *a
		o := *a.OIDC
		setIf(&o.ClientID, p.ClientID)
		setIf(&o.PublicClient, p.PublicClient)
		setIf(&o.RedirectURIs, p.RedirectURIs)
		setIf(&o.PostLogoutRedirectURIs, p.PostLogoutRedirectURIs)
		setIf(&o.GrantTypes, p.GrantTypes)
		setIf(&o.InitiateLoginURI, p.InitiateLoginURI)
		setIf(&o.BackchannelLogoutURI, p.BackchannelLogoutURI)
		setIf(&o.RequirePKCE, p.RequirePKCE)
		setIf(&o.SigningAlgorithm, p.SigningAlgorithm)
		setIf(&o.AccessTokenFormat, p.AccessTokenFormat)
		setIf(&o.AccessTokenLifetime, p.AccessTokenLifetime)
		setIf(&o.IDTokenLifetime, p.IDTokenLifetime)
		setIf(&o.RefreshTokenLifetime, p.RefreshTokenLifetime)
		setIf(&o.Claims, p.Claims)
		if o.Claims, err = patchClaims(o.Claims, p.SetClaims, p.RemoveClaims); err != nil {
			return err
		}
		o.ClientID = strings.TrimSpace(o.ClientID)
		o.InitiateLoginURI = strings.TrimSpace(o.InitiateLoginURI)
		o.BackchannelLogoutURI = strings.TrimSpace(o.BackchannelLogoutURI)
		if o.PublicClient {
			o.RequirePKCE = true
		}
		a.OIDC = &o
		if err := a.Validate(); err != nil {
			return err
		}
		a.UpdatedAt = s.now()
		if err := tx.UpdateApp(ctx, a); gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
			return &gatehouse.Error{Code: gatehouse.ECONFLICT, Field: "clientId",
				Message: gatehouse.Messagef("Another app in this directory already has the client ID %q; each app needs its own.", o.ClientID)}
		} else if err != nil {
			return err
		}
		out = a
		return s.audit(ctx, tx, actor, dirID, "app.update", "app", appID, &before, a)
	})
	return out, err
}

// OIDCSetup is what an OpenID Connect app is configured with: the directory's issuer (from which the app can
// discover the rest), its endpoints and the app's client ID.
type OIDCSetup struct {
	Issuer                string `json:"issuer"`
	DiscoveryURL          string `json:"discoveryUrl"`
	AuthorizationEndpoint string `json:"authorizationEndpoint"`
	TokenEndpoint         string `json:"tokenEndpoint"`
	UserinfoEndpoint      string `json:"userinfoEndpoint"`
	JWKSURI               string `json:"jwksUri"`
	EndSessionEndpoint    string `json:"endSessionEndpoint"`
	IntrospectionEndpoint string `json:"introspectionEndpoint"`
	RevocationEndpoint    string `json:"revocationEndpoint"`
	ClientID              string `json:"clientId"`
}

// oidcSetup returns the setup values of an OpenID Connect app.
func (s *Service) oidcSetup(a *gatehouse.App) *OIDCSetup {
	iss := s.OIDCIssuer(a.DirectoryID)
	return &OIDCSetup{Issuer: iss, DiscoveryURL: iss + OIDCDiscoveryPath, AuthorizationEndpoint: iss + OIDCAuthorizePath,
		TokenEndpoint: iss + OIDCTokenPath, UserinfoEndpoint: iss + OIDCUserinfoPath, JWKSURI: iss + OIDCKeysPath,
		EndSessionEndpoint: iss + OIDCLogoutPath, IntrospectionEndpoint: iss + OIDCIntrospectPath,
		RevocationEndpoint: iss + OIDCRevokePath, ClientID: a.OIDC.ClientID}
}

// Prefix and limits of client secrets.
const (
	// ClientSecretPrefix starts every client secret, so that secret scanners recognise them.
	ClientSecretPrefix = "ghc_"
	// MaxClientSecrets bounds an app's secrets, expired ones included.
	MaxClientSecrets = 10
)

// NewClientSecret says how long a new client secret works and what happens to the app's other secrets.
type NewClientSecret struct {
	// ExpiresIn is the new secret's lifetime in seconds; 0 means it does not expire.
	ExpiresIn int `json:"expiresIn"`
	// Overlap, when set, rotates the secrets: every other secret of the app stops working this many seconds from
	// now (0: at once), unless it expires sooner. When nil, the other secrets are left as they are.
	Overlap *int `json:"overlap"`
}

// ClientSecretInfo is a client secret as the portal and the API list it: whether it works now.
type ClientSecretInfo struct {
	*gatehouse.ClientSecret
	Valid bool `json:"valid"`
}

// CreateClientSecret makes a client secret for a confidential OpenID Connect app and returns it, shown this once;
// the store keeps only its hash. With in.Overlap, the app's other secrets stop working after the overlap, so that
// the app can be switched to the new secret without an outage (rotation).
func (s *Service) CreateClientSecret(ctx context.Context, actor *gatehouse.User, dirID, appID string, in NewClientSecret) (string, *gatehouse.ClientSecret, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return "", nil, err
	}
	switch {
	case in.ExpiresIn < 0 || in.ExpiresIn > 3*365*24*3600:
		return "", nil, gatehouse.FieldErrorf("expiresIn", "A client secret lives at most three years (%d seconds); 0 means it does not expire.", 3*365*24*3600)
	case in.Overlap != nil && (*in.Overlap < 0 || *in.Overlap > 90*24*3600):
		return "", nil, gatehouse.FieldErrorf("overlap", "The overlap of a rotation is 0 to 90 days (%d seconds).", 90*24*3600)
	}
	secret := ClientSecretPrefix + s.newSecret()
	now := s.now()
	c := &gatehouse.ClientSecret{ID: s.newID(), DirectoryID: dirID, AppID: appID, SecretHash: hashSecret(secret),
		Hint: secret[:len(ClientSecretPrefix)+4], CreatedAt: now}
	if in.ExpiresIn > 0 {
		exp := now.Add(time.Duration(in.ExpiresIn) * time.Second)
		c.ExpiresAt = &exp
	}
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		a, err := tx.FindApp(ctx, dirID, appID)
		if err != nil {
			return err
		}
		switch {
		case !a.IsOIDC() || a.OIDC == nil:
			return gatehouse.FieldErrorf("protocol", "%s is a SAML app; it has no client secrets.", a.Name)
		case a.OIDC.PublicClient:
			return gatehouse.FieldErrorf("publicClient", "%s is a public client, which has no secret; it proves itself with PKCE.", a.Name)
		}
		others, err := tx.FindClientSecrets(ctx, dirID, appID)
		if err != nil {
			return err
		}
		if len(others) >= MaxClientSecrets {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "%s has %d client secrets already; delete one first.", a.Name, len(others))
		}
		if in.Overlap != nil {
			until := now.Add(time.Duration(*in.Overlap) * time.Second)
			for _, o := range others {
				if o.ExpiresAt == nil || o.ExpiresAt.After(until) {
					before := *o
					o.ExpiresAt = &until
					if err := tx.UpdateClientSecret(ctx, o); err != nil {
						return err
					}
					if err := s.audit(ctx, tx, actor, dirID, "app.secret.retire", "app", appID, &before, o); err != nil {
						return err
					}
				}
			}
		}
		if err := tx.CreateClientSecret(ctx, c); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "app.secret.create", "app", appID, nil, c)
	})
	if err != nil {
		return "", nil, err
	}
	return secret, c, nil
}

// ClientSecrets returns an app's client secrets, newest first, with whether each works now. ENOTFOUND for no
// such app.
func (s *Service) ClientSecrets(ctx context.Context, actor *gatehouse.User, dirID, appID string) ([]ClientSecretInfo, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	if _, err := s.store.FindApp(ctx, dirID, appID); err != nil {
		return nil, err
	}
	list, err := s.store.FindClientSecrets(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	out := make([]ClientSecretInfo, 0, len(list))
	for _, c := range list {
		out = append(out, ClientSecretInfo{ClientSecret: c, Valid: c.Valid(s.now())})
	}
	return out, nil
}

// DeleteClientSecret deletes one of an app's client secrets: it stops working at once.
func (s *Service) DeleteClientSecret(ctx context.Context, actor *gatehouse.User, dirID, appID, secretID string) error {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx gatehouse.Store) error {
		list, err := tx.FindClientSecrets(ctx, dirID, appID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(list, func(c *gatehouse.ClientSecret) bool { return c.ID == secretID })
		if i < 0 {
			return gatehouse.Errorf(gatehouse.ENOTFOUND, "The app has no client secret %s.", secretID)
		}
		if err := tx.DeleteClientSecret(ctx, dirID, secretID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "app.secret.delete", "app", appID, list[i], nil)
	})
}

// OIDCKeyInfo is a signing key with its rollover state and whether the JWKS publishes it.
type OIDCKeyInfo struct {
	*gatehouse.OIDCKey
	State     string `json:"state"`
	Published bool   `json:"published"`
}

// OIDCKeyList returns a directory's OpenID Connect signing keys, newest first, with their rollover state; a
// directory without keys gets its first ones.
func (s *Service) OIDCKeyList(ctx context.Context, actor *gatehouse.User, dirID string) ([]OIDCKeyInfo, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	if _, err := s.store.FindDirectory(ctx, dirID); err != nil {
		return nil, err
	}
	keys, err := s.oidcKeys(ctx, dirID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]OIDCKeyInfo, 0, len(keys))
	for _, k := range keys {
		st, pub := oidcKeyState(k, now)
		out = append(out, OIDCKeyInfo{OIDCKey: k, State: st, Published: pub})
	}
	return out, nil
}

// CreateNextOIDCKey generates a directory's next signing key for alg: inactive, and published in the JWKS beside
// the active one, so that apps that cache the JWKS know it before ActivateOIDCKey makes it sign. ECONFLICT when
// the algorithm has a next key already.
func (s *Service) CreateNextOIDCKey(ctx context.Context, actor *gatehouse.User, dirID, alg string) (*gatehouse.OIDCKey, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	if _, err := s.oidcKeys(ctx, dirID); err != nil {
		return nil, err
	}
	k, err := s.newOIDCKey(dirID, alg, false)
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		keys, err := tx.FindOIDCKeys(ctx, dirID)
		if err != nil {
			return err
		}
		for _, o := range keys {
			if st, _ := oidcKeyState(o, s.now()); st == KeyNext && o.Algorithm == alg {
				return gatehouse.Errorf(gatehouse.ECONFLICT, "The directory already has a next %s key (%s); make it active first.", alg, o.ID)
			}
		}
		if err := tx.CreateOIDCKey(ctx, k); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "oidc-key.create", "oidc-key", k.ID, nil, k)
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// ActivateOIDCKey makes a directory's key the one that signs for its algorithm; the key it replaces stays in the
// JWKS for OIDCKeyRolloverGrace. EINVALID for a retired key, ENOTFOUND for no such key.
func (s *Service) ActivateOIDCKey(ctx context.Context, actor *gatehouse.User, dirID, keyID string) (*gatehouse.OIDCKey, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	var out *gatehouse.OIDCKey
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		keys, err := tx.FindOIDCKeys(ctx, dirID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(keys, func(k *gatehouse.OIDCKey) bool { return k.ID == keyID })
		if i < 0 {
			return gatehouse.Errorf(gatehouse.ENOTFOUND, "The directory has no signing key %s.", keyID)
		}
		k := keys[i]
		if st, _ := oidcKeyState(k, s.now()); st == KeyRetired {
			return gatehouse.FieldErrorf("keyId", "Key %s was retired; create a new key instead.", keyID)
		}
		before := *k
		if !k.Active {
			if err := tx.ActivateOIDCKey(ctx, dirID, keyID, s.now()); err != nil {
				return err
			}
			k.Active, k.DeactivatedAt = true, time.Time{}
		}
		out = k
		return s.audit(ctx, tx, actor, dirID, "oidc-key.activate", "oidc-key", keyID, &before, k)
	})
	return out, err
}

// previewOIDC is PreviewAssertion for an OpenID Connect app: the claims an ID token of the user would carry with
// every scope granted, and the reasons a real sign-in would fail now.
func (s *Service) previewOIDC(ctx context.Context, app *gatehouse.App, u *gatehouse.User) (*Preview, error) {
	p := &Preview{AppID: app.ID, UserID: u.ID, UserName: u.UserName, Protocol: gatehouse.ProtocolOIDC,
		Issuer: s.OIDCIssuer(app.DirectoryID), Audience: app.OIDC.ClientID, NameID: s.oidcSubject(app, u.ID),
		NameIDFormat: "pairwise subject (sub)", AuthnContext: saml.AuthnContextPassword,
		SigningOption: "ID token", SigningAlgorithm: app.OIDC.SigningAlgorithm,
		Problems: []PreviewProblem{}, Claims: []PreviewClaim{}}
	if err := s.checkAccess(ctx, app, u); err != nil {
		if !addProblem(p, err) {
			return nil, err
		}
	}
	if len(app.OIDC.RedirectURIs) == 0 {
		p.Problems = append(p.Problems, PreviewProblem{Code: CodeRedirectURIMismatch,
			Message: "The app has no redirect URI, so no authorization request of it can be answered. Add one in its OpenID Connect configuration."})
	} else {
		p.Destination = app.OIDC.RedirectURIs[0]
	}
	info := new(oidc.UserInfo)
	scopes := []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopePhone, oidc.ScopeAddress}
	if err := s.fillUserInfo(ctx, info, app, u, p.NameID, scopes); err != nil {
		return nil, err
	}
	p.IDToken = map[string]any{"iss": p.Issuer, "sub": p.NameID, "aud": p.Audience, "acr": p.AuthnContext, "amr": []string{"pwd"}}
	names := slices.Sorted(maps.Keys(info.Claims))
	for _, name := range names {
		v := info.Claims[name]
		p.IDToken[name] = v
		var values []string
		switch v := v.(type) {
		case []string:
			values = v
		default:
			values = []string{fmt.Sprint(v)}
		}
		p.Claims = append(p.Claims, PreviewClaim{Name: name, Values: values})
	}
	return p, nil
}
