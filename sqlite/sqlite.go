package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/sqlstore"
)

var _ gatehouse.Store = (*Store)(nil)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store is the SQLite implementation of gatehouse.Store. It is safe for concurrent use; the Store passed to an InTx
// callback belongs to that transaction and must not outlive it.
//
// SQLite lets one connection write at a time, so the Store writes through a pool of exactly one connection (writes
// queue in the pool instead of spinning on the busy handler) and reads through a pool of read-only connections,
// which WAL lets run beside the writer. Inside InTx, fn must write through the tx it is given, never through the
// Store InTx was called on: the transaction holds the one writing connection until fn returns, so such a write
// would wait for ever.
type Store struct {
	writeDB *sql.DB // the one writing connection
	readDB  *sql.DB // read-only connections
	w       querier // writeDB, or tx inside InTx
	r       querier // readDB, or tx inside InTx
	tx      *sql.Tx // nil outside InTx
	stmts   *stmtCache
	// schema is the number of the newest migration this code has, which CheckSchema expects the database to be at.
	schema int
}

// stmtCache holds the prepared statements of the hot lookups on the reading pool, so that they are parsed once per
// connection rather than at every call.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt // by query; guarded by mu
}

// queryRow runs a query that returns at most one row, through a prepared statement outside transactions.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s.tx != nil {
		return s.tx.QueryRowContext(ctx, query, args...)
	}
	c := s.stmts
	c.mu.Lock()
	st, ok := c.m[query]
	if !ok {
		var err error
		if st, err = s.readDB.PrepareContext(ctx, query); err != nil {
			c.mu.Unlock()
			// The query itself reports the problem.
			return s.readDB.QueryRowContext(ctx, query, args...)
		}
		c.m[query] = st
	}
	c.mu.Unlock()
	return st.QueryRowContext(ctx, args...)
}

// pragmas are applied to every connection: write-ahead logging so readers run beside the writer, enforced foreign
// keys (the cascades depend on them), a wait of up to 10 s for a lock held by another process, and a sync of the
// log at every commit so that a commit survives a crash or a power loss. BEGIN takes the write lock at once
// (_txlock=immediate), so a transaction that reads first never fails to upgrade to a writer.
const pragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(FULL)&_txlock=immediate"

// Open opens the database file at path, creating it and its directory when missing, applies the migrations it
// lacks, and returns the store. It returns an error wrapping ErrSchemaTooNew when the database was migrated by a
// newer version of Gatehouse.
func Open(path string) (*Store, error) {
	return open(path, migrationFS)
}

// open opens the store with the migrations in fsys.
func open(path string, fsys fs.FS) (*Store, error) {
	ms, err := readMigrations(fsys)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create the directory of %s: %w", path, err)
	}
	// A file: URI, so that characters such as '?' and '#' in the path are escaped rather than taken as the query.
	name := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath()
	writeDB, err := sql.Open("sqlite", name+"?"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writeDB.SetMaxOpenConns(1)
	writeDB.SetMaxIdleConns(1)
	writeDB.SetConnMaxIdleTime(0)
	writeDB.SetConnMaxLifetime(0)
	if err := migrate(context.Background(), writeDB, ms); err != nil {
		writeDB.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	readDB, err := sql.Open("sqlite", name+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		writeDB.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	readDB.SetMaxOpenConns(n)
	readDB.SetMaxIdleConns(n)
	if err := readDB.Ping(); err != nil {
		writeDB.Close()
		readDB.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &Store{writeDB: writeDB, readDB: readDB, w: writeDB, r: readDB, stmts: &stmtCache{m: map[string]*sql.Stmt{}},
		schema: len(ms)}, nil
}

// Close closes every connection. Inside InTx it does nothing. It first lets SQLite refresh the statistics its query
// planner uses (PRAGMA optimize), which is cheap and what SQLite recommends on closing.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	var errs []error
	s.stmts.mu.Lock()
	for _, st := range s.stmts.m {
		errs = append(errs, st.Close())
	}
	s.stmts.m = map[string]*sql.Stmt{}
	s.stmts.mu.Unlock()
	if _, err := s.writeDB.Exec(`PRAGMA optimize`); err != nil {
		errs = append(errs, fmt.Errorf("sqlite: optimize: %w", err))
	}
	return errors.Join(append(errs, s.readDB.Close(), s.writeDB.Close())...)
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.readDB.PingContext(ctx); err != nil {
		return gatehouse.Internal(fmt.Errorf("sqlite: ping: %w", err))
	}
	return nil
}

// InTx runs fn in a transaction; inside a transaction it runs fn in that same transaction. The transaction holds
// the database's write lock from its start, so fn should be short.
func (s *Store) InTx(ctx context.Context, fn func(tx gatehouse.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.writeDB.BeginTx(ctx, nil)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("sqlite: begin: %w", err))
	}
	// Rolling back after a commit does nothing; this also ends the transaction when fn panics.
	defer tx.Rollback()
	w := &txStatements{Tx: tx, stmts: map[string]*sql.Stmt{}}
	if err := fn(&Store{writeDB: s.writeDB, readDB: s.readDB, w: w, r: tx, tx: tx, stmts: s.stmts, schema: s.schema}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return gatehouse.Internal(fmt.Errorf("sqlite: commit: %w", err))
	}
	return nil
}

// txStatements is the writing querier of a transaction. It prepares each statement once per transaction, so that a
// transaction that runs one statement many times, such as a bulk import of users, has SQLite parse it once rather
// than at every row. The statements end with the transaction.
type txStatements struct {
	*sql.Tx
	mu    sync.Mutex
	stmts map[string]*sql.Stmt // by query; guarded by mu
}

// ExecContext runs query through its prepared statement, preparing it at its first use in the transaction.
func (t *txStatements) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.mu.Lock()
	st, ok := t.stmts[query]
	if !ok {
		var err error
		if st, err = t.Tx.PrepareContext(ctx, query); err != nil {
			t.mu.Unlock()
			return nil, err
		}
		t.stmts[query] = st
	}
	t.mu.Unlock()
	return st.ExecContext(ctx, args...)
}

// inTx runs fn in s's transaction, or in a new one; fn's errors come back as they are.
func (s *Store) inTx(ctx context.Context, fn func(s *Store) error) error {
	return s.InTx(ctx, func(tx gatehouse.Store) error { return fn(tx.(*Store)) })
}

// msgs are the user-safe messages of the errors a statement's constraint violations map to.
type msgs struct {
	conflict string // a unique value is taken
	missing  string // a foreign key refers to nothing
}

// wrap turns a database error into a *gatehouse.Error: a unique or primary key violation is ECONFLICT, a foreign key
// violation is ENOTFOUND (something referred to is not in the directory), and anything else is EINTERNAL with op as
// context. SQLite does not name the constraint that failed, so the messages come from the caller.
func wrap(err error, op string, m msgs) error {
	if err == nil {
		return nil
	}
	cause := fmt.Errorf("sqlite: %s: %w", op, err)
	var se *sqlitedriver.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			if m.conflict == "" {
				m.conflict = "The value is already taken."
			}
			return &gatehouse.Error{Code: gatehouse.ECONFLICT, Message: m.conflict, Err: cause}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			if m.missing == "" {
				m.missing = "Something it refers to does not exist."
			}
			return &gatehouse.Error{Code: gatehouse.ENOTFOUND, Message: m.missing, Err: cause}
		}
	}
	return gatehouse.Internal(cause)
}

// internal wraps err as EINTERNAL with op as context, or returns nil.
func internal(err error, op string) error {
	return wrap(err, op, msgs{})
}

// notFound returns ENOTFOUND with msg when err is sql.ErrNoRows, and an EINTERNAL error otherwise.
func notFound(err error, op, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s", msg)
	}
	return internal(err, op)
}

// exec runs a statement that must change a row: ENOTFOUND with missing when it changes none.
func (s *Store) exec(ctx context.Context, op, missing, query string, args ...any) error {
	res, err := s.w.ExecContext(ctx, query, args...)
	return changed(res, internal(err, op), op, missing)
}

// changed returns err when it is not nil, and otherwise ENOTFOUND with missing when res changed no row.
func changed(res sql.Result, err error, op, missing string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return internal(err, op)
	}
	if n == 0 {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s", missing)
	}
	return nil
}

// exists runs a SELECT EXISTS query and returns ENOTFOUND with msg when it is false.
func (s *Store) exists(ctx context.Context, op, msg, query string, args ...any) error {
	var ok bool
	if err := s.r.QueryRowContext(ctx, query, args...).Scan(&ok); err != nil {
		return internal(err, op)
	}
	if !ok {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s", msg)
	}
	return nil
}

// scanner is a row being scanned: *sql.Row or *sql.Rows.
type scanner = sqlstore.Scanner

// queryList runs a query and scans every row with scan.
func queryList[T any](ctx context.Context, db querier, op string, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, internal(err, op)
	}
	defer rows.Close()
	var list []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, internal(err, op)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, op)
	}
	return list, nil
}

// queryPage runs query, whose rows end with count(*) OVER (), and returns one page of rows and the total. The page
// and its total come from one statement, so they agree. A page past the end has no row to carry the total, which
// count (a SELECT count(*) with the same arguments but the paging) supplies then.
func queryPage[T any](ctx context.Context, db querier, op string, scan func(scanner) (*T, error), count, query string, args []any, offset int) ([]*T, int, error) {
	var total int
	list, err := queryList(ctx, db, op, func(row scanner) (*T, error) {
		return scan(sqlstore.WithTotal{Scanner: row, Total: &total})
	}, query, args...)
	if err != nil {
		return nil, 0, err
	}
	if len(list) == 0 && offset > 0 {
		if err := db.QueryRowContext(ctx, count, args[:len(args)-2]...).Scan(&total); err != nil {
			return nil, 0, internal(err, op)
		}
	}
	return list, total, nil
}

// micros returns t as stored: microseconds since the Unix epoch.
func micros(t time.Time) int64 { return t.UnixMicro() }

// microsPtr returns *t as stored, or nil (NULL).
func microsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// timeAt is a sql.Scanner that reads a stored time into *t, in UTC.
type timeAt struct{ t *time.Time }

// Scan implements sql.Scanner.
func (d timeAt) Scan(v any) error {
	us, ok := v.(int64)
	if !ok {
		return fmt.Errorf("a time is stored as %T, want an integer", v)
	}
	*d.t = time.UnixMicro(us).UTC()
	return nil
}

// optTimeAt is a sql.Scanner that reads a stored time that may be NULL into *t.
type optTimeAt struct{ t **time.Time }

// Scan implements sql.Scanner.
func (d optTimeAt) Scan(v any) error {
	if v == nil {
		*d.t = nil
		return nil
	}
	var t time.Time
	if err := (timeAt{&t}).Scan(v); err != nil {
		return err
	}
	*d.t = &t
	return nil
}

// nullMicros returns t as stored, or nil (NULL) for the zero time.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// zeroTimeAt is a sql.Scanner that reads a stored time that may be NULL into *t, NULL as the zero time.
type zeroTimeAt struct{ t *time.Time }

// Scan implements sql.Scanner.
func (d zeroTimeAt) Scan(v any) error {
	if v == nil {
		*d.t = time.Time{}
		return nil
	}
	return timeAt(d).Scan(v)
}

// jsonStrings returns list as stored: a JSON array of strings, "[]" for none.
func jsonStrings(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(list) // A []string always marshals.
	return string(b)
}

// stringsAt is a sql.Scanner that reads a JSON array of strings into *list, nil when it is empty.
type stringsAt struct{ list *[]string }

// Scan implements sql.Scanner.
func (d stringsAt) Scan(v any) error {
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("a list is stored as %T, want JSON text", v)
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("a list is not a JSON array of strings: %w", err)
	}
	if len(list) == 0 {
		list = nil
	}
	*d.list = list
	return nil
}

// nullString returns nil (NULL) for "", so that optional references are stored as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// page returns the offset and limit to use for the requested ones, as on every engine (sqlstore.Page).
func page(offset, limit int) (int, int) { return sqlstore.Page(offset, limit) }

// Backup writes a consistent copy of the database, as of one moment, to a new file at path (VACUUM INTO). The
// store stays in use meanwhile: the copy reads one snapshot and holds no lock that stops writers in other
// processes. The file must not exist yet. The copy is a complete database that Open takes as it is.
func (s *Store) Backup(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err == nil {
		return fmt.Errorf("sqlite: backup to %s: the file exists already", path)
	}
	if _, err := s.writeDB.ExecContext(ctx, `VACUUM INTO ?`, abs); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", path, err)
	}
	return nil
}
