package postgres

import (
	"context"
	"fmt"

	"github.com/gatehouse-idp/gatehouse"
)

var _ gatehouse.HealthChecker = (*Store)(nil)

// CheckSchema returns an error unless the database is at the newest migration this code has: behind means an older
// database was restored under the running store, ahead that a newer Gatehouse migrated it.
func (s *Store) CheckSchema(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return gatehouse.Internal(err)
	}
	switch {
	case v < s.schema:
		return gatehouse.Internal(fmt.Errorf("postgres: the database schema is at version %d, behind this code's %d", v, s.schema))
	case v > s.schema:
		return gatehouse.Internal(fmt.Errorf("postgres: %w (database at version %d, this code at %d)", ErrSchemaTooNew, v, s.schema))
	}
	return nil
}
