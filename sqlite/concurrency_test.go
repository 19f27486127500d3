package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
)

// TestWritersOnOneFile runs writing transactions, single writes and reads from many goroutines on two stores open
// on the same file, as two processes would: every call succeeds (no "database is locked"), and every write is there
// afterwards.
func TestWritersOnOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	stores := []gatehouse.Store{mustOpenPath(t, path), mustOpenPath(t, path)}
	if err := stores[0].CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 8, 20
	errs := make(chan error, 2*workers*rounds*4)
	var wg sync.WaitGroup
	for si, s := range stores {
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					id := fmt.Sprintf("%d-%d-%d", si, w, r)
					// A transaction that reads before it writes: it must not fail to upgrade to a writer.
					errs <- s.InTx(ctx, func(tx gatehouse.Store) error {
						if _, _, err := tx.FindUsers(ctx, "d", gatehouse.UserFilter{Limit: 1}); err != nil {
							return err
						}
						return tx.CreateUser(ctx, &gatehouse.User{ID: "u" + id, DirectoryID: "d",
							UserName: "u" + id + "@contoso.com", DisplayName: id, Role: gatehouse.RoleUser})
					})
					errs <- s.UseOnce(ctx, "k"+id, t0, t0.AddDate(1, 0, 0))
					_, err := s.IncrementCounter(ctx, "shared", t0, 1<<40)
					errs <- err
					_, err = s.FindUser(ctx, "d", "u"+id)
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	_, n, err := stores[1].FindUsers(ctx, "d", gatehouse.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2*workers*rounds {
		t.Errorf("%d users, want %d", n, 2*workers*rounds)
	}
	v, err := stores[0].IncrementCounter(ctx, "shared", t0, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	if v != 2*workers*rounds+1 {
		t.Errorf("counter = %d, want %d", v, 2*workers*rounds+1)
	}
}
