package web

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// The portal's partials are named explicitly: a directory pattern leaves out files whose names start with "_".
//
//go:embed templates templates/portal/_*.html static openapi.yaml
var assets embed.FS

// Server serves Gatehouse over HTTP. Set the fields, call Init, then use Handler.
type Server struct {
	Service *idp.Service
	Logger  *slog.Logger
	// PublicURL is the externally visible base URL; an https URL makes cookies Secure and __Host- prefixed.
	PublicURL string
	// RateLimit is the sustained requests per second allowed per client address and RateBurst the burst; a zero
	// RateLimit turns rate limiting off.
	RateLimit float64
	RateBurst int
	// SCIMRateLimit is the sustained requests per second allowed per SCIM token and SCIMRateBurst its burst; a zero
	// SCIMRateLimit turns the limit off.
	SCIMRateLimit float64
	SCIMRateBurst int
	// TrustedProxies are the reverse proxies and load balancers in front of the server. For a request from one of
	// them the client address is taken from X-Forwarded-For (the rightmost address that is not a trusted proxy),
	// so that lockout, rate limits and the logs see people, not the proxy. Empty: the connection's address.
	TrustedProxies []netip.Prefix
	// Metrics serves GET /metrics (the Prometheus exposition format) to an instance admin's API token; nil answers
	// 404. Instrument, when set, wraps the whole handler to measure every request; it must pass the request it is
	// given on unchanged, since it reads the route pattern the mux sets on it. ReadyTimeout bounds the checks of
	// GET /healthz/ready (2 seconds when zero).
	Metrics      http.Handler
	Instrument   func(http.Handler) http.Handler
	ReadyTimeout time.Duration

	secure  bool
	pages   map[string]*template.Template
	limiter *limiter
	// scimLimits is the rate limit of each SCIM token.
	scimLimits scimLimiter
	openAPI    []byte
	// patterns lists the registered route patterns, for the test that checks the OpenAPI document.
	patterns []string
}

// Init parses the embedded templates (a broken one is an error here, not at request time) and prepares the
// server.
func (s *Server) Init() error {
	if s.Service == nil {
		return fmt.Errorf("web: Service is required")
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	u, err := url.Parse(s.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("web: public URL %q must be an absolute http or https URL", s.PublicURL)
	}
	s.secure = u.Scheme == "https"
	if s.pages, err = parsePages(); err != nil {
		return err
	}
	if s.openAPI, err = fs.ReadFile(assets, "openapi.yaml"); err != nil {
		return fmt.Errorf("web: read openapi.yaml: %w", err)
	}
	if s.RateLimit > 0 {
		s.limiter = newLimiter(s.RateLimit, s.RateBurst, 100_000)
	}
	s.scimLimits = scimLimiter{rate: rate.Limit(s.SCIMRateLimit), burst: max(s.SCIMRateBurst, 1)}
	return nil
}

// parsePages parses every page template with templates/layout.html: the pages in templates/ are named by file
// ("login.html"), those in templates/portal/ by their path there ("portal/users.html") and are parsed together
// with the portal's partials, the files in templates/portal/ whose names start with "_". The layout and the
// partials are parsed once and cloned for each page, and the pages are parsed in parallel: parsing is most of the
// server's start-up.
func parsePages() (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse template layout.html: %w", err)
	}
	portalBase := base
	if partials, _ := fs.Glob(assets, "templates/portal/_*.html"); len(partials) > 0 {
		if portalBase, err = template.Must(base.Clone()).ParseFS(assets, partials...); err != nil {
			return nil, fmt.Errorf("web: parse the portal's partials: %w", err)
		}
	}
	type page struct {
		name, file string
		base       *template.Template
	}
	var todo []page
	top, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range top {
		if name := path.Base(f); name != "layout.html" {
			todo = append(todo, page{name, f, base})
		}
	}
	portal, err := fs.Glob(assets, "templates/portal/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range portal {
		if name := path.Base(f); !strings.HasPrefix(name, "_") {
			todo = append(todo, page{"portal/" + name, f, portalBase})
		}
	}
	pages := make([]*template.Template, len(todo))
	errs := make([]error, len(todo))
	var wg sync.WaitGroup
	for i, p := range todo {
		wg.Go(func() {
			t, err := p.base.Clone()
			if err == nil {
				t, err = t.ParseFS(assets, p.file)
			}
			if err != nil {
				errs[i] = fmt.Errorf("web: parse template %s: %w", p.name, err)
			}
			pages[i] = t
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make(map[string]*template.Template, len(todo))
	for i, p := range todo {
		out[p.name] = pages[i]
	}
	return out, nil
}

// funcs are the template functions of every page (format.go).
var funcs = template.FuncMap{
	"initials":         initials,
	"fmtTime":          fmtTime,
	"auditValue":       auditValue,
	"roleName":         roleName,
	"roleDescription":  func(r gatehouse.Role) string { return roleDescriptions[r] },
	"nameIDFormatName": nameIDFormatName,
	"attributeName":    attributeName,
	"diffParts":        diffParts,
	"sectionNotice":    sectionNotice,
	"has":              func(list []string, s string) bool { return slices.Contains(list, s) },
	"fieldName":        func(f string) string { return ssoFieldNames[f] },
	"notifyText":       notifyForm,
	"args":             args,
	// list and dict build arguments of templates: a list of values, and a map from name/value pairs.
	"list": func(v ...any) []any { return v },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			if k, ok := kv[i].(string); ok {
				m[k] = kv[i+1]
			}
		}
		return m
	},
}

// initials returns up to two letters for an app tile without a logo.
func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			out = append(out, r)
			break
		}
		if len(out) == 2 {
			break
		}
	}
	return strings.ToUpper(string(out))
}

// view is what every page template receives.
type view struct {
	Nonce       string
	DirectoryID string
	User        any
	// Notice is what the page says about the change that led to it (notice.go); the layout shows it at the top,
	// unless it names a Section of the page, which shows it there.
	Notice *notice
	Data   any
}

// render executes a page into a buffer first, so a template error becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := s.pages[name]
	if !ok {
		panic("web: no page " + name) // every page is parsed at start-up
	}
	v := view{Nonce: nonce(r), DirectoryID: r.PathValue("dir"), Data: data, Notice: s.takeNotice(w, r)}
	if u := userFrom(r); u != nil {
		v.User = u
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		s.Logger.Error("render page", "page", name, "err", err, "correlation_id", correlationID(r))
		http.Error(w, "Internal error. Correlation ID: "+correlationID(r), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// Handler returns the server's HTTP handler with every route and the middleware around them.
func (s *Server) Handler() http.Handler {
	mux := s.routes()
	cop := http.NewCrossOriginProtection()
	// The SAML POST binding is cross-origin by design; signatures and one-time request IDs protect it.
	cop.AddInsecureBypassPattern("POST /d/{dir}/saml2")
	// So are OpenID Connect's: apps' servers and single-page apps post to them, with their client credentials or
	// tokens, never a cookie; the authorization endpoint starts a sign-in as its GET does, and the end-session
	// endpoint ends a session only for its app's ID token or the form of its own confirmation page.
	for _, p := range []string{"authorize", "logout", "token", "userinfo", "introspect", "revoke"} {
		cop.AddInsecureBypassPattern("POST /d/{dir}/oidc/" + p)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errForbiddenOrigin())
	}))
	h := s.rateLimit(s.securityHeaders(cop.Handler(mux)))
	if s.Instrument != nil {
		h = s.Instrument(h)
	}
	return s.recoverPanics(s.requestContext(h))
}

// wrap turns an error-returning page handler into an http.Handler that renders its error as a page.
func (s *Server) page(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.pageError(w, r, err)
		}
	})
}

// api turns an error-returning API handler into an http.Handler that renders its error as JSON.
func (s *Server) api(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.apiError(w, r, err)
		}
	})
}

// fail renders err as JSON under /api/ and as a page elsewhere.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.apiError(w, r, err)
		return
	}
	s.pageError(w, r, err)
}

type ctxKey int

const (
	correlationKey ctxKey = iota
	nonceKey
	userKey
	noticeKey
)

func correlationID(r *http.Request) string {
	v, _ := r.Context().Value(correlationKey).(string)
	return v
}
func nonce(r *http.Request) string { v, _ := r.Context().Value(nonceKey).(string); return v }

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// requestContext gives every request a correlation ID (also sent as X-Correlation-ID), a CSP nonce and the
// request information the services log.
func (s *Server) requestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cid := randomString(12)
		w.Header().Set("X-Correlation-ID", cid)
		ctx := context.WithValue(r.Context(), correlationKey, cid)
		ctx = context.WithValue(ctx, nonceKey, randomString(16))
		ctx = context.WithValue(ctx, noticeKey, &noticeSlot{})
		ctx = idp.WithRequestInfo(ctx, idp.RequestInfo{CorrelationID: cid, ClientAddr: s.clientAddr(r), UserAgent: r.UserAgent()})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientAddr returns the client's IP address: the connection's, or for a request from a trusted proxy the
// rightmost X-Forwarded-For address that is not a trusted proxy. Addresses left of that one are the client's own
// claims and are ignored, so a client cannot choose its address by sending the header itself.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !s.trustedProxy(addr) {
		return host
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing further left
		}
		addr = a.Unmap()
		if !s.trustedProxy(addr) {
			break
		}
	}
	return addr.String()
}

// trustedProxy reports whether addr is one of TrustedProxies.
func (s *Server) trustedProxy(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// securityHeaders sets the headers every response carries (SECURITY-CASES 33): a CSP that allows only this
// request's nonce for scripts and forbids framing, nosniff and a strict referrer policy.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp(nonce(r), "'self'"))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// csp returns the Content-Security-Policy with the given nonce and form-action sources ("" leaves form-action
// out, for the page that posts a SAML response to an app).
func csp(nonce, formAction string) string {
	p := "default-src 'self'; script-src 'nonce-" + nonce + "'; style-src 'self'; img-src 'self' data:; " +
		"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
	if formAction != "" {
		p += "; form-action " + formAction
	}
	return p
}

// recoverPanics turns a panic into a logged 500 with the correlation ID.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("panic", "value", v, "stack", string(debug.Stack()), "path", r.URL.Path)
				http.Error(w, "Internal error.", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
