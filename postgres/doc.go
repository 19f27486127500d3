// Package postgres stores Gatehouse's data in PostgreSQL, so that several Gatehouse nodes can share one database.
//
// Open connects with a pgx connection pool and applies the numbered migrations of migrations/ that the database
// lacks, each in its own transaction under a transaction-level advisory lock, so nodes that start at once apply
// each migration exactly once; it refuses a database whose schema is newer than the code (ErrSchemaTooNew). The
// migrations have the same numbers and names as the SQLite store's (migrations/README.md).
//
// Everything nodes must share lives in the database: sessions, pending sign-in requests, the replay cache and the
// rate-limit counters included. UseOnce, IncrementCounter and TakeSignInRequest are single statements, atomic
// across nodes. Case-insensitive uniqueness, search and order of names use key columns holding the text lower-cased
// by the Go code, as on SQLite, so they do not depend on the database's locale; lists are ordered byte-wise on those
// keys (COLLATE "C"). Times are stored as timestamptz, with microsecond precision, and returned in UTC. Foreign key
// violations are ENOTFOUND, unique violations ECONFLICT, and any other failure EINTERNAL. Inside InTx each write
// runs under a savepoint, so a failed one leaves the transaction usable, as on SQLite.
//
// Back up with pg_dump (pg_dump --format=custom --file=gatehouse.dump "$DATABASE_URL") and restore into an empty
// database with pg_restore --no-owner --dbname="$NEW_DATABASE_URL" gatehouse.dump; signing keys are in the dump
// sealed with the key-encryption key, which is kept apart from it (docs/operations.md). FindSessions, beside the
// Store contract, lists a directory's live sessions for storecopy.
package postgres
