package demoapp

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse/internal/textdiff"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages lists every page template; each is parsed with layout.html at start-up, so a broken one stops the boot.
var pages = []string{"signin", "dashboard", "settings", "access", "scim", "team", "remove", "error", "notmember"}

// Config configures an App.
type Config struct {
	// PublicURL is the URL people and the IdP reach the app at, e.g. http://127.0.0.1:8090. The SAML entity ID,
	// ACS URL and sign-on URL are derived from it; an https URL makes cookies Secure.
	PublicURL string

	// DataDir is the directory holding the SQLite database; it is created if missing.
	DataDir string

	// Logger receives the details of every failure; nil discards them.
	Logger *slog.Logger

	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	// Rand is the source of randomness for tokens and IDs; nil means crypto/rand.
	Rand io.Reader

	// HTTPClient fetches the IdP's federation metadata when the owner gives its URL; nil means a client with a
	// 10-second timeout.
	HTTPClient *http.Client

	// GatehouseURL is the address of the Gatehouse this app is meant to be connected to, e.g.
	// http://127.0.0.1:8080: the examples on the Access security page show its Login URL, Identifier and metadata
	// URL. Empty means DefaultGatehouseURL.
	GatehouseURL string
}

// DefaultGatehouseURL is Gatehouse's address when it runs with its defaults on the same machine.
const DefaultGatehouseURL = "http://127.0.0.1:8080"

// App is the demo analytics app: its database, templates and HTTP handlers.
type App struct {
	db         *sql.DB
	public     *url.URL
	secure     bool
	log        *slog.Logger
	nowFn      func() time.Time
	rand       io.Reader
	templates  map[string]*template.Template
	httpClient *http.Client
	// gatehouse is the Gatehouse address the examples show, without a trailing slash.
	gatehouse string

	// throttle counts recent password failures.
	throttle *throttle

	// hashSlots bounds concurrent password hashing so memory stays flat under load.
	hashSlots chan struct{}
}

// Open opens (or creates) the app's database under cfg.DataDir, applies its migrations and parses its templates.
func Open(ctx context.Context, cfg Config) (*App, error) {
	pub, err := url.Parse(strings.TrimRight(cfg.PublicURL, "/"))
	if err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" {
		return nil, fmt.Errorf("demoapp: public URL %q must be an absolute http or https URL", cfg.PublicURL)
	}
	if pub.Path != "" || pub.RawQuery != "" || pub.Fragment != "" {
		return nil, fmt.Errorf("demoapp: public URL %q must have no path, query or fragment", cfg.PublicURL)
	}
	a := &App{
		public:     pub,
		secure:     pub.Scheme == "https",
		log:        cfg.Logger,
		nowFn:      cfg.Now,
		rand:       cfg.Rand,
		httpClient: cfg.HTTPClient,
		gatehouse:  strings.TrimRight(cfg.GatehouseURL, "/"),
		hashSlots:  make(chan struct{}, max(1, runtime.NumCPU())),
		throttle:   newThrottle(),
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.nowFn == nil {
		a.nowFn = time.Now
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	if a.httpClient == nil {
		a.httpClient = defaultHTTPClient()
	}
	if a.gatehouse == "" {
		a.gatehouse = DefaultGatehouseURL
	}
	if u, err := url.Parse(a.gatehouse); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("demoapp: Gatehouse URL %q must be an absolute http or https URL", cfg.GatehouseURL)
	}
	if a.templates, err = parseTemplates(); err != nil {
		return nil, err
	}
	if cfg.DataDir == "" {
		return nil, errors.New("demoapp: no data directory")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("demoapp: create data directory: %w", err)
	}
	if a.db, err = openDB(ctx, filepath.Join(cfg.DataDir, "demo.db")); err != nil {
		return nil, err
	}
	if _, err := a.db.ExecContext(ctx, `INSERT INTO organization (id, name, created_at) VALUES (1, 'Acme Analytics', ?)
		ON CONFLICT (id) DO NOTHING`, a.now().Unix()); err != nil {
		a.db.Close()
		return nil, fmt.Errorf("demoapp: create organization: %w", err)
	}
	return a, nil
}

// Close closes the database.
func (a *App) Close() error { return a.db.Close() }

func (a *App) now() time.Time { return a.nowFn() }

// EntityID returns the app's SAML entity ID, which is also the URL of its SP metadata.
func (a *App) EntityID() string { return a.public.String() + "/saml/metadata" }

// ACSURL returns the app's assertion consumer service (postback) URL.
func (a *App) ACSURL() string { return a.public.String() + "/saml/acs" }

// SignOnURL returns the URL that starts SP-initiated sign-on.
func (a *App) SignOnURL() string { return a.public.String() + "/saml/login" }

// EnsureOwner creates the organization owner with email and password when the organization has no owner yet. An
// empty password is replaced by a generated one, which is returned so that it can be shown once. created reports
// whether an owner was created.
func (a *App) EnsureOwner(ctx context.Context, email, password string) (generated string, created bool, err error) {
	if _, err := a.findOwner(ctx); err == nil {
		return "", false, nil
	} else if !errors.Is(err, errNoRows) {
		return "", false, fmt.Errorf("demoapp: find owner: %w", err)
	}
	addr, err := normalizeEmail(email)
	if err != nil {
		return "", false, fmt.Errorf("demoapp: owner e-mail: %w", err)
	}
	if password == "" {
		generated = a.randomToken(12)
		password = generated
	}
	if len(password) < 8 || len(password) > maxPasswordLen {
		return "", false, fmt.Errorf("demoapp: the owner password must be 8 to %d bytes long", maxPasswordLen)
	}
	hash, err := a.hashPassword(password)
	if err != nil {
		return "", false, err
	}
	u := &User{Email: addr, Role: RoleOwner, Status: StatusActive, PasswordHash: hash, InvitedAt: a.now()}
	if err := a.createUser(ctx, u); err != nil {
		return "", false, err
	}
	return generated, true, nil
}

// Handler returns the app's HTTP handler: every route, behind cross-origin protection (except the ACS, which
// signatures and request tracking protect) and security headers.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", a.wrap(a.home))
	mux.Handle("GET /signin", a.wrap(a.signinPage))
	mux.Handle("POST /signin", a.wrap(a.signin))
	mux.Handle("POST /signout", a.wrap(a.signout))
	mux.Handle("GET /dashboard", a.wrap(a.dashboard))
	mux.Handle("GET /settings", a.wrap(a.settingsPage))
	mux.Handle("GET /settings/access-security", a.wrap(a.accessPage))
	mux.Handle("POST /settings/access-security", a.wrap(a.saveAccess))
	mux.Handle("GET /settings/scim", a.wrap(a.scimPage))
	mux.Handle("POST /settings/scim/domain", a.wrap(a.claimDomain))
	mux.Handle("POST /settings/scim/token", a.wrap(a.generateSCIMToken))
	mux.Handle("GET /team", a.wrap(a.teamPage))
	mux.Handle("POST /team/invite", a.wrap(a.invite))
	mux.Handle("GET /team/{id}/remove", a.wrap(a.confirmRemoveMember))
	mux.Handle("POST /team/{id}/remove", a.wrap(a.removeMember))
	mux.Handle("GET /saml/metadata", a.wrap(a.metadata))
	mux.Handle("GET /saml/login", a.wrap(a.samlLogin))
	mux.Handle("POST /saml/acs", a.wrap(a.acs))
	mux.Handle("GET /healthz", a.wrap(a.healthz))
	a.scimRoutes(mux)
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.Handle("GET /favicon.ico", http.RedirectHandler("/static/favicon.svg", http.StatusMovedPermanently))
	mux.Handle("/", a.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(ENOTFOUND, "There is no page at %s.", r.URL.Path)
	}))

	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("POST /saml/acs")
	cop.SetDenyHandler(a.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return &Error{Code: EFORBIDDEN, Title: "Cross-origin request refused",
			Message: "This form was submitted from another site, so it was refused. Go back to the app and try again."}
	}))
	return securityHeaders(cop.Handler(mux))
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

func parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"diff": textdiff.Split,
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2 Jan 2006 15:04 UTC")
		},
	}
	ts := make(map[string]*template.Template, len(pages))
	for _, p := range pages {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("demoapp: parse template %s: %w", p, err)
		}
		ts[p] = t
	}
	return ts, nil
}

// render writes page with data (a map to which the signed-in user, if any, is added) and the given status.
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, page string, data map[string]any) {
	t, ok := a.templates[page]
	if !ok {
		http.Error(w, "missing page", http.StatusInternalServerError)
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	if _, ok := data["User"]; !ok {
		if s, err := a.currentSession(r); err == nil {
			data["User"] = s.User
		}
	}
	if _, ok := data["Org"]; !ok {
		data["Org"], _ = a.organizationName(r.Context())
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		a.log.Error("render page", "page", page, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, b.String())
}

// newRef returns a short reference id shown on error pages and written to the log.
func (a *App) newRef() string {
	b := make([]byte, 5)
	if _, err := io.ReadFull(a.rand, b); err != nil {
		return "unknown"
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

func (a *App) home(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.currentSession(r); err != nil {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	return nil
}

func (a *App) healthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := a.db.PingContext(r.Context()); err != nil {
		a.log.Error("health check", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, err := io.WriteString(w, `{"status":"unavailable"}`+"\n")
		return err
	}
	_, err := io.WriteString(w, `{"status":"ok"}`+"\n")
	return err
}

// queryEscape escapes s for a query string value.
func queryEscape(s string) string { return url.QueryEscape(s) }

// safeNext returns p when it is a same-origin relative path (one leading slash, no scheme, host, backslash or control
// character), and "/dashboard" otherwise.
func safeNext(p string) string {
	const fallback = "/dashboard"
	if p == "" || len(p) > 1024 || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\") {
		return fallback
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f {
			return fallback
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return fallback
	}
	return p
}
