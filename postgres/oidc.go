package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse"
)

// FindAppByClientID finds the OpenID Connect app whose client ID equals clientID exactly.
func (s *Store) FindAppByClientID(ctx context.Context, directoryID, clientID string) (*gatehouse.App, error) {
	a, err := scanApp(s.db.QueryRow(ctx, `SELECT `+appColumns+` FROM apps a
		WHERE a.directory_id = $1 AND a.client_id = $2 AND a.client_id <> ''`, directoryID, clientID))
	if err != nil {
		return nil, notFound(err, "find app by client ID", "No app of the directory has this client ID.")
	}
	return a, nil
}

const clientSecretColumns = `directory_id, id, app_id, secret_hash, hint, created_at, expires_at`

func scanClientSecret(row scanner) (*gatehouse.ClientSecret, error) {
	var c gatehouse.ClientSecret
	if err := row.Scan(&c.DirectoryID, &c.ID, &c.AppID, &c.SecretHash, &c.Hint, &c.CreatedAt, &c.ExpiresAt); err != nil {
		return nil, err
	}
	c.CreatedAt, c.ExpiresAt = utc(c.CreatedAt), utcPtr(c.ExpiresAt)
	return &c, nil
}

// CreateClientSecret stores c. ENOTFOUND if its app is not in the directory.
func (s *Store) CreateClientSecret(ctx context.Context, c *gatehouse.ClientSecret) error {
	_, err := s.db.Exec(ctx, `INSERT INTO client_secrets (`+clientSecretColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.DirectoryID, c.ID, c.AppID, c.SecretHash, c.Hint, c.CreatedAt, c.ExpiresAt)
	return wrap(err, "create client secret")
}

// FindClientSecrets returns an app's client secrets, newest first.
func (s *Store) FindClientSecrets(ctx context.Context, directoryID, appID string) ([]*gatehouse.ClientSecret, error) {
	return queryList(ctx, s.db, "find client secrets", scanClientSecret, `SELECT `+clientSecretColumns+`
		FROM client_secrets WHERE directory_id = $1 AND app_id = $2 ORDER BY created_at DESC, id DESC`, directoryID, appID)
}

// UpdateClientSecret replaces ExpiresAt.
func (s *Store) UpdateClientSecret(ctx context.Context, c *gatehouse.ClientSecret) error {
	return s.exec(ctx, "update client secret", "The client secret does not exist.",
		`UPDATE client_secrets SET expires_at = $3 WHERE directory_id = $1 AND id = $2`, c.DirectoryID, c.ID, c.ExpiresAt)
}

// DeleteClientSecret deletes a client secret.
func (s *Store) DeleteClientSecret(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete client secret", "The client secret does not exist.",
		`DELETE FROM client_secrets WHERE directory_id = $1 AND id = $2`, directoryID, id)
}

const oidcKeyColumns = `directory_id, id, algorithm, public_key, encrypted_key, active, deactivated_at, created_at`

func scanOIDCKey(row scanner) (*gatehouse.OIDCKey, error) {
	var k gatehouse.OIDCKey
	var deactivatedAt *time.Time
	if err := row.Scan(&k.DirectoryID, &k.ID, &k.Algorithm, &k.PublicKey, &k.EncryptedKey, &k.Active, &deactivatedAt,
		&k.CreatedAt); err != nil {
		return nil, err
	}
	k.CreatedAt = utc(k.CreatedAt)
	if deactivatedAt != nil {
		k.DeactivatedAt = deactivatedAt.UTC()
	}
	return &k, nil
}

// lockDirectory holds the directory's row until the transaction ends, so that the key changes of concurrent
// transactions happen one after the other.
func (s *Store) lockDirectory(ctx context.Context, directoryID string) error {
	_, err := s.db.Exec(ctx, `SELECT 1 FROM directories WHERE id = $1 FOR NO KEY UPDATE`, directoryID)
	return wrap(err, "lock directory")
}

// CreateOIDCKey stores k. If k.Active, every other key of its directory and algorithm becomes inactive, the one
// that was active with DeactivatedAt = k.CreatedAt.
func (s *Store) CreateOIDCKey(ctx context.Context, k *gatehouse.OIDCKey) error {
	return s.inTx(ctx, func(s *Store) error {
		if k.Active {
			if err := s.lockDirectory(ctx, k.DirectoryID); err != nil {
				return err
			}
			if _, err := s.db.Exec(ctx, `UPDATE oidc_keys SET active = false, deactivated_at = $3
				WHERE directory_id = $1 AND algorithm = $2 AND active`, k.DirectoryID, k.Algorithm, k.CreatedAt); err != nil {
				return wrap(err, "deactivate signing keys")
			}
		}
		_, err := s.db.Exec(ctx, `INSERT INTO oidc_keys (`+oidcKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			k.DirectoryID, k.ID, k.Algorithm, k.PublicKey, k.EncryptedKey, k.Active, nullTime(k.DeactivatedAt), k.CreatedAt)
		return wrap(err, "create signing key")
	})
}

// FindOIDCKeys returns the directory's signing keys, newest first.
func (s *Store) FindOIDCKeys(ctx context.Context, directoryID string) ([]*gatehouse.OIDCKey, error) {
	return queryList(ctx, s.db, "find signing keys", scanOIDCKey, `SELECT `+oidcKeyColumns+` FROM oidc_keys
		WHERE directory_id = $1 ORDER BY created_at DESC, id DESC`, directoryID)
}

// ActivateOIDCKey makes the key active and every other key of its algorithm inactive.
func (s *Store) ActivateOIDCKey(ctx context.Context, directoryID, id string, now time.Time) error {
	return s.inTx(ctx, func(s *Store) error {
		if err := s.lockDirectory(ctx, directoryID); err != nil {
			return err
		}
		var alg string
		err := s.db.QueryRow(ctx, `SELECT algorithm FROM oidc_keys WHERE directory_id = $1 AND id = $2`,
			directoryID, id).Scan(&alg)
		if err != nil {
			return notFound(err, "activate signing key", "The signing key does not exist.")
		}
		if _, err := s.db.Exec(ctx, `UPDATE oidc_keys SET active = false, deactivated_at = $4
			WHERE directory_id = $1 AND algorithm = $2 AND active AND id <> $3`, directoryID, alg, id, now); err != nil {
			return wrap(err, "deactivate signing keys")
		}
		_, err = s.db.Exec(ctx, `UPDATE oidc_keys SET active = true, deactivated_at = NULL
			WHERE directory_id = $1 AND id = $2`, directoryID, id)
		return wrap(err, "activate signing key")
	})
}

const oidcGrantColumns = `directory_id, id, app_id, coalesce(user_id, ''), session_id, coalesce(code_hash, ''),
	code_expires_at, code_used_at, request, created_at, expires_at, revoked_at`

func scanOIDCGrant(row scanner) (*gatehouse.OIDCGrant, error) {
	var g gatehouse.OIDCGrant
	var req []byte
	var codeExpires, codeUsed, revoked *time.Time
	if err := row.Scan(&g.DirectoryID, &g.ID, &g.AppID, &g.UserID, &g.SessionID, &g.CodeHash, &codeExpires, &codeUsed,
		&req, &g.CreatedAt, &g.ExpiresAt, &revoked); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(req, &g.Request); err != nil {
		return nil, fmt.Errorf("decode the request of grant %s: %w", g.ID, err)
	}
	g.CreatedAt, g.ExpiresAt = utc(g.CreatedAt), utc(g.ExpiresAt)
	g.CodeExpiresAt, g.CodeUsedAt, g.RevokedAt = zeroUTC(codeExpires), zeroUTC(codeUsed), zeroUTC(revoked)
	return &g, nil
}

// zeroUTC returns *t in UTC, or the zero time for nil.
func zeroUTC(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// CreateOIDCGrant stores g. ENOTFOUND if its app or user is not in the directory.
func (s *Store) CreateOIDCGrant(ctx context.Context, g *gatehouse.OIDCGrant) error {
	req, err := json.Marshal(g.Request)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("postgres: encode the request of grant %s: %w", g.ID, err))
	}
	_, err = s.db.Exec(ctx, `INSERT INTO oidc_grants (directory_id, id, app_id, user_id, session_id, code_hash,
		code_expires_at, code_used_at, request, created_at, expires_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		g.DirectoryID, g.ID, g.AppID, nullString(g.UserID), g.SessionID, nullString(g.CodeHash), nullTime(g.CodeExpiresAt),
		nullTime(g.CodeUsedAt), string(req), g.CreatedAt, g.ExpiresAt, nullTime(g.RevokedAt))
	return wrap(err, "create grant")
}

// FindOIDCGrant returns the grant with the given ID.
func (s *Store) FindOIDCGrant(ctx context.Context, directoryID, id string) (*gatehouse.OIDCGrant, error) {
	g, err := scanOIDCGrant(s.db.QueryRow(ctx, `SELECT `+oidcGrantColumns+` FROM oidc_grants
		WHERE directory_id = $1 AND id = $2`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find grant", "The grant does not exist.")
	}
	return g, nil
}

// FindOIDCGrants returns the grants f selects, newest first.
func (s *Store) FindOIDCGrants(ctx context.Context, directoryID string, f gatehouse.OIDCGrantFilter) ([]*gatehouse.OIDCGrant, error) {
	return queryList(ctx, s.db, "find grants", scanOIDCGrant, `SELECT `+oidcGrantColumns+` FROM oidc_grants
		WHERE directory_id = $1 AND ($2 = '' OR app_id = $2) AND ($3 = '' OR user_id = $3)
			AND ($4 = '' OR session_id = $4) AND (NOT $5 OR revoked_at IS NULL AND expires_at > $6)
		ORDER BY created_at DESC, id DESC`, directoryID, f.AppID, f.UserID, f.SessionID, f.Live, f.Now)
}

// RedeemOIDCCode marks the code with the given hash used and returns its grant, in one statement so that of
// concurrent redeemers on any number of nodes exactly one succeeds; ECONFLICT with the grant when it was used before.
func (s *Store) RedeemOIDCCode(ctx context.Context, directoryID, codeHash string, now time.Time) (*gatehouse.OIDCGrant, error) {
	g, err := scanOIDCGrant(s.db.QueryRow(ctx, `UPDATE oidc_grants SET code_used_at = $3
		WHERE directory_id = $1 AND code_hash = $2 AND code_expires_at > $3 AND code_used_at IS NULL
		RETURNING `+oidcGrantColumns, directoryID, codeHash, now))
	if err == nil {
		return g, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, wrap(err, "redeem code")
	}
	g, err = scanOIDCGrant(s.db.QueryRow(ctx, `SELECT `+oidcGrantColumns+` FROM oidc_grants
		WHERE directory_id = $1 AND code_hash = $2 AND code_expires_at > $3`, directoryID, codeHash, now))
	if err != nil {
		return nil, notFound(err, "redeem code", "The authorization code is unknown or has expired.")
	}
	return g, gatehouse.Errorf(gatehouse.ECONFLICT, "The authorization code was used before.")
}

// RevokeOIDCGrant sets RevokedAt of the grant and of its tokens not revoked yet.
func (s *Store) RevokeOIDCGrant(ctx context.Context, directoryID, id string, now time.Time) error {
	return s.inTx(ctx, func(s *Store) error {
		if err := s.exec(ctx, "revoke grant", "The grant does not exist.", `UPDATE oidc_grants
			SET revoked_at = coalesce(revoked_at, $3) WHERE directory_id = $1 AND id = $2`, directoryID, id, now); err != nil {
			return err
		}
		_, err := s.db.Exec(ctx, `UPDATE oidc_tokens SET revoked_at = $3
			WHERE directory_id = $1 AND grant_id = $2 AND revoked_at IS NULL`, directoryID, id, now)
		return wrap(err, "revoke the tokens of a grant")
	})
}

const oidcTokenColumns = `directory_id, id, grant_id, kind, coalesce(secret_hash, ''), scopes, created_at,
	expires_at, used_at, revoked_at`

func scanOIDCToken(row scanner) (*gatehouse.OIDCToken, error) {
	var t gatehouse.OIDCToken
	var used, revoked *time.Time
	var scopes []byte
	if err := row.Scan(&t.DirectoryID, &t.ID, &t.GrantID, &t.Kind, &t.SecretHash, &scopes, &t.CreatedAt,
		&t.ExpiresAt, &used, &revoked); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(scopes, &t.Scopes); err != nil {
		return nil, fmt.Errorf("decode the scopes of token %s: %w", t.ID, err)
	}
	if len(t.Scopes) == 0 {
		t.Scopes = nil
	}
	t.CreatedAt, t.ExpiresAt, t.UsedAt, t.RevokedAt = utc(t.CreatedAt), utc(t.ExpiresAt), zeroUTC(used), zeroUTC(revoked)
	return &t, nil
}

// CreateOIDCToken stores t. ENOTFOUND if its grant is not in the directory.
func (s *Store) CreateOIDCToken(ctx context.Context, t *gatehouse.OIDCToken) error {
	list := t.Scopes
	if list == nil {
		list = []string{}
	}
	scopes, err := json.Marshal(list)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("postgres: encode the scopes of token %s: %w", t.ID, err))
	}
	_, err = s.db.Exec(ctx, `INSERT INTO oidc_tokens (directory_id, id, grant_id, kind, secret_hash, scopes,
		created_at, expires_at, used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		t.DirectoryID, t.ID, t.GrantID, t.Kind, nullString(t.SecretHash), string(scopes), t.CreatedAt, t.ExpiresAt,
		nullTime(t.UsedAt), nullTime(t.RevokedAt))
	return wrap(err, "create token")
}

// FindOIDCToken returns the token with the given ID.
func (s *Store) FindOIDCToken(ctx context.Context, directoryID, id string) (*gatehouse.OIDCToken, error) {
	t, err := scanOIDCToken(s.db.QueryRow(ctx, `SELECT `+oidcTokenColumns+` FROM oidc_tokens
		WHERE directory_id = $1 AND id = $2`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find token", "The token does not exist.")
	}
	return t, nil
}

// FindOIDCTokens returns the tokens of a grant, oldest first.
func (s *Store) FindOIDCTokens(ctx context.Context, directoryID, grantID string) ([]*gatehouse.OIDCToken, error) {
	return queryList(ctx, s.db, "find tokens", scanOIDCToken, `SELECT `+oidcTokenColumns+` FROM oidc_tokens
		WHERE directory_id = $1 AND grant_id = $2 ORDER BY created_at, id`, directoryID, grantID)
}

// FindOIDCTokenBySecretHash finds a refresh token by the hash of its secret.
func (s *Store) FindOIDCTokenBySecretHash(ctx context.Context, directoryID, secretHash string) (*gatehouse.OIDCToken, error) {
	t, err := scanOIDCToken(s.db.QueryRow(ctx, `SELECT `+oidcTokenColumns+` FROM oidc_tokens
		WHERE directory_id = $1 AND secret_hash = $2`, directoryID, secretHash))
	if err != nil {
		return nil, notFound(err, "find token by secret", "The token does not exist.")
	}
	return t, nil
}

// UseOIDCToken sets the token's UsedAt in one statement, so that of concurrent users on any number of nodes exactly
// one succeeds. ECONFLICT when it was used before.
func (s *Store) UseOIDCToken(ctx context.Context, directoryID, id string, now time.Time) error {
	tag, err := s.db.Exec(ctx, `UPDATE oidc_tokens SET used_at = $3
		WHERE directory_id = $1 AND id = $2 AND used_at IS NULL`, directoryID, id, now)
	if err != nil {
		return wrap(err, "use token")
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	if _, err := s.FindOIDCToken(ctx, directoryID, id); err != nil {
		return err
	}
	return gatehouse.Errorf(gatehouse.ECONFLICT, "The token was used before.")
}

// RevokeOIDCToken sets the token's RevokedAt, when it is not revoked yet.
func (s *Store) RevokeOIDCToken(ctx context.Context, directoryID, id string, now time.Time) error {
	return s.exec(ctx, "revoke token", "The token does not exist.", `UPDATE oidc_tokens
		SET revoked_at = coalesce(revoked_at, $3) WHERE directory_id = $1 AND id = $2`, directoryID, id, now)
}
