package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// UseOnce records key until expiresAt. ECONFLICT if the key was recorded before and has not expired at now. The
// insert, or the refresh of an expired key, is one statement: of several nodes using the same key at once, exactly
// one succeeds.
func (s *Store) UseOnce(ctx context.Context, key string, now, expiresAt time.Time) error {
	tag, err := s.db.Exec(ctx, `INSERT INTO replay (key, expires_at) VALUES ($1, $3)
		ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE replay.expires_at <= $2`,
		key, now, expiresAt)
	if err != nil {
		return wrap(err, "use once")
	}
	if tag.RowsAffected() == 0 {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "This ID has been used already.")
	}
	return nil
}

// IsUsed reports whether key was recorded by UseOnce and has not expired at now. It only reads.
func (s *Store) IsUsed(ctx context.Context, key string, now time.Time) (bool, error) {
	var used bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM replay WHERE key = $1 AND expires_at > $2)`, key, now).Scan(&used)
	if err != nil {
		return false, wrap(err, "is used")
	}
	return used, nil
}

// IncrementCounter adds one to the counter named key and returns its new value, in one statement. A counter whose
// first increment is older than window starts again at one. The counter expires, for DeleteExpired, when its window
// ends.
func (s *Store) IncrementCounter(ctx context.Context, key string, now time.Time, window time.Duration) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `INSERT INTO counters AS c (key, count, started_at, expires_at) VALUES ($1, 1, $2, $4)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN c.started_at < $3 THEN 1 ELSE c.count + 1 END,
			started_at = CASE WHEN c.started_at < $3 THEN EXCLUDED.started_at ELSE c.started_at END,
			expires_at = CASE WHEN c.started_at < $3 THEN EXCLUDED.expires_at ELSE c.started_at + ($4::timestamptz - $2::timestamptz) END
		RETURNING count`, key, now, now.Add(-window), now.Add(window)).Scan(&n)
	if err != nil {
		return 0, wrap(err, "increment counter")
	}
	return n, nil
}

// ResetCounter sets the counter to zero by deleting it; a missing counter is not an error.
func (s *Store) ResetCounter(ctx context.Context, key string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM counters WHERE key = $1`, key)
	return wrap(err, "reset counter")
}

// DeleteExpired removes sessions, sign-in requests, API tokens, replay-cache keys and OpenID Connect grants and
// tokens that expired before now, and counters whose window ended before now.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) error {
	for _, q := range []struct{ op, sql string }{
		{"delete expired sessions", `DELETE FROM sessions WHERE expires_at < $1`},
		{"delete expired sign-in requests", `DELETE FROM sign_in_requests WHERE expires_at < $1`},
		{"delete expired API tokens", `DELETE FROM api_tokens WHERE expires_at < $1`},
		{"delete expired replay keys", `DELETE FROM replay WHERE expires_at < $1`},
		{"delete expired OpenID Connect grants", `DELETE FROM oidc_grants WHERE expires_at < $1`},
		{"delete expired OpenID Connect tokens", `DELETE FROM oidc_tokens WHERE expires_at < $1`},
		{"delete expired counters", `DELETE FROM counters WHERE expires_at < $1`},
	} {
		if _, err := s.db.Exec(ctx, q.sql, now); err != nil {
			return wrap(err, q.op)
		}
	}
	return nil
}
