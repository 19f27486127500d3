package sqlite

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

const apiTokenColumns = `id, secret_hash, prefix, directory_id, user_id, name, created_at, expires_at, last_used_at`

func scanAPIToken(row scanner) (*gatehouse.APIToken, error) {
	var t gatehouse.APIToken
	if err := row.Scan(&t.ID, &t.SecretHash, &t.Prefix, &t.DirectoryID, &t.UserID, &t.Name, timeAt{&t.CreatedAt},
		optTimeAt{&t.ExpiresAt}, optTimeAt{&t.LastUsedAt}); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateAPIToken stores t. ENOTFOUND if its user is not in its directory.
func (s *Store) CreateAPIToken(ctx context.Context, t *gatehouse.APIToken) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO api_tokens (`+apiTokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.SecretHash, t.Prefix, t.DirectoryID, t.UserID, t.Name, micros(t.CreatedAt), microsPtr(t.ExpiresAt),
		microsPtr(t.LastUsedAt))
	return wrap(err, "create API token", msgs{
		conflict: "An API token with this ID or secret already exists.",
		missing:  "The user does not exist in the directory.",
	})
}

// FindAPITokenBySecretHash returns ENOTFOUND when the token is missing or expired at now.
func (s *Store) FindAPITokenBySecretHash(ctx context.Context, secretHash string, now time.Time) (*gatehouse.APIToken, error) {
	t, err := scanAPIToken(s.queryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens
		WHERE secret_hash = ? AND (expires_at IS NULL OR expires_at > ?)`, secretHash, micros(now)))
	if err != nil {
		return nil, notFound(err, "find API token", "The API token does not exist or has expired.")
	}
	return t, nil
}

// FindAPITokens returns a user's tokens (every token of the directory when userID is ""), newest first.
func (s *Store) FindAPITokens(ctx context.Context, directoryID, userID string) ([]*gatehouse.APIToken, error) {
	return queryList(ctx, s.r, "find API tokens", scanAPIToken, `SELECT `+apiTokenColumns+` FROM api_tokens
		WHERE directory_id = ?1 AND (?2 = '' OR user_id = ?2) ORDER BY created_at DESC, id DESC`, directoryID, userID)
}

// TouchAPIToken sets the token's LastUsedAt. ENOTFOUND if there is no such token.
func (s *Store) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	return s.exec(ctx, "touch API token", "The API token does not exist.",
		`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, micros(at), id)
}

// DeleteAPIToken deletes the token.
func (s *Store) DeleteAPIToken(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete API token", "The API token does not exist.",
		`DELETE FROM api_tokens WHERE directory_id = ? AND id = ?`, directoryID, id)
}
