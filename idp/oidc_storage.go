package idp

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse"
)

// oidcStorage is the op package's view of the store: clients, signing keys, grants and tokens, and the claims of
// ID tokens and userinfo. The directory of every call is the request's (oidcDirectory).
type oidcStorage struct{ s *Service }

var (
	_ op.Storage                   = (*oidcStorage)(nil)
	_ op.ClientCredentialsStorage  = (*oidcStorage)(nil)
	_ op.CanSetUserinfoFromRequest = (*oidcStorage)(nil)
)

// errNotServedHere answers the op package's calls for the authorization endpoint's work, which OIDCAuthorize does.
var errNotServedHere = errors.New("idp: the authorization endpoint is served by OIDCAuthorize")

// grantRequest is a grant as the op package makes tokens from it: the AuthRequest of a code exchange or a refresh
// (whose nonce is empty), or the TokenRequest of the client credentials grant.
type grantRequest struct {
	grant *gatehouse.OIDCGrant
	app   *gatehouse.App
	// user is nil for the client credentials grant.
	user    *gatehouse.User
	subject string
	// scopes are the scopes of the tokens to make: the grant's, or fewer on a refresh that asks for fewer.
	scopes []string
	// refresh is the refresh token being exchanged, nil for a code exchange.
	refresh *gatehouse.OIDCToken
}

var (
	_ op.AuthRequest         = (*grantRequest)(nil)
	_ op.RefreshTokenRequest = (*grantRequest)(nil)
)

func (r *grantRequest) GetID() string               { return r.grant.ID }
func (r *grantRequest) GetACR() string              { return r.grant.Request.ACR }
func (r *grantRequest) GetAMR() []string            { return r.grant.Request.AMR }
func (r *grantRequest) GetAudience() []string       { return []string{r.app.OIDC.ClientID} }
func (r *grantRequest) GetAuthTime() time.Time      { return r.grant.Request.AuthTime }
func (r *grantRequest) GetClientID() string         { return r.app.OIDC.ClientID }
func (r *grantRequest) GetRedirectURI() string      { return r.grant.Request.RedirectURI }
func (r *grantRequest) GetScopes() []string         { return r.scopes }
func (r *grantRequest) SetCurrentScopes(s []string) { r.scopes = s }
func (r *grantRequest) GetState() string            { return "" }
func (r *grantRequest) GetSubject() string          { return r.subject }
func (r *grantRequest) Done() bool                  { return true }

func (r *grantRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseTypeCode }
func (r *grantRequest) GetResponseMode() oidc.ResponseMode { return "" }

// GetNonce returns the nonce of the authorization request for the ID token of the code exchange; a refreshed ID
// token has none.
func (r *grantRequest) GetNonce() string {
	if r.refresh != nil {
		return ""
	}
	return r.grant.Request.Nonce
}

func (r *grantRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.grant.Request.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.grant.Request.CodeChallenge,
		Method: oidc.CodeChallengeMethod(r.grant.Request.CodeChallengeMethod)}
}

func (st *oidcStorage) CreateAuthRequest(context.Context, *oidc.AuthRequest, string) (op.AuthRequest, error) {
	return nil, errNotServedHere
}

func (st *oidcStorage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errNotServedHere
}

func (st *oidcStorage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errNotServedHere
}

func (st *oidcStorage) SaveAuthCode(context.Context, string, string) error { return errNotServedHere }

// DeleteAuthRequest does nothing: a code is spent when it is redeemed (redeemCode).
func (st *oidcStorage) DeleteAuthRequest(context.Context, string) error { return nil }

// CreateAccessToken stores an access token of the grant of request.
func (st *oidcStorage) CreateAccessToken(ctx context.Context, request op.TokenRequest) (string, time.Time, error) {
	r, ok := request.(*grantRequest)
	if !ok {
		return "", time.Time{}, gatehouse.Internal(errors.New("idp: a token request of an unknown kind"))
	}
	t, err := st.s.newOIDCToken(ctx, r, gatehouse.TokenAccess, "")
	if err != nil {
		return "", time.Time{}, err
	}
	return t.ID, t.ExpiresAt, nil
}

// CreateAccessAndRefreshTokens stores an access token and a new refresh token of the grant of request. On a
// refresh, the refresh token presented is spent first: when it was spent already (two refreshes raced with the same
// token), the grant is revoked as for any reuse.
func (st *oidcStorage) CreateAccessAndRefreshTokens(ctx context.Context, request op.TokenRequest, current string) (string, string, time.Time, error) {
	r, ok := request.(*grantRequest)
	if !ok {
		return "", "", time.Time{}, gatehouse.Internal(errors.New("idp: a token request of an unknown kind"))
	}
	s := st.s
	if r.refresh != nil {
		if err := s.store.UseOIDCToken(ctx, r.grant.DirectoryID, r.refresh.ID, s.now()); gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
			return "", "", time.Time{}, s.refreshReused(ctx, r.app, r.grant)
		} else if err != nil {
			return "", "", time.Time{}, err
		}
	}
	access, err := s.newOIDCToken(ctx, r, gatehouse.TokenAccess, "")
	if err != nil {
		return "", "", time.Time{}, err
	}
	secret := RefreshTokenPrefix + s.newSecret()
	if _, err := s.newOIDCToken(ctx, r, gatehouse.TokenRefresh, hashSecret(secret)); err != nil {
		return "", "", time.Time{}, err
	}
	return access.ID, secret, access.ExpiresAt, nil
}

// RefreshTokenPrefix starts every refresh token, so that they are recognisable by secret scanners.
const RefreshTokenPrefix = "ghr_"

// newOIDCToken stores a token of kind under the grant of r, with r's scopes, living as long as the app's setting for
// its kind says and never longer than the grant.
func (s *Service) newOIDCToken(ctx context.Context, r *grantRequest, kind, secretHash string) (*gatehouse.OIDCToken, error) {
	now := s.now()
	life := r.app.OIDC.AccessTokenLifetime
	if kind == gatehouse.TokenRefresh {
		life = r.app.OIDC.RefreshTokenLifetime
	}
	exp := now.Add(time.Duration(life) * time.Second)
	if r.grant.ExpiresAt.Before(exp) {
		exp = r.grant.ExpiresAt
	}
	t := &gatehouse.OIDCToken{ID: s.newID(), DirectoryID: r.grant.DirectoryID, GrantID: r.grant.ID, Kind: kind,
		SecretHash: secretHash, Scopes: r.scopes, CreatedAt: now, ExpiresAt: exp}
	if err := s.store.CreateOIDCToken(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// TokenRequestByRefreshToken returns the grant of a live refresh token; the token endpoint's refresh goes through
// oidcServer.RefreshToken, which also checks the client.
func (st *oidcStorage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	return st.s.refreshRequest(ctx, nil, token)
}

// TerminateSession does nothing: RP-initiated logout is served by OIDCEndSession.
func (st *oidcStorage) TerminateSession(context.Context, string, string) error { return nil }

// RevokeToken revokes a token of the app with clientID (RFC 7009): a refresh token with its whole grant, an access
// token alone. A token that is unknown, expired or revoked already needs nothing; another app's token is refused.
func (st *oidcStorage) RevokeToken(ctx context.Context, tokenID, _, clientID string) *oidc.Error {
	s, dirID := st.s, oidcDirectory(ctx)
	t, err := s.store.FindOIDCToken(ctx, dirID, tokenID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil
	} else if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	g, err := s.store.FindOIDCGrant(ctx, dirID, t.GrantID)
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	app, err := s.store.FindApp(ctx, dirID, g.AppID)
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if !app.IsOIDC() || app.OIDC.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("The token was not issued to this client.")
	}
	if t.Kind == gatehouse.TokenRefresh {
		err = s.store.RevokeOIDCGrant(ctx, dirID, g.ID, s.now())
	} else {
		err = s.store.RevokeOIDCToken(ctx, dirID, t.ID, s.now())
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	s.logger.InfoContext(ctx, "token revoked", "directory", dirID, "app", app.ID, "kind", t.Kind, "grant", g.ID)
	return nil
}

// GetRefreshTokenInfo finds the refresh token whose secret is token, for revocation.
func (st *oidcStorage) GetRefreshTokenInfo(ctx context.Context, _ string, token string) (string, string, error) {
	t, err := st.s.store.FindOIDCTokenBySecretHash(ctx, oidcDirectory(ctx), hashSecret(token))
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return "", "", op.ErrInvalidRefreshToken
	} else if err != nil {
		return "", "", err
	}
	return "", t.ID, nil
}

// SigningKey returns the directory's active key for the algorithm of the app tokens are made for (withOIDCApp).
func (st *oidcStorage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	alg := gatehouse.RS256
	if app := oidcAppFrom(ctx); app != nil && app.OIDC != nil {
		alg = app.OIDC.SigningAlgorithm
	}
	return st.s.oidcSigner(ctx, oidcDirectory(ctx), alg)
}

func (st *oidcStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256, jose.ES256}, nil
}

// KeySet returns the keys the directory's JWKS publishes; they also verify the tokens Gatehouse is given back
// (id_token_hint, JWT access tokens).
func (st *oidcStorage) KeySet(ctx context.Context) ([]op.Key, error) {
	return st.s.publishedKeys(ctx, oidcDirectory(ctx))
}

// GetClientByClientID finds the directory's OpenID Connect app with a client ID.
func (st *oidcStorage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	app, err := st.s.oidcApp(ctx, oidcDirectory(ctx), clientID)
	if err != nil {
		return nil, err
	}
	return &oidcClient{app: app}, nil
}

// oidcApp returns the OpenID Connect app of a directory with a client ID; ENOTFOUND when there is none.
func (s *Service) oidcApp(ctx context.Context, dirID, clientID string) (*gatehouse.App, error) {
	if clientID == "" {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "No client ID.")
	}
	app, err := s.store.FindAppByClientID(ctx, dirID, clientID)
	if err != nil {
		return nil, err
	}
	if !app.IsOIDC() || app.OIDC == nil {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "No OpenID Connect app has this client ID.")
	}
	return app, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret against its secrets that have not expired, in
// constant time.
func (st *oidcStorage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	_, err := st.s.authenticateClient(ctx, oidcDirectory(ctx), clientID, secret)
	return err
}

// authenticateClient returns the app of a confidential client whose secret is one of its own that has not expired.
func (s *Service) authenticateClient(ctx context.Context, dirID, clientID, secret string) (*gatehouse.App, error) {
	fail := errors.New("idp: unknown client or wrong client secret")
	app, err := s.oidcApp(ctx, dirID, clientID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil, fail
	} else if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if app.OIDC.PublicClient || secret == "" || len(secret) > 256 {
		return nil, fail
	}
	secrets, err := s.store.FindClientSecrets(ctx, dirID, app.ID)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	h := []byte(hashSecret(secret))
	now := s.now()
	ok := false
	for _, c := range secrets {
		if subtle.ConstantTimeCompare(h, []byte(c.SecretHash)) == 1 && c.Valid(now) {
			ok = true
		}
	}
	if !ok {
		return nil, fail
	}
	return app, nil
}

// SetUserinfoFromScopes does nothing: SetUserinfoFromRequest gives the claims.
func (st *oidcStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest gives an ID token the claims of the grant's user at its app for the scopes granted, and
// the sid of the browser session the user signed in with (for back-channel logout).
func (st *oidcStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, request op.IDTokenRequest, scopes []string) error {
	r, ok := request.(*grantRequest)
	if !ok || r.user == nil {
		return nil
	}
	if err := st.s.fillUserInfo(ctx, info, r.app, r.user, r.subject, scopes); err != nil {
		return err
	}
	if sid := r.grant.Request.SID; sid != "" {
		info.AppendClaims("sid", sid)
	}
	return nil
}

// SetUserinfoFromToken answers userinfo for a live access token of a user: the claims of the scopes it grants, after
// the sign-on policy (the user and the app enabled, the assignment) is checked again.
func (st *oidcStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s := st.s
	tr, err := s.liveToken(ctx, oidcDirectory(ctx), tokenID, gatehouse.TokenAccess)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("The access token is not valid.").WithParent(err)
	}
	if tr.user == nil {
		return oidc.ErrAccessDenied().WithDescription("The access token of the client credentials grant has no user.")
	}
	return s.fillUserInfo(ctx, info, tr.app, tr.user, tr.subject, tr.scopes)
}

// SetIntrospectionFromToken describes a live access token of the app with clientID (RFC 7662); an access token of
// another app, like an unknown one, is inactive.
func (st *oidcStorage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, _, clientID string) error {
	s := st.s
	tr, err := s.liveToken(ctx, oidcDirectory(ctx), tokenID, gatehouse.TokenAccess)
	if err != nil {
		return err
	}
	return s.introspection(ctx, resp, tr, clientID)
}

// introspection fills resp for the live token of tr, when it belongs to the app with clientID.
func (s *Service) introspection(ctx context.Context, resp *oidc.IntrospectionResponse, tr *grantRequest, clientID string) error {
	if tr.app.OIDC.ClientID != clientID {
		return errors.New("idp: the token belongs to another client")
	}
	if tr.user != nil {
		info := new(oidc.UserInfo)
		if err := s.fillUserInfo(ctx, info, tr.app, tr.user, tr.subject, tr.scopes); err != nil {
			return err
		}
		resp.SetUserInfo(info)
		resp.AuthTime = oidc.FromTime(tr.grant.Request.AuthTime)
		resp.AuthenticationMethodsReferences = tr.grant.Request.AMR
	}
	resp.Subject = tr.subject
	resp.Scope = tr.scopes
	resp.ClientID = clientID
	resp.Audience = []string{clientID}
	resp.Issuer = op.IssuerFromContext(ctx)
	resp.TokenType = oidc.BearerToken
	if tr.refresh != nil {
		resp.TokenType = "refresh_token"
		resp.Expiration, resp.IssuedAt = oidc.FromTime(tr.refresh.ExpiresAt), oidc.FromTime(tr.refresh.CreatedAt)
	}
	return nil
}

func (st *oidcStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (st *oidcStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("idp: clients do not authenticate with keys")
}

func (st *oidcStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("idp: the JWT profile grant is not supported")
}

func (st *oidcStorage) Health(context.Context) error { return nil }

// ClientCredentials authenticates a confidential client for the client credentials grant.
func (st *oidcStorage) ClientCredentials(ctx context.Context, clientID, secret string) (op.Client, error) {
	app, err := st.s.authenticateClient(ctx, oidcDirectory(ctx), clientID, secret)
	var oe *oidc.Error
	if errors.As(err, &oe) {
		return nil, err
	} else if err != nil {
		return nil, oidc.ErrInvalidClient().WithParent(err)
	}
	return &oidcClient{app: app}, nil
}

// ClientCredentialsTokenRequest makes the grant of a client credentials request: the app's own, with no user, after
// checking that the app is enabled and allowed the grant. It is in the sign-in log.
func (st *oidcStorage) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	s, dirID := st.s, oidcDirectory(ctx)
	app, err := s.oidcApp(ctx, dirID, clientID)
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithParent(err)
	}
	at := &attempt{dirID: dirID, directoryKnown: true, app: app, protocol: gatehouse.ProtocolOIDC}
	if !app.Enabled {
		f := s.refuse(ctx, at, errAppDisabled(app))
		return nil, oidc.ErrUnauthorizedClient().WithDescription("%s", oauthDescription(f))
	}
	now := s.now()
	scopes = slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return sc == oidc.ScopeOfflineAccess })
	g := &gatehouse.OIDCGrant{ID: s.newID(), DirectoryID: dirID, AppID: app.ID, CreatedAt: now,
		ExpiresAt: now.Add(time.Duration(app.OIDC.AccessTokenLifetime) * time.Second),
		Request:   gatehouse.OIDCRequest{ClientID: clientID, Scopes: scopes}}
	if err := s.store.CreateOIDCGrant(ctx, g); err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	s.logSignIn(ctx, dirID, &gatehouse.SignInEvent{UserName: clientID, AppID: app.ID, AppName: app.Name,
		Result: gatehouse.ResultSuccess, Protocol: gatehouse.ProtocolOIDC,
		Reason: "Client credentials: the app signed in as itself."})
	return &grantRequest{grant: g, app: app, subject: clientID, scopes: scopes}, nil
}

// liveToken returns the grant of a token of kind that works now: not expired or revoked, in a grant that is not
// revoked, of an OpenID Connect app, whose user (if any) still passes the sign-on policy.
func (s *Service) liveToken(ctx context.Context, dirID, tokenID, kind string) (*grantRequest, error) {
	t, err := s.store.FindOIDCToken(ctx, dirID, tokenID)
	if err != nil {
		return nil, err
	}
	return s.tokenGrant(ctx, dirID, t, kind)
}

// tokenGrant is liveToken for a token already read.
func (s *Service) tokenGrant(ctx context.Context, dirID string, t *gatehouse.OIDCToken, kind string) (*grantRequest, error) {
	now := s.now()
	switch {
	case t.Kind != kind:
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "The token is a %s token.", t.Kind)
	case !t.RevokedAt.IsZero():
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "The token was revoked.")
	case !now.Before(t.ExpiresAt):
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "The token has expired.")
	}
	g, err := s.store.FindOIDCGrant(ctx, dirID, t.GrantID)
	if err != nil {
		return nil, err
	}
	if !g.RevokedAt.IsZero() {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "The token's grant was revoked.")
	}
	r, err := s.grantRequest(ctx, g)
	if err != nil {
		return nil, err
	}
	r.scopes = t.Scopes
	if kind == gatehouse.TokenRefresh {
		r.refresh = t
	}
	return r, nil
}

// grantRequest loads the app and the user of a grant and checks the sign-on policy again: every use of a grant
// (a code exchange, a refresh, userinfo, introspection) refuses a disabled user or app and a user no longer assigned.
func (s *Service) grantRequest(ctx context.Context, g *gatehouse.OIDCGrant) (*grantRequest, error) {
	app, err := s.store.FindApp(ctx, g.DirectoryID, g.AppID)
	if err != nil {
		return nil, err
	}
	if !app.IsOIDC() || app.OIDC == nil {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "The app is not an OpenID Connect app any more.")
	}
	r := &grantRequest{grant: g, app: app, subject: app.OIDC.ClientID, scopes: g.Request.Scopes}
	if g.UserID == "" {
		if !app.Enabled {
			return nil, errAppDisabled(app)
		}
		return r, nil
	}
	if r.user, err = s.store.FindUser(ctx, g.DirectoryID, g.UserID); err != nil {
		return nil, err
	}
	if err := s.checkAccess(ctx, app, r.user); err != nil {
		return nil, err
	}
	r.subject = s.oidcSubject(app, r.user.ID)
	return r, nil
}

// Scopes of the standard claims (OpenID Connect Core §5.4): a claim of these names is given only when its scope
// was granted. Any other claim comes with openid.
var standardClaimScopes = map[string]string{
	"name": oidc.ScopeProfile, "family_name": oidc.ScopeProfile, "given_name": oidc.ScopeProfile,
	"middle_name": oidc.ScopeProfile, "nickname": oidc.ScopeProfile, "preferred_username": oidc.ScopeProfile,
	"profile": oidc.ScopeProfile, "picture": oidc.ScopeProfile, "website": oidc.ScopeProfile,
	"gender": oidc.ScopeProfile, "birthdate": oidc.ScopeProfile, "zoneinfo": oidc.ScopeProfile,
	"locale": oidc.ScopeProfile, "updated_at": oidc.ScopeProfile,
	"email": oidc.ScopeEmail, "email_verified": oidc.ScopeEmail,
	"phone_number": oidc.ScopePhone, "phone_number_verified": oidc.ScopePhone,
	"address": oidc.ScopeAddress,
}

// fillUserInfo sets the claims of a user at an app for the scopes granted, built by the same machinery as a SAML
// app's attributes (claimValues): a group claim or a claim with several constant values is an array, any other a
// string. An e-mail address comes with email_verified true unless a claim says otherwise: the directory, not the
// user, sets it.
func (s *Service) fillUserInfo(ctx context.Context, info *oidc.UserInfo, app *gatehouse.App, u *gatehouse.User, subject string, scopes []string) error {
	info.Subject = subject
	attrs, err := s.claimValues(ctx, app, u, app.OIDC.Claims)
	if err != nil {
		return err
	}
	multi := map[string]bool{}
	for _, c := range app.OIDC.Claims {
		multi[c.Name] = c.Groups != "" || len(c.Values) > 0
	}
	for _, a := range attrs {
		if scope, ok := standardClaimScopes[a.Name]; ok && !slices.Contains(scopes, scope) {
			continue
		}
		if multi[a.Name] {
			info.AppendClaims(a.Name, a.Values)
		} else {
			info.AppendClaims(a.Name, a.Values[0])
		}
	}
	if _, ok := info.Claims["email"]; ok {
		if _, set := info.Claims["email_verified"]; !set {
			info.AppendClaims("email_verified", true)
		}
	}
	return nil
}
