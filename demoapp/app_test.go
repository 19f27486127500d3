package demoapp

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/google/go-cmp/cmp"
)

func TestSignInPage(t *testing.T) {
	e := newEnv(t)
	p := e.browser().get("/signin")
	if p.Status != http.StatusOK {
		t.Fatalf("status %d", p.Status)
	}
	wantContains(t, p.Body, `id="email"`, `id="password"`, `id="signin-submit"`)
	if strings.Contains(p.Body, `id="sso-button"`) {
		t.Errorf("SSO button shown before SSO is set up")
	}
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, email, password string
		status                int
		want                  string
	}{
		{"right password", ownerEmail, ownerPassword, http.StatusSeeOther, ""},
		{"e-mail in another case", "OWNER@example.com", ownerPassword, http.StatusSeeOther, ""},
		{"wrong password", ownerEmail, "nope-nope-nope", http.StatusUnauthorized, "The e-mail or password is not right."},
		{"unknown e-mail", "nobody@example.com", ownerPassword, http.StatusUnauthorized, "The e-mail or password is not right."},
		{"password over 1024 bytes", ownerEmail, strings.Repeat("x", 1025), http.StatusBadRequest, "at most 1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			p := b.signIn(tt.email, tt.password)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			if tt.want != "" {
				wantContains(t, p.Body, tt.want, `id="signin-error"`)
				return
			}
			if p.Location != "/dashboard" {
				t.Errorf("redirect to %q, want /dashboard", p.Location)
			}
			if got := b.currentUser(); got != ownerEmail {
				t.Errorf("current user %q", got)
			}
		})
	}
}

func TestSessionCookie(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn(ownerEmail, ownerPassword)
	req, _ := http.NewRequest(http.MethodPost, e.url+"/signin", strings.NewReader(url.Values{"email": {ownerEmail}, "password": {ownerPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var c *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == "demo_session" {
			c = k
		}
	}
	if c == nil {
		t.Fatal("no session cookie")
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Errorf("cookie HttpOnly=%v SameSite=%v Path=%q, want HttpOnly, Lax, /", c.HttpOnly, c.SameSite, c.Path)
	}
	// A planted cookie is never promoted: sign-in issues a new session id.
	b2 := e.browser()
	u, _ := url.Parse(e.url)
	b2.jar.SetCookies(u, []*http.Cookie{{Name: "demo_session", Value: "planted-value"}})
	b2.signInOwner()
	for _, k := range b2.jar.Cookies(u) {
		if k.Name == "demo_session" && k.Value == "planted-value" {
			t.Errorf("the planted session id survived sign-in")
		}
	}
}

func TestSecureCookiesOnHTTPS(t *testing.T) {
	a, err := Open(context.Background(), Config{PublicURL: "https://demo.example", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got := a.cookieName(); got != "__Host-demo_session" {
		t.Errorf("cookie name %q on https", got)
	}
	if !a.secure {
		t.Errorf("https public URL does not make cookies Secure")
	}
}

func TestSignOut(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signInOwner()
	if n := e.sessionCount(); n != 1 {
		t.Fatalf("%d sessions", n)
	}
	p := b.post("/signout", nil)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("status %d", p.Status)
	}
	if n := e.sessionCount(); n != 0 {
		t.Errorf("%d sessions after sign-out, want 0 (revoked on the server)", n)
	}
	if got := b.currentUser(); got != "" {
		t.Errorf("still signed in as %q", got)
	}
}

func TestDashboard(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	p := b.get("/dashboard")
	if p.Status != http.StatusSeeOther || p.Location != "/signin?next=%2Fdashboard" {
		t.Fatalf("signed out: status %d location %q", p.Status, p.Location)
	}
	b.signInOwner()
	p = b.get("/dashboard")
	if p.Status != http.StatusOK {
		t.Fatalf("status %d", p.Status)
	}
	wantContains(t, p.Body, `id="current-user">`+ownerEmail+`<`, "Web app", "Mobile", "Marketing site", "<svg", "<polyline", `id="nav-team"`, `id="nav-settings"`)
	if p := b.get("/"); p.Location != "/dashboard" {
		t.Errorf("/ redirects to %q, want /dashboard", p.Location)
	}
}

func TestSignInRedirectsToNext(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ next, want string }{
		{"/team", "/team"},
		{"https://evil.example/", "/dashboard"},
		{"//evil.example/", "/dashboard"},
		{"/\\evil.example", "/dashboard"},
		{"javascript:alert(1)", "/dashboard"},
		{"/ok\r\nSet-Cookie: x=1", "/dashboard"},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			p := e.browser().post("/signin", url.Values{"email": {ownerEmail}, "password": {ownerPassword}, "next": {tt.next}})
			if p.Location != tt.want {
				t.Errorf("redirect to %q, want %q", p.Location, tt.want)
			}
		})
	}
}

func TestTeam(t *testing.T) {
	e := newEnv(t)
	owner := e.browser()
	owner.signInOwner()
	p := owner.get("/team")
	wantContains(t, p.Body, `id="invite-email"`, `id="invite-submit"`, `data-email="owner@example.com" data-status="active"`)

	tests := []struct {
		name, email string
		status      int
		want        string
	}{
		{"new member", "ada@example.com", http.StatusSeeOther, ""},
		{"same e-mail in another case", "ADA@example.com", http.StatusConflict, "already in the team"},
		{"not an e-mail", "ada", http.StatusBadRequest, "Enter one e-mail address"},
		{"name and address", "Ada <ada2@example.com>", http.StatusBadRequest, "Enter one e-mail address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := owner.post("/team/invite", url.Values{"email": {tt.email}})
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			if tt.want != "" {
				wantContains(t, p.Body, tt.want, `id="team-error"`)
			}
		})
	}
	users, err := e.app.listUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	for _, u := range users {
		emails = append(emails, u.Email+"/"+string(u.Status))
	}
	if diff := cmp.Diff([]string{"owner@example.com/active", "ada@example.com/pending"}, emails); diff != "" {
		t.Errorf("members mismatch (-want +got):\n%s", diff)
	}
}

func TestRemoveMember(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	ada := e.browser()
	if p := ada.postResponse(e.response(member("ada@example.com", "Ada", "L")), ""); p.Status != http.StatusSeeOther {
		t.Fatalf("SSO: %d", p.Status)
	}
	owner := e.browser()
	owner.signInOwner()
	u, _ := e.app.findUserByEmail(t.Context(), "ada@example.com")
	ownerUser, _ := e.app.findOwner(t.Context())

	if p := owner.post("/team/"+itoa(ownerUser.ID)+"/remove", nil); p.Status != http.StatusForbidden {
		t.Errorf("removing the owner: status %d, want 403", p.Status)
	}
	if p := owner.post("/team/999/remove", nil); p.Status != http.StatusNotFound {
		t.Errorf("removing nobody: status %d, want 404", p.Status)
	}
	if p := owner.post("/team/"+itoa(u.ID)+"/remove", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("remove: status %d", p.Status)
	}
	if got := ada.currentUser(); got != "" {
		t.Errorf("the removed member is still signed in as %q", got)
	}
	if n := e.sessionCount(); n != 1 {
		t.Errorf("%d sessions, want only the owner's", n)
	}
	// Removed people are no longer members.
	p := e.browser().postResponse(e.response(member("ada@example.com", "", "")), "")
	if p.Status != http.StatusForbidden {
		t.Errorf("SSO after removal: status %d, want 403", p.Status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	p := e.browser().get("/healthz")
	if p.Status != http.StatusOK || p.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d content type %q", p.Status, p.Header.Get("Content-Type"))
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(p.Body), &body); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"status": "ok"}, body); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

func TestMetadata(t *testing.T) {
	e := newEnv(t)
	p := e.browser().get("/saml/metadata")
	if p.Status != http.StatusOK || !strings.Contains(p.Header.Get("Content-Type"), "xml") {
		t.Fatalf("status %d content type %q", p.Status, p.Header.Get("Content-Type"))
	}
	var md saml.EntityDescriptor
	if err := xml.Unmarshal([]byte(p.Body), &md); err != nil {
		t.Fatal(err)
	}
	if md.EntityID != e.app.EntityID() || md.EntityID != e.url+"/saml/metadata" {
		t.Errorf("entityID %q, want %s/saml/metadata", md.EntityID, e.url)
	}
	if len(md.SPSSODescriptors) != 1 || len(md.SPSSODescriptors[0].AssertionConsumerServices) != 1 {
		t.Fatalf("metadata has no single ACS:\n%s", p.Body)
	}
	acs := md.SPSSODescriptors[0].AssertionConsumerServices[0]
	if acs.Location != e.url+"/saml/acs" || acs.Binding != saml.HTTPPostBinding {
		t.Errorf("ACS %s %s, want %s/saml/acs by HTTP-POST", acs.Binding, acs.Location, e.url)
	}
}

func TestNotFound(t *testing.T) {
	e := newEnv(t)
	p := e.browser().get("/no/such/page")
	if p.Status != http.StatusNotFound {
		t.Fatalf("status %d", p.Status)
	}
	wantContains(t, p.Body, "Page not found", `id="error-ref"`)
}

func TestEnsureOwner(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := Open(ctx, Config{PublicURL: "http://127.0.0.1:8090", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	gen, created, err := a.EnsureOwner(ctx, "boss@example.com", "")
	if err != nil || !created || len(gen) < 12 {
		t.Fatalf("EnsureOwner = %q, %v, %v; want a generated password", gen, created, err)
	}
	u, err := a.findOwner(ctx)
	if err != nil || !a.checkPassword(u.PasswordHash, gen) {
		t.Fatalf("the generated password does not sign in: %v", err)
	}
	a.Close()

	// Reopening applies no migration twice and creates no second owner.
	a, err = Open(ctx, Config{PublicURL: "http://127.0.0.1:8090", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, created, err := a.EnsureOwner(ctx, "other@example.com", "another-password"); err != nil || created {
		t.Errorf("second EnsureOwner created=%v err=%v, want nothing done", created, err)
	}
	var fk int
	a.db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk)
	var mode string
	a.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	if fk != 1 || mode != "wal" {
		t.Errorf("foreign_keys=%d journal_mode=%s, want 1 and wal", fk, mode)
	}
	if _, _, err := a.EnsureOwner(ctx, "x", ""); err != nil {
		t.Errorf("EnsureOwner with an owner present must not validate again: %v", err)
	}
}

func TestEnsureOwnerRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, Config{PublicURL: "http://127.0.0.1:8090", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, _, err := a.EnsureOwner(ctx, "not an e-mail", "long-enough-password"); err == nil {
		t.Errorf("a bad e-mail was accepted")
	}
	if _, _, err := a.EnsureOwner(ctx, "boss@example.com", "short"); err == nil {
		t.Errorf("a short password was accepted")
	}
}

func TestOpenRefusesBadPublicURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8090", "ftp://x", "http://x/path", "http://"} {
		if _, err := Open(context.Background(), Config{PublicURL: u, DataDir: t.TempDir()}); err == nil {
			t.Errorf("Open accepted public URL %q", u)
		}
	}
}

func TestOpenRefusesBadGatehouseURL(t *testing.T) {
	for _, u := range []string{"127.0.0.1:8080", "ftp://x", "http://"} {
		if _, err := Open(context.Background(), Config{PublicURL: "http://127.0.0.1:8090", DataDir: t.TempDir(), GatehouseURL: u}); err == nil {
			t.Errorf("Open accepted Gatehouse URL %q", u)
		}
	}
}

func TestSafeNext(t *testing.T) {
	tests := map[string]string{
		"/team":                         "/team",
		"/team?x=1#y":                   "/team?x=1#y",
		"":                              "/dashboard",
		"team":                          "/dashboard",
		"//evil.example":                "/dashboard",
		"/\\evil.example":               "/dashboard",
		"https://e.example/":            "/dashboard",
		"/a\x00b":                       "/dashboard",
		"/" + strings.Repeat("a", 2000): "/dashboard",
	}
	for in, want := range tests {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDummyHashParses(t *testing.T) {
	// The dummy must be a well-formed hash so that an unknown e-mail costs a full hash.
	h, ok := parsePHC(dummyHash)
	if !ok || len(h.salt) != 16 || len(h.key) != argonKeyLen || h.m != argonMemory || h.t != argonTime {
		t.Fatalf("the dummy hash does not parse as a real one: %+v %v", h, ok)
	}
}

// TestPasswordGuessingThrottled is security case 25: wrong passwords for one account are refused with 429 after a
// few tries, even with the right password, and the lockout ends when the window passes.
func TestPasswordGuessingThrottled(t *testing.T) {
	e := newEnv(t)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	e.app.nowFn = func() time.Time { return time.Unix(0, clock.Load()) }
	b := e.browser()
	for i := 0; i < maxEmailFailures; i++ {
		if p := b.signIn(ownerEmail, "wrong-password"); p.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i, p.Status)
		}
	}
	p := b.signIn(ownerEmail, ownerPassword)
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d failures: status %d Retry-After %q, want 429 with Retry-After", maxEmailFailures, p.Status, p.Header.Get("Retry-After"))
	}
	wantContains(t, p.Body, "Too many wrong passwords")
	// Another account from the same address is not locked by them.
	e.invite("pw@example.com", "member-password-1")
	if p := e.browser().signIn("pw@example.com", "member-password-1"); p.Status != http.StatusSeeOther {
		t.Errorf("another account: status %d, want 303", p.Status)
	}
	clock.Add(int64(failureWindow + time.Second))
	if p := b.signIn(ownerEmail, ownerPassword); p.Status != http.StatusSeeOther {
		t.Errorf("after the window: status %d, want 303", p.Status)
	}
}

func TestThrottleAddressLimit(t *testing.T) {
	th := newThrottle()
	now := time.Now()
	for i := 0; i < maxAddrFailures; i++ {
		th.fail(now, "email:"+strconv.Itoa(i), "addr:192.0.2.1")
	}
	if d := th.wait(now, "addr:192.0.2.1", maxAddrFailures); d <= 0 || d > failureWindow {
		t.Errorf("wait after %d failures from one address = %s", maxAddrFailures, d)
	}
	if d := th.wait(now.Add(failureWindow), "addr:192.0.2.1", maxAddrFailures); d != 0 {
		t.Errorf("wait after the window = %s, want 0", d)
	}
}
