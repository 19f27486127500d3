package sqlite

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

const signInEventColumns = `directory_id, id, time, user_id, user_name, app_id, app_name, result, code, reason,
	correlation_id, client_addr, session_id, protocol, hint, setting`

func scanSignInEvent(row scanner) (*gatehouse.SignInEvent, error) {
	var e gatehouse.SignInEvent
	if err := row.Scan(&e.DirectoryID, &e.ID, timeAt{&e.Time}, &e.UserID, &e.UserName, &e.AppID, &e.AppName,
		&e.Result, &e.Code, &e.Reason, &e.CorrelationID, &e.ClientAddr, &e.SessionID,
		&e.Protocol, &e.Hint, &e.Setting); err != nil {
		return nil, err
	}
	return &e, nil
}

// CreateSignInEvent appends e to the sign-in log. Outside InTx it shares a transaction with concurrent sign-on
// records (CreateSignInEventOnce).
func (s *Store) CreateSignInEvent(ctx context.Context, e *gatehouse.SignInEvent) error {
	return s.CreateSignInEventOnce(ctx, e, "", time.Time{})
}

// signInFilter is the WHERE clause of FindSignInEvents: ?1 the directory, then the filter's fields.
const signInFilter = `directory_id = ?1 AND (?2 = '' OR user_id = ?2) AND (?3 = '' OR app_id = ?3)
	AND (?4 = '' OR result = ?4) AND time >= ?5 AND (?6 = '' OR session_id = ?6)`

// FindSignInEvents returns matching events newest first, and how many match in all. Events at or after f.Since
// match; a zero Since matches every event. The count and the page are two statements, as on PostgreSQL: the log grows without bound, and a window count would read every matching row for each page instead of one index range.
func (s *Store) FindSignInEvents(ctx context.Context, directoryID string, f gatehouse.SignInFilter) ([]*gatehouse.SignInEvent, int, error) {
	offset, limit := page(f.Offset, f.Limit)
	args := []any{directoryID, f.UserID, f.AppID, f.Result, micros(f.Since), f.SessionID}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM sign_in_events WHERE `+signInFilter, args...).Scan(&n); err != nil {
		return nil, 0, internal(err, "count sign-in events")
	}
	events, err := queryList(ctx, s.r, "find sign-in events", scanSignInEvent, `SELECT `+signInEventColumns+`
		FROM sign_in_events WHERE `+signInFilter+` ORDER BY time DESC, id DESC LIMIT ?7 OFFSET ?8`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	return events, n, nil
}

// FindSignInEvent returns the sign-in event with the given ID.
func (s *Store) FindSignInEvent(ctx context.Context, directoryID, id string) (*gatehouse.SignInEvent, error) {
	e, err := scanSignInEvent(s.r.QueryRowContext(ctx, `SELECT `+signInEventColumns+` FROM sign_in_events
		WHERE directory_id = ? AND id = ?`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find sign-in event", "The sign-in event does not exist.")
	}
	return e, nil
}

const auditEventColumns = `directory_id, id, time, actor_id, actor_name, action, target_type, target_id, before,
	after, correlation_id`

func scanAuditEvent(row scanner) (*gatehouse.AuditEvent, error) {
	var e gatehouse.AuditEvent
	if err := row.Scan(&e.DirectoryID, &e.ID, timeAt{&e.Time}, &e.ActorID, &e.ActorName, &e.Action, &e.TargetType,
		&e.TargetID, &e.Before, &e.After, &e.CorrelationID); err != nil {
		return nil, err
	}
	return &e, nil
}

// CreateAuditEvent appends e to the audit log.
func (s *Store) CreateAuditEvent(ctx context.Context, e *gatehouse.AuditEvent) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit_events (`+auditEventColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.DirectoryID, e.ID, micros(e.Time), e.ActorID, e.ActorName, e.Action, e.TargetType, e.TargetID, e.Before,
		e.After, e.CorrelationID)
	return wrap(err, "create audit event", msgs{
		conflict: "An audit event with this ID already exists.",
		missing:  "The directory does not exist.",
	})
}

// auditFilter is the WHERE clause of FindAuditEvents: ?1 the directory, then the filter's fields.
const auditFilter = `directory_id = ?1 AND (?2 = '' OR actor_id = ?2) AND (?3 = '' OR target_type = ?3)
	AND (?4 = '' OR target_id = ?4)`

// FindAuditEvents returns matching events newest first, and how many match in all, in two statements as
// FindSignInEvents.
func (s *Store) FindAuditEvents(ctx context.Context, directoryID string, f gatehouse.AuditFilter) ([]*gatehouse.AuditEvent, int, error) {
	offset, limit := page(f.Offset, f.Limit)
	args := []any{directoryID, f.ActorID, f.TargetType, f.TargetID}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM audit_events WHERE `+auditFilter, args...).Scan(&n); err != nil {
		return nil, 0, internal(err, "count audit events")
	}
	events, err := queryList(ctx, s.r, "find audit events", scanAuditEvent, `SELECT `+auditEventColumns+`
		FROM audit_events WHERE `+auditFilter+` ORDER BY time DESC, id DESC LIMIT ?5 OFFSET ?6`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	return events, n, nil
}
