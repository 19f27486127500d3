package postgres

// ReadMigrations exposes readMigrations to the tests.
var ReadMigrations = readMigrations
