package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gatehouse-idp/gatehouse"
)

const appColumns = `a.directory_id, a.id, a.name, a.gallery_id, a.enabled, a.assignment_required, a.visible, a.notes,
	a.logo, a.logo_type, a.saml, a.created_at, a.updated_at, a.protocol, a.oidc`

// appOrder orders apps by name: case-insensitively, then byte-wise, the same on every database collation.
const appOrder = `a.name_key COLLATE "C", a.name COLLATE "C", a.id`

func scanApp(row scanner) (*gatehouse.App, error) {
	var a gatehouse.App
	var saml, oidc []byte
	if err := row.Scan(&a.DirectoryID, &a.ID, &a.Name, &a.GalleryID, &a.Enabled, &a.AssignmentRequired, &a.Visible,
		&a.Notes, &a.Logo, &a.LogoType, &saml, &a.CreatedAt, &a.UpdatedAt, &a.Protocol, &oidc); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(saml, &a.SAML); err != nil {
		return nil, fmt.Errorf("decode the SAML settings of app %s: %w", a.ID, err)
	}
	if oidc != nil {
		a.OIDC = new(gatehouse.OIDCSettings)
		if err := json.Unmarshal(oidc, a.OIDC); err != nil {
			return nil, fmt.Errorf("decode the OpenID Connect settings of app %s: %w", a.ID, err)
		}
	}
	a.CreatedAt, a.UpdatedAt = utc(a.CreatedAt), utc(a.UpdatedAt)
	return &a, nil
}

// CreateApp stores a, and cert when it is not nil, in one transaction. ECONFLICT if a.SAML.EntityID is not empty
// and another app of the directory has it.
func (s *Store) CreateApp(ctx context.Context, a *gatehouse.App, cert *gatehouse.Certificate) error {
	saml, oidc, clientID, err := appSettings(a)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(s *Store) error {
		_, err := s.db.Exec(ctx, `INSERT INTO apps (directory_id, id, name, gallery_id, enabled, assignment_required,
			visible, notes, logo, logo_type, saml, entity_id, created_at, updated_at, name_key, protocol, oidc, client_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
			a.DirectoryID, a.ID, a.Name, a.GalleryID, a.Enabled, a.AssignmentRequired, a.Visible, a.Notes, a.Logo,
			a.LogoType, saml, a.SAML.EntityID, a.CreatedAt, a.UpdatedAt, key(a.Name), a.Protocol, oidc, clientID)
		if err != nil {
			return wrap(err, "create app")
		}
		if cert == nil {
			return nil
		}
		return s.CreateCertificate(ctx, cert)
	})
}

// appSettings returns an app's SAML and OpenID Connect settings as stored (nil, NULL, for no OpenID Connect
// settings), and its client ID.
func appSettings(a *gatehouse.App) (saml string, oidc *string, clientID string, err error) {
	b, err := json.Marshal(a.SAML)
	if err != nil {
		return "", nil, "", gatehouse.Internal(fmt.Errorf("postgres: encode the SAML settings of app %s: %w", a.ID, err))
	}
	if oidc, err = jsonOrNull(a.OIDC); err != nil {
		return "", nil, "", gatehouse.Internal(fmt.Errorf("postgres: encode the OpenID Connect settings of app %s: %w", a.ID, err))
	}
	if a.OIDC != nil {
		clientID = a.OIDC.ClientID
	}
	return string(b), oidc, clientID, nil
}

// jsonOrNull returns v as JSON, or nil (NULL) when v is a nil pointer.
func jsonOrNull[T any](v *T) (*string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// FindApp returns the app with the given ID.
func (s *Store) FindApp(ctx context.Context, directoryID, id string) (*gatehouse.App, error) {
	a, err := scanApp(s.db.QueryRow(ctx, `SELECT `+appColumns+` FROM apps a WHERE a.directory_id = $1 AND a.id = $2`,
		directoryID, id))
	if err != nil {
		return nil, notFound(err, "find app", "The app does not exist.")
	}
	return a, nil
}

// FindAppForUpdate is FindApp that, inside a transaction, locks the app's row (SELECT … FOR UPDATE) until the
// transaction ends: under READ COMMITTED two transactions that read the app and then write it whole would otherwise
// both succeed, and the later would undo the earlier's change.
func (s *Store) FindAppForUpdate(ctx context.Context, directoryID, id string) (*gatehouse.App, error) {
	if s.tx == nil {
		return s.FindApp(ctx, directoryID, id)
	}
	a, err := scanApp(s.db.QueryRow(ctx, `SELECT `+appColumns+` FROM apps a WHERE a.directory_id = $1 AND a.id = $2 FOR UPDATE`,
		directoryID, id))
	if err != nil {
		return nil, notFound(err, "find app for update", "The app does not exist.")
	}
	return a, nil
}

// FindAppByEntityID finds the app whose SAML Identifier equals entityID exactly. An empty entityID finds nothing.
func (s *Store) FindAppByEntityID(ctx context.Context, directoryID, entityID string) (*gatehouse.App, error) {
	a, err := scanApp(s.db.QueryRow(ctx, `SELECT `+appColumns+` FROM apps a
		WHERE a.directory_id = $1 AND a.entity_id = $2 AND a.entity_id <> ''`, directoryID, entityID))
	if err != nil {
		return nil, notFound(err, "find app by entity ID", "No app of the directory has this Identifier (Entity ID).")
	}
	return a, nil
}

// FindApps returns the apps whose name contains query, ignoring case, ordered by name.
func (s *Store) FindApps(ctx context.Context, directoryID, query string) ([]*gatehouse.App, error) {
	return queryList(ctx, s.db, "find apps", scanApp, `SELECT `+appColumns+` FROM apps a
		WHERE a.directory_id = $1 AND ($2 = '' OR strpos(a.name_key, $2) > 0)
		ORDER BY `+appOrder, directoryID, key(query))
}

// UpdateApp replaces every stored field of a but ID, DirectoryID and CreatedAt. ECONFLICT as in CreateApp.
func (s *Store) UpdateApp(ctx context.Context, a *gatehouse.App) error {
	saml, oidc, clientID, err := appSettings(a)
	if err != nil {
		return err
	}
	return s.exec(ctx, "update app", "The app does not exist.", `UPDATE apps SET name = $3, gallery_id = $4,
		enabled = $5, assignment_required = $6, visible = $7, notes = $8, logo = $9, logo_type = $10, saml = $11,
		entity_id = $12, updated_at = $13, name_key = $14, protocol = $15, oidc = $16, client_id = $17
		WHERE directory_id = $1 AND id = $2`,
		a.DirectoryID, a.ID, a.Name, a.GalleryID, a.Enabled, a.AssignmentRequired, a.Visible, a.Notes, a.Logo,
		a.LogoType, saml, a.SAML.EntityID, a.UpdatedAt, key(a.Name), a.Protocol, oidc, clientID)
}

// DeleteApp deletes the app and, by cascade, its certificates, assignments and pending sign-in requests.
func (s *Store) DeleteApp(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete app", "The app does not exist.",
		`DELETE FROM apps WHERE directory_id = $1 AND id = $2`, directoryID, id)
}
