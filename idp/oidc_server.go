package idp

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// oidcServer serves the endpoints of OIDCHandler: the op package's LegacyServer over oidcStorage, with the token
// endpoint's grants done here so that every refusal is in the sign-in log and revokes what it must.
type oidcServer struct {
	*op.LegacyServer
	s *Service
}

// notFoundDirectory answers a request for a directory that does not exist.
func notFoundDirectory(dirID string) error {
	return op.NewStatusError(oidc.ErrInvalidRequest().WithDescription("There is no directory %q.", truncate(dirID, 64)), http.StatusNotFound)
}

// checkDirectory returns notFoundDirectory unless the request's directory exists.
func (o *oidcServer) checkDirectory(ctx context.Context) error {
	dirID := oidcDirectory(ctx)
	if _, err := o.s.store.FindDirectory(ctx, dirID); gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return notFoundDirectory(dirID)
	} else if err != nil {
		return op.NewStatusError(oidc.ErrServerError().WithParent(err), http.StatusInternalServerError)
	}
	return nil
}

// Discovery describes what the directory's provider does: the authorization code flow only, PKCE with S256 only,
// client secrets by Basic or in the form, pairwise subjects, and the authentication context classes of acr_values.
func (o *oidcServer) Discovery(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	if err := o.checkDirectory(ctx); err != nil {
		return nil, err
	}
	resp, err := o.LegacyServer.Discovery(ctx, r)
	if err != nil {
		return nil, err
	}
	c, ok := resp.Data.(*oidc.DiscoveryConfiguration)
	if !ok {
		return nil, op.NewStatusError(oidc.ErrServerError(), http.StatusInternalServerError)
	}
	c.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	c.ResponseModesSupported = []string{string(oidc.ResponseModeQuery), string(oidc.ResponseModeFragment)}
	c.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials}
	c.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	c.SubjectTypesSupported = []string{"pairwise"}
	c.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone}
	c.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost}
	c.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone}
	c.TokenEndpointAuthSigningAlgValuesSupported = nil
	c.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	c.RevocationEndpointAuthSigningAlgValuesSupported = nil
	c.RequestObjectSigningAlgValuesSupported = nil
	c.RequestParameterSupported = false
	c.ACRValuesSupported = acrValuesSupported()
	c.ClaimsSupported = []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid",
		"at_hash", "c_hash", "name", "given_name", "family_name", "preferred_username", "email", "email_verified", "groups"}
	return resp, nil
}

// acrValuesSupported lists the authentication context classes acr_values may ask for.
func acrValuesSupported() []string {
	out := make([]string, 0, len(saml.AuthnContextClasses))
	for _, c := range saml.AuthnContextClasses {
		out = append(out, c.Class)
	}
	return out
}

// Keys serves the directory's JWKS: its active, next and recently replaced public keys.
func (o *oidcServer) Keys(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	if err := o.checkDirectory(ctx); err != nil {
		return nil, err
	}
	return o.LegacyServer.Keys(ctx, r)
}

// VerifyAuthRequest refuses: the authorization endpoint is served by OIDCAuthorize.
func (o *oidcServer) VerifyAuthRequest(context.Context, *op.Request[oidc.AuthRequest]) (*op.ClientRequest[oidc.AuthRequest], error) {
	return nil, op.NewStatusError(errNotServedHere, http.StatusNotFound)
}

// EndSession refuses: RP-initiated logout is served by OIDCEndSession.
func (o *oidcServer) EndSession(context.Context, *op.Request[oidc.EndSessionRequest]) (*op.Redirect, error) {
	return nil, op.NewStatusError(errNotServedHere, http.StatusNotFound)
}

// VerifyClient authenticates the client of a token, revocation or device request: a public client by its client ID,
// a confidential one by a secret of its own (client_secret_basic or client_secret_post). A failure is in the
// sign-in log.
func (o *oidcServer) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	if err := o.checkDirectory(ctx); err != nil {
		return nil, err
	}
	c, err := o.LegacyServer.VerifyClient(ctx, r)
	if err != nil {
		o.s.clientRefused(ctx, r.Data.ClientID, err)
		return nil, err
	}
	return c, nil
}

// clientRefused writes a refused client authentication to the sign-in log, with the app when the client ID names
// one.
func (s *Service) clientRefused(ctx context.Context, clientID string, cause error) {
	dirID := oidcDirectory(ctx)
	at := &attempt{dirID: dirID, directoryKnown: true, protocol: gatehouse.ProtocolOIDC}
	at.app, _ = s.oidcApp(ctx, dirID, clientID)
	s.refuse(ctx, at, &oidcError{Code: CodeClientAuthFailed, Field: "client_id", Received: clientID,
		Message: "The client could not be authenticated: its client ID is unknown, or its client secret is wrong or has expired.",
		cause:   cause})
}

// CodeExchange answers the authorization code grant: the code is redeemed once (redeemCode), then the op package
// makes the ID token, the access token and, with offline_access, a refresh token.
func (o *oidcServer) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	app := r.Client.(*oidcClient).app
	ctx = withOIDCApp(ctx, app)
	req, err := o.s.redeemCode(ctx, app, r.Data)
	if err != nil {
		return nil, err
	}
	resp, err := op.CreateTokenResponse(ctx, req, r.Client, o.Provider(), true, r.Data.Code, "")
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

// RefreshToken answers the refresh token grant: the refresh token is replaced by a new one (rotation), and a
// refresh token used again after it was replaced revokes its whole grant (refreshRequest).
func (o *oidcServer) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	app := r.Client.(*oidcClient).app
	ctx = withOIDCApp(ctx, app)
	req, err := o.s.refreshRequest(ctx, app, r.Data.RefreshToken)
	if err != nil {
		return nil, err
	}
	if err := op.ValidateRefreshTokenScopes(r.Data.Scopes, req); err != nil {
		return nil, err
	}
	resp, err := op.CreateTokenResponse(ctx, req, r.Client, o.Provider(), true, "", r.Data.RefreshToken)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

// ClientCredentialsExchange answers the client credentials grant for an app allowed it: an access token of the app
// itself, no refresh token.
func (o *oidcServer) ClientCredentialsExchange(ctx context.Context, r *op.ClientRequest[oidc.ClientCredentialsRequest]) (*op.Response, error) {
	return o.LegacyServer.ClientCredentialsExchange(withOIDCApp(ctx, r.Client.(*oidcClient).app), r)
}

// Introspect describes an access or refresh token of the authenticated client (RFC 7662); a token of another
// client is inactive.
func (o *oidcServer) Introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	if err := o.checkDirectory(ctx); err != nil {
		return nil, err
	}
	s, dirID, cc := o.s, oidcDirectory(ctx), r.Data.ClientCredentials
	if cc.ClientAssertion != "" {
		return nil, oidc.ErrInvalidClient().WithDescription("Client assertions are not supported; authenticate with the client secret.")
	}
	if _, err := s.authenticateClient(ctx, dirID, cc.ClientID, cc.ClientSecret); err != nil {
		s.clientRefused(ctx, cc.ClientID, err)
		return nil, op.NewStatusError(oidc.ErrInvalidClient().WithParent(err), http.StatusUnauthorized)
	}
	resp := new(oidc.IntrospectionResponse)
	var tr *grantRequest
	var access *gatehouse.OIDCToken
	var err error
	if t, ferr := s.store.FindOIDCTokenBySecretHash(ctx, dirID, hashSecret(r.Data.Token)); ferr == nil {
		tr, err = s.tokenGrant(ctx, dirID, t, gatehouse.TokenRefresh)
	} else if id, ok := o.accessTokenID(ctx, r.Data.Token); !ok {
		err = errors.New("idp: not a token of this directory")
	} else if access, err = s.store.FindOIDCToken(ctx, dirID, id); err == nil {
		tr, err = s.tokenGrant(ctx, dirID, access, gatehouse.TokenAccess)
	}
	if err == nil && s.introspection(ctx, resp, tr, cc.ClientID) == nil {
		resp.Active = true
		if access != nil {
			resp.Expiration, resp.IssuedAt = oidc.FromTime(access.ExpiresAt), oidc.FromTime(access.CreatedAt)
			resp.JWTID = access.ID
		}
	}
	if !resp.Active {
		resp = new(oidc.IntrospectionResponse)
	}
	return op.NewResponse(resp), nil
}

// accessTokenID returns the token ID an access token carries: sealed in an opaque token, or the jti of a JWT this
// directory signed.
func (o *oidcServer) accessTokenID(ctx context.Context, token string) (string, bool) {
	p := o.Provider()
	if plain, err := p.Crypto().Decrypt(token); err == nil {
		id, _, ok := strings.Cut(plain, ":")
		return id, ok
	}
	claims, err := op.VerifyAccessToken[*oidc.AccessTokenClaims](ctx, token, p.AccessTokenVerifier(ctx))
	if err != nil {
		return "", false
	}
	return claims.JWTID, claims.JWTID != ""
}

// JWTProfile, TokenExchange, DeviceAuthorization and DeviceToken are grants Gatehouse does not offer.
func (o *oidcServer) JWTProfile(context.Context, *op.Request[oidc.JWTProfileGrantRequest]) (*op.Response, error) {
	return nil, unsupportedGrant(oidc.GrantTypeBearer)
}

func (o *oidcServer) TokenExchange(context.Context, *op.ClientRequest[oidc.TokenExchangeRequest]) (*op.Response, error) {
	return nil, unsupportedGrant(oidc.GrantTypeTokenExchange)
}

func (o *oidcServer) DeviceAuthorization(context.Context, *op.ClientRequest[oidc.DeviceAuthorizationRequest]) (*op.Response, error) {
	return nil, unsupportedGrant(oidc.GrantTypeDeviceCode)
}

func (o *oidcServer) DeviceToken(context.Context, *op.ClientRequest[oidc.DeviceAccessTokenRequest]) (*op.Response, error) {
	return nil, unsupportedGrant(oidc.GrantTypeDeviceCode)
}

func unsupportedGrant(g oidc.GrantType) error {
	return oidc.ErrUnsupportedGrantType().WithDescription("The %s grant is not supported.", g)
}

// redeemCode spends an authorization code for app's token request and returns its grant. The code works once: a
// second use revokes every token the first gave, and a code another client presents is spent and its grant revoked
// too, since it has leaked. The request's PKCE verifier must match the challenge (SECURITY-CASES 56), its
// redirect_uri must be the authorization request's, and the sign-on policy is checked again. Every refusal is in
// the sign-in log.
func (s *Service) redeemCode(ctx context.Context, app *gatehouse.App, tr *oidc.AccessTokenRequest) (*grantRequest, error) {
	dirID := app.DirectoryID
	g, err := s.store.RedeemOIDCCode(ctx, dirID, hashSecret(tr.Code), s.now())
	switch gatehouse.ErrorCode(err) {
	case "":
	case gatehouse.ENOTFOUND:
		return nil, s.tokenRefused(ctx, app, "", &oidcError{Code: CodeInvalidCode, Field: "code",
			Message: "The authorization code is unknown or has expired (codes work for " + oidcCodeTTL.String() + ")."})
	case gatehouse.ECONFLICT:
		if err := s.store.RevokeOIDCGrant(ctx, dirID, g.ID, s.now()); err != nil {
			return nil, oidc.ErrServerError().WithParent(err)
		}
		return nil, s.tokenRefused(ctx, app, g.UserID, &oidcError{Code: CodeCodeReused, Field: "code",
			Message: "The authorization code was used before; every token it gave has been revoked."})
	default:
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if g.AppID != app.ID {
		if err := s.store.RevokeOIDCGrant(ctx, dirID, g.ID, s.now()); err != nil {
			return nil, oidc.ErrServerError().WithParent(err)
		}
		return nil, s.tokenRefused(ctx, app, g.UserID, &oidcError{Code: CodeWrongClient, Field: "client_id",
			Received: app.OIDC.ClientID, Expected: g.Request.ClientID,
			Message: "The authorization code was issued to another client; it has been revoked."})
	}
	r, err := s.grantRequest(ctx, g)
	if err != nil {
		return nil, s.tokenRefused(ctx, app, g.UserID, err)
	}
	if err := op.AuthorizeCodeChallenge(tr.CodeVerifier, r.GetCodeChallenge()); err != nil {
		return nil, s.tokenRefused(ctx, app, g.UserID, &oidcError{Code: CodePKCEFailed, Field: "code_verifier",
			Message: "The PKCE code verifier is missing, unexpected or does not match the authorization request's code challenge.",
			cause:   err})
	}
	if tr.RedirectURI != g.Request.RedirectURI {
		return nil, s.tokenRefused(ctx, app, g.UserID, &oidcError{Code: CodeRedirectURIChanged, Field: "redirect_uri",
			Received: tr.RedirectURI, Expected: g.Request.RedirectURI,
			Message: "The token request's redirect_uri differs from the authorization request's."})
	}
	return r, nil
}

// refreshRequest returns the grant of a refresh token presented by app (nil: any app) after the checks of a refresh:
// the token is live and the app's own, it was not replaced before — a replaced token used again revokes its whole
// grant (SECURITY-CASES 58) — and the sign-on policy still lets the user in. Every refusal is in the sign-in log.
func (s *Service) refreshRequest(ctx context.Context, app *gatehouse.App, token string) (*grantRequest, error) {
	dirID := oidcDirectory(ctx)
	invalid := &oidcError{Code: CodeInvalidRefreshToken, Field: "refresh_token",
		Message: "The refresh token is unknown, has expired or was revoked."}
	t, err := s.store.FindOIDCTokenBySecretHash(ctx, dirID, hashSecret(token))
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || err == nil && t.Kind != gatehouse.TokenRefresh {
		return nil, s.tokenRefused(ctx, app, "", invalid)
	} else if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	g, err := s.store.FindOIDCGrant(ctx, dirID, t.GrantID)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if app != nil && g.AppID != app.ID {
		if err := s.store.RevokeOIDCGrant(ctx, dirID, g.ID, s.now()); err != nil {
			return nil, oidc.ErrServerError().WithParent(err)
		}
		return nil, s.tokenRefused(ctx, app, g.UserID, &oidcError{Code: CodeWrongClient, Field: "client_id",
			Received: app.OIDC.ClientID, Expected: g.Request.ClientID,
			Message: "The refresh token was issued to another client; it has been revoked."})
	}
	if !t.UsedAt.IsZero() && g.RevokedAt.IsZero() {
		return nil, s.refreshReused(ctx, app, g)
	}
	r, err := s.tokenGrant(ctx, dirID, t, gatehouse.TokenRefresh)
	switch gatehouse.ErrorCode(err) {
	case "":
		return r, nil
	case gatehouse.EUNAUTHORIZED, gatehouse.ENOTFOUND:
		return nil, s.tokenRefused(ctx, app, g.UserID, invalid)
	}
	return nil, s.tokenRefused(ctx, app, g.UserID, err)
}

// refreshReused revokes the grant of a refresh token that was used again after it had been replaced, and answers
// the refusal: whoever holds the replaced token, the app or a thief, must sign in again.
func (s *Service) refreshReused(ctx context.Context, app *gatehouse.App, g *gatehouse.OIDCGrant) error {
	if err := s.store.RevokeOIDCGrant(ctx, g.DirectoryID, g.ID, s.now()); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return s.tokenRefused(ctx, app, g.UserID, &oidcError{Code: CodeRefreshReused, Field: "refresh_token",
		Message: "The refresh token was used before and had been replaced; every token of its sign-in has been revoked."})
}

// tokenRefused writes a refused token request to the sign-in log, with the app and the user when they are known,
// and returns the OAuth error for the client: invalid_grant, with the refusal's message and code.
func (s *Service) tokenRefused(ctx context.Context, app *gatehouse.App, userID string, err error) error {
	at := &attempt{dirID: oidcDirectory(ctx), directoryKnown: true, app: app, protocol: gatehouse.ProtocolOIDC,
		browser: &browser{}}
	if app != nil {
		at.dirID = app.DirectoryID
	}
	if userID != "" {
		at.browser.user, _ = s.store.FindUser(ctx, at.dirID, userID)
	}
	f := s.refuse(ctx, at, err)
	if f.Code == gatehouse.EINTERNAL {
		return oidc.ErrServerError().WithParent(err)
	}
	return oidc.ErrInvalidGrant().WithDescription("%s", oauthDescription(f)).WithParent(err)
}

// oauthDescription returns the error_description of a refusal: its message, code and correlation ID, in the
// characters RFC 6749 allows there (printable ASCII without '"' and '\').
func oauthDescription(f *Failure) string {
	d := f.Message + " (" + f.Code + ")"
	if f.Event != nil && f.Event.CorrelationID != "" {
		d += " Correlation ID: " + f.Event.CorrelationID + "."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, d)
}

// oidcError is a refusal of an OpenID Connect request: what the Failure and the sign-in log say about it, and
// the OAuth error code the client is told when the request may be answered at its redirect URI.
type oidcError struct {
	// OAuth is the OAuth error code (invalid_request, access_denied, ...), or "" for a refusal that is never sent
	// to the client.
	OAuth                     string
	Code, Message             string
	Field, Received, Expected string
	cause                     error
}

func (e *oidcError) Error() string {
	s := "idp: " + e.Code + ": " + e.Message
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

func (e *oidcError) Unwrap() error { return e.cause }

// errAppDisabled is the refusal of a disabled app.
func errAppDisabled(app *gatehouse.App) error {
	return &saml.Error{Code: CodeAppDisabled, Status: saml.StatusResponder, SubStatus: saml.StatusRequestDenied, Field: "Enabled for users to sign in",
		Message: "The app " + app.Name + " is disabled for sign-in. An administrator can enable it in the app's properties."}
}
