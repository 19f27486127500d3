package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/sqlstore"
)

var _ gatehouse.Store = (*Store)(nil)

// querier is what the pool and a transaction have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Store is the PostgreSQL implementation of gatehouse.Store. It is safe for concurrent use; the Store passed to an
// InTx callback belongs to that transaction and must not outlive it.
type Store struct {
	pool *pgxpool.Pool
	db   querier // pool, or tx inside InTx
	tx   pgx.Tx  // nil outside InTx
	// schema is the number of the newest migration this code has, which CheckSchema expects the database to be at.
	schema int
}

// Open connects to the database at url (a postgres:// URL or a keyword/value connection string, as libpq takes),
// applies the migrations it lacks, and returns the store. It returns an error wrapping ErrSchemaTooNew when the
// database was migrated by a newer version of Gatehouse.
//
// The URL also sets the pool (pool_max_conns=N; the default is the larger of 4 and the number of CPUs) and how
// statements are sent: behind a pooler in transaction mode that cannot keep prepared statements, add
// default_query_exec_mode=exec.
func Open(ctx context.Context, url string) (*Store, error) {
	return open(ctx, url, migrationFS)
}

// open opens the store with the migrations in fsys.
func open(ctx context.Context, url string, fsys fs.FS) (*Store, error) {
	ms, err := readMigrations(fsys)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse the database URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &Store{pool: pool, db: pool, schema: len(ms)}
	if err := s.migrate(ctx, ms); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	return s, nil
}

// Close closes every connection. Inside InTx it does nothing.
func (s *Store) Close() error {
	if s.tx == nil {
		s.pool.Close()
	}
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return gatehouse.Internal(fmt.Errorf("postgres: ping: %w", err))
	}
	return nil
}

// InTx runs fn in a transaction; inside a transaction it runs fn in that same transaction. fn must go through tx:
// a write through the outer store runs on another connection, outside the transaction, and waits forever if it
// needs a row the transaction holds.
func (s *Store) InTx(ctx context.Context, fn func(tx gatehouse.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("postgres: begin: %w", err))
	}
	// Rolling back after a commit does nothing; this also ends the transaction when fn panics.
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(&Store{pool: s.pool, db: txQuerier{tx}, tx: tx, schema: s.schema}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return gatehouse.Internal(fmt.Errorf("postgres: commit: %w", err))
	}
	return nil
}

// txQuerier runs the statements of a transaction. Its Exec, which every write but two single-row upserts and deletes
// goes through, runs the statement under a savepoint in the same round trip, so that a statement that fails (a
// unique or foreign key violation the caller may well handle) leaves the transaction usable, as it does on SQLite,
// instead of aborting it. Reads run without a savepoint: one fails only on input PostgreSQL cannot take (invalid
// UTF-8), after which the transaction must be given up.
type txQuerier struct{ pgx.Tx }

func (q txQuerier) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	b := &pgx.Batch{}
	b.Queue("SAVEPOINT statement")
	b.Queue(sql, args...)
	b.Queue("RELEASE SAVEPOINT statement")
	br := q.Tx.SendBatch(ctx, b)
	var tag pgconn.CommandTag
	_, err := br.Exec()
	if err == nil {
		if tag, err = br.Exec(); err == nil {
			_, err = br.Exec()
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Undo the failed statement alone. Should this fail too, the transaction is aborted and the next statement
		// reports it.
		q.Tx.Exec(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT statement; RELEASE SAVEPOINT statement")
	}
	return tag, err
}

// inTx runs fn in s's transaction, or in a new one; fn's errors come back as they are.
func (s *Store) inTx(ctx context.Context, fn func(s *Store) error) error {
	return s.InTx(ctx, func(tx gatehouse.Store) error { return fn(tx.(*Store)) })
}

// Messages of the errors a constraint's violation maps to, by constraint name.
var constraintMessages = map[string]string{
	"directories_pkey":                          "A directory with this ID already exists.",
	"users_pkey":                                "A user with this ID already exists.",
	"users_user_name":                           "A user with this user name already exists in the directory.",
	"users_directory_id_fkey":                   "The directory does not exist.",
	"groups_pkey":                               "A group with this ID already exists.",
	"groups_name":                               "A group with this name already exists in the directory.",
	"groups_directory_id_fkey":                  "The directory does not exist.",
	"scim_tokens_pkey":                          "A SCIM token with this ID already exists.",
	"scim_tokens_secret_hash_key":               "A SCIM token with this secret already exists.",
	"scim_tokens_directory_id_fkey":             "The directory does not exist.",
	"group_members_pkey":                        "The user is already a member of the group.",
	"group_members_directory_id_group_id_fkey":  "The group does not exist in the directory.",
	"group_members_directory_id_user_id_fkey":   "The user does not exist in the directory.",
	"apps_pkey":                                 "An app with this ID already exists.",
	"apps_entity_id":                            "Another app of the directory already uses this Identifier (Entity ID).",
	"apps_directory_id_fkey":                    "The directory does not exist.",
	"certificates_pkey":                         "A certificate with this ID already exists.",
	"certificates_active":                       "The owner already has an active certificate.",
	"certificates_directory_id_fkey":            "The directory does not exist.",
	"certificates_directory_id_app_id_fkey":     "The app does not exist in the directory.",
	"assignments_pkey":                          "An assignment with this ID already exists.",
	"assignments_app_user":                      "The user is already assigned to the app.",
	"assignments_app_group":                     "The group is already assigned to the app.",
	"assignments_directory_id_fkey":             "The directory does not exist.",
	"assignments_directory_id_app_id_fkey":      "The app does not exist in the directory.",
	"assignments_directory_id_user_id_fkey":     "The user does not exist in the directory.",
	"assignments_directory_id_group_id_fkey":    "The group does not exist in the directory.",
	"sessions_pkey":                             "A session with this ID already exists.",
	"sessions_directory_id_user_id_fkey":        "The user does not exist in the directory.",
	"api_tokens_pkey":                           "An API token with this ID already exists.",
	"api_tokens_secret_hash_key":                "An API token with this secret already exists.",
	"api_tokens_directory_id_user_id_fkey":      "The user does not exist in the directory.",
	"sign_in_requests_pkey":                     "A sign-in request with this ID already exists.",
	"sign_in_requests_directory_id_app_id_fkey": "The app does not exist in the directory.",
	"sign_in_events_pkey":                       "A sign-in event with this ID already exists.",
	"sign_in_events_directory_id_fkey":          "The directory does not exist.",
	"audit_events_pkey":                         "An audit event with this ID already exists.",
	"audit_events_directory_id_fkey":            "The directory does not exist.",
	// Certificate expiry notices and who they go to.
	"notification_emails_directory_id_fkey":                "The directory does not exist.",
	"notification_emails_directory_id_app_id_fkey":         "The app does not exist in the directory.",
	"certificate_notices_directory_id_certificate_id_fkey": "The certificate does not exist.",
	// The upserts of ClaimCertificateNotice and the replacement in SetNotificationEmails never violate these.
	"certificate_notices_pkey":  "The notice was claimed already.",
	"notification_emails_owner": "The app (or the directory) has a notification list already.",
	// Automatic user provisioning; its upserts never violate the primary keys.
	"app_provisioning_directory_id_app_id_fkey":    "The app does not exist in the directory.",
	"provisioning_jobs_directory_id_app_id_fkey":   "The app does not exist in the directory.",
	"provisioned_objects_directory_id_app_id_fkey": "The app does not exist in the directory.",
	"provisioning_events_directory_id_app_id_fkey": "The app does not exist in the directory.",
	"provisioning_events_pkey":                     "A provisioning event with this ID already exists.",
	"app_provisioning_pkey":                        "The app's provisioning exists already.",
	"provisioning_jobs_pkey":                       "The job exists already.",
	"provisioned_objects_pkey":                     "The link exists already.",
	// The upserts of UseOnce and IncrementCounter never violate these.
	"replay_pkey":   "This ID has been used already.",
	"counters_pkey": "The counter exists already.",
	// The triggers' upsert of a configuration generation never violates it.
	"config_generations_pkey": "The configuration generation exists already.",
	// OpenID Connect: client IDs, client secrets, signing keys, grants and tokens.
	"apps_client_id":                          "Another app of the directory already uses this client ID.",
	"client_secrets_pkey":                     "A client secret with this ID already exists.",
	"client_secrets_directory_id_app_id_fkey": "The app does not exist in the directory.",
	"oidc_keys_pkey":                          "A signing key with this ID already exists.",
	"oidc_keys_active":                        "The directory already has an active signing key for this algorithm.",
	"oidc_keys_directory_id_fkey":             "The directory does not exist.",
	"oidc_grants_pkey":                        "A grant with this ID already exists.",
	"oidc_grants_code_hash_key":               "A grant with this code already exists.",
	"oidc_grants_directory_id_app_id_fkey":    "The app does not exist in the directory.",
	"oidc_grants_directory_id_user_id_fkey":   "The user does not exist in the directory.",
	"oidc_tokens_pkey":                        "A token with this ID already exists.",
	"oidc_tokens_secret_hash_key":             "A token with this secret already exists.",
	"oidc_tokens_directory_id_grant_id_fkey":  "The grant does not exist in the directory.",
}

// PostgreSQL error codes (SQLSTATE) mapped to Gatehouse codes.
const (
	foreignKeyViolation      = "23503"
	uniqueViolation          = "23505"
	characterNotInRepertoire = "22021" // invalid UTF-8, or a NUL byte, in text
	untranslatableCharacter  = "22P05"
)

// wrap turns a database error into a *gatehouse.Error: a foreign key violation is ENOTFOUND (something referred to
// is not in the directory), a unique violation is ECONFLICT, text PostgreSQL cannot store (invalid UTF-8 or a NUL
// byte, which the domain's validation lets through in some fields) is EINVALID, and anything else is EINTERNAL with
// op as context.
func wrap(err error, op string) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		msg := constraintMessages[pe.ConstraintName]
		switch pe.Code {
		case foreignKeyViolation:
			if msg == "" {
				msg = "Something it refers to does not exist."
			}
			return &gatehouse.Error{Code: gatehouse.ENOTFOUND, Message: msg, Err: fmt.Errorf("postgres: %s: %w", op, err)}
		case uniqueViolation:
			if msg == "" {
				msg = "The value is already taken."
			}
			return &gatehouse.Error{Code: gatehouse.ECONFLICT, Message: msg, Err: fmt.Errorf("postgres: %s: %w", op, err)}
		case characterNotInRepertoire, untranslatableCharacter:
			return &gatehouse.Error{Code: gatehouse.EINVALID, Message: "The text is not valid UTF-8 or contains a NUL character.",
				Err: fmt.Errorf("postgres: %s: %w", op, err)}
		}
	}
	return gatehouse.Internal(fmt.Errorf("postgres: %s: %w", op, err))
}

// notFound returns ENOTFOUND with the given message when err is pgx.ErrNoRows, and wrap(err, op) otherwise.
func notFound(err error, op, msg string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s", msg)
	}
	return wrap(err, op)
}

// exec runs a statement that must change a row: ENOTFOUND with msg when it changes none.
func (s *Store) exec(ctx context.Context, op, msg, sql string, args ...any) error {
	tag, err := s.db.Exec(ctx, sql, args...)
	if err != nil {
		return wrap(err, op)
	}
	if tag.RowsAffected() == 0 {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s", msg)
	}
	return nil
}

// scanner is a row being scanned: pgx.Row or pgx.Rows.
type scanner = sqlstore.Scanner

// queryList runs a query and scans every row with scan.
func queryList[T any](ctx context.Context, db querier, op string, scan func(scanner) (*T, error), sql string, args ...any) ([]*T, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(err, op)
	}
	defer rows.Close()
	var list []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, wrap(err, op)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, op)
	}
	return list, nil
}

// utc returns t in UTC, as every time the store returns is.
func utc(t time.Time) time.Time { return t.UTC() }

// utcPtr returns *t in UTC, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// nullTime returns nil (NULL) for the zero time, and t otherwise.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// nullString returns nil for "" so that optional references are stored as NULL.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// page returns the offset and limit to use for the requested ones, as on every engine (sqlstore.Page).
func page(offset, limit int) (int, int) { return sqlstore.Page(offset, limit) }
