package demoapp

import (
	"context"
	"crypto/x509"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crewjam/saml"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// openDB opens (creating if needed) the SQLite database at path with WAL and foreign keys on, and applies the
// migrations it lacks.
func openDB(ctx context.Context, path string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("demoapp: database path: %w", err)
	}
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
		"&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)&_txlock=immediate"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("demoapp: open database: %w", err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// migrate applies, in order and each in its own transaction, the numbered migrations not yet recorded in
// schema_migrations.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("demoapp: create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("demoapp: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		num, _, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("demoapp: migration %s has no number", base)
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("demoapp: read migration %s: %w", base, err)
		}
		if err := applyMigration(ctx, db, version, base, string(body)); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, version int, name, body string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("demoapp: apply migration %s: %w", name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return fmt.Errorf("demoapp: apply migration %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("demoapp: apply migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, name, time.Now().Unix()); err != nil {
		return fmt.Errorf("demoapp: apply migration %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("demoapp: apply migration %s: %w", name, err)
	}
	return nil
}

// Role is a person's role in the organization.
type Role string

// The roles.
const (
	RoleOwner  Role = "owner"
	RoleMember Role = "member"
)

// Status tells whether an invited person has signed in with SSO yet.
type Status string

// The statuses.
const (
	StatusPending Status = "pending"
	StatusActive  Status = "active"
)

// User is a person in the organization.
type User struct {
	ID           int64
	Email        string
	FirstName    string
	LastName     string
	Role         Role
	Status       Status
	PasswordHash string
	InvitedAt    time.Time
	LastSignInAt time.Time
	// DisplayName and ExternalID are what provisioning set; Deactivated reports whether provisioning deactivated the
	// user, who then cannot sign in; Source is "owner", "invite" or "scim".
	DisplayName string
	ExternalID  string
	Deactivated bool
	Source      string
}

// Name returns the display name, or the e-mail when no name is known.
func (u *User) Name() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	return u.Email
}

// IsOwner reports whether u owns the organization.
func (u *User) IsOwner() bool { return u.Role == RoleOwner }

const userColumns = `id, email, first_name, last_name, role, status, password_hash, invited_at, last_sign_in_at,
	display_name, external_id, deactivated, source`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var invited int64
	var last sql.NullInt64
	if err := row.Scan(&u.ID, &u.Email, &u.FirstName, &u.LastName, &u.Role, &u.Status, &u.PasswordHash, &invited, &last,
		&u.DisplayName, &u.ExternalID, &u.Deactivated, &u.Source); err != nil {
		return nil, err
	}
	u.InvitedAt = time.Unix(invited, 0).UTC()
	if last.Valid {
		u.LastSignInAt = time.Unix(last.Int64, 0).UTC()
	}
	return &u, nil
}

// errNoRows is returned by the finders when nothing matches.
var errNoRows = sql.ErrNoRows

func (a *App) findUserByEmail(ctx context.Context, email string) (*User, error) {
	return scanUser(a.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ? COLLATE NOCASE`, email))
}

func (a *App) findUser(ctx context.Context, id int64) (*User, error) {
	return scanUser(a.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

func (a *App) findOwner(ctx context.Context) (*User, error) {
	return scanUser(a.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE role = 'owner' ORDER BY id LIMIT 1`))
}

func (a *App) listUsers(ctx context.Context) ([]*User, error) {
	rows, err := a.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY role DESC, email COLLATE NOCASE`)
	if err != nil {
		return nil, fmt.Errorf("demoapp: list users: %w", err)
	}
	defer rows.Close()
	var users []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("demoapp: list users: %w", err)
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

// createUser inserts u and sets its ID; a taken e-mail is reported as errEmailTaken.
func (a *App) createUser(ctx context.Context, u *User) error {
	if u.Source == "" {
		u.Source = "invite"
		if u.Role == RoleOwner {
			u.Source = "owner"
		}
	}
	res, err := a.db.ExecContext(ctx, `INSERT INTO users (email, first_name, last_name, role, status, password_hash, invited_at,
		display_name, external_id, deactivated, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.Email, u.FirstName, u.LastName,
		u.Role, u.Status, u.PasswordHash, u.InvitedAt.Unix(), u.DisplayName, u.ExternalID, u.Deactivated, u.Source)
	if err != nil {
		var se *sqlite.Error
		if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
			return errEmailTaken
		}
		return fmt.Errorf("demoapp: create user: %w", err)
	}
	u.ID, err = res.LastInsertId()
	return err
}

var errEmailTaken = errors.New("demoapp: e-mail already in the organization")

// settings is the organization's single sign-on configuration.
type settings struct {
	Cert       *x509.Certificate // nil until one is uploaded
	AuthURL    string
	IssuerURL  string
	RequireSSO bool
	UpdatedAt  time.Time

	// MetadataURL is the IdP's federation metadata URL the other settings were last filled from, or "".
	MetadataURL string
}

// Configured reports whether SSO can be used: a certificate, an authentication URL and an Issuer URL are set.
func (s *settings) Configured() bool {
	return s.Cert != nil && s.AuthURL != "" && s.IssuerURL != ""
}

// Thumbprint returns the SHA-1 thumbprint of the uploaded certificate, upper-case hex, or "".
func (s *settings) Thumbprint() string {
	if s.Cert == nil {
		return ""
	}
	return thumbprint(s.Cert)
}

func (a *App) loadSettings(ctx context.Context) (*settings, error) {
	var s settings
	var der []byte
	var req int
	var updated int64
	err := a.db.QueryRowContext(ctx, `SELECT cert_der, auth_url, issuer_url, require_sso, updated_at, metadata_url FROM sso_settings WHERE id = 1`).
		Scan(&der, &s.AuthURL, &s.IssuerURL, &req, &updated, &s.MetadataURL)
	if errors.Is(err, sql.ErrNoRows) {
		return &s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("demoapp: load settings: %w", err)
	}
	s.RequireSSO = req == 1
	s.UpdatedAt = time.Unix(updated, 0).UTC()
	if len(der) > 0 {
		if s.Cert, err = x509.ParseCertificate(der); err != nil {
			return nil, fmt.Errorf("demoapp: stored certificate: %w", err)
		}
	}
	return &s, nil
}

func (a *App) saveSettings(ctx context.Context, s *settings) error {
	var der []byte
	if s.Cert != nil {
		der = s.Cert.Raw
	}
	req := 0
	if s.RequireSSO {
		req = 1
	}
	_, err := a.db.ExecContext(ctx, `INSERT INTO sso_settings (id, cert_der, auth_url, issuer_url, require_sso, updated_at, metadata_url)
		VALUES (1, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET cert_der = excluded.cert_der, auth_url = excluded.auth_url,
			issuer_url = excluded.issuer_url, require_sso = excluded.require_sso, updated_at = excluded.updated_at,
			metadata_url = excluded.metadata_url`,
		der, s.AuthURL, s.IssuerURL, req, a.now().Unix(), s.MetadataURL)
	if err != nil {
		return fmt.Errorf("demoapp: save settings: %w", err)
	}
	return nil
}

// project is one of the organization's analytics projects.
type project struct {
	ID          int64
	Name        string
	Description string
	Seed        int64
}

func (a *App) listProjects(ctx context.Context) ([]project, error) {
	rows, err := a.db.QueryContext(ctx, `SELECT id, name, description, seed FROM projects ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("demoapp: list projects: %w", err)
	}
	defer rows.Close()
	var ps []project
	for rows.Next() {
		var p project
		if err := rows.Scan(&p.ID, &p.Name, &p.Description, &p.Seed); err != nil {
			return nil, fmt.Errorf("demoapp: list projects: %w", err)
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

func (a *App) organizationName(ctx context.Context) (string, error) {
	var name string
	err := a.db.QueryRowContext(ctx, `SELECT name FROM organization WHERE id = 1`).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "Acme Analytics", nil
	}
	return name, err
}

// replayCache records accepted assertion IDs in SQLite; it implements saml.AssertionReplayCache.
type replayCache struct{ a *App }

var _ saml.AssertionReplayCache = replayCache{}

// Consume records id until expiresAt and returns saml.ErrAssertionReplayed if it is already recorded.
func (c replayCache) Consume(id string, expiresAt time.Time) error {
	ctx := context.Background()
	now := c.a.now().Unix()
	if _, err := c.a.db.ExecContext(ctx, `DELETE FROM used_assertions WHERE expires_at < ?`, now); err != nil {
		return fmt.Errorf("demoapp: purge used assertions: %w", err)
	}
	res, err := c.a.db.ExecContext(ctx, `INSERT INTO used_assertions (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`,
		id, expiresAt.Unix()+1)
	if err != nil {
		return fmt.Errorf("demoapp: record assertion: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return saml.ErrAssertionReplayed
	}
	return nil
}
