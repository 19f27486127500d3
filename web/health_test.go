package web_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the test edits the SQLite database under the server

	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/postgres"
	"github.com/gatehouse-idp/gatehouse/web"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// health is an answer of a health endpoint.
type health struct {
	Status int
	Body   map[string]any
}

// getHealth asks h for path.
func getHealth(t *testing.T, h http.Handler, path string) health {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Body)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, b)
	}
	return health{rec.Code, body}
}

// wantHealth checks the three health endpoints: /healthz/live always 200, /healthz (the database only) and
// /healthz/ready with the given status of each check.
func wantHealth(t *testing.T, h http.Handler, healthz int, checks map[string]string) {
	t.Helper()
	if got := getHealth(t, h, "/healthz/live"); got.Status != http.StatusOK || got.Body["status"] != "ok" {
		t.Errorf("/healthz/live: %d %v, want 200 ok", got.Status, got.Body)
	}
	if got := getHealth(t, h, "/healthz"); got.Status != healthz {
		t.Errorf("/healthz: %d %v, want %d", got.Status, got.Body, healthz)
	}
	got := getHealth(t, h, "/healthz/ready")
	status, want := http.StatusOK, map[string]any{"status": "ok", "checks": map[string]any{}}
	for name, s := range checks {
		want["checks"].(map[string]any)[name] = s
		if s != "ok" {
			status, want["status"] = http.StatusServiceUnavailable, "unavailable"
		}
	}
	if got.Status != status {
		t.Errorf("/healthz/ready: status %d, want %d", got.Status, status)
	}
	if d := cmp.Diff(want, got.Body); d != "" {
		t.Errorf("/healthz/ready mismatch (-want +got):\n%s", d)
	}
}

var allOK = map[string]string{"database": "ok", "schema": "ok", "key": "ok"}

// TestHealthReady checks the load balancer's view of a healthy node.
func TestHealthReady(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	wantHealth(t, srv.Web.Handler(), http.StatusOK, allOK)
}

// TestHealthReadyDatabaseClosed closes the database under a running node: it is alive but not ready, and the old
// /healthz fails too.
func TestHealthReadyDatabaseClosed(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	if err := srv.Store.Close(); err != nil {
		t.Fatal(err)
	}
	wantHealth(t, srv.Web.Handler(), http.StatusServiceUnavailable, map[string]string{"database": "failed", "schema": "failed", "key": "failed"})
}

// TestHealthReadySchema puts the database's schema behind and ahead of the running code, as restoring an older
// backup or starting a newer node would: the node is not ready until the schema matches again.
func TestHealthReadySchema(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	db, err := sql.Open("sqlite", "file:"+srv.DBPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var newest int
	var name string
	var applied int64
	if err := db.QueryRow(`SELECT version, name, applied_at FROM schema_migrations ORDER BY version DESC LIMIT 1`).Scan(&newest, &name, &applied); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	notReady := map[string]string{"database": "ok", "schema": "failed", "key": "ok"}
	h := srv.Web.Handler()

	exec(`DELETE FROM schema_migrations WHERE version = ?`, newest)
	t.Run("Behind", func(t *testing.T) { wantHealth(t, h, http.StatusOK, notReady) })
	exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, newest, name, applied)
	t.Run("Current", func(t *testing.T) { wantHealth(t, h, http.StatusOK, allOK) })
	exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_a_newer_gatehouse.sql', ?)`, newest+1, applied)
	t.Run("Ahead", func(t *testing.T) { wantHealth(t, h, http.StatusOK, notReady) })
}

// TestHealthReadyWrongKey starts a second node on the same database with another instance key: it cannot open the
// signing keys, so it is not ready, although its database answers.
func TestHealthReadyWrongKey(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	other := make([]byte, 32)
	if _, err := rand.Read(other); err != nil {
		t.Fatal(err)
	}
	sealer, err := certs.NewSealer(other)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := idp.New(idp.Config{Store: srv.Store, Gallery: gallery.MustLoad(), Hasher: password.NewHasher(testserver.TestHashParams, 1),
		Sealer: sealer, PublicURL: srv.URL, NameIDKey: other})
	if err != nil {
		t.Fatal(err)
	}
	node := &web.Server{Service: svc, PublicURL: srv.URL}
	if err := node.Init(); err != nil {
		t.Fatal(err)
	}
	wantHealth(t, node.Handler(), http.StatusOK, map[string]string{"database": "ok", "schema": "ok", "key": "failed"})
	wantHealth(t, srv.Web.Handler(), http.StatusOK, allOK)
}

// TestHealthReadySlowDatabase holds a lock on PostgreSQL that the health checks' reads wait for: the checks give up
// at ReadyTimeout and the node is not ready, but alive; once the lock goes, it is ready again.
func TestHealthReadySlowDatabase(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	store, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		t.Fatal(err)
	}
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := idp.New(idp.Config{Store: store, Gallery: gallery.MustLoad(), Hasher: password.NewHasher(testserver.TestHashParams, 1),
		Sealer: sealer, PublicURL: "http://127.0.0.1:1", NameIDKey: kek})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(ctx, testserver.AdminUser, testserver.AdminPassword); err != nil {
		t.Fatal(err)
	}
	node := &web.Server{Service: svc, PublicURL: "http://127.0.0.1:1", ReadyTimeout: 300 * time.Millisecond}
	if err := node.Init(); err != nil {
		t.Fatal(err)
	}
	h := node.Handler()
	wantHealth(t, h, http.StatusOK, allOK)

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE directories IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	wantHealth(t, h, http.StatusServiceUnavailable, map[string]string{"database": "failed", "schema": "failed", "key": "failed"})
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wantHealth(t, h, http.StatusOK, allOK)
}
