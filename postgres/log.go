package postgres

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-idp/gatehouse"
)

const signInEventColumns = `directory_id, id, time, user_id, user_name, app_id, app_name, result, code, reason,
	correlation_id, client_addr, session_id, protocol, hint, setting`

func scanSignInEvent(row scanner) (*gatehouse.SignInEvent, error) {
	var e gatehouse.SignInEvent
	if err := row.Scan(&e.DirectoryID, &e.ID, &e.Time, &e.UserID, &e.UserName, &e.AppID, &e.AppName, &e.Result,
		&e.Code, &e.Reason, &e.CorrelationID, &e.ClientAddr, &e.SessionID, &e.Protocol, &e.Hint, &e.Setting); err != nil {
		return nil, err
	}
	e.Time = utc(e.Time)
	return &e, nil
}

// CreateSignInEvent appends e to the sign-in log. Text PostgreSQL cannot store (invalid UTF-8 and NUL bytes, as in a
// user name an attacker typed) is logged with U+FFFD in its place rather than lost.
func (s *Store) CreateSignInEvent(ctx context.Context, e *gatehouse.SignInEvent) error {
	_, err := s.db.Exec(ctx, `INSERT INTO sign_in_events (`+signInEventColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		e.DirectoryID, e.ID, e.Time, text(e.UserID), text(e.UserName), text(e.AppID), text(e.AppName), text(e.Result),
		text(e.Code), text(e.Reason), text(e.CorrelationID), text(e.ClientAddr), text(e.SessionID), text(e.Protocol),
		text(e.Hint), text(e.Setting))
	return wrap(err, "create sign-in event")
}

// CreateSignInEventOnce appends e to the sign-in log and, when key is not "", records key in the replay cache until
// expiresAt, in one statement (a data-modifying WITH) and therefore one transaction and one round trip. ECONFLICT,
// with nothing written, when the key was recorded before and has not expired at e.Time. Concurrent calls commit
// separately; PostgreSQL flushes the write-ahead log of commits that arrive together at once (its own group commit).
func (s *Store) CreateSignInEventOnce(ctx context.Context, e *gatehouse.SignInEvent, key string, expiresAt time.Time) error {
	if key == "" {
		return s.CreateSignInEvent(ctx, e)
	}
	tag, err := s.db.Exec(ctx, `WITH used AS (
			INSERT INTO replay (key, expires_at) VALUES ($17, $18)
			ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE replay.expires_at <= $3
			RETURNING 1)
		INSERT INTO sign_in_events (`+signInEventColumns+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 WHERE EXISTS (SELECT 1 FROM used)`,
		e.DirectoryID, e.ID, e.Time, text(e.UserID), text(e.UserName), text(e.AppID), text(e.AppName), text(e.Result),
		text(e.Code), text(e.Reason), text(e.CorrelationID), text(e.ClientAddr), text(e.SessionID), text(e.Protocol),
		text(e.Hint), text(e.Setting), key, expiresAt)
	if err != nil {
		return wrap(err, "create sign-in event")
	}
	if tag.RowsAffected() == 0 {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "This ID has been used already.")
	}
	return nil
}

// StartSignInEventOnce runs CreateSignInEventOnce on a connection of its own while the caller goes on; wait returns
// its outcome. Inside InTx, whose connection is the caller's, it runs before StartSignInEventOnce returns.
func (s *Store) StartSignInEventOnce(ctx context.Context, e *gatehouse.SignInEvent, key string, expiresAt time.Time) (wait func() error) {
	if s.tx != nil {
		err := s.CreateSignInEventOnce(ctx, e, key, expiresAt)
		return func() error { return err }
	}
	done := make(chan error, 1)
	go func() { done <- s.CreateSignInEventOnce(ctx, e, key, expiresAt) }()
	return func() error { return <-done }
}

// signInFilter is the WHERE clause of FindSignInEvents: $1 the directory, then the filter's fields.
const signInFilter = `directory_id = $1 AND ($2 = '' OR user_id = $2) AND ($3 = '' OR app_id = $3)
	AND ($4 = '' OR result = $4) AND time >= $5 AND ($6 = '' OR session_id = $6)`

// FindSignInEvents returns matching events newest first, and how many match in all. Events at or after f.Since
// match; a zero Since matches every event. The count and the page are two statements, as on SQLite: the log grows without bound, and a window count would read every matching row for each page instead of
// one index range.
func (s *Store) FindSignInEvents(ctx context.Context, directoryID string, f gatehouse.SignInFilter) ([]*gatehouse.SignInEvent, int, error) {
	offset, limit := page(f.Offset, f.Limit)
	args := []any{directoryID, f.UserID, f.AppID, f.Result, f.Since, f.SessionID}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM sign_in_events WHERE `+signInFilter, args...).Scan(&n); err != nil {
		return nil, 0, wrap(err, "count sign-in events")
	}
	events, err := queryList(ctx, s.db, "find sign-in events", scanSignInEvent, `SELECT `+signInEventColumns+`
		FROM sign_in_events WHERE `+signInFilter+` ORDER BY time DESC, id DESC LIMIT $7 OFFSET $8`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	return events, n, nil
}

// FindSignInEvent returns the sign-in event with the given ID.
func (s *Store) FindSignInEvent(ctx context.Context, directoryID, id string) (*gatehouse.SignInEvent, error) {
	e, err := scanSignInEvent(s.db.QueryRow(ctx, `SELECT `+signInEventColumns+` FROM sign_in_events
		WHERE directory_id = $1 AND id = $2`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find sign-in event", "The sign-in event does not exist.")
	}
	return e, nil
}

const auditEventColumns = `directory_id, id, time, actor_id, actor_name, action, target_type, target_id, before,
	after, correlation_id`

func scanAuditEvent(row scanner) (*gatehouse.AuditEvent, error) {
	var e gatehouse.AuditEvent
	if err := row.Scan(&e.DirectoryID, &e.ID, &e.Time, &e.ActorID, &e.ActorName, &e.Action, &e.TargetType,
		&e.TargetID, &e.Before, &e.After, &e.CorrelationID); err != nil {
		return nil, err
	}
	e.Time = utc(e.Time)
	return &e, nil
}

// CreateAuditEvent appends e to the audit log, with text PostgreSQL cannot store replaced as in CreateSignInEvent.
func (s *Store) CreateAuditEvent(ctx context.Context, e *gatehouse.AuditEvent) error {
	_, err := s.db.Exec(ctx, `INSERT INTO audit_events (`+auditEventColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.DirectoryID, e.ID, e.Time, text(e.ActorID), text(e.ActorName), text(e.Action), text(e.TargetType),
		text(e.TargetID), text(e.Before), text(e.After), text(e.CorrelationID))
	return wrap(err, "create audit event")
}

// auditFilter is the WHERE clause of FindAuditEvents: $1 the directory, then the filter's fields.
const auditFilter = `directory_id = $1 AND ($2 = '' OR actor_id = $2) AND ($3 = '' OR target_type = $3)
	AND ($4 = '' OR target_id = $4)`

// FindAuditEvents returns matching events newest first, and how many match in all, in two statements as
// FindSignInEvents.
func (s *Store) FindAuditEvents(ctx context.Context, directoryID string, f gatehouse.AuditFilter) ([]*gatehouse.AuditEvent, int, error) {
	offset, limit := page(f.Offset, f.Limit)
	args := []any{directoryID, f.ActorID, f.TargetType, f.TargetID}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE `+auditFilter, args...).Scan(&n); err != nil {
		return nil, 0, wrap(err, "count audit events")
	}
	events, err := queryList(ctx, s.db, "find audit events", scanAuditEvent, `SELECT `+auditEventColumns+`
		FROM audit_events WHERE `+auditFilter+` ORDER BY time DESC, id DESC LIMIT $5 OFFSET $6`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	return events, n, nil
}

// text returns s with each invalid UTF-8 sequence and each NUL byte replaced by U+FFFD, which PostgreSQL's text can
// hold; valid text is returned as is.
func text(s string) string {
	if !strings.ContainsRune(s, 0) && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
