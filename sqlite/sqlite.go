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
	w       querier // the writer's statements, or the transaction's inside InTx
	r       querier // the readers' statements, or the transaction's inside InTx
	tx      *sql.Tx // nil outside InTx
	// writer and reader keep the prepared statements of the two pools.
	writer, reader *prepared
	// signOns commits the sign-on records of concurrent callers together (CreateSignOnRecords).
	signOns *groupCommit
	// gate lets the sign-on records' transactions go before the other transactions waiting for the writer.
	gate *writeGate
	// schema is the number of the newest migration this code has, which CheckSchema expects the database to be at.
	schema int
}

// maxPrepared bounds the statements a pool keeps prepared. Gatehouse's queries are a fixed set, but the SCIM filters
// and the user searches compose theirs from what a request asks for; past the bound a query runs unprepared.
const maxPrepared = 1000

// prepared is a connection pool whose statements are prepared once and kept: database/sql prepares a kept statement
// on each connection of the pool at its first use there and reuses it afterwards, so that SQLite parses a query
// once per connection rather than at every call.
type prepared struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt // by query; guarded by mu
}

func newPrepared(db *sql.DB) *prepared { return &prepared{db: db, stmts: map[string]*sql.Stmt{}} }

// stmt returns the kept statement of query, preparing it at its first use; nil when the pool keeps as many as it
// may or query cannot be prepared (running it then reports why). Preparing takes a connection of the pool: never
// call it while holding the writer's one connection in a transaction (see txStatements).
func (p *prepared) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := p.kept(query); st != nil {
		return st
	}
	p.mu.Lock()
	full := len(p.stmts) >= maxPrepared
	p.mu.Unlock()
	if full {
		return nil
	}
	st, err := p.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if kept, ok := p.stmts[query]; ok {
		st.Close() // another caller was quicker
		return kept
	}
	p.stmts[query] = st
	return st
}

// kept returns the kept statement of query, or nil when there is none yet.
func (p *prepared) kept(query string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stmts[query]
}

// keep prepares the queries that have no kept statement yet, so that their next use finds one; a query that cannot
// be prepared is left to report its problem when it runs.
func (p *prepared) keep(ctx context.Context, queries []string) {
	for _, q := range queries {
		p.stmt(ctx, q)
	}
}

// ExecContext runs query through its kept statement.
func (p *prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.db.ExecContext(ctx, query, args...)
}

// QueryContext runs query through its kept statement.
func (p *prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.db.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query through its kept statement.
func (p *prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, query, args...)
}

// close closes the kept statements.
func (p *prepared) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, st := range p.stmts {
		errs = append(errs, st.Close())
	}
	clear(p.stmts)
	return errors.Join(errs...)
}

// queryRow runs a query that returns at most one row. Such a lookup by key takes microseconds, less than watching
// the request's context for cancellation would cost (SQLite's driver starts a goroutine per statement for that), so
// it runs to its end whatever happens to the request.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.r.QueryRowContext(context.WithoutCancel(ctx), query, args...)
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
	writer, reader, gate := newPrepared(writeDB), newPrepared(readDB), &writeGate{}
	return &Store{writeDB: writeDB, readDB: readDB, w: writer, r: reader, writer: writer, reader: reader,
		signOns: newGroupCommit(writer, gate), gate: gate, schema: len(ms)}, nil
}

// Close closes every connection. Inside InTx it does nothing. It first lets SQLite refresh the statistics its query
// planner uses (PRAGMA optimize), which is cheap and what SQLite recommends on closing.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	errs := []error{s.signOns.close(), s.writer.close(), s.reader.close()}
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
// the database's write lock from its start, so fn should be short: sign-ons wait for it (see writeGate).
func (s *Store) InTx(ctx context.Context, fn func(tx gatehouse.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	if err := s.gate.lock(ctx, false); err != nil {
		return err
	}
	tx, err := s.writeDB.BeginTx(ctx, nil)
	if err != nil {
		s.gate.unlock()
		return gatehouse.Internal(fmt.Errorf("sqlite: begin: %w", err))
	}
	q := &txStatements{Tx: tx, kept: s.writer, stmts: map[string]*sql.Stmt{}}
	// After the transaction (deferred calls run last to first), its connection is free to prepare what the
	// transaction ran unprepared, and the next transaction may begin.
	defer func() { s.writer.keep(ctx, q.unkept) }()
	defer s.gate.unlock()
	// Rolling back after a commit does nothing; this also ends the transaction when fn panics.
	defer tx.Rollback()
	if err := fn(&Store{writeDB: s.writeDB, readDB: s.readDB, w: q, r: q, tx: tx, writer: s.writer, reader: s.reader,
		signOns: s.signOns, gate: s.gate, schema: s.schema}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return gatehouse.Internal(fmt.Errorf("sqlite: commit: %w", err))
	}
	return nil
}

// Contended reports, inside InTx, whether a sign-on waits for the transaction to end, so that long bulk work (an
// import of users) can commit what it has and go on in a new transaction after the sign-on's. Outside InTx it
// reports false.
func (s *Store) Contended() bool { return s.tx != nil && s.gate.urgentWaiting() }

// txStatements is the querier of a transaction. It runs each query through the writing connection's kept statement
// (prepared once for the connection's life), so that neither a transaction that runs one statement many times, such
// as a bulk import of users, nor the next transaction has SQLite parse it again. A query without a kept statement
// is prepared for the transaction alone, since the transaction holds the one connection a kept statement would be
// prepared on; the caller keeps the queries in unkept once the transaction has ended. The transaction's handles on
// its statements end with it.
type txStatements struct {
	*sql.Tx
	kept   *prepared
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt // by query; guarded by mu
	unkept []string             // queries prepared for the transaction alone; guarded by mu
}

// stmt returns the transaction's handle on query's statement, made at its first use in the transaction.
func (t *txStatements) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if kept := t.kept.kept(query); kept != nil {
		st = t.Tx.StmtContext(ctx, kept)
	} else {
		var err error
		if st, err = t.Tx.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		t.unkept = append(t.unkept, query)
	}
	t.stmts[query] = st
	return st, nil
}

// ExecContext runs query through its prepared statement.
func (t *txStatements) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs query through its prepared statement.
func (t *txStatements) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs query through its prepared statement.
func (t *txStatements) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, query)
	if err != nil {
		// The query itself reports the problem.
		return t.Tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
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
