package idp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// OpenID Connect is served by github.com/zitadel/oidc/v3's op package: it parses and answers the token, userinfo,
// introspection, revocation, keys and discovery endpoints, and makes, signs and checks every token, through the
// storage (oidcStorage) and the server (oidcServer) of this package. The authorization and end-session endpoints,
// which talk to the browser, are service calls like the SAML endpoints (OIDCAuthorize, OIDCEndSession): they look
// up the browser's session and apply the sign-on policy with the same steps, refuse with the same Failure, and
// write the same sign-in log.

// Paths of a directory's OpenID Connect endpoints, below its issuer (the public URL and /d/{dir}).
const (
	OIDCDiscoveryPath  = "/.well-known/openid-configuration"
	OIDCAuthorizePath  = "/oidc/authorize"
	OIDCTokenPath      = "/oidc/token"
	OIDCUserinfoPath   = "/oidc/userinfo"
	OIDCIntrospectPath = "/oidc/introspect"
	OIDCRevokePath     = "/oidc/revoke"
	OIDCLogoutPath     = "/oidc/logout"
	OIDCKeysPath       = "/oidc/keys"
)

// Lifetimes of OpenID Connect objects.
const (
	// oidcCodeTTL is how long an authorization code may be redeemed.
	oidcCodeTTL = 5 * time.Minute
	// OIDCKeyRolloverGrace is how long a replaced signing key stays in the JWKS: longer than any token it signed
	// lives (MaxTokenLifetime), so that relying parties that cache the JWKS still verify them.
	OIDCKeyRolloverGrace = 7 * 24 * time.Hour
	// oidcOfflineLifetime bounds a grant whose refresh tokens renew themselves: a year after the sign-in.
	oidcOfflineLifetime = gatehouse.MaxRefreshTokenLifetime * time.Second
)

// oidcScopes are the scopes discovery lists: the standard ones, and groups, which apps such as Grafana ask for
// (a group claim is given whether or not it is asked for).
var oidcScopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopePhone, oidc.ScopeAddress,
	oidc.ScopeOfflineAccess, "groups"}

// oidcProvider is the OpenID Connect provider of every directory: one op.Provider whose issuer is the directory's
// (from the request path), and the HTTP handler of its endpoints.
type oidcProvider struct {
	provider *op.Provider
	handler  http.Handler
	// client sends back-channel logout tokens.
	client *http.Client

	// signers keeps opened signing keys by key ID.
	signers keyCache[crypto.Signer]
}

// newOIDCProvider builds the OpenID Connect provider of s. Opaque access tokens are sealed (AES-256-GCM) with a key
// derived from the NameID key, which every node shares.
func newOIDCProvider(s *Service) (*oidcProvider, error) {
	key, err := hkdf.Key(sha256.New, s.nameIDKey, nil, "gatehouse oidc access tokens", 32)
	if err != nil {
		return nil, fmt.Errorf("idp: derive the access token key: %w", err)
	}
	cfg := &op.Config{
		CodeMethodS256: true, AuthMethodPost: true, GrantTypeRefreshToken: true,
		SupportedScopes: oidcScopes, BackChannelLogoutSupported: true, BackChannelLogoutSessionSupported: true,
	}
	copy(cfg.CryptoKey[:], key)
	issuer := func(bool) (op.IssuerFromRequest, error) {
		return func(r *http.Request) string { return s.OIDCIssuer(op.TenantFromContext(r.Context())) }, nil
	}
	algs := []string{gatehouse.RS256, gatehouse.ES256}
	p, err := op.NewProvider(cfg, &oidcStorage{s: s}, issuer,
		op.WithAccessTokenVerifierOpts(op.WithSupportedAccessTokenSigningAlgorithms(algs...)),
		op.WithIDTokenHintVerifierOpts(op.WithSupportedIDTokenHintSigningAlgorithms(algs...)))
	if err != nil {
		return nil, fmt.Errorf("idp: OpenID Connect provider: %w", err)
	}
	endpoints := op.Endpoints{
		Authorization: op.NewEndpoint(OIDCAuthorizePath), Token: op.NewEndpoint(OIDCTokenPath),
		Introspection: op.NewEndpoint(OIDCIntrospectPath), Userinfo: op.NewEndpoint(OIDCUserinfoPath),
		Revocation: op.NewEndpoint(OIDCRevokePath), EndSession: op.NewEndpoint(OIDCLogoutPath),
		JwksURI: op.NewEndpoint(OIDCKeysPath),
	}
	srv := &oidcServer{LegacyServer: op.NewLegacyServer(p, endpoints), s: s}
	// Browsers of single-page apps call these endpoints from the app's origin; none of them reads a cookie.
	corsOpts := &cors.Options{AllowedOrigins: []string{"*"}, AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept"}}
	h := op.RegisterServer(srv, endpoints, op.WithTenantPrefix("/d"),
		op.WithHTTPMiddleware(op.NewIssuerInterceptor(p.IssuerFromRequest).Handler), op.WithServerCORSOptions(corsOpts))
	return &oidcProvider{provider: p, handler: h,
		client: &http.Client{Timeout: backchannelTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}, nil
}

// OIDCHandler serves the OpenID Connect endpoints that relying parties call from their servers (token, userinfo,
// introspection, revocation, keys and discovery) for every directory, at the paths below /d/{dir} (the OIDC*Path
// constants). They answer in JSON with OAuth error codes; every refused token request is in the sign-in log.
func (s *Service) OIDCHandler() http.Handler { return s.oidc.handler }

// OIDCIssuer returns the issuer of a directory: its base URL, which is also its SAML entity ID.
func (s *Service) OIDCIssuer(dirID string) string {
	return s.publicURL + "/d/" + url.PathEscape(dirID)
}

// oidcContext returns ctx for the op package's work in a directory: its issuer and the directory, as the handler
// of OIDCHandler sets them from the request path.
func (s *Service) oidcContext(ctx context.Context, dirID string) context.Context {
	return op.ContextWithTenant(op.ContextWithIssuer(ctx, s.OIDCIssuer(dirID)), dirID)
}

// oidcDirectory returns the directory of an OpenID Connect request.
func oidcDirectory(ctx context.Context) string { return op.TenantFromContext(ctx) }

type oidcAppKey struct{}

// withOIDCApp returns a context that names the app that tokens are made for, whose algorithm signs them.
func withOIDCApp(ctx context.Context, app *gatehouse.App) context.Context {
	return context.WithValue(ctx, oidcAppKey{}, app)
}

// oidcAppFrom returns the app of withOIDCApp, or nil.
func oidcAppFrom(ctx context.Context) *gatehouse.App {
	a, _ := ctx.Value(oidcAppKey{}).(*gatehouse.App)
	return a
}

// sessionAuthn says how the user of a session signed in, for every protocol: the authentication method references
// of OpenID Connect (RFC 8176), the authentication context classes the sign-in satisfies, and the class stated when
// the app asked for none. It is the one place that maps a session's methods, so that a new one (a passkey) is
// added here.
func sessionAuthn(sess *gatehouse.Session) (amr, classes []string, class string) {
	if sess.MFA {
		return []string{"pwd", "otp", "mfa"}, saml.MFAAuthnContexts, saml.AuthnContextREFEDSMFA
	}
	return []string{"pwd"}, saml.PasswordAuthnContexts, saml.AuthnContextPassword
}

// oidcSubject returns the sub claim of a user at an app: the pairwise identifier that is also the user's persistent
// NameID there, stable and different at every app.
func (s *Service) oidcSubject(app *gatehouse.App, userID string) string {
	return s.pairwiseID(app.DirectoryID, app.ID, userID)
}

// oidcSID returns the sid claim of a session: what identifies it to apps in ID tokens and logout tokens, derived
// from the session's store ID so that it reveals nothing of it.
func (s *Service) oidcSID(sess *gatehouse.Session) string {
	m := hmac.New(sha256.New, s.nameIDKey)
	fmt.Fprintf(m, "sid\x00%s", sess.ID)
	return idEncoding.EncodeToString(m.Sum(nil)[:20])
}

// oidcClient is an OpenID Connect app as the op package sees it.
type oidcClient struct{ app *gatehouse.App }

var _ op.Client = (*oidcClient)(nil)

func (c *oidcClient) GetID() string                    { return c.app.OIDC.ClientID }
func (c *oidcClient) RedirectURIs() []string           { return c.app.OIDC.RedirectURIs }
func (c *oidcClient) PostLogoutRedirectURIs() []string { return c.app.OIDC.PostLogoutRedirectURIs }
func (c *oidcClient) LoginURL(string) string           { return "" }
func (c *oidcClient) DevMode() bool                    { return false }
func (c *oidcClient) IsScopeAllowed(string) bool       { return true }
func (c *oidcClient) ClockSkew() time.Duration         { return 0 }

// IDTokenUserinfoClaimsAssertion reports that ID tokens carry the claims of the scopes granted even with an access
// token, as apps such as oauth2-proxy and Grafana expect.
func (c *oidcClient) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c *oidcClient) ApplicationType() op.ApplicationType {
	if c.app.OIDC.PublicClient {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

// AuthMethod is "none" for a public client; a confidential client may send its secret by HTTP Basic
// (client_secret_basic) or in the form (client_secret_post).
func (c *oidcClient) AuthMethod() oidc.AuthMethod {
	if c.app.OIDC.PublicClient {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *oidcClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *oidcClient) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, len(c.app.OIDC.GrantTypes))
	for i, g := range c.app.OIDC.GrantTypes {
		out[i] = oidc.GrantType(g)
	}
	return out
}

func (c *oidcClient) AccessTokenType() op.AccessTokenType {
	if c.app.OIDC.AccessTokenFormat == gatehouse.AccessTokenJWT {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}

func (c *oidcClient) IDTokenLifetime() time.Duration {
	return time.Duration(c.app.OIDC.IDTokenLifetime) * time.Second
}

func (c *oidcClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *oidcClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// Signing key states, as OIDCKeyInfo shows them.
const (
	KeyActive   = "active"
	KeyNext     = "next"
	KeyPrevious = "previous"
	KeyRetired  = "retired"
)

// oidcKeyState returns a signing key's state and whether the JWKS publishes it at now: the active key; a next key
// (inactive, never active); a previous key for OIDCKeyRolloverGrace after it was replaced.
func oidcKeyState(k *gatehouse.OIDCKey, now time.Time) (string, bool) {
	switch {
	case k.Active:
		return KeyActive, true
	case k.DeactivatedAt.IsZero():
		return KeyNext, true
	case now.Sub(k.DeactivatedAt) < OIDCKeyRolloverGrace:
		return KeyPrevious, true
	}
	return KeyRetired, false
}

// newOIDCKey generates a signing key for alg (RSA 2048 for RS256, P-256 for ES256) whose private key is sealed with
// the instance key.
func (s *Service) newOIDCKey(dirID, alg string, active bool) (*gatehouse.OIDCKey, error) {
	var key crypto.Signer
	var err error
	switch alg {
	case gatehouse.RS256:
		key, err = rsa.GenerateKey(s.rand, 2048)
	case gatehouse.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), s.rand)
	default:
		return nil, gatehouse.FieldErrorf("algorithm", "Algorithm %q is unknown; choose RS256 or ES256.", alg)
	}
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	id := s.newID()
	sealed, err := s.sealer.SealSigner(key, id)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	return &gatehouse.OIDCKey{ID: id, DirectoryID: dirID, Algorithm: alg, PublicKey: pub, EncryptedKey: sealed,
		Active: active, CreatedAt: s.now()}, nil
}

// oidcKeys returns a directory's signing keys, newest first, after creating an active key for each algorithm that
// has none: a directory gets its keys when it first needs them.
func (s *Service) oidcKeys(ctx context.Context, dirID string) ([]*gatehouse.OIDCKey, error) {
	keys, err := s.store.FindOIDCKeys(ctx, dirID)
	if err != nil {
		return nil, err
	}
	created := false
	for _, alg := range gatehouse.OIDCAlgorithms {
		if slices.ContainsFunc(keys, func(k *gatehouse.OIDCKey) bool { return k.Active && k.Algorithm == alg }) {
			continue
		}
		k, err := s.newOIDCKey(dirID, alg, true)
		if err != nil {
			return nil, err
		}
		// Another node may create the directory's first key at the same time; both keys are published, and the
		// later one signs.
		if err := s.store.CreateOIDCKey(ctx, k); err != nil && gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
			return nil, err
		}
		created = true
	}
	if !created {
		return keys, nil
	}
	return s.store.FindOIDCKeys(ctx, dirID)
}

// oidcSigningKey is a signing key as the op package signs with it.
type oidcSigningKey struct {
	key    *gatehouse.OIDCKey
	signer crypto.Signer
}

func (k *oidcSigningKey) SignatureAlgorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.key.Algorithm)
}
func (k *oidcSigningKey) Key() any   { return k.signer }
func (k *oidcSigningKey) ID() string { return k.key.ID }

// oidcPublicKey is a published key as the op package lists it in the JWKS.
type oidcPublicKey struct {
	key *gatehouse.OIDCKey
	pub any
}

func (k *oidcPublicKey) ID() string { return k.key.ID }
func (k *oidcPublicKey) Algorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.key.Algorithm)
}
func (k *oidcPublicKey) Use() string { return "sig" }
func (k *oidcPublicKey) Key() any    { return k.pub }

// oidcSigner returns the active signing key of a directory for alg, opening its private key once per key.
func (s *Service) oidcSigner(ctx context.Context, dirID, alg string) (*oidcSigningKey, error) {
	keys, err := s.oidcKeys(ctx, dirID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(keys, func(k *gatehouse.OIDCKey) bool { return k.Active && k.Algorithm == alg })
	if i < 0 {
		return nil, gatehouse.Internal(fmt.Errorf("idp: directory %s has no active %s key", dirID, alg))
	}
	k := keys[i]
	signer, err := s.oidc.signers.get(k.ID, func() (crypto.Signer, error) {
		signer, err := s.sealer.OpenSigner(k.EncryptedKey, k.ID)
		if err != nil {
			return nil, gatehouse.Internal(err)
		}
		return signer, nil
	})
	if err != nil {
		return nil, err
	}
	return &oidcSigningKey{key: k, signer: signer}, nil
}

// publishedKeys returns the keys a directory's JWKS lists at now: the active ones, the next ones and those replaced
// less than OIDCKeyRolloverGrace ago.
func (s *Service) publishedKeys(ctx context.Context, dirID string) ([]op.Key, error) {
	keys, err := s.oidcKeys(ctx, dirID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []op.Key
	for _, k := range keys {
		if _, pub := oidcKeyState(k, now); !pub {
			continue
		}
		p, err := x509.ParsePKIXPublicKey(k.PublicKey)
		if err != nil {
			return nil, gatehouse.Internal(fmt.Errorf("idp: public key %s: %w", k.ID, err))
		}
		out = append(out, &oidcPublicKey{key: k, pub: p})
	}
	return out, nil
}
