package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

const certificateColumns = `directory_id, id, coalesce(app_id, ''), der, encrypted_key, thumbprint, not_before,
	not_after, active, deactivated_at, created_at`

func scanCertificate(row scanner) (*gatehouse.Certificate, error) {
	var c gatehouse.Certificate
	var deactivatedAt *time.Time
	if err := row.Scan(&c.DirectoryID, &c.ID, &c.AppID, &c.DER, &c.EncryptedKey, &c.Thumbprint, &c.NotBefore,
		&c.NotAfter, &c.Active, &deactivatedAt, &c.CreatedAt); err != nil {
		return nil, err
	}
	c.NotBefore, c.NotAfter, c.CreatedAt = utc(c.NotBefore), utc(c.NotAfter), utc(c.CreatedAt)
	if deactivatedAt != nil {
		c.DeactivatedAt = deactivatedAt.UTC()
	}
	return &c, nil
}

// CreateCertificate stores c. If c.Active, every other certificate of the same owner becomes inactive, the one that
// was active with DeactivatedAt = c.CreatedAt.
func (s *Store) CreateCertificate(ctx context.Context, c *gatehouse.Certificate) error {
	return s.inTx(ctx, func(s *Store) error {
		if c.Active {
			if err := s.lockOwner(ctx, c.DirectoryID, c.AppID); err != nil {
				return err
			}
			if _, err := s.db.Exec(ctx, `UPDATE certificates SET active = false, deactivated_at = $3
				WHERE directory_id = $1 AND app_id IS NOT DISTINCT FROM $2 AND active`,
				c.DirectoryID, nullString(c.AppID), c.CreatedAt); err != nil {
				return wrap(err, "deactivate certificates")
			}
		}
		_, err := s.db.Exec(ctx, `INSERT INTO certificates (`+certificateColumnsInsert+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			c.DirectoryID, c.ID, nullString(c.AppID), c.DER, c.EncryptedKey, c.Thumbprint, c.NotBefore, c.NotAfter,
			c.Active, c.CreatedAt, nullTime(c.DeactivatedAt))
		return wrap(err, "create certificate")
	})
}

const certificateColumnsInsert = `directory_id, id, app_id, der, encrypted_key, thumbprint, not_before, not_after,
	active, created_at, deactivated_at`

// FindCertificate returns the certificate with the given ID.
func (s *Store) FindCertificate(ctx context.Context, directoryID, id string) (*gatehouse.Certificate, error) {
	c, err := scanCertificate(s.db.QueryRow(ctx, `SELECT `+certificateColumns+` FROM certificates
		WHERE directory_id = $1 AND id = $2`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find certificate", "The certificate does not exist.")
	}
	return c, nil
}

// FindCertificates returns the certificates of an app, or of the directory itself when appID is "", newest first.
func (s *Store) FindCertificates(ctx context.Context, directoryID, appID string) ([]*gatehouse.Certificate, error) {
	return queryList(ctx, s.db, "find certificates", scanCertificate, `SELECT `+certificateColumns+`
		FROM certificates WHERE directory_id = $1 AND app_id IS NOT DISTINCT FROM $2
		ORDER BY created_at DESC, id DESC`, directoryID, nullString(appID))
}

// FindExpiringCertificates returns the directory's active certificates whose NotAfter is before the given time,
// soonest first.
func (s *Store) FindExpiringCertificates(ctx context.Context, directoryID string, before time.Time) ([]*gatehouse.Certificate, error) {
	return queryList(ctx, s.db, "find expiring certificates", scanCertificate, `SELECT `+certificateColumns+`
		FROM certificates WHERE directory_id = $1 AND active AND not_after < $2
		ORDER BY not_after, id`, directoryID, before)
}

// ActivateCertificate makes the certificate active and every other certificate of the same owner inactive; the one
// that was active gets DeactivatedAt = now, the newly active one a zero DeactivatedAt.
func (s *Store) ActivateCertificate(ctx context.Context, directoryID, id string, now time.Time) error {
	return s.inTx(ctx, func(s *Store) error {
		var appID string
		err := s.db.QueryRow(ctx, `SELECT coalesce(app_id, '') FROM certificates WHERE directory_id = $1 AND id = $2`,
			directoryID, id).Scan(&appID)
		if err != nil {
			return notFound(err, "activate certificate", "The certificate does not exist.")
		}
		if err := s.lockOwner(ctx, directoryID, appID); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, `UPDATE certificates SET active = false, deactivated_at = $4
			WHERE directory_id = $1 AND app_id IS NOT DISTINCT FROM $2 AND id <> $3 AND active`,
			directoryID, nullString(appID), id, now); err != nil {
			return wrap(err, "deactivate certificates")
		}
		// The certificate may have been deleted while waiting for the lock.
		return s.exec(ctx, "activate certificate", "The certificate does not exist.",
			`UPDATE certificates SET active = true, deactivated_at = NULL WHERE directory_id = $1 AND id = $2`,
			directoryID, id)
	})
}

// DeleteCertificate deletes the certificate.
func (s *Store) DeleteCertificate(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete certificate", "The certificate does not exist.",
		`DELETE FROM certificates WHERE directory_id = $1 AND id = $2`, directoryID, id)
}

// lockOwner locks the row of a certificate owner (the app, or the directory when appID is ""), so that changes to
// which of its certificates is active take turns instead of failing on the one-active-certificate index. The lock
// does not block foreign key checks (FOR NO KEY UPDATE). A missing owner is not an error here.
func (s *Store) lockOwner(ctx context.Context, directoryID, appID string) error {
	var err error
	if appID == "" {
		_, err = s.db.Exec(ctx, `SELECT 1 FROM directories WHERE id = $1 FOR NO KEY UPDATE`, directoryID)
	} else {
		_, err = s.db.Exec(ctx, `SELECT 1 FROM apps WHERE directory_id = $1 AND id = $2 FOR NO KEY UPDATE`,
			directoryID, appID)
	}
	return wrap(err, "lock certificate owner")
}
