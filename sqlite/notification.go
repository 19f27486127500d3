package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// SetNotificationEmails replaces the certificate expiry notification addresses of an app, or of the directory when
// appID is "". ENOTFOUND if the owner does not exist.
func (s *Store) SetNotificationEmails(ctx context.Context, directoryID, appID string, emails []string) error {
	return s.inTx(ctx, func(s *Store) error {
		if _, err := s.w.ExecContext(ctx, `DELETE FROM notification_emails WHERE directory_id = ? AND app_id IS ?`,
			directoryID, nullString(appID)); err != nil {
			return internal(err, "delete notification emails")
		}
		_, err := s.w.ExecContext(ctx, `INSERT INTO notification_emails (directory_id, app_id, emails) VALUES (?, ?, ?)`,
			directoryID, nullString(appID), jsonStrings(emails))
		return wrap(err, "set notification emails", msgs{missing: "The app (or the directory) does not exist."})
	})
}

// FindNotificationEmails returns the certificate expiry notification addresses of an app, or of the directory when
// appID is "".
func (s *Store) FindNotificationEmails(ctx context.Context, directoryID, appID string) ([]string, error) {
	var list []string
	err := s.r.QueryRowContext(ctx, `SELECT emails FROM notification_emails WHERE directory_id = ? AND app_id IS ?`,
		directoryID, nullString(appID)).Scan(stringsAt{&list})
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, internal(err, "find notification emails")
	}
	if list == nil {
		list = []string{}
	}
	return list, nil
}

// ClaimCertificateNotice claims n unless it was sent or another claim of it is younger than lease: one statement,
// so two claims at once cannot both succeed.
func (s *Store) ClaimCertificateNotice(ctx context.Context, n *gatehouse.CertificateNotice, lease time.Duration) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO certificate_notices (directory_id, certificate_id, days, claimed_at)
		VALUES (?1, ?2, ?3, ?4)
		ON CONFLICT (directory_id, certificate_id, days) DO UPDATE SET claimed_at = excluded.claimed_at
		WHERE certificate_notices.sent_at IS NULL AND certificate_notices.claimed_at <= ?5`,
		n.DirectoryID, n.CertificateID, n.Days, micros(n.ClaimedAt), micros(n.ClaimedAt.Add(-lease)))
	if err = wrap(err, "claim certificate notice", msgs{missing: "The certificate does not exist."}); err != nil {
		return err
	}
	if k, err := res.RowsAffected(); err != nil {
		return internal(err, "claim certificate notice")
	} else if k == 0 {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "The notice was sent, or is being sent.")
	}
	return nil
}

// FinishCertificateNotice marks a claimed notice sent, or drops the claim when n.SentAt is zero.
func (s *Store) FinishCertificateNotice(ctx context.Context, n *gatehouse.CertificateNotice) error {
	const missing = "The notice is not claimed."
	if n.SentAt.IsZero() {
		return s.exec(ctx, "release certificate notice", missing, `DELETE FROM certificate_notices
			WHERE directory_id = ? AND certificate_id = ? AND days = ? AND sent_at IS NULL`,
			n.DirectoryID, n.CertificateID, n.Days)
	}
	return s.exec(ctx, "finish certificate notice", missing, `UPDATE certificate_notices SET sent_at = ?
		WHERE directory_id = ? AND certificate_id = ? AND days = ? AND sent_at IS NULL`,
		micros(n.SentAt), n.DirectoryID, n.CertificateID, n.Days)
}

// FindCertificateNotices returns the directory's certificate notices, ordered by claim time.
func (s *Store) FindCertificateNotices(ctx context.Context, directoryID string) ([]*gatehouse.CertificateNotice, error) {
	return queryList(ctx, s.r, "find certificate notices", func(row scanner) (*gatehouse.CertificateNotice, error) {
		var n gatehouse.CertificateNotice
		err := row.Scan(&n.DirectoryID, &n.CertificateID, &n.Days, timeAt{&n.ClaimedAt}, zeroTimeAt{&n.SentAt})
		return &n, err
	}, `SELECT directory_id, certificate_id, days, claimed_at, sent_at FROM certificate_notices
		WHERE directory_id = ? ORDER BY claimed_at, certificate_id, days`, directoryID)
}
