package gatehouse

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// ProtocolOIDC marks an OpenID Connect app, an OpenID Connect sign-on in the sign-in log and a pending OpenID
// Connect sign-in. An app whose Protocol is anything else (ProtocolSAML, or empty for apps from before OpenID
// Connect) is a SAML app.
const ProtocolOIDC = "oidc"

// Grant types an OpenID Connect app may be allowed.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// GrantTypes lists the grant types an app may be allowed.
var GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials}

// Signing algorithms of OpenID Connect tokens (JWS names).
const (
	RS256 = "RS256"
	ES256 = "ES256"
)

// OIDCAlgorithms lists the algorithms a directory has a signing key for and an app may choose.
var OIDCAlgorithms = []string{RS256, ES256}

// Access token formats: an opaque token that only Gatehouse can read (userinfo, introspection), or a signed JWT
// that a resource server can check by itself.
const (
	AccessTokenOpaque = "opaque"
	AccessTokenJWT    = "jwt"
)

// Limits and defaults of OpenID Connect settings; lifetimes are in seconds.
const (
	MaxRedirectURIs             = 32
	MaxClientIDLength           = 128
	DefaultAccessTokenLifetime  = 3600
	DefaultIDTokenLifetime      = 3600
	DefaultRefreshTokenLifetime = 30 * 24 * 3600
	MinTokenLifetime            = 60
	MaxTokenLifetime            = 24 * 3600
	MaxRefreshTokenLifetime     = 365 * 24 * 3600
)

// OIDCSettings is an OpenID Connect app's client registration: who it is, where answers may go, what it may ask
// for, how long its tokens live and the claims it receives.
type OIDCSettings struct {
	// ClientID is the app's client_id, unique in its directory.
	ClientID string `json:"clientId"`
	// PublicClient reports whether the app has no client secret (a single-page or native app); such an app must
	// use PKCE.
	PublicClient bool `json:"publicClient"`
	// RedirectURIs are where authorization answers may be sent; a request's redirect_uri must equal one of them
	// byte for byte.
	RedirectURIs []string `json:"redirectUris"`
	// PostLogoutRedirectURIs are where the browser may be sent after RP-initiated logout, matched the same way.
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
	// GrantTypes are the grant types the app may use (GrantTypes).
	GrantTypes []string `json:"grantTypes"`
	// InitiateLoginURI, when set, is where My Apps sends users to start a sign-in (the app's login initiation
	// endpoint, OpenID Connect Core §4).
	InitiateLoginURI string `json:"initiateLoginUri"`
	// BackchannelLogoutURI, when set, receives a logout token when a session the app signed in to ends.
	BackchannelLogoutURI string `json:"backchannelLogoutUri"`
	// RequirePKCE reports whether authorization requests must carry a PKCE challenge (S256); always true for a
	// public client.
	RequirePKCE bool `json:"requirePkce"`
	// SigningAlgorithm signs the app's ID tokens and JWT access tokens: RS256 or ES256.
	SigningAlgorithm string `json:"signingAlgorithm"`
	// AccessTokenFormat is AccessTokenOpaque or AccessTokenJWT.
	AccessTokenFormat string `json:"accessTokenFormat"`
	// AccessTokenLifetime and IDTokenLifetime are in seconds (MinTokenLifetime to MaxTokenLifetime);
	// RefreshTokenLifetime is how long a refresh token stays usable, in seconds, renewed by each refresh.
	AccessTokenLifetime  int `json:"accessTokenLifetime"`
	IDTokenLifetime      int `json:"idTokenLifetime"`
	RefreshTokenLifetime int `json:"refreshTokenLifetime"`
	// Claims are the claims of ID tokens and userinfo, built as a SAML app's attributes are; the standard claims of
	// the profile, email, phone and address scopes are given only when their scope was granted.
	Claims []Claim `json:"claims"`
}

// DefaultOIDCClaims returns the default claims of an OpenID Connect app: name, given and family name, preferred
// user name and e-mail address.
func DefaultOIDCClaims() []Claim {
	return []Claim{
		{Name: "name", Source: AttrDisplayName, FallbackSource: AttrUserName},
		{Name: "given_name", Source: AttrGivenName},
		{Name: "family_name", Source: AttrSurname},
		{Name: "preferred_username", Source: AttrUserName},
		{Name: "email", Source: AttrMail},
	}
}

// DefaultOIDCSettings returns the settings of a new OpenID Connect app: a confidential client allowed the
// authorization code and refresh token grants, RS256, opaque access tokens, the default lifetimes and claims.
func DefaultOIDCSettings() OIDCSettings {
	return OIDCSettings{
		GrantTypes:           []string{GrantAuthorizationCode, GrantRefreshToken},
		SigningAlgorithm:     RS256,
		AccessTokenFormat:    AccessTokenOpaque,
		AccessTokenLifetime:  DefaultAccessTokenLifetime,
		IDTokenLifetime:      DefaultIDTokenLifetime,
		RefreshTokenLifetime: DefaultRefreshTokenLifetime,
		Claims:               DefaultOIDCClaims(),
	}
}

// Allows reports whether the app may use grant type g.
func (s *OIDCSettings) Allows(g string) bool { return oneOf(g, s.GrantTypes) }

// reservedClaims are the claims Gatehouse sets itself; no claim of an app may have their names.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "acr", "amr",
	"azp", "at_hash", "c_hash", "sid", "scope", "client_id", "events", "act", "cnf"}

// Validate returns EINVALID, naming the field, when the settings cannot be stored. No redirect URIs are allowed:
// a newly added app is configured afterwards, and sign-in to it fails with a clear error until then.
func (s *OIDCSettings) Validate() error {
	if s.ClientID == "" || len(s.ClientID) > MaxClientIDLength || strings.IndexFunc(s.ClientID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r))
	}) >= 0 {
		return FieldErrorf("clientId", "A client ID is 1 to %d letters, digits, '-', '.', '_' or '~'.", MaxClientIDLength)
	}
	for _, f := range []struct {
		field, label string
		urls         []string
	}{{"redirectUris", "Redirect URI", s.RedirectURIs}, {"postLogoutRedirectUris", "Post-logout redirect URI", s.PostLogoutRedirectURIs}} {
		if len(f.urls) > MaxRedirectURIs {
			return FieldErrorf(f.field, "At most %d %ss are allowed.", MaxRedirectURIs, f.label)
		}
		seen := map[string]bool{}
		for _, u := range f.urls {
			if err := validClientURL(f.field, f.label, u); err != nil {
				return err
			}
			if seen[u] {
				return FieldErrorf(f.field, "%s %q is listed twice.", f.label, u)
			}
			seen[u] = true
		}
	}
	for _, f := range []struct{ field, label, v string }{
		{"initiateLoginUri", "The initiate login URI", s.InitiateLoginURI},
		{"backchannelLogoutUri", "The back-channel logout URI", s.BackchannelLogoutURI},
	} {
		if f.v != "" {
			if err := validClientURL(f.field, f.label, f.v); err != nil {
				return err
			}
		}
	}
	if len(s.GrantTypes) == 0 {
		return FieldErrorf("grantTypes", "Allow at least one grant type: %s.", strings.Join(GrantTypes, ", "))
	}
	seen := map[string]bool{}
	for _, g := range s.GrantTypes {
		if !oneOf(g, GrantTypes) {
			return FieldErrorf("grantTypes", "Grant type %q is unknown; choose from %s.", g, strings.Join(GrantTypes, ", "))
		}
		if seen[g] {
			return FieldErrorf("grantTypes", "Grant type %q is listed twice.", g)
		}
		seen[g] = true
	}
	switch {
	case seen[GrantRefreshToken] && !seen[GrantAuthorizationCode]:
		return FieldErrorf("grantTypes", "The refresh_token grant needs the authorization_code grant: refresh tokens come from a sign-in.")
	case seen[GrantClientCredentials] && s.PublicClient:
		return FieldErrorf("grantTypes", "A public client cannot use the client_credentials grant: it has no secret to prove who it is.")
	case s.PublicClient && !s.RequirePKCE:
		return FieldErrorf("requirePkce", "A public client must use PKCE.")
	case !oneOf(s.SigningAlgorithm, OIDCAlgorithms):
		return FieldErrorf("signingAlgorithm", "Signing algorithm %q is unknown; choose RS256 or ES256.", s.SigningAlgorithm)
	case s.AccessTokenFormat != AccessTokenOpaque && s.AccessTokenFormat != AccessTokenJWT:
		return FieldErrorf("accessTokenFormat", "Access token format %q is unknown; choose opaque or jwt.", s.AccessTokenFormat)
	case s.AccessTokenLifetime < MinTokenLifetime || s.AccessTokenLifetime > MaxTokenLifetime:
		return FieldErrorf("accessTokenLifetime", "The access token lifetime is %d to %d seconds.", MinTokenLifetime, MaxTokenLifetime)
	case s.IDTokenLifetime < MinTokenLifetime || s.IDTokenLifetime > MaxTokenLifetime:
		return FieldErrorf("idTokenLifetime", "The ID token lifetime is %d to %d seconds.", MinTokenLifetime, MaxTokenLifetime)
	case s.RefreshTokenLifetime < MinTokenLifetime || s.RefreshTokenLifetime > MaxRefreshTokenLifetime:
		return FieldErrorf("refreshTokenLifetime", "The refresh token lifetime is %d to %d seconds.", MinTokenLifetime, MaxRefreshTokenLifetime)
	case len(s.Claims) > MaxClaims:
		return FieldErrorf("claims", "At most %d claims are allowed.", MaxClaims)
	}
	names := map[string]bool{}
	for i := range s.Claims {
		c := &s.Claims[i]
		if err := c.validate(); err != nil {
			return err
		}
		switch {
		case c.NameFormat != "":
			return FieldErrorf("claims", "Claim %q: a NameFormat is a SAML setting; OpenID Connect claims have none.", c.Name)
		case oneOf(c.Name, reservedClaims):
			return FieldErrorf("claims", "Claim %q is set by Gatehouse itself; choose another name.", c.Name)
		case names[c.Name]:
			return FieldErrorf("claims", "Claim %q is listed twice.", c.Name)
		}
		names[c.Name] = true
	}
	return nil
}

// validClientURL checks a URL of a client registration: absolute http or https, without a fragment.
func validClientURL(field, label, s string) error {
	if err := validHTTPURL(field, label, s); err != nil {
		return err
	}
	if u, _ := url.Parse(s); u.Fragment != "" || strings.Contains(s, "#") {
		return FieldErrorf(field, "%s %q must not have a fragment (#...).", label, s)
	}
	return nil
}

// ClientSecret is a secret an OpenID Connect app authenticates with. The store keeps only SecretHash, the SHA-256
// hash of the secret, which is shown once when it is made; Hint is its first characters, so that secrets can be
// told apart.
type ClientSecret struct {
	ID          string `json:"id"`
	DirectoryID string `json:"directoryId"`
	AppID       string `json:"appId"`
	SecretHash  string `json:"-"`
	Hint        string `json:"hint"`
	// CreatedAt is when the secret was made; ExpiresAt, when set, is when it stops working (a rotated secret keeps
	// working until then, so that the app can be switched over).
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// Valid reports whether the secret works at now.
func (c *ClientSecret) Valid(now time.Time) bool {
	return c.ExpiresAt == nil || now.Before(*c.ExpiresAt)
}

// OIDCKey is a directory's key that signs OpenID Connect tokens with one algorithm. The private key is stored
// sealed and never leaves the server; the public key is published in the directory's JWKS.
type OIDCKey struct {
	// ID is the key's kid.
	ID          string `json:"id"`
	DirectoryID string `json:"directoryId"`
	// Algorithm is RS256 or ES256.
	Algorithm string `json:"algorithm"`
	// PublicKey is the PKIX DER public key.
	PublicKey []byte `json:"-"`
	// EncryptedKey is the PKCS#8 private key sealed with the instance's key-encryption key.
	EncryptedKey []byte `json:"-"`
	// Active reports whether the key signs; a directory has at most one active key per algorithm. An inactive key
	// with a zero DeactivatedAt is a next key, published before it signs.
	Active        bool      `json:"active"`
	DeactivatedAt time.Time `json:"deactivatedAt,omitzero"`
	CreatedAt     time.Time `json:"createdAt"`
}

// OIDCRequest is an authorization request as Gatehouse accepted it, and, once answered, how the user signed in.
// A pending sign-in keeps it while the user signs in; a grant keeps it for the tokens issued under it.
type OIDCRequest struct {
	ClientID            string   `json:"clientId"`
	RedirectURI         string   `json:"redirectUri"`
	ResponseMode        string   `json:"responseMode,omitempty"`
	Scopes              []string `json:"scopes"`
	State               string   `json:"state,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	CodeChallenge       string   `json:"codeChallenge,omitempty"`
	CodeChallengeMethod string   `json:"codeChallengeMethod,omitempty"`
	// Prompt is the request's prompt values (none, login, consent, select_account).
	Prompt []string `json:"prompt,omitempty"`
	// MaxAge, when not nil, is the request's max_age in seconds.
	MaxAge *int `json:"maxAge,omitempty"`
	// ACRValues are the authentication context classes asked for, in order of preference.
	ACRValues []string `json:"acrValues,omitempty"`
	// HintSubject is the subject of the request's id_token_hint.
	HintSubject string `json:"hintSubject,omitempty"`

	// AuthTime, ACR and AMR say when and how the user signed in; SID identifies the browser session to the app
	// (the sid claim). They are set when the request is answered.
	AuthTime time.Time `json:"authTime,omitzero"`
	ACR      string    `json:"acr,omitempty"`
	AMR      []string  `json:"amr,omitempty"`
	SID      string    `json:"sid,omitempty"`
}

// HasScope reports whether the request asked for scope s.
func (r *OIDCRequest) HasScope(s string) bool { return oneOf(s, r.Scopes) }

// OIDCGrant is one authorization of an app: by a user signed in to a browser session, which starts with an
// authorization code, or (for the client credentials grant) by the app for itself. Every token issued under it
// belongs to it and is revoked with it: when its code is used twice, or a refresh token of it is used again after
// it was replaced.
type OIDCGrant struct {
	ID          string `json:"id"`
	DirectoryID string `json:"directoryId"`
	AppID       string `json:"appId"`
	// UserID is empty for the client credentials grant.
	UserID string `json:"userId,omitempty"`
	// SessionID is the store ID of the browser session the user signed in with; single logout ends the grants of
	// a session.
	SessionID string `json:"-"`
	// CodeHash is the SHA-256 of the authorization code (empty for client credentials); the code works once, until
	// CodeExpiresAt. CodeUsedAt is when it was redeemed.
	CodeHash      string      `json:"-"`
	CodeExpiresAt time.Time   `json:"codeExpiresAt,omitzero"`
	CodeUsedAt    time.Time   `json:"codeUsedAt,omitzero"`
	Request       OIDCRequest `json:"request"`
	CreatedAt     time.Time   `json:"createdAt"`
	// ExpiresAt bounds every token of the grant; the store forgets the grant after it.
	ExpiresAt time.Time `json:"expiresAt"`
	// RevokedAt is when the grant and all its tokens were revoked.
	RevokedAt time.Time `json:"revokedAt,omitzero"`
}

// Kinds of OpenID Connect tokens.
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// OIDCToken is an access or refresh token issued under a grant. An access token carries its ID itself (sealed or
// signed); a refresh token is a random secret of which the store keeps the SHA-256 hash.
type OIDCToken struct {
	ID          string `json:"id"`
	DirectoryID string `json:"directoryId"`
	GrantID     string `json:"grantId"`
	// Kind is TokenAccess or TokenRefresh.
	Kind string `json:"kind"`
	// SecretHash is the hash of a refresh token's secret; empty for an access token.
	SecretHash string `json:"-"`
	// Scopes are the scopes the token grants.
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	// UsedAt is when a refresh token was exchanged for a new one; it never works again, and using it again revokes
	// its grant.
	UsedAt    time.Time `json:"usedAt,omitzero"`
	RevokedAt time.Time `json:"revokedAt,omitzero"`
}

// OIDCGrantFilter selects a directory's grants. Zero values match everything.
type OIDCGrantFilter struct {
	AppID     string
	UserID    string
	SessionID string
	// Live keeps only grants neither revoked nor expired at Now.
	Live bool
	Now  time.Time
}

// OIDCStore is the part of the storage contract that keeps OpenID Connect apps' client secrets, the directories'
// signing keys and the grants and tokens issued.
type OIDCStore interface {
	// FindAppByClientID finds the OpenID Connect app whose client ID equals clientID exactly.
	FindAppByClientID(ctx context.Context, directoryID, clientID string) (*App, error)

	// CreateClientSecret stores c. ENOTFOUND if its app is not in the directory.
	CreateClientSecret(ctx context.Context, c *ClientSecret) error
	// FindClientSecrets returns an app's client secrets, newest first; none is an empty list.
	FindClientSecrets(ctx context.Context, directoryID, appID string) ([]*ClientSecret, error)
	// UpdateClientSecret replaces ExpiresAt.
	UpdateClientSecret(ctx context.Context, c *ClientSecret) error
	DeleteClientSecret(ctx context.Context, directoryID, id string) error

	// CreateOIDCKey stores k. If k.Active, every other key of the directory with the same algorithm becomes
	// inactive, and the one that was active gets DeactivatedAt = k.CreatedAt. ENOTFOUND without the directory.
	CreateOIDCKey(ctx context.Context, k *OIDCKey) error
	// FindOIDCKeys returns the directory's signing keys, newest first.
	FindOIDCKeys(ctx context.Context, directoryID string) ([]*OIDCKey, error)
	// ActivateOIDCKey makes the key active and every other key of its algorithm inactive; the one that was active
	// gets DeactivatedAt = now, and the newly active one a zero DeactivatedAt.
	ActivateOIDCKey(ctx context.Context, directoryID, id string, now time.Time) error

	// CreateOIDCGrant stores g. ENOTFOUND if its app or user is not in the directory; ECONFLICT if its code hash is
	// taken.
	CreateOIDCGrant(ctx context.Context, g *OIDCGrant) error
	FindOIDCGrant(ctx context.Context, directoryID, id string) (*OIDCGrant, error)
	// FindOIDCGrants returns the grants f selects, newest first.
	FindOIDCGrants(ctx context.Context, directoryID string, f OIDCGrantFilter) ([]*OIDCGrant, error)
	// RedeemOIDCCode marks the authorization code with the given hash used at now and returns its grant. A code
	// used before returns its grant with ECONFLICT, so that the caller can revoke it; an unknown code, or one that
	// expired at now, is ENOTFOUND.
	RedeemOIDCCode(ctx context.Context, directoryID, codeHash string, now time.Time) (*OIDCGrant, error)
	// RevokeOIDCGrant sets RevokedAt of the grant and of each of its tokens not revoked yet.
	RevokeOIDCGrant(ctx context.Context, directoryID, id string, now time.Time) error

	// CreateOIDCToken stores t. ENOTFOUND if its grant is not in the directory.
	CreateOIDCToken(ctx context.Context, t *OIDCToken) error
	FindOIDCToken(ctx context.Context, directoryID, id string) (*OIDCToken, error)
	// FindOIDCTokens returns the tokens of a grant, oldest first.
	FindOIDCTokens(ctx context.Context, directoryID, grantID string) ([]*OIDCToken, error)
	// FindOIDCTokenBySecretHash finds a refresh token by the hash of its secret.
	FindOIDCTokenBySecretHash(ctx context.Context, directoryID, secretHash string) (*OIDCToken, error)
	// UseOIDCToken sets a token's UsedAt to now. ECONFLICT if it was used before.
	UseOIDCToken(ctx context.Context, directoryID, id string, now time.Time) error
	// RevokeOIDCToken sets a token's RevokedAt to now, when it is not revoked yet.
	RevokeOIDCToken(ctx context.Context, directoryID, id string, now time.Time) error
}
