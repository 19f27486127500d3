package apiclient

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// OIDCPatch lists the OpenID Connect settings of an app to change; nil fields stay as they are, lists are
// replaced whole. Lifetimes are in seconds.
type OIDCPatch struct {
	ClientID               *string            `json:"clientId,omitempty"`
	PublicClient           *bool              `json:"publicClient,omitempty"`
	RedirectURIs           *[]string          `json:"redirectUris,omitempty"`
	PostLogoutRedirectURIs *[]string          `json:"postLogoutRedirectUris,omitempty"`
	GrantTypes             *[]string          `json:"grantTypes,omitempty"`
	InitiateLoginURI       *string            `json:"initiateLoginUri,omitempty"`
	BackchannelLogoutURI   *string            `json:"backchannelLogoutUri,omitempty"`
	RequirePKCE            *bool              `json:"requirePkce,omitempty"`
	SigningAlgorithm       *string            `json:"signingAlgorithm,omitempty"`
	AccessTokenFormat      *string            `json:"accessTokenFormat,omitempty"`
	AccessTokenLifetime    *int               `json:"accessTokenLifetime,omitempty"`
	IDTokenLifetime        *int               `json:"idTokenLifetime,omitempty"`
	RefreshTokenLifetime   *int               `json:"refreshTokenLifetime,omitempty"`
	Claims                 *[]gatehouse.Claim `json:"claims,omitempty"`
	// SetClaims and RemoveClaims change single claims, as in a SAMLPatch, after Claims (when set).
	SetClaims    []ClaimSet `json:"setClaims,omitempty"`
	RemoveClaims []string   `json:"removeClaims,omitempty"`
}

// OIDCSetup is what an OpenID Connect app is configured with: the directory's issuer, its endpoints and the app's
// client ID.
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

// ClientSecret is a client secret as the API lists it: its hint, never the secret.
type ClientSecret struct {
	ID        string     `json:"id"`
	AppID     string     `json:"appId"`
	Hint      string     `json:"hint"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// Valid reports whether the secret works now.
	Valid bool `json:"valid"`
}

// NewClientSecret says how long a new client secret works (ExpiresIn seconds, 0 for ever) and, with Overlap, how
// many seconds the app's other secrets keep working (a rotation).
type NewClientSecret struct {
	ExpiresIn int  `json:"expiresIn,omitempty"`
	Overlap   *int `json:"overlap,omitempty"`
}

// OIDCKey is a directory's OpenID Connect signing key with its rollover state.
type OIDCKey struct {
	ID            string    `json:"id"`
	Algorithm     string    `json:"algorithm"`
	Active        bool      `json:"active"`
	DeactivatedAt time.Time `json:"deactivatedAt,omitzero"`
	CreatedAt     time.Time `json:"createdAt"`
	// State is active, next, previous or retired; Published reports whether the JWKS carries the key.
	State     string `json:"state"`
	Published bool   `json:"published"`
}

// GetOIDC returns an OpenID Connect app's settings.
func (c *Client) GetOIDC(ctx context.Context, dir, appID string) (*gatehouse.OIDCSettings, error) {
	return get[gatehouse.OIDCSettings](ctx, c, dirPath(dir, "apps", appID, "oidc"))
}

// PatchOIDC changes the OpenID Connect settings of an app that in sets and returns them all.
func (c *Client) PatchOIDC(ctx context.Context, dir, appID string, in OIDCPatch) (*gatehouse.OIDCSettings, error) {
	return send[gatehouse.OIDCSettings](ctx, c, http.MethodPatch, dirPath(dir, "apps", appID, "oidc"), in)
}

// ListClientSecrets returns an app's client secrets, newest first.
func (c *Client) ListClientSecrets(ctx context.Context, dir, appID string) ([]*ClientSecret, int, error) {
	return list[*ClientSecret](ctx, c, dirPath(dir, "apps", appID, "oidc", "secrets"), nil)
}

// createdClientSecret is the answer of CreateClientSecret.
type createdClientSecret struct {
	Secret       string        `json:"secret"`
	ClientSecret *ClientSecret `json:"clientSecret"`
}

// CreateClientSecret makes a client secret for a confidential OpenID Connect app and returns it, shown this once,
// with its record.
func (c *Client) CreateClientSecret(ctx context.Context, dir, appID string, in NewClientSecret) (string, *ClientSecret, error) {
	v, err := send[createdClientSecret](ctx, c, http.MethodPost, dirPath(dir, "apps", appID, "oidc", "secrets"), in)
	if err != nil {
		return "", nil, err
	}
	return v.Secret, v.ClientSecret, nil
}

// DeleteClientSecret deletes a client secret; it stops working at once.
func (c *Client) DeleteClientSecret(ctx context.Context, dir, appID, secretID string) error {
	return c.del(ctx, dirPath(dir, "apps", appID, "oidc", "secrets", secretID))
}

// ListOIDCKeys returns the directory's OpenID Connect signing keys, newest first.
func (c *Client) ListOIDCKeys(ctx context.Context, dir string) ([]*OIDCKey, int, error) {
	return list[*OIDCKey](ctx, c, dirPath(dir, "oidc", "keys"), nil)
}

// CreateOIDCKey creates the directory's next signing key for an algorithm (RS256 or ES256), published before it
// signs.
func (c *Client) CreateOIDCKey(ctx context.Context, dir, algorithm string) (*OIDCKey, error) {
	return send[OIDCKey](ctx, c, http.MethodPost, dirPath(dir, "oidc", "keys"), map[string]string{"algorithm": algorithm})
}

// ActivateOIDCKey makes a key the one that signs for its algorithm.
func (c *Client) ActivateOIDCKey(ctx context.Context, dir, keyID string) (*OIDCKey, error) {
	return send[OIDCKey](ctx, c, http.MethodPost, dirPath(dir, "oidc", "keys", keyID, "activate"), struct{}{})
}
