package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/pquerna/otp/totp"
)

// signinHTTP is a browser without JavaScript for the sign-in pages: a cookie jar that does not follow redirects.
type signinHTTP struct {
	t   testing.TB
	srv *testserver.Server
	c   *http.Client
}

func newSigninHTTP(t testing.TB, srv *testserver.Server) *signinHTTP {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &signinHTTP{t: t, srv: srv, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// signinResponse is a response with its body read.
type signinResponse struct {
	status int
	header http.Header
	body   string
}

func (c *signinHTTP) send(method, path string, body io.Reader, header map[string]string) *signinResponse {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &signinResponse{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// postForm posts a form as a same-origin page does.
func (c *signinHTTP) postForm(path string, form url.Values) *signinResponse {
	c.t.Helper()
	return c.send(http.MethodPost, path, strings.NewReader(form.Encode()), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Origin": c.srv.URL, "Sec-Fetch-Site": "same-origin"})
}

func (c *signinHTTP) signIn(user, pw string) *signinResponse {
	c.t.Helper()
	return c.postForm("/d/default/login", url.Values{"userName": {user}, "password": {pw}})
}

// apiToken returns a bearer token of the test server's admin.
func apiToken(t *testing.T, srv *testserver.Server) string {
	t.Helper()
	token, _, err := srv.Service.Login(context.Background(), "default", testserver.AdminUser, testserver.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// SECURITY-CASES 27: every sign-in step that raises what the session may do gives it a new ID.
func TestSecurityCase27NewSessionAtEveryStep(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newSigninHTTP(t, srv)
	cookie := func() string {
		for _, k := range c.c.Jar.Cookies(mustURL(t, srv.URL)) {
			if k.Name == "gatehouse_session" {
				return k.Value
			}
		}
		return ""
	}
	c.send(http.MethodGet, "/d/default/login", nil, nil)
	first := c.signIn(testserver.AdminUser, testserver.AdminPassword)
	if first.status != http.StatusSeeOther || cookie() == "" {
		t.Fatalf("sign-in: %d", first.status)
	}
	before := cookie()
	again := c.signIn(testserver.AdminUser, testserver.AdminPassword)
	if again.status != http.StatusSeeOther || cookie() == before {
		t.Errorf("signing in again kept session %q", before)
	}
	if _, _, err := srv.Service.SessionUser(context.Background(), before); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
		t.Errorf("the replaced session still works: %v", err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// SECURITY-CASES 28: the session cookie is HttpOnly and SameSite=Lax, and sign-out revokes the session on the
// server.
func TestSecurityCase28SessionCookie(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newSigninHTTP(t, srv)
	r := c.signIn(testserver.AdminUser, testserver.AdminPassword)
	set := r.header.Get("Set-Cookie")
	for _, want := range []string{"gatehouse_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
	token := strings.TrimPrefix(strings.SplitN(set, ";", 2)[0], "gatehouse_session=")
	out := c.postForm("/d/default/logout", nil)
	if out.status != http.StatusSeeOther || !strings.Contains(out.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("sign-out: %d, Set-Cookie %q", out.status, out.header.Get("Set-Cookie"))
	}
	if _, _, err := srv.Service.SessionUser(context.Background(), token); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
		t.Errorf("the session outlived sign-out: %v", err)
	}
}

// SECURITY-CASES 29: a cross-origin POST to any sign-in form is refused.
func TestSecurityCase29CrossOriginForms(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newSigninHTTP(t, srv)
	for _, path := range []string{"/d/default/login", "/d/default/password", "/d/default/mfa", "/d/default/mfa/setup",
		"/d/default/logout", "/d/default/security/mfa/disable", "/d/default/security/tokens", "/d/default/security/tokens/x/revoke"} {
		t.Run(path, func(t *testing.T) {
			r := c.send(http.MethodPost, path, strings.NewReader("userName=a&password=b"), map[string]string{
				"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
			if r.status != http.StatusForbidden {
				t.Errorf("status %d, want 403", r.status)
			}
		})
	}
}

// SECURITY-CASES 30: a next parameter that is not a same-origin path is ignored after sign-in, through every step.
func TestSecurityCase30RedirectAfterSignIn(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	tests := []struct{ next, want string }{
		{"/d/default/security", "/d/default/security"},
		{"https://evil.example/", "/d/default/myapps"},
		{"//evil.example/x", "/d/default/myapps"},
		{"/\\evil.example", "/d/default/myapps"},
		{"javascript:alert(1)", "/d/default/myapps"},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			c := newSigninHTTP(t, srv)
			r := c.postForm("/d/default/login", url.Values{"userName": {testserver.AdminUser}, "password": {testserver.AdminPassword}, "next": {tt.next}})
			if got := r.header.Get("Location"); got != tt.want {
				t.Errorf("Location %q, want %q", got, tt.want)
			}
		})
	}
}

var scriptTag = regexp.MustCompile(`<script[^>]*>`)

// SECURITY-CASES 33: the sign-in pages forbid framing, and every script carries the request's nonce.
func TestSecurityCase33Headers(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newSigninHTTP(t, srv)
	c.signIn(testserver.AdminUser, testserver.AdminPassword)
	for _, path := range []string{"/d/default/login?force=1", "/d/default/myapps", "/d/default/security", "/d/default/mfa/setup", "/d/default/saml2"} {
		t.Run(path, func(t *testing.T) {
			r := c.send(http.MethodGet, path, nil, nil)
			csp := r.header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'none'") || r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers: CSP %q, nosniff %q", csp, r.header.Get("X-Content-Type-Options"))
			}
			nonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)
			for _, tag := range scriptTag.FindAllString(r.body, -1) {
				if nonce == nil || !strings.Contains(tag, `nonce="`+nonce[1]+`"`) {
					t.Errorf("script without the nonce: %s", tag)
				}
			}
		})
	}
}

// SECURITY-CASES 37: markup in a directory name, a display name and an app name is escaped on the sign-in pages
// and in My Apps.
func TestSecurityCase37Escaping(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	admin, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	const markup = `<script>alert(1)</script>`
	name, display := "Contoso "+markup, "Admin "+markup
	if _, err := srv.Service.UpdateDirectory(ctx, admin, "default", idp.DirectoryPatch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Service.UpdateUser(ctx, admin, "default", admin.ID, idp.UserPatch{DisplayName: &display}); err != nil {
		t.Fatal(err)
	}
	app, _, err := srv.Service.AddApp(ctx, admin, "default", idp.AppInput{GalleryID: "custom", Name: "App " + markup})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Service.Assign(ctx, admin, "default", app.ID, "user", admin.ID); err != nil {
		t.Fatal(err)
	}
	c := newSigninHTTP(t, srv)
	login := c.send(http.MethodGet, "/d/default/login", nil, nil)
	c.signIn(testserver.AdminUser, testserver.AdminPassword)
	apps := c.send(http.MethodGet, "/d/default/myapps", nil, nil)
	for page, body := range map[string]string{"login": login.body, "myapps": apps.body} {
		if strings.Contains(body, markup) || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s page does not escape the markup", page)
		}
	}
}

// signinPNG returns a PNG image of the given size.
func signinPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 31, G: 95, B: 168, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDirectoryLogoAPI(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newSigninHTTP(t, srv)
	auth := map[string]string{"Authorization": "Bearer " + apiToken(t, srv)}
	logo := signinPNG(t, 64, 32)
	tests := []struct {
		name   string
		method string
		body   []byte
		status int
		code   string
	}{
		{"a GIF", http.MethodPut, []byte("GIF89a\x01\x00\x01\x00"), http.StatusBadRequest, gatehouse.EINVALID},
		{"PNG magic with garbage after it", http.MethodPut, []byte("\x89PNG\r\n\x1a\nnot really"), http.StatusBadRequest, gatehouse.EINVALID},
		{"too many pixels", http.MethodPut, signinPNG(t, 4000, 10), http.StatusBadRequest, gatehouse.EINVALID},
		{"too large", http.MethodPut, append(bytes.Clone(logo), make([]byte, idp.MaxLogoBytes)...), http.StatusRequestEntityTooLarge, gatehouse.ETOOLARGE},
		{"empty", http.MethodPut, nil, http.StatusBadRequest, gatehouse.EINVALID},
		{"a PNG", http.MethodPut, logo, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.send(tt.method, "/api/v1/directories/default/logo", bytes.NewReader(tt.body), auth)
			var body struct{ Code, LogoType string }
			_ = json.Unmarshal([]byte(r.body), &body)
			if r.status != tt.status || body.Code != tt.code {
				t.Errorf("status %d code %q, want %d %q: %s", r.status, body.Code, tt.status, tt.code, r.body)
			}
		})
	}
	got := c.send(http.MethodGet, "/d/default/logo", nil, nil)
	if got.status != http.StatusOK || got.header.Get("Content-Type") != "image/png" || got.body != string(logo) ||
		!strings.Contains(got.header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("GET logo: %d %q %q", got.status, got.header.Get("Content-Type"), got.header.Get("Content-Security-Policy"))
	}
	if login := c.send(http.MethodGet, "/d/default/login", nil, nil); !strings.Contains(login.body, `id="directory-logo" src="/d/default/logo"`) {
		t.Error("the sign-in page does not show the logo")
	}
	if r := c.send(http.MethodDelete, "/api/v1/directories/default/logo", nil, auth); r.status != http.StatusNoContent {
		t.Errorf("DELETE: %d %s", r.status, r.body)
	}
	if r := c.send(http.MethodGet, "/d/default/logo", nil, nil); r.status != http.StatusNotFound {
		t.Errorf("GET after DELETE: %d", r.status)
	}
}

func TestResetMFAAPI(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	admin, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := srv.Service.CreateUser(ctx, admin, "default", idp.UserInput{UserName: "lost.phone@contoso.com", FirstName: "L", LastName: "P"})
	if err != nil {
		t.Fatal(err)
	}
	u.MFAEnabled, u.MFASecret, u.RecoveryCodes = true, []byte("sealed"), []string{"x"}
	if err := srv.Store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	c := newSigninHTTP(t, srv)
	r := c.send(http.MethodDelete, "/api/v1/directories/default/users/"+u.ID+"/mfa", nil, map[string]string{"Authorization": "Bearer " + apiToken(t, srv)})
	var got gatehouse.User
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || r.status != http.StatusOK || got.MFAEnabled {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	stored, err := srv.Store.FindUser(ctx, "default", u.ID)
	if err != nil || stored.MFAEnabled || stored.MFASecret != nil || stored.RecoveryCodes != nil {
		t.Errorf("stored after reset: %+v (%v)", stored, err)
	}
	if r := c.send(http.MethodDelete, "/api/v1/directories/default/users/"+u.ID+"/mfa", nil, nil); r.status != http.StatusUnauthorized {
		t.Errorf("without a token: %d", r.status)
	}
}

// TestAppLogoInMyApps shows an app's uploaded logo on its tile, only to users who see the app.
func TestAppLogoInMyApps(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	admin, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	app, _, err := srv.Service.AddApp(ctx, admin, "default", idp.AppInput{GalleryID: "custom", Name: "Logo App"})
	if err != nil {
		t.Fatal(err)
	}
	logo := signinPNG(t, 48, 48)
	app.Logo, app.LogoType = logo, "image/png"
	if err := srv.Store.UpdateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	path := "/d/default/apps/" + app.ID + "/logo"
	c := newSigninHTTP(t, srv)
	c.signIn(testserver.AdminUser, testserver.AdminPassword)
	if r := c.send(http.MethodGet, path, nil, nil); r.status != http.StatusNotFound {
		t.Errorf("logo of an app not assigned to the user: %d", r.status)
	}
	if _, err := srv.Service.Assign(ctx, admin, "default", app.ID, "user", admin.ID); err != nil {
		t.Fatal(err)
	}
	if r := c.send(http.MethodGet, "/d/default/myapps", nil, nil); !strings.Contains(r.body, `src="`+path+`"`) {
		t.Errorf("the tile does not show the logo")
	}
	r := c.send(http.MethodGet, path, nil, nil)
	if r.status != http.StatusOK || r.body != string(logo) || r.header.Get("Content-Type") != "image/png" {
		t.Errorf("logo: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if r := newSigninHTTP(t, srv).send(http.MethodGet, path, nil, nil); r.status != http.StatusNotFound {
		t.Errorf("logo without signing in: %d", r.status)
	}
}

// TestOwnAPITokens creates an API token on the Security page (how an account with a second factor gets one for
// the CLI), uses it, and revokes it.
func TestOwnAPITokens(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newSigninHTTP(t, srv)
	c.signIn(testserver.AdminUser, testserver.AdminPassword)
	r := c.postForm("/d/default/security/tokens", url.Values{"name": {"laptop <cli>"}})
	m := regexp.MustCompile(`id="new-token">(gh_[a-z0-9]+)<`).FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("create: %d, no token shown", r.status)
	}
	if !strings.Contains(r.body, "laptop &lt;cli&gt;") {
		t.Error("the token list does not show the new token's name, escaped")
	}
	me := c.send(http.MethodGet, "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + m[1]})
	if me.status != http.StatusOK {
		t.Fatalf("the new token does not work: %d", me.status)
	}
	id := regexp.MustCompile(`data-token-id="([a-z0-9]+)"`).FindAllStringSubmatch(r.body, -1)
	if len(id) != 1 {
		t.Fatalf("%d tokens listed, want 1", len(id))
	}
	if r := c.postForm("/d/default/security/tokens/"+id[0][1]+"/revoke", nil); r.status != http.StatusSeeOther {
		t.Errorf("revoke: %d", r.status)
	}
	if me := c.send(http.MethodGet, "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + m[1]}); me.status != http.StatusUnauthorized {
		t.Errorf("the revoked token still works: %d", me.status)
	}
	if r := newSigninHTTP(t, srv).postForm("/d/default/security/tokens", nil); r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "/login") {
		t.Errorf("without a session: %d %s", r.status, r.header.Get("Location"))
	}
}

// TestReplaceAuthenticatorNeedsCurrentCode: a signed-in session alone cannot move the account to another
// authenticator; the current one's code (or a recovery code) is needed too.
func TestReplaceAuthenticatorNeedsCurrentCode(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	admin, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	e, err := srv.Service.StartMFAEnrolment(ctx, admin, "")
	if err != nil {
		t.Fatal(err)
	}
	first, _ := totp.GenerateCode(e.Secret, time.Now())
	recovery, err := srv.Service.ConfirmMFAEnrolment(ctx, admin, e.Token, first)
	if err != nil {
		t.Fatal(err)
	}
	c := newSigninHTTP(t, srv)
	if r := c.signIn(testserver.AdminUser, testserver.AdminPassword); !strings.HasPrefix(r.header.Get("Location"), "/d/default/mfa") {
		t.Fatalf("after the password: Location %q, want the code step", r.header.Get("Location"))
	}
	if r := c.postForm("/d/default/mfa", url.Values{"code": {recovery[0]}}); r.status != http.StatusSeeOther {
		t.Fatalf("recovery code: %d", r.status)
	}
	page := c.send(http.MethodGet, "/d/default/mfa/setup", nil, nil)
	token := regexp.MustCompile(`name="enrolment" value="([^"]+)"`).FindStringSubmatch(page.body)
	secret := regexp.MustCompile(`id="mfa-secret">([^<]+)<`).FindStringSubmatch(page.body)
	if token == nil || secret == nil || !strings.Contains(page.body, `id="current-code"`) {
		t.Fatalf("the set-up page lacks the enrolment, the secret or the current code field")
	}
	code, _ := totp.GenerateCode(strings.ReplaceAll(secret[1], " ", ""), time.Now())
	before, _ := srv.Store.FindUser(ctx, "default", admin.ID)
	steps := []struct {
		name        string
		currentCode string
		status      int
	}{
		{"no current code", "", http.StatusUnauthorized},
		{"a wrong current code", "abcde-fghij", http.StatusUnauthorized},
		{"a recovery code as the current code", recovery[1], http.StatusOK},
	}
	for _, st := range steps {
		r := c.postForm("/d/default/mfa/setup", url.Values{"enrolment": {token[1]}, "code": {code}, "currentCode": {st.currentCode}})
		if r.status != st.status {
			t.Fatalf("%s: status %d, want %d", st.name, r.status, st.status)
		}
		after, _ := srv.Store.FindUser(ctx, "default", admin.ID)
		if replaced := !bytes.Equal(after.MFASecret, before.MFASecret); replaced != (st.status == http.StatusOK) {
			t.Errorf("%s: secret replaced %v", st.name, replaced)
		}
	}
}
