package gatehouse

import "context"

// HealthChecker is implemented by stores that can tell whether they are fit to serve; the readiness check uses it.
type HealthChecker interface {
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// CheckSchema returns an error when the database's schema is not the one this code migrates it to: behind (an
	// older database was restored under a running node) or ahead (a newer Gatehouse migrated it).
	CheckSchema(ctx context.Context) error
}
