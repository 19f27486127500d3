package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gatehouse-idp/gatehouse"
)

const appColumns = `a.directory_id, a.id, a.name, a.gallery_id, a.enabled, a.assignment_required, a.visible, a.notes,
	a.logo, a.logo_type, a.saml, a.created_at, a.updated_at, a.protocol, a.oidc`

// appOrder orders apps by name: case-insensitively, then byte-wise.
const appOrder = `a.name_key, a.name, a.id`

func scanApp(row scanner) (*gatehouse.App, error) {
	var a gatehouse.App
	var saml, oidc string
	if err := row.Scan(&a.DirectoryID, &a.ID, &a.Name, &a.GalleryID, &a.Enabled, &a.AssignmentRequired, &a.Visible,
		&a.Notes, &a.Logo, &a.LogoType, &saml, timeAt{&a.CreatedAt}, timeAt{&a.UpdatedAt}, &a.Protocol, &oidc); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(saml), &a.SAML); err != nil {
		return nil, fmt.Errorf("decode the SAML settings of app %s: %w", a.ID, err)
	}
	if oidc != "" {
		a.OIDC = new(gatehouse.OIDCSettings)
		if err := json.Unmarshal([]byte(oidc), a.OIDC); err != nil {
			return nil, fmt.Errorf("decode the OpenID Connect settings of app %s: %w", a.ID, err)
		}
	}
	return &a, nil
}

var appConflict = msgs{
	conflict: "Another app of the directory already uses this Identifier (Entity ID), this client ID, or this ID.",
	missing:  "The directory does not exist.",
}

// CreateApp stores a, and cert when it is not nil, in one transaction. ECONFLICT if a.SAML.EntityID is not empty
// and another app of the directory has it.
func (s *Store) CreateApp(ctx context.Context, a *gatehouse.App, cert *gatehouse.Certificate) error {
	saml, oidc, clientID, err := appSettings(a)
	if err != nil {
		return err
	}
	insert := func(s *Store) error {
		_, err := s.w.ExecContext(ctx, `INSERT INTO apps (directory_id, id, name, name_key, gallery_id, enabled,
			assignment_required, visible, notes, logo, logo_type, saml, entity_id, created_at, updated_at, protocol,
			oidc, client_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.DirectoryID, a.ID, a.Name, key(a.Name), a.GalleryID, a.Enabled, a.AssignmentRequired, a.Visible, a.Notes,
			a.Logo, a.LogoType, saml, a.SAML.EntityID, micros(a.CreatedAt), micros(a.UpdatedAt), a.Protocol, oidc,
			clientID)
		return wrap(err, "create app", appConflict)
	}
	if cert == nil {
		return insert(s)
	}
	return s.inTx(ctx, func(s *Store) error {
		if err := insert(s); err != nil {
			return err
		}
		return s.CreateCertificate(ctx, cert)
	})
}

// appSettings returns an app's SAML and OpenID Connect settings as stored ("" for no OpenID Connect settings), and
// its client ID.
func appSettings(a *gatehouse.App) (saml, oidc, clientID string, err error) {
	b, err := json.Marshal(a.SAML)
	if err != nil {
		return "", "", "", gatehouse.Internal(fmt.Errorf("sqlite: encode the SAML settings of app %s: %w", a.ID, err))
	}
	if oidc, err = jsonOrEmpty(a.OIDC); err != nil {
		return "", "", "", gatehouse.Internal(fmt.Errorf("sqlite: encode the OpenID Connect settings of app %s: %w", a.ID, err))
	}
	if a.OIDC != nil {
		clientID = a.OIDC.ClientID
	}
	return string(b), oidc, clientID, nil
}

// jsonOrEmpty returns v as JSON, or "" when v is a nil pointer.
func jsonOrEmpty[T any](v *T) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// FindApp returns the app with the given ID.
func (s *Store) FindApp(ctx context.Context, directoryID, id string) (*gatehouse.App, error) {
	a, err := scanApp(s.queryRow(ctx, `SELECT `+appColumns+` FROM apps a WHERE a.directory_id = ? AND a.id = ?`,
		directoryID, id))
	if err != nil {
		return nil, notFound(err, "find app", "The app does not exist.")
	}
	return a, nil
}

// FindAppForUpdate is FindApp: a transaction of this store holds SQLite's only write lock from its start
// (_txlock=immediate), so no other transaction changes the app before it ends.
func (s *Store) FindAppForUpdate(ctx context.Context, directoryID, id string) (*gatehouse.App, error) {
	return s.FindApp(ctx, directoryID, id)
}

// FindAppByEntityID finds the app whose SAML Identifier equals entityID exactly. An empty entityID finds nothing:
// apps not configured yet have an empty Identifier.
func (s *Store) FindAppByEntityID(ctx context.Context, directoryID, entityID string) (*gatehouse.App, error) {
	a, err := scanApp(s.queryRow(ctx, `SELECT `+appColumns+` FROM apps a
		WHERE a.directory_id = ? AND a.entity_id = ? AND a.entity_id <> ''`, directoryID, entityID))
	if err != nil {
		return nil, notFound(err, "find app by entity ID", "No app of the directory has this Identifier (Entity ID).")
	}
	return a, nil
}

// FindApps returns the apps whose name contains query, ignoring case, ordered by name.
func (s *Store) FindApps(ctx context.Context, directoryID, query string) ([]*gatehouse.App, error) {
	return queryList(ctx, s.r, "find apps", scanApp, `SELECT `+appColumns+` FROM apps a
		WHERE a.directory_id = ?1 AND (?2 = '' OR instr(a.name_key, ?2) > 0)
		ORDER BY `+appOrder, directoryID, key(query))
}

// UpdateApp replaces every stored field of a but ID, DirectoryID and CreatedAt. ECONFLICT as in CreateApp.
func (s *Store) UpdateApp(ctx context.Context, a *gatehouse.App) error {
	saml, oidc, clientID, err := appSettings(a)
	if err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE apps SET name = ?3, name_key = ?4, gallery_id = ?5, enabled = ?6,
		assignment_required = ?7, visible = ?8, notes = ?9, logo = ?10, logo_type = ?11, saml = ?12, entity_id = ?13,
		updated_at = ?14, protocol = ?15, oidc = ?16, client_id = ?17
		WHERE directory_id = ?1 AND id = ?2`,
		a.DirectoryID, a.ID, a.Name, key(a.Name), a.GalleryID, a.Enabled, a.AssignmentRequired, a.Visible, a.Notes,
		a.Logo, a.LogoType, saml, a.SAML.EntityID, micros(a.UpdatedAt), a.Protocol, oidc, clientID)
	return changed(res, wrap(err, "update app", appConflict), "update app", "The app does not exist.")
}

// DeleteApp deletes the app and, by cascade, its certificates, assignments and pending sign-in requests.
func (s *Store) DeleteApp(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete app", "The app does not exist.",
		`DELETE FROM apps WHERE directory_id = ? AND id = ?`, directoryID, id)
}
