package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// benchSCIMSecret returns the SCIM token the benchmarks seed into directory dir.
func benchSCIMSecret(dir string) string { return "ghs_benchmark" + dir + "benchmarkbenchmarkbenchmark" }

// seedSCIMDirectory creates directory dir with n users and a SCIM token (benchSCIMSecret(dir)) in the SQLite database
// of the data directory data, in one transaction.
func seedSCIMDirectory(tb testing.TB, data, dir string, n int) {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(data, "gatehouse.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer store.Close()
	now := time.Now().UTC().Truncate(time.Microsecond)
	sum := sha256.Sum256([]byte(benchSCIMSecret(dir)))
	err = store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateDirectory(ctx, &gatehouse.Directory{ID: dir, Name: dir, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		if err := tx.CreateSCIMToken(ctx, &gatehouse.SCIMToken{ID: "bench-" + dir, DirectoryID: dir, Name: "bench",
			SecretHash: hex.EncodeToString(sum[:]), Prefix: benchSCIMSecret(dir)[:10], CreatedAt: now}); err != nil {
			return err
		}
		for i := range n {
			name := fmt.Sprintf("user%06d@%s.example.com", i, dir)
			if err := tx.CreateUser(ctx, &gatehouse.User{ID: fmt.Sprintf("%s-%06d", dir, i), DirectoryID: dir,
				UserName: name, DisplayName: fmt.Sprintf("User %d", i), FirstName: "User", LastName: strconv.Itoa(i),
				Mail: name, Role: gatehouse.RoleUser, Source: gatehouse.SourceSCIM, ExternalID: fmt.Sprintf("ext-%d", i),
				CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// processCPU returns the CPU time (user and system) the process pid has used, from /proc.
func processCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Skipf("no /proc to read the server's CPU time: %v", err)
	}
	// The fields after the command name (which may hold spaces) start after the last ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // clock ticks of 1/100 s (USER_HZ)
}

func scimRequest(tb testing.TB, secret, method, u, body string) int {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// BenchmarkSCIMCreateUsers creates b.N users through the SCIM endpoint of the real binary (SQLite) with 4 parallel
// clients sharing one token, as a provisioning client's initial cycle does, and reports users per second and the
// server's CPU time per user (read from /proc). Run it with -benchtime=10000x for 10,000 users. The token's rate
// limit is off (GATEHOUSE_SCIM_RATE_LIMIT=0) so that the server, not the limit, is measured.
func BenchmarkSCIMCreateUsers(b *testing.B) {
	data := b.TempDir()
	seedSCIMDirectory(b, data, "bench", 0)
	srv := startServerIn(b, data, "GATEHOUSE_SCIM_RATE_LIMIT=0")
	base := srv.URL + "/d/bench/scim/v2/Users"
	var next atomic.Int64
	var failed atomic.Int64
	cpu0 := processCPU(b, srv.cmd.Process.Pid)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"new%07d@bench.example.com",`+
					`"name":{"givenName":"New","familyName":"User %d"},"displayName":"New User %d","externalId":"hr-%d","active":true,`+
					`"emails":[{"value":"new%07d@bench.example.com","type":"work","primary":true}]}`, i, i, i, i, i)
				if s := scimRequest(b, benchSCIMSecret("bench"), "POST", base, body); s != http.StatusCreated {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	cpu := processCPU(b, srv.cmd.Process.Pid) - cpu0
	if failed.Load() > 0 {
		b.Fatalf("%d of %d creates failed", failed.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "users/s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "server-cpu-ms/user")
}

// BenchmarkSCIMQueries seeds a directory of 1,000 users and one of 100,000 into the same database, starts the real
// binary on it, and measures a filtered GET (userName eq, as clients match users) and pages of 100 users on each:
// the first page, and pages anywhere in the first half of the directory.
// Each sub-benchmark reports the median latency of its requests (median-ms) beside the mean (ns/op).
func BenchmarkSCIMQueries(b *testing.B) {
	data := b.TempDir()
	seedSCIMDirectory(b, data, "small", 1_000)
	seedSCIMDirectory(b, data, "large", 100_000)
	srv := startServerIn(b, data, "GATEHOUSE_SCIM_RATE_LIMIT=0")
	for _, size := range []struct {
		dir string
		n   int
	}{{"small", 1_000}, {"large", 100_000}} {
		base := srv.URL + "/d/" + size.dir + "/scim/v2/Users"
		for _, q := range []struct {
			name  string
			query func(i int) string
		}{
			{"filter-userName", func(i int) string {
				return "?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq "user%06d@%s.example.com"`, (i*7919)%size.n, size.dir))
			}},
			{"first-page-of-100", func(int) string { return "?count=100" }},
			// Pages anywhere in the first half: offset paging reads the rows before the page.
			{"page-of-100-anywhere", func(i int) string {
				return fmt.Sprintf("?startIndex=%d&count=100", 1+(i*7919*100)%(size.n/2))
			}},
		} {
			b.Run(fmt.Sprintf("%s/%d-users", q.name, size.n), func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					if s := scimRequest(b, benchSCIMSecret(size.dir), "GET", base+q.query(i), ""); s != http.StatusOK {
						b.Fatalf("status %d", s)
					}
					lat = append(lat, time.Since(t0))
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
			})
		}
	}
}
