// Package testserver runs a complete Gatehouse server in the test's process: the idp service on a fresh SQLite
// database in a temporary directory, behind the web handler, on a loopback port. Tests of the pages, the API and
// the browser use it when they do not need the real binary (package e2e starts that).
package testserver

import (
	"context"
	"crypto/rand"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/metrics"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/sqlite"
	"github.com/gatehouse-idp/gatehouse/web"
)

// Admin credentials of every test server's first global admin.
const (
	AdminUser     = "admin@contoso.com"
	AdminPassword = "correct horse battery staple"
)

// Server is a running test server.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234, and the server's public URL.
	URL     string
	Service *idp.Service
	// Store is the service's store, as Configure left it.
	Store gatehouse.Store
	Web   *web.Server
	HTTP  *httptest.Server
	// Metrics are the server's metrics, served on /metrics to an instance admin's token.
	Metrics *metrics.Metrics
	// DBPath is the SQLite database file.
	DBPath string
}

// Options change the server before it starts; the zero value is the default.
type Options struct {
	// Configure, when set, is called with the service's configuration and the web server before they are built
	// and initialised.
	Configure func(cfg *idp.Config, srv *web.Server)
	// Localhost makes the URL http://localhost:PORT instead of http://127.0.0.1:PORT: passkeys need a domain name
	// as relying-party ID, and browsers accept localhost over plain http.
	Localhost bool
}

// TestHashParams are argon2id parameters small enough for tests; production uses password.DefaultParams.
var TestHashParams = password.Params{Time: 1, MemoryKiB: 1024, Threads: 1, KeyLen: 32, SaltLen: 16}

// Start starts a server with the default directory and its admin (AdminUser, AdminPassword, not temporary) and
// stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "gatehouse.db")
	store, err := sqlite.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		t.Fatal(err)
	}
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	url := "http://" + hs.Listener.Addr().String()
	if opts.Localhost {
		url = "http://localhost:" + strconv.Itoa(hs.Listener.Addr().(*net.TCPAddr).Port)
	}
	hasher := password.NewHasher(TestHashParams, 2)
	cfg := idp.Config{
		Store: store, Gallery: gallery.MustLoad(), Hasher: hasher, Sealer: sealer,
		PublicURL: url, NameIDKey: kek,
	}
	srv := &web.Server{PublicURL: url}
	if opts.Configure != nil {
		opts.Configure(&cfg, srv)
	}
	svc, err := idp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Service = svc
	m, err := metrics.New(metrics.Options{Certificates: svc.CertificateMetrics, Hasher: hasher})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetObserver(m)
	srv.Metrics, srv.Instrument = m.Handler(), m.Instrument
	if _, _, err := svc.Bootstrap(context.Background(), AdminUser, AdminPassword); err != nil {
		t.Fatal(err)
	}
	if err := srv.Init(); err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	return &Server{URL: url, Service: svc, Store: cfg.Store, Web: srv, HTTP: hs, Metrics: m, DBPath: dbPath}
}
