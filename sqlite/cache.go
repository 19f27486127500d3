package sqlite

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// UseOnce records key until expiresAt. ECONFLICT if the key was recorded before and has not expired at now. The
// insert, or the refresh of an expired key, is one statement: of several callers using the same key at once,
// exactly one succeeds.
func (s *Store) UseOnce(ctx context.Context, key string, now, expiresAt time.Time) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO replay (key, expires_at) VALUES (?1, ?3)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay.expires_at <= ?2`,
		key, micros(now), micros(expiresAt))
	if err != nil {
		return internal(err, "use once")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return internal(err, "use once")
	}
	if n == 0 {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "This ID has been used already.")
	}
	return nil
}

// IsUsed reports whether key was recorded by UseOnce and has not expired at now. It only reads.
func (s *Store) IsUsed(ctx context.Context, key string, now time.Time) (bool, error) {
	var used bool
	err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM replay WHERE key = ? AND expires_at > ?)`, key, micros(now)).Scan(&used)
	if err != nil {
		return false, internal(err, "is used")
	}
	return used, nil
}

// IncrementCounter adds one to the counter named key and returns its new value, in one statement. A counter whose
// first increment is older than window starts again at one. The counter expires, for DeleteExpired, when its window
// ends.
func (s *Store) IncrementCounter(ctx context.Context, key string, now time.Time, window time.Duration) (int, error) {
	var n int
	err := s.w.QueryRowContext(ctx, `INSERT INTO counters (key, count, started_at, expires_at) VALUES (?1, 1, ?2, ?4)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN counters.started_at < ?3 THEN 1 ELSE counters.count + 1 END,
			started_at = CASE WHEN counters.started_at < ?3 THEN excluded.started_at ELSE counters.started_at END,
			expires_at = CASE WHEN counters.started_at < ?3 THEN excluded.expires_at ELSE counters.started_at + ?5 END
		RETURNING count`, key, micros(now), micros(now.Add(-window)), micros(now.Add(window)), window.Microseconds()).Scan(&n)
	if err != nil {
		return 0, internal(err, "increment counter")
	}
	return n, nil
}

// ResetCounter sets the counter to zero by deleting it; a missing counter is not an error.
func (s *Store) ResetCounter(ctx context.Context, key string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM counters WHERE key = ?`, key)
	return internal(err, "reset counter")
}

// DeleteExpired removes sessions, sign-in requests, API tokens, replay-cache keys and OpenID Connect grants and
// tokens that expired before now, and counters whose window ended before now, in one transaction.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) error {
	return s.inTx(ctx, func(s *Store) error {
		for _, q := range []struct{ op, sql string }{
			{"delete expired sessions", `DELETE FROM sessions WHERE expires_at < ?`},
			{"delete expired sign-in requests", `DELETE FROM sign_in_requests WHERE expires_at < ?`},
			{"delete expired API tokens", `DELETE FROM api_tokens WHERE expires_at < ?`},
			{"delete expired replay keys", `DELETE FROM replay WHERE expires_at < ?`},
			{"delete expired OpenID Connect grants", `DELETE FROM oidc_grants WHERE expires_at < ?`},
			{"delete expired OpenID Connect tokens", `DELETE FROM oidc_tokens WHERE expires_at < ?`},
			{"delete expired counters", `DELETE FROM counters WHERE expires_at < ?`},
		} {
			if _, err := s.w.ExecContext(ctx, q.sql, micros(now)); err != nil {
				return internal(err, q.op)
			}
		}
		return nil
	})
}
