package idp_test

import (
	"bytes"
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/scimtarget"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// importUsers creates n users user000000@contoso.com … in the default directory with the bulk import.
func importUsers(b *testing.B, srv *testserver.Server, root *gatehouse.User, n int) {
	b.Helper()
	var csv bytes.Buffer
	csv.WriteString("userName,displayName\n")
	for i := range n {
		fmt.Fprintf(&csv, "user%06d@contoso.com,User %06d\n", i, i)
	}
	res, err := srv.Service.ImportUsers(context.Background(), root, "default", idp.ImportCSV, &csv)
	if err != nil {
		b.Fatal(err)
	}
	if res.Created != n {
		b.Fatalf("imported %+v, want %d created", res, n)
	}
}

// cpuTime returns the CPU time the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// turnOn turns on provisioning of a new app to target with the scope.
func turnOn(b *testing.B, srv *testserver.Server, root *gatehouse.User, target *scimtarget.Reader, scope string) *gatehouse.App {
	b.Helper()
	ctx := context.Background()
	app, _, err := srv.Service.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Demo"})
	if err != nil {
		b.Fatal(err)
	}
	on := gatehouse.ProvisioningAutomatic
	if _, err := srv.Service.UpdateProvisioning(ctx, root, "default", app.ID, idp.ProvisioningInput{Mode: &on,
		TenantURL: &target.BaseURL, Token: &target.Token, Scope: &scope}); err != nil {
		b.Fatal(err)
	}
	return app
}

// rootOf returns the test server's global admin.
func rootOf(b *testing.B, srv *testserver.Server) *gatehouse.User {
	b.Helper()
	u, err := srv.Store.FindUserByName(context.Background(), gatehouse.DefaultDirectoryID, testserver.AdminUser)
	if err != nil {
		b.Fatal(err)
	}
	return u
}

// BenchmarkInitialCycleToDemoApp runs the initial provisioning cycle of 10,000 users (scope: all) to a fresh demo
// app, in the same process; it reports users/s and the process's CPU per user (Gatehouse's and the demo app's).
func BenchmarkInitialCycleToDemoApp(b *testing.B) {
	const users = 10000
	srv := testserver.Start(b, testserver.Options{})
	root := rootOf(b, srv)
	importUsers(b, srv, root, users)
	ctx := context.Background()
	var elapsed, cpu time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		target := startDemoSCIM(b, "contoso.com")
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		app := turnOn(b, srv, root, target, gatehouse.ScopeAll)
		for {
			v, err := srv.Service.FindProvisioning(ctx, root, "default", app.ID)
			if err != nil {
				b.Fatal(err)
			}
			if v.Status != nil && v.Status.LastCycle != nil {
				if c := v.Status.LastCycle.Counts; c.Created < users || c.Failed > 0 {
					b.Fatalf("the cycle ended with %+v", c)
				}
				break
			}
			time.Sleep(50 * time.Millisecond) // polling the condition
		}
		elapsed += time.Since(start)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		if n := target.Count(b, "Users"); n < users {
			b.Fatalf("the demo app has %d users, want %d", n, users)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(users*b.N)/elapsed.Seconds(), "users/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(users*b.N), "cpu-µs/user")
}

// BenchmarkIncrementalChangeAmong100kUsers measures how long a display name change of one assigned user takes to
// reach the demo app when the directory has 100,000 users: the change is pushed by itself, without a scan.
func BenchmarkIncrementalChangeAmong100kUsers(b *testing.B) {
	const users = 100000
	srv := testserver.Start(b, testserver.Options{})
	root := rootOf(b, srv)
	importUsers(b, srv, root, users)
	ctx := context.Background()
	target := startDemoSCIM(b, "contoso.com")
	app := turnOn(b, srv, root, target, gatehouse.ScopeAssigned)
	u, err := srv.Store.FindUserByName(ctx, "default", "user050000@contoso.com")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := srv.Service.Assign(ctx, root, "default", app.ID, gatehouse.PrincipalUser, u.ID); err != nil {
		b.Fatal(err)
	}
	wait := func(name string) {
		for {
			if r := target.User(b, u.UserName); r != nil && r.String("displayName") == name {
				return
			}
			time.Sleep(time.Millisecond) // polling the condition
		}
	}
	wait("User 050000")
	b.ResetTimer()
	for i := range b.N {
		name := fmt.Sprintf("Renamed %d", i)
		if _, err := srv.Service.UpdateUser(ctx, root, "default", u.ID, idp.UserPatch{DisplayName: &name}); err != nil {
			b.Fatal(err)
		}
		wait(name)
	}
}
