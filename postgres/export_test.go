package postgres

import (
	"context"
	"io/fs"
)

// ReadMigrations exposes readMigrations to the tests.
var ReadMigrations = readMigrations

// OpenWithMigrations opens a store that knows the migrations in fsys instead of the embedded ones.
func OpenWithMigrations(ctx context.Context, url string, fsys fs.FS) (*Store, error) {
	return open(ctx, url, fsys)
}

// ConstraintMessages exposes the messages of constraint violations to the tests.
var ConstraintMessages = constraintMessages
