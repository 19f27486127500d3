package postgres

import (
	"context"

	"github.com/gatehouse-idp/gatehouse"
)

const directoryColumns = `id, name, domain, require_mfa, logo, logo_type, created_at, updated_at`

func scanDirectory(row scanner) (*gatehouse.Directory, error) {
	var d gatehouse.Directory
	if err := row.Scan(&d.ID, &d.Name, &d.Domain, &d.RequireMFA, &d.Logo, &d.LogoType, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = utc(d.CreatedAt), utc(d.UpdatedAt)
	return &d, nil
}

// CreateDirectory stores d. ECONFLICT if the ID is taken.
func (s *Store) CreateDirectory(ctx context.Context, d *gatehouse.Directory) error {
	_, err := s.db.Exec(ctx, `INSERT INTO directories (`+directoryColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		d.ID, d.Name, d.Domain, d.RequireMFA, d.Logo, d.LogoType, d.CreatedAt, d.UpdatedAt)
	return wrap(err, "create directory")
}

// FindDirectory returns the directory with the given ID.
func (s *Store) FindDirectory(ctx context.Context, id string) (*gatehouse.Directory, error) {
	d, err := scanDirectory(s.db.QueryRow(ctx, `SELECT `+directoryColumns+` FROM directories WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "find directory", "The directory does not exist.")
	}
	return d, nil
}

// FindDirectories returns every directory, ordered by creation time.
func (s *Store) FindDirectories(ctx context.Context) ([]*gatehouse.Directory, error) {
	return queryList(ctx, s.db, "find directories", scanDirectory,
		`SELECT `+directoryColumns+` FROM directories ORDER BY created_at, id`)
}

// UpdateDirectory replaces the directory's name, domain, MFA requirement, logo and UpdatedAt.
func (s *Store) UpdateDirectory(ctx context.Context, d *gatehouse.Directory) error {
	return s.exec(ctx, "update directory", "The directory does not exist.",
		`UPDATE directories SET name = $2, domain = $3, require_mfa = $4, updated_at = $5, logo = $6, logo_type = $7
		WHERE id = $1`, d.ID, d.Name, d.Domain, d.RequireMFA, d.UpdatedAt, d.Logo, d.LogoType)
}

// DeleteDirectory deletes the directory and, by cascade, everything in it.
func (s *Store) DeleteDirectory(ctx context.Context, id string) error {
	return s.exec(ctx, "delete directory", "The directory does not exist.", `DELETE FROM directories WHERE id = $1`, id)
}

// ConfigGeneration returns the directory's configuration generation, which the triggers of migration
// 0013_config_generations.sql count up; 0 when it never changed.
func (s *Store) ConfigGeneration(ctx context.Context, directoryID string) (int64, error) {
	var g int64
	err := s.db.QueryRow(ctx, `SELECT coalesce((SELECT generation FROM config_generations WHERE directory_id = $1), 0)`,
		directoryID).Scan(&g)
	if err != nil {
		return 0, wrap(err, "find config generation")
	}
	return g, nil
}
