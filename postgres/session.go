package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/sqlstore"
)

const sessionColumns = `id, directory_id, user_id, created_at, authn_instant, last_seen_at, expires_at, mfa,
	client_addr, user_agent, methods`

func scanSession(row scanner) (*gatehouse.Session, error) {
	var s gatehouse.Session
	var methods []string
	if err := row.Scan(&s.ID, &s.DirectoryID, &s.UserID, &s.CreatedAt, &s.AuthnInstant, &s.LastSeenAt, &s.ExpiresAt,
		&s.MFA, &s.ClientAddr, &s.UserAgent, &methods); err != nil {
		return nil, err
	}
	for _, m := range methods {
		s.Methods = append(s.Methods, gatehouse.AuthMethod(m))
	}
	s.CreatedAt, s.AuthnInstant, s.LastSeenAt, s.ExpiresAt = utc(s.CreatedAt), utc(s.AuthnInstant), utc(s.LastSeenAt), utc(s.ExpiresAt)
	return &s, nil
}

// CreateSession stores sess. ENOTFOUND if its user is not in its directory.
func (s *Store) CreateSession(ctx context.Context, sess *gatehouse.Session) error {
	_, err := s.db.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		sess.ID, sess.DirectoryID, sess.UserID, sess.CreatedAt, sess.AuthnInstant, sess.LastSeenAt, sess.ExpiresAt,
		sess.MFA, sess.ClientAddr, sess.UserAgent, sessionMethods(sess.Methods))
	return wrap(err, "create session")
}

// FindSession finds a session by ID. ENOTFOUND when it is missing or expired at now (ExpiresAt is not after now).
func (s *Store) FindSession(ctx context.Context, id string, now time.Time) (*gatehouse.Session, error) {
	sess, err := scanSession(s.db.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE id = $1 AND expires_at > $2`, id, now))
	if err != nil {
		return nil, notFound(err, "find session", "The session does not exist or has expired.")
	}
	return sess, nil
}

// UpdateSession replaces AuthnInstant, LastSeenAt, ExpiresAt and MFA.
func (s *Store) UpdateSession(ctx context.Context, sess *gatehouse.Session) error {
	return s.exec(ctx, "update session", "The session does not exist.", `UPDATE sessions
		SET authn_instant = $2, last_seen_at = $3, expires_at = $4, mfa = $5 WHERE id = $1`,
		sess.ID, sess.AuthnInstant, sess.LastSeenAt, sess.ExpiresAt, sess.MFA)
}

// DeleteSession deletes the session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.exec(ctx, "delete session", "The session does not exist.", `DELETE FROM sessions WHERE id = $1`, id)
}

// DeleteUserSessions deletes every session of a user; none is not an error.
func (s *Store) DeleteUserSessions(ctx context.Context, directoryID, userID string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE directory_id = $1 AND user_id = $2`, directoryID, userID)
	return wrap(err, "delete user sessions")
}

// FindSessions returns a directory's sessions that have not expired at now, oldest first. It is not part of
// gatehouse.Store: storecopy uses it to carry sessions over, so people stay signed in after a move.
func (s *Store) FindSessions(ctx context.Context, directoryID string, now time.Time) ([]*gatehouse.Session, error) {
	return queryList(ctx, s.db, "find sessions", scanSession, `SELECT `+sessionColumns+` FROM sessions
		WHERE directory_id = $1 AND expires_at > $2 ORDER BY created_at, id`, directoryID, now)
}

// signOnStateSQL reads the configuration generation of directory $1 with session $2, unexpired at $3, and its user.
var signOnStateSQL = `SELECT coalesce((SELECT generation FROM config_generations WHERE directory_id = $1), 0),
	` + sqlstore.Qualified("s", sessionColumns) + `, ` + userColumnsOf + `
	FROM sessions s JOIN users u ON u.directory_id = s.directory_id AND u.id = s.user_id
	WHERE s.id = $2 AND s.expires_at > $3`

// FindSignOnState reads the directory's configuration generation, and the session with its user, in one read when
// sessionID is not "".
func (s *Store) FindSignOnState(ctx context.Context, directoryID, sessionID string, now time.Time) (*gatehouse.SignOnState, error) {
	st := &gatehouse.SignOnState{}
	if sessionID != "" {
		row := s.db.QueryRow(ctx, signOnStateSQL, directoryID, sessionID, now)
		var err error
		st.Session, err = scanSession(sqlstore.Joined{Row: row, Lead: []any{&st.Generation}, Second: func(row scanner) (err error) {
			st.User, err = scanUser(row)
			return err
		}})
		switch {
		case err == nil:
			return st, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return nil, wrap(err, "find sign-on state")
		}
		st.Session, st.User = nil, nil
	}
	var err error
	st.Generation, err = s.ConfigGeneration(ctx, directoryID)
	if err != nil {
		return nil, err
	}
	return st, nil
}
