package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// FindAppByClientID finds the OpenID Connect app whose client ID equals clientID exactly.
func (s *Store) FindAppByClientID(ctx context.Context, directoryID, clientID string) (*gatehouse.App, error) {
	a, err := scanApp(s.queryRow(ctx, `SELECT `+appColumns+` FROM apps a
		WHERE a.directory_id = ? AND a.client_id = ? AND a.client_id <> ''`, directoryID, clientID))
	if err != nil {
		return nil, notFound(err, "find app by client ID", "No app of the directory has this client ID.")
	}
	return a, nil
}

const clientSecretColumns = `directory_id, id, app_id, secret_hash, hint, created_at, expires_at`

func scanClientSecret(row scanner) (*gatehouse.ClientSecret, error) {
	var c gatehouse.ClientSecret
	if err := row.Scan(&c.DirectoryID, &c.ID, &c.AppID, &c.SecretHash, &c.Hint, timeAt{&c.CreatedAt},
		optTimeAt{&c.ExpiresAt}); err != nil {
		return nil, err
	}
	return &c, nil
}

// CreateClientSecret stores c. ENOTFOUND if its app is not in the directory.
func (s *Store) CreateClientSecret(ctx context.Context, c *gatehouse.ClientSecret) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO client_secrets (`+clientSecretColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.DirectoryID, c.ID, c.AppID, c.SecretHash, c.Hint, micros(c.CreatedAt), microsPtr(c.ExpiresAt))
	return wrap(err, "create client secret", msgs{
		conflict: "A client secret with this ID already exists.",
		missing:  "The app does not exist in the directory.",
	})
}

// FindClientSecrets returns an app's client secrets, newest first.
func (s *Store) FindClientSecrets(ctx context.Context, directoryID, appID string) ([]*gatehouse.ClientSecret, error) {
	return queryList(ctx, s.r, "find client secrets", scanClientSecret, `SELECT `+clientSecretColumns+`
		FROM client_secrets WHERE directory_id = ? AND app_id = ? ORDER BY created_at DESC, id DESC`, directoryID, appID)
}

// UpdateClientSecret replaces ExpiresAt.
func (s *Store) UpdateClientSecret(ctx context.Context, c *gatehouse.ClientSecret) error {
	return s.exec(ctx, "update client secret", "The client secret does not exist.",
		`UPDATE client_secrets SET expires_at = ? WHERE directory_id = ? AND id = ?`,
		microsPtr(c.ExpiresAt), c.DirectoryID, c.ID)
}

// DeleteClientSecret deletes a client secret.
func (s *Store) DeleteClientSecret(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete client secret", "The client secret does not exist.",
		`DELETE FROM client_secrets WHERE directory_id = ? AND id = ?`, directoryID, id)
}

const oidcKeyColumns = `directory_id, id, algorithm, public_key, encrypted_key, active, deactivated_at, created_at`

func scanOIDCKey(row scanner) (*gatehouse.OIDCKey, error) {
	var k gatehouse.OIDCKey
	if err := row.Scan(&k.DirectoryID, &k.ID, &k.Algorithm, &k.PublicKey, &k.EncryptedKey, &k.Active,
		zeroTimeAt{&k.DeactivatedAt}, timeAt{&k.CreatedAt}); err != nil {
		return nil, err
	}
	return &k, nil
}

// CreateOIDCKey stores k. If k.Active, every other key of its directory and algorithm becomes inactive, the one
// that was active with DeactivatedAt = k.CreatedAt.
func (s *Store) CreateOIDCKey(ctx context.Context, k *gatehouse.OIDCKey) error {
	return s.inTx(ctx, func(s *Store) error {
		if k.Active {
			if _, err := s.w.ExecContext(ctx, `UPDATE oidc_keys SET active = 0, deactivated_at = ?
				WHERE directory_id = ? AND algorithm = ? AND active = 1`, micros(k.CreatedAt), k.DirectoryID,
				k.Algorithm); err != nil {
				return internal(err, "deactivate signing keys")
			}
		}
		_, err := s.w.ExecContext(ctx, `INSERT INTO oidc_keys (`+oidcKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			k.DirectoryID, k.ID, k.Algorithm, k.PublicKey, k.EncryptedKey, k.Active, nullMicros(k.DeactivatedAt),
			micros(k.CreatedAt))
		return wrap(err, "create signing key", msgs{
			conflict: "A signing key with this ID already exists.",
			missing:  "The directory does not exist.",
		})
	})
}

// FindOIDCKeys returns the directory's signing keys, newest first.
func (s *Store) FindOIDCKeys(ctx context.Context, directoryID string) ([]*gatehouse.OIDCKey, error) {
	return queryList(ctx, s.r, "find signing keys", scanOIDCKey, `SELECT `+oidcKeyColumns+` FROM oidc_keys
		WHERE directory_id = ? ORDER BY created_at DESC, id DESC`, directoryID)
}

// ActivateOIDCKey makes the key active and every other key of its algorithm inactive.
func (s *Store) ActivateOIDCKey(ctx context.Context, directoryID, id string, now time.Time) error {
	return s.inTx(ctx, func(s *Store) error {
		var alg string
		err := s.w.QueryRowContext(ctx, `SELECT algorithm FROM oidc_keys WHERE directory_id = ? AND id = ?`,
			directoryID, id).Scan(&alg)
		if err != nil {
			return notFound(err, "activate signing key", "The signing key does not exist.")
		}
		if _, err := s.w.ExecContext(ctx, `UPDATE oidc_keys SET active = 0, deactivated_at = ?
			WHERE directory_id = ? AND algorithm = ? AND active = 1 AND id <> ?`, micros(now), directoryID, alg, id); err != nil {
			return internal(err, "deactivate signing keys")
		}
		_, err = s.w.ExecContext(ctx, `UPDATE oidc_keys SET active = 1, deactivated_at = NULL
			WHERE directory_id = ? AND id = ?`, directoryID, id)
		return internal(err, "activate signing key")
	})
}

const oidcGrantColumns = `directory_id, id, app_id, coalesce(user_id, ''), session_id, coalesce(code_hash, ''),
	code_expires_at, code_used_at, request, created_at, expires_at, revoked_at`

func scanOIDCGrant(row scanner) (*gatehouse.OIDCGrant, error) {
	var g gatehouse.OIDCGrant
	var req string
	if err := row.Scan(&g.DirectoryID, &g.ID, &g.AppID, &g.UserID, &g.SessionID, &g.CodeHash,
		zeroTimeAt{&g.CodeExpiresAt}, zeroTimeAt{&g.CodeUsedAt}, &req, timeAt{&g.CreatedAt}, timeAt{&g.ExpiresAt},
		zeroTimeAt{&g.RevokedAt}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(req), &g.Request); err != nil {
		return nil, fmt.Errorf("decode the request of grant %s: %w", g.ID, err)
	}
	return &g, nil
}

// CreateOIDCGrant stores g. ENOTFOUND if its app or user is not in the directory.
func (s *Store) CreateOIDCGrant(ctx context.Context, g *gatehouse.OIDCGrant) error {
	req, err := json.Marshal(g.Request)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("sqlite: encode the request of grant %s: %w", g.ID, err))
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO oidc_grants (directory_id, id, app_id, user_id, session_id, code_hash,
		code_expires_at, code_used_at, request, created_at, expires_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.DirectoryID, g.ID, g.AppID, nullString(g.UserID), g.SessionID, nullString(g.CodeHash),
		nullMicros(g.CodeExpiresAt), nullMicros(g.CodeUsedAt), string(req), micros(g.CreatedAt), micros(g.ExpiresAt),
		nullMicros(g.RevokedAt))
	return wrap(err, "create grant", msgs{
		conflict: "A grant with this ID or code already exists.",
		missing:  "The app or the user does not exist in the directory.",
	})
}

// FindOIDCGrant returns the grant with the given ID.
func (s *Store) FindOIDCGrant(ctx context.Context, directoryID, id string) (*gatehouse.OIDCGrant, error) {
	g, err := scanOIDCGrant(s.queryRow(ctx, `SELECT `+oidcGrantColumns+` FROM oidc_grants
		WHERE directory_id = ? AND id = ?`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find grant", "The grant does not exist.")
	}
	return g, nil
}

// FindOIDCGrants returns the grants f selects, newest first.
func (s *Store) FindOIDCGrants(ctx context.Context, directoryID string, f gatehouse.OIDCGrantFilter) ([]*gatehouse.OIDCGrant, error) {
	return queryList(ctx, s.r, "find grants", scanOIDCGrant, `SELECT `+oidcGrantColumns+` FROM oidc_grants
		WHERE directory_id = ?1 AND (?2 = '' OR app_id = ?2) AND (?3 = '' OR user_id = ?3)
			AND (?4 = '' OR session_id = ?4) AND (?5 = 0 OR revoked_at IS NULL AND expires_at > ?6)
		ORDER BY created_at DESC, id DESC`, directoryID, f.AppID, f.UserID, f.SessionID, f.Live, micros(f.Now))
}

// RedeemOIDCCode marks the code with the given hash used and returns its grant; ECONFLICT with the grant when it
// was used before.
func (s *Store) RedeemOIDCCode(ctx context.Context, directoryID, codeHash string, now time.Time) (*gatehouse.OIDCGrant, error) {
	var out *gatehouse.OIDCGrant
	err := s.inTx(ctx, func(s *Store) error {
		g, err := scanOIDCGrant(s.w.QueryRowContext(ctx, `SELECT `+oidcGrantColumns+` FROM oidc_grants
			WHERE directory_id = ? AND code_hash = ? AND code_expires_at > ?`, directoryID, codeHash, micros(now)))
		if err != nil {
			return notFound(err, "redeem code", "The authorization code is unknown or has expired.")
		}
		out = g
		if !g.CodeUsedAt.IsZero() {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "The authorization code was used before.")
		}
		g.CodeUsedAt = now
		_, err = s.w.ExecContext(ctx, `UPDATE oidc_grants SET code_used_at = ? WHERE directory_id = ? AND id = ?`,
			micros(now), directoryID, g.ID)
		return internal(err, "redeem code")
	})
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil, err
	}
	return out, err
}

// RevokeOIDCGrant sets RevokedAt of the grant and of its tokens not revoked yet.
func (s *Store) RevokeOIDCGrant(ctx context.Context, directoryID, id string, now time.Time) error {
	return s.inTx(ctx, func(s *Store) error {
		if err := s.exec(ctx, "revoke grant", "The grant does not exist.", `UPDATE oidc_grants
			SET revoked_at = coalesce(revoked_at, ?) WHERE directory_id = ? AND id = ?`, micros(now), directoryID, id); err != nil {
			return err
		}
		_, err := s.w.ExecContext(ctx, `UPDATE oidc_tokens SET revoked_at = ?
			WHERE directory_id = ? AND grant_id = ? AND revoked_at IS NULL`, micros(now), directoryID, id)
		return internal(err, "revoke the tokens of a grant")
	})
}

const oidcTokenColumns = `directory_id, id, grant_id, kind, coalesce(secret_hash, ''), scopes, created_at,
	expires_at, used_at, revoked_at`

func scanOIDCToken(row scanner) (*gatehouse.OIDCToken, error) {
	var t gatehouse.OIDCToken
	if err := row.Scan(&t.DirectoryID, &t.ID, &t.GrantID, &t.Kind, &t.SecretHash, stringsAt{&t.Scopes},
		timeAt{&t.CreatedAt}, timeAt{&t.ExpiresAt}, zeroTimeAt{&t.UsedAt}, zeroTimeAt{&t.RevokedAt}); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateOIDCToken stores t. ENOTFOUND if its grant is not in the directory.
func (s *Store) CreateOIDCToken(ctx context.Context, t *gatehouse.OIDCToken) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO oidc_tokens (directory_id, id, grant_id, kind, secret_hash, scopes,
		created_at, expires_at, used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.DirectoryID, t.ID, t.GrantID, t.Kind, nullString(t.SecretHash), jsonStrings(t.Scopes), micros(t.CreatedAt),
		micros(t.ExpiresAt), nullMicros(t.UsedAt), nullMicros(t.RevokedAt))
	return wrap(err, "create token", msgs{
		conflict: "A token with this ID or secret already exists.",
		missing:  "The grant does not exist in the directory.",
	})
}

// FindOIDCToken returns the token with the given ID.
func (s *Store) FindOIDCToken(ctx context.Context, directoryID, id string) (*gatehouse.OIDCToken, error) {
	t, err := scanOIDCToken(s.queryRow(ctx, `SELECT `+oidcTokenColumns+` FROM oidc_tokens
		WHERE directory_id = ? AND id = ?`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find token", "The token does not exist.")
	}
	return t, nil
}

// FindOIDCTokens returns the tokens of a grant, oldest first.
func (s *Store) FindOIDCTokens(ctx context.Context, directoryID, grantID string) ([]*gatehouse.OIDCToken, error) {
	return queryList(ctx, s.r, "find tokens", scanOIDCToken, `SELECT `+oidcTokenColumns+` FROM oidc_tokens
		WHERE directory_id = ? AND grant_id = ? ORDER BY created_at, id`, directoryID, grantID)
}

// FindOIDCTokenBySecretHash finds a refresh token by the hash of its secret.
func (s *Store) FindOIDCTokenBySecretHash(ctx context.Context, directoryID, secretHash string) (*gatehouse.OIDCToken, error) {
	t, err := scanOIDCToken(s.queryRow(ctx, `SELECT `+oidcTokenColumns+` FROM oidc_tokens
		WHERE directory_id = ? AND secret_hash = ?`, directoryID, secretHash))
	if err != nil {
		return nil, notFound(err, "find token by secret", "The token does not exist.")
	}
	return t, nil
}

// UseOIDCToken sets the token's UsedAt. ECONFLICT when it was used before.
func (s *Store) UseOIDCToken(ctx context.Context, directoryID, id string, now time.Time) error {
	return s.inTx(ctx, func(s *Store) error {
		var used any
		err := s.w.QueryRowContext(ctx, `SELECT used_at FROM oidc_tokens WHERE directory_id = ? AND id = ?`,
			directoryID, id).Scan(&used)
		if err != nil {
			return notFound(err, "use token", "The token does not exist.")
		}
		if used != nil {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "The token was used before.")
		}
		_, err = s.w.ExecContext(ctx, `UPDATE oidc_tokens SET used_at = ? WHERE directory_id = ? AND id = ?`,
			micros(now), directoryID, id)
		return internal(err, "use token")
	})
}

// RevokeOIDCToken sets the token's RevokedAt, when it is not revoked yet.
func (s *Store) RevokeOIDCToken(ctx context.Context, directoryID, id string, now time.Time) error {
	return s.exec(ctx, "revoke token", "The token does not exist.", `UPDATE oidc_tokens
		SET revoked_at = coalesce(revoked_at, ?) WHERE directory_id = ? AND id = ?`, micros(now), directoryID, id)
}
