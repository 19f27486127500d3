package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// crashEnv names the database the child process of TestKilledMidWrite writes to.
const crashEnv = "GATEHOUSE_SQLITE_CRASH_DB"

// crashWrite stores, in one transaction, user i with a session and an audit event.
func crashWrite(ctx context.Context, s gatehouse.Store, i int) error {
	id := strconv.Itoa(i)
	return s.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateUser(ctx, &gatehouse.User{ID: "u" + id, DirectoryID: "d", UserName: "u" + id + "@contoso.com",
			DisplayName: "U " + id, Role: gatehouse.RoleUser, CreatedAt: t0, UpdatedAt: t0}); err != nil {
			return err
		}
		if err := tx.CreateSession(ctx, &gatehouse.Session{ID: "s" + id, DirectoryID: "d", UserID: "u" + id,
			CreatedAt: t0, AuthnInstant: t0, LastSeenAt: t0, ExpiresAt: t0.AddDate(1, 0, 0)}); err != nil {
			return err
		}
		return tx.CreateAuditEvent(ctx, &gatehouse.AuditEvent{ID: "a" + id, DirectoryID: "d", Time: t0,
			ActorID: "u" + id, Action: "user.create", TargetType: "user", TargetID: "u" + id})
	})
}

// TestCrashChild is the child process of TestKilledMidWrite: it writes until it is killed, printing the number of
// each write after its commit returned. Run alone, it does nothing.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("the child process of TestKilledMidWrite")
	}
	ctx := context.Background()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for i := range 1_000_000 {
		if err := crashWrite(ctx, s, i); err != nil {
			t.Fatal(err)
		}
		// Unbuffered: the parent sees the acknowledgement as soon as the commit returned.
		fmt.Fprintf(os.Stdout, "ack %d\n", i)
	}
}

// TestKilledMidWrite kills a process that is writing with SIGKILL and reopens its database: every write the
// process saw committed is there in full, and no write is there in part (SECURITY-CASES 45). A killed process
// loses nothing that the kernel holds; the loss of power is covered by synchronous=FULL, which TestPragmas checks.
func TestKilledMidWrite(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is not available on Windows")
	}
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const acks = 300
	last := -1
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && last < acks-1 {
		var i int
		if _, err := fmt.Sscanf(sc.Text(), "ack %d", &i); err != nil {
			continue // the test framework's own output
		}
		last = i
	}
	// Killed in the middle of the next writes, which go on while the parent reads.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if last < acks-1 {
		t.Fatalf("the child acknowledged %d writes before it stopped, want %d", last+1, acks)
	}

	ctx := context.Background()
	s := mustOpenPath(t, path)
	var integrity string
	if err := rawDB(t, path).QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check = %q, %v", integrity, err)
	}
	_, users, err := s.FindUsers(ctx, "d", gatehouse.UserFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, audits, err := s.FindAuditEvents(ctx, "d", gatehouse.AuditFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if users <= last || audits != users {
		t.Fatalf("%d users and %d audit events after %d acknowledged writes; want at least %d of each, as many of one as of the other",
			users, audits, last+1, last+1)
	}
	// Every write that is there is there in full; those acknowledged are among them.
	for i := range users {
		id := strconv.Itoa(i)
		if _, err := s.FindUser(ctx, "d", "u"+id); err != nil {
			t.Errorf("user %d: %v", i, err)
		}
		if _, err := s.FindSession(ctx, "s"+id, t0); err != nil {
			t.Errorf("session %d: %v", i, err)
		}
	}
	// The database takes writes again.
	if err := crashWrite(ctx, s, users); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d writes acknowledged, %d found after SIGKILL", last+1, users)
}
