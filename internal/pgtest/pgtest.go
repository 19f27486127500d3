package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable holding the URL of an existing server to create test databases on.
const EnvURL = "GATEHOUSE_TEST_POSTGRES_URL"

// tempPrefix starts the name of every cluster directory, so that directories left behind by a killed test binary
// can be found and removed by the next one.
const tempPrefix = "gatehouse-pgtest-"

// errNotInstalled reports that no PostgreSQL server binaries were found.
var errNotInstalled = errors.New("PostgreSQL is not installed")

// The cluster shared by every test of the binary. It is process-wide state because a cluster takes seconds to
// start: once guards the start, and cluster and startErr are written only inside it.
var (
	once     sync.Once
	shared   *cluster
	startErr error
)

// URL returns a connection URL to a new, empty database and drops the database when the test ends.
func URL(tb testing.TB) string {
	tb.Helper()
	server := os.Getenv(EnvURL)
	if server == "" {
		once.Do(func() { shared, startErr = startCluster() })
		switch {
		case errors.Is(startErr, errNotInstalled) && os.Getenv("CI") == "true":
			tb.Fatalf("pgtest: %v; CI=true requires PostgreSQL: run scripts/postgres.sh", startErr)
		case errors.Is(startErr, errNotInstalled):
			tb.Skipf("pgtest: SKIPPING: %v: run scripts/postgres.sh to install it, or set %s to a server's URL", startErr, EnvURL)
		case startErr != nil:
			tb.Fatalf("pgtest: start PostgreSQL: %v", startErr)
		}
		server = shared.url("postgres")
	}
	name, err := createDatabase(server)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := dropDatabase(server, name); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("pgtest: parse %s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Main runs the tests, stops the cluster if one was started, and exits with the tests' status. Call it from
// TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop PostgreSQL: %v\n", err)
		}
	}
	os.Exit(code)
}

// createDatabase creates a uniquely named database on the server at serverURL and returns its name.
func createDatabase(serverURL string) (string, error) {
	b := make([]byte, 8)
	rand.Read(b)
	name := "gatehouse_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", redact(serverURL), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return name, nil
}

// dropDatabase drops the named database, disconnecting whoever is still connected to it.
func dropDatabase(serverURL, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(serverURL), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// redact returns s without its password, for error messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the server"
	}
	return u.Redacted()
}

// cluster is a running throwaway PostgreSQL server.
type cluster struct {
	dir  string // the temporary directory: data/, the unix socket and postgres.log
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed when the server process has exited
}

func (c *cluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// binDir returns the directory holding initdb and postgres: the newest /usr/lib/postgresql/N/bin, or the directory
// of initdb on PATH.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("%w (no initdb in /usr/lib/postgresql/*/bin or on PATH)", errNotInstalled)
}

// version returns N of /usr/lib/postgresql/N/bin.
func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// startCluster creates a cluster in a new temporary directory and starts it on a free loopback port.
func startCluster() (*cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	// The postgres user must reach the directory: as root, TMPDIR may be private to root, and /tmp is not.
	parent := os.TempDir()
	if cred != nil {
		parent = "/tmp"
	}
	removeStale(parent)
	dir, err := os.MkdirTemp(parent, tempPrefix)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	// A free port may be taken by another process between the check and the server's start: try a few times.
	for attempt := 0; ; attempt++ {
		c, err := startServer(bin, dir, cred)
		if err == nil {
			return c, nil
		}
		if attempt == 4 {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

// startServer starts postgres on the cluster in dir and waits until it accepts connections.
func startServer(bin, dir string, cred *syscall.Credential) (*cluster, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(dir, "data"),
		"-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=300",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The server quits (immediate shutdown) when the test binary dies without calling Main's stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c := &cluster{dir: dir, port: port, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(c.done) }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.url("postgres"))
		if err == nil {
			conn.Close(ctx)
			return c, nil
		}
		select {
		case <-c.done:
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("postgres exited: %s", tail(log))
		case <-ctx.Done():
			c.stop()
			return nil, fmt.Errorf("postgres did not accept connections within a minute: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop shuts the server down (fast shutdown, then immediate after ten seconds) and removes its directory.
func (c *cluster) stop() error {
	c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Signal(syscall.SIGQUIT)
		<-c.done
	}
	return os.RemoveAll(c.dir)
}

// credential returns the postgres OS user's credential when running as root (initdb and postgres refuse to run as
// root), and nil otherwise.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres OS user, which the Debian package creates: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// removeStale removes the cluster directories in parent whose test binary is gone (killed before Main could clean
// up); their servers quit with the binary.
func removeStale(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, tempPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

// tail returns the last lines of a log.
func tail(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// Tool returns the path of a PostgreSQL client program, such as pg_dump or pg_restore, of the installation the
// tests' server comes from (or on PATH). When it is missing the test is skipped, or fails when CI is "true".
func Tool(tb testing.TB, name string) string {
	tb.Helper()
	if dir, err := binDir(); err == nil {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("pgtest: %s is not installed; CI=true requires it: run scripts/postgres.sh", name)
	}
	tb.Skipf("pgtest: SKIPPING: %s is not installed: run scripts/postgres.sh to install it", name)
	return ""
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
