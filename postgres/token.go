package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

const apiTokenColumns = `id, secret_hash, prefix, directory_id, user_id, name, created_at, expires_at, last_used_at`

func scanAPIToken(row scanner) (*gatehouse.APIToken, error) {
	var t gatehouse.APIToken
	if err := row.Scan(&t.ID, &t.SecretHash, &t.Prefix, &t.DirectoryID, &t.UserID, &t.Name, &t.CreatedAt,
		&t.ExpiresAt, &t.LastUsedAt); err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = utc(t.CreatedAt), utcPtr(t.ExpiresAt), utcPtr(t.LastUsedAt)
	return &t, nil
}

// CreateAPIToken stores t. ENOTFOUND if its user is not in its directory.
func (s *Store) CreateAPIToken(ctx context.Context, t *gatehouse.APIToken) error {
	_, err := s.db.Exec(ctx, `INSERT INTO api_tokens (`+apiTokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.ID, t.SecretHash, t.Prefix, t.DirectoryID, t.UserID, t.Name, t.CreatedAt, t.ExpiresAt, t.LastUsedAt)
	return wrap(err, "create API token")
}

// FindAPITokenBySecretHash returns ENOTFOUND when the token is missing or expired at now.
func (s *Store) FindAPITokenBySecretHash(ctx context.Context, secretHash string, now time.Time) (*gatehouse.APIToken, error) {
	t, err := scanAPIToken(s.db.QueryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens
		WHERE secret_hash = $1 AND (expires_at IS NULL OR expires_at > $2)`, secretHash, now))
	if err != nil {
		return nil, notFound(err, "find API token", "The API token does not exist or has expired.")
	}
	return t, nil
}

// FindAPITokens returns a user's tokens (every token of the directory when userID is ""), newest first.
func (s *Store) FindAPITokens(ctx context.Context, directoryID, userID string) ([]*gatehouse.APIToken, error) {
	return queryList(ctx, s.db, "find API tokens", scanAPIToken, `SELECT `+apiTokenColumns+` FROM api_tokens
		WHERE directory_id = $1 AND ($2 = '' OR user_id = $2) ORDER BY created_at DESC, id DESC`, directoryID, userID)
}

// TouchAPIToken sets the token's LastUsedAt. ENOTFOUND if there is no such token.
func (s *Store) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	return s.exec(ctx, "touch API token", "The API token does not exist.",
		`UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, id, at)
}

// DeleteAPIToken deletes the token.
func (s *Store) DeleteAPIToken(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete API token", "The API token does not exist.",
		`DELETE FROM api_tokens WHERE directory_id = $1 AND id = $2`, directoryID, id)
}
