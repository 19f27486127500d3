package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse"
)

// SetNotificationEmails replaces the certificate expiry notification addresses of an app, or of the directory when
// appID is "". ENOTFOUND if the owner does not exist.
func (s *Store) SetNotificationEmails(ctx context.Context, directoryID, appID string, emails []string) error {
	if emails == nil {
		emails = []string{}
	}
	return s.inTx(ctx, func(s *Store) error {
		if _, err := s.db.Exec(ctx, `DELETE FROM notification_emails
			WHERE directory_id = $1 AND app_id IS NOT DISTINCT FROM $2`, directoryID, nullString(appID)); err != nil {
			return wrap(err, "delete notification emails")
		}
		_, err := s.db.Exec(ctx, `INSERT INTO notification_emails (directory_id, app_id, emails) VALUES ($1, $2, $3)`,
			directoryID, nullString(appID), emails)
		return wrap(err, "set notification emails")
	})
}

// FindNotificationEmails returns the certificate expiry notification addresses of an app, or of the directory when
// appID is "".
func (s *Store) FindNotificationEmails(ctx context.Context, directoryID, appID string) ([]string, error) {
	var list []string
	err := s.db.QueryRow(ctx, `SELECT emails FROM notification_emails
		WHERE directory_id = $1 AND app_id IS NOT DISTINCT FROM $2`, directoryID, nullString(appID)).Scan(&list)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, wrap(err, "find notification emails")
	}
	if list == nil {
		list = []string{}
	}
	return list, nil
}

// ClaimCertificateNotice claims n unless it was sent or another claim of it is younger than lease: one statement,
// so two claims at once cannot both succeed.
func (s *Store) ClaimCertificateNotice(ctx context.Context, n *gatehouse.CertificateNotice, lease time.Duration) error {
	tag, err := s.db.Exec(ctx, `INSERT INTO certificate_notices (directory_id, certificate_id, days, claimed_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (directory_id, certificate_id, days) DO UPDATE SET claimed_at = excluded.claimed_at
		WHERE certificate_notices.sent_at IS NULL AND certificate_notices.claimed_at <= $5`,
		n.DirectoryID, n.CertificateID, n.Days, n.ClaimedAt, n.ClaimedAt.Add(-lease))
	if err != nil {
		return wrap(err, "claim certificate notice")
	}
	if tag.RowsAffected() == 0 {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "The notice was sent, or is being sent.")
	}
	return nil
}

// FinishCertificateNotice marks a claimed notice sent, or drops the claim when n.SentAt is zero.
func (s *Store) FinishCertificateNotice(ctx context.Context, n *gatehouse.CertificateNotice) error {
	const missing = "The notice is not claimed."
	if n.SentAt.IsZero() {
		return s.exec(ctx, "release certificate notice", missing, `DELETE FROM certificate_notices
			WHERE directory_id = $1 AND certificate_id = $2 AND days = $3 AND sent_at IS NULL`,
			n.DirectoryID, n.CertificateID, n.Days)
	}
	return s.exec(ctx, "finish certificate notice", missing, `UPDATE certificate_notices SET sent_at = $4
		WHERE directory_id = $1 AND certificate_id = $2 AND days = $3 AND sent_at IS NULL`,
		n.DirectoryID, n.CertificateID, n.Days, n.SentAt)
}

// FindCertificateNotices returns the directory's certificate notices, ordered by claim time.
func (s *Store) FindCertificateNotices(ctx context.Context, directoryID string) ([]*gatehouse.CertificateNotice, error) {
	return queryList(ctx, s.db, "find certificate notices", func(row scanner) (*gatehouse.CertificateNotice, error) {
		var n gatehouse.CertificateNotice
		var sentAt *time.Time
		if err := row.Scan(&n.DirectoryID, &n.CertificateID, &n.Days, &n.ClaimedAt, &sentAt); err != nil {
			return nil, err
		}
		n.ClaimedAt = utc(n.ClaimedAt)
		if sentAt != nil {
			n.SentAt = sentAt.UTC()
		}
		return &n, nil
	}, `SELECT directory_id, certificate_id, days, claimed_at, sent_at FROM certificate_notices
		WHERE directory_id = $1 ORDER BY claimed_at, certificate_id, days`, directoryID)
}
