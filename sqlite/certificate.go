package sqlite

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

const certificateColumns = `directory_id, id, coalesce(app_id, ''), der, encrypted_key, thumbprint, not_before,
	not_after, active, deactivated_at, created_at`

func scanCertificate(row scanner) (*gatehouse.Certificate, error) {
	var c gatehouse.Certificate
	if err := row.Scan(&c.DirectoryID, &c.ID, &c.AppID, &c.DER, &c.EncryptedKey, &c.Thumbprint,
		timeAt{&c.NotBefore}, timeAt{&c.NotAfter}, &c.Active, zeroTimeAt{&c.DeactivatedAt}, timeAt{&c.CreatedAt}); err != nil {
		return nil, err
	}
	return &c, nil
}

// CreateCertificate stores c. If c.Active, every other certificate of the same owner becomes inactive, the one that
// was active with DeactivatedAt = c.CreatedAt. ENOTFOUND if the owner (the app, or the directory when AppID is "")
// does not exist.
func (s *Store) CreateCertificate(ctx context.Context, c *gatehouse.Certificate) error {
	insert := func(s *Store) error {
		_, err := s.w.ExecContext(ctx, `INSERT INTO certificates (directory_id, id, app_id, der, encrypted_key,
			thumbprint, not_before, not_after, active, deactivated_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.DirectoryID, c.ID, nullString(c.AppID), c.DER, c.EncryptedKey, c.Thumbprint, micros(c.NotBefore),
			micros(c.NotAfter), c.Active, nullMicros(c.DeactivatedAt), micros(c.CreatedAt))
		return wrap(err, "create certificate", msgs{
			conflict: "A certificate with this ID already exists.",
			missing:  "The app (or the directory) of the certificate does not exist.",
		})
	}
	if !c.Active {
		return insert(s)
	}
	return s.inTx(ctx, func(s *Store) error {
		if _, err := s.w.ExecContext(ctx, `UPDATE certificates SET active = 0, deactivated_at = ?
			WHERE directory_id = ? AND app_id IS ? AND active = 1`, micros(c.CreatedAt), c.DirectoryID,
			nullString(c.AppID)); err != nil {
			return internal(err, "deactivate certificates")
		}
		return insert(s)
	})
}

// FindCertificate returns the certificate with the given ID.
func (s *Store) FindCertificate(ctx context.Context, directoryID, id string) (*gatehouse.Certificate, error) {
	c, err := scanCertificate(s.r.QueryRowContext(ctx, `SELECT `+certificateColumns+` FROM certificates
		WHERE directory_id = ? AND id = ?`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find certificate", "The certificate does not exist.")
	}
	return c, nil
}

// FindCertificates returns the certificates of an app, or of the directory itself when appID is "", newest first.
func (s *Store) FindCertificates(ctx context.Context, directoryID, appID string) ([]*gatehouse.Certificate, error) {
	return queryList(ctx, s.r, "find certificates", scanCertificate, `SELECT `+certificateColumns+`
		FROM certificates WHERE directory_id = ? AND app_id IS ?
		ORDER BY created_at DESC, id DESC`, directoryID, nullString(appID))
}

// FindExpiringCertificates returns the directory's active certificates whose NotAfter is before the given time,
// soonest first.
func (s *Store) FindExpiringCertificates(ctx context.Context, directoryID string, before time.Time) ([]*gatehouse.Certificate, error) {
	return queryList(ctx, s.r, "find expiring certificates", scanCertificate, `SELECT `+certificateColumns+`
		FROM certificates WHERE directory_id = ? AND active = 1 AND not_after < ?
		ORDER BY not_after, id`, directoryID, micros(before))
}

// ActivateCertificate makes the certificate active and every other certificate of the same owner inactive; the one
// that was active gets DeactivatedAt = now, the newly active one a zero DeactivatedAt.
func (s *Store) ActivateCertificate(ctx context.Context, directoryID, id string, now time.Time) error {
	return s.inTx(ctx, func(s *Store) error {
		var appID any
		err := s.w.QueryRowContext(ctx, `SELECT app_id FROM certificates WHERE directory_id = ? AND id = ?`,
			directoryID, id).Scan(&appID)
		if err != nil {
			return notFound(err, "activate certificate", "The certificate does not exist.")
		}
		if _, err := s.w.ExecContext(ctx, `UPDATE certificates SET active = 0, deactivated_at = ?
			WHERE directory_id = ? AND app_id IS ? AND id <> ? AND active = 1`, micros(now), directoryID, appID,
			id); err != nil {
			return internal(err, "deactivate certificates")
		}
		return s.exec(ctx, "activate certificate", "The certificate does not exist.",
			`UPDATE certificates SET active = 1, deactivated_at = NULL WHERE directory_id = ? AND id = ?`, directoryID, id)
	})
}

// DeleteCertificate deletes the certificate.
func (s *Store) DeleteCertificate(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete certificate", "The certificate does not exist.",
		`DELETE FROM certificates WHERE directory_id = ? AND id = ?`, directoryID, id)
}
