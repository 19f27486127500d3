package idp_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/password"
)

// readOnlyStore refuses every transaction, as a database whose write lock another process holds would keep it
// waiting.
type readOnlyStore struct{ gatehouse.Store }

func (readOnlyStore) InTx(context.Context, func(gatehouse.Store) error) error {
	return errors.New("a transaction was started")
}

// TestBootstrapOnExistingDatabaseReadsOnly checks that a start on a database that was set up before opens no write
// transaction (and, with HasUsers, counts no users): only the first start writes.
func TestBootstrapOnExistingDatabaseReadsOnly(t *testing.T) {
	w := newAuthWorld(t)
	svc := serviceOn(t, readOnlyStore{w.store}, password.NewHasher(testserver.TestHashParams, 1))
	created, generated, err := svc.Bootstrap(context.Background(), "someone.else@contoso.com", "")
	if err != nil || created || generated != "" {
		t.Errorf("Bootstrap on a set-up database = %v, %q, %v; want nothing done and no transaction", created, generated, err)
	}
}
