// Package sqlstore holds what the SQLite and the PostgreSQL store share, so that the two engines agree: how their
// numbered migrations are read and which one applies next, paging, and the lower-case keys that names are compared
// through.
//
// Both engines keep their migrations as numbered SQL files, NNNN_name.sql, in their own migrations folder, and the
// two folders hold the same numbers with the same names: one change to the schema is one number on both engines,
// even when one engine needs no statement for it (its file then says why). Each database records the migrations it
// has applied in its schema_migrations table, by number and file name.
package sqlstore
