package idp_test

import (
	"fmt"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/password"
)

// BenchmarkPasswordSignIn measures what a password sign-in costs besides the hash: the lockout counters, the user's
// lookup, the sign-in log and the new session, on SQLite on disk with every commit synced, one sign-in at a time,
// with argon2id at its smallest so that the hash is noise. gatehouse-bench password measures whole sign-ins over
// HTTP against a bare argon2id server.
func BenchmarkPasswordSignIn(b *testing.B) {
	w := newAuthWorld(b)
	svc := serviceOn(b, w.store, password.NewHasher(password.Params{Time: 1, MemoryKiB: 8, Threads: 1, KeyLen: 32, SaltLen: 16}, 2))
	b.ReportAllocs()
	i := 0
	cpu0 := processCPU(b)
	for b.Loop() {
		// Each sign-in from its own address, as many users' would be.
		ctx := from(fmt.Sprintf("198.51.%d.%d", i/256%256, i%256))
		i++
		u, err := svc.Authenticate(ctx, gatehouse.DefaultDirectoryID, userName, userPassword)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := svc.CreateSession(ctx, u, false); err != nil {
			b.Fatal(err)
		}
	}
	// The time per sign-in is mostly waiting for synced commits; the CPU time is what the server spends.
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
