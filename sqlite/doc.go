// Package sqlite stores Gatehouse's data in an embedded SQLite database file, the default store of a single
// Gatehouse server.
//
// It uses modernc.org/sqlite, SQLite compiled to pure Go, so the binary needs no C toolchain. Open creates the file
// (and its directory) when missing and applies the numbered migrations of migrations/ that the database lacks, each
// in its own transaction; it refuses a database whose schema is newer than the code (ErrSchemaTooNew). The
// migrations have the same numbers and names as the PostgreSQL store's (migrations/README.md); a database made
// before they did has its recorded migrations renumbered when it is opened.
//
// Every connection runs in WAL mode with foreign keys enforced, a 10 s busy timeout and synchronous=FULL, so a
// commit that returned survives a crash of the process or of the machine. SQLite has one writer at a time: the
// Store writes through a single connection and reads through a pool of read-only connections beside it. Foreign
// keys with ON DELETE CASCADE implement the deletions of the contract, and unique indexes its uniqueness rules;
// unique violations are ECONFLICT, foreign key violations ENOTFOUND, anything else EINTERNAL.
//
// Times are stored as integer microseconds since the Unix epoch and returned in UTC; SAML settings as JSON text.
// Case-insensitive uniqueness, search and ordering of names use lower-cased copies of the names (Unicode lower
// case, as Go's strings.ToLower computes it), kept in columns beside them.
//
// Backup writes a consistent copy of a database in use to a new file (VACUUM INTO), which Open takes as it is: this
// is gatehouse backup. FindSessions, beside the Store contract, lists a directory's live sessions for storecopy.
package sqlite
