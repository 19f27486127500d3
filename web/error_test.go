package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// samlApp adds a custom app with an Identifier and a Reply URL that anyone may use.
func samlApp(t *testing.T, srv *testserver.Server, name string) *gatehouse.App {
	t.Helper()
	ctx := context.Background()
	a, _, err := srv.Service.AddApp(ctx, mustAdmin(t, srv), "default", idp.AppInput{GalleryID: "custom", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	s := a.SAML
	s.EntityID, s.ReplyURLs = "https://"+strings.ToLower(name)+".example.test/sp", []string{"https://" + strings.ToLower(name) + ".example.test/acs"}
	off := false
	if a, err = srv.Service.UpdateApp(ctx, mustAdmin(t, srv), "default", a.ID, idp.AppPatch{AssignmentRequired: &off, SAML: &s}); err != nil {
		t.Fatal(err)
	}
	return a
}

var requestCount int

// authnRequestQuery returns the HTTP-Redirect query of a new AuthnRequest from issuer for the reply URL acs.
func authnRequestQuery(t *testing.T, srv *testserver.Server, issuer, acs string) string {
	t.Helper()
	requestCount++
	xml := fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_e%d_%d" Version="2.0" IssueInstant="%s" AssertionConsumerServiceURL="%s"><saml:Issuer>%s</saml:Issuer></samlp:AuthnRequest>`,
		requestCount, time.Now().UnixNano(), time.Now().UTC().Format(time.RFC3339), acs, issuer)
	u, err := saml.RedirectURL(srv.URL+"/d/default/saml2", "SAMLRequest", []byte(xml), "", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return u[strings.Index(u, "?"):]
}

// TestErrorPageDisclosure sends an AuthnRequest for a reply URL the app has not registered from three browsers:
// nobody signed in and a user see the plain message, the code, the correlation ID and the time; an admin of the
// directory also sees what was received and expected (the app's registered Reply URLs), how to fix it, and links
// to the setting and to the attempt in the sign-in log.
func TestErrorPageDisclosure(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	wiki := samlApp(t, srv, "Wiki")
	u := mustUser(t, srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	anonymous := newPortalClient(t, srv)
	user := newPortalClient(t, srv)
	user.signIn("default", u.UserName, userPassword)
	admin := adminClient(t, srv)
	for _, tt := range []struct {
		name  string
		c     *portalClient
		admin bool
	}{
		{"nobody signed in", anonymous, false},
		{"a user", user, false},
		{"an admin", admin, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.c.get("/d/default/saml2" + authnRequestQuery(t, srv, wiki.SAML.EntityID, "https://evil.example.test/acs"))
			if p.Status != http.StatusBadRequest || idOf(p.Body, "error-code") != saml.CodeReplyURLMismatch {
				t.Fatalf("status %d, code %q; want 400 %s", p.Status, idOf(p.Body, "error-code"), saml.CodeReplyURLMismatch)
			}
			if idOf(p.Body, "correlation-id") == "" || !strings.Contains(p.Body, `id="error-time"><time datetime="`) || idOf(p.Body, "error-message") == "" {
				t.Error("the page lacks the message, the correlation ID or the time")
			}
			details := []string{`id="error-received"`, `id="error-expected"`, `id="error-field"`, `id="error-hint"`, `id="error-fix"`, `id="error-log"`,
				`<mark class="differs">`, ".example.test/acs"}
			for _, d := range details {
				if strings.Contains(p.Body, d) != tt.admin {
					t.Errorf("the page shows %s: %v, want %v", d, !tt.admin, tt.admin)
				}
			}
			if !tt.admin {
				return
			}
			if want := `id="error-fix" href="/admin/d/default/apps/` + wiki.ID + `/sso?edit=basic#replyUrls"`; !strings.Contains(p.Body, want) {
				t.Errorf("no Fix it link to the Reply URLs field (%s)", want)
			}
			// Received and expected are marked where they differ: the host's first label.
			for _, want := range []string{`id="error-received">https://<mark class="differs">evil</mark>.example.test/acs</code>`,
				`id="error-expected">https://<mark class="differs">wiki</mark>.example.test/acs</code>`} {
				if !strings.Contains(p.Body, want) {
					t.Errorf("the page lacks %s", want)
				}
			}
			log := regexp.MustCompile(`id="error-log" href="(/admin/d/default/sign-ins/[a-z0-9]+)"`).FindStringSubmatch(p.Body)
			if log == nil {
				t.Fatal("no link to the sign-in log entry")
			}
			if d := admin.get(log[1]); d.Status != http.StatusOK || idOf(d.Body, "signin-code") != saml.CodeReplyURLMismatch ||
				idOf(d.Body, "signin-correlation-id") != idOf(p.Body, "correlation-id") {
				t.Errorf("the log entry behind the link: status %d, code %q", d.Status, idOf(d.Body, "signin-code"))
			}
		})
	}
}

// signInDetail is what a test reads of the portal's sign-in log entry page.
type signInDetail struct{ User, App, Hint, Fix string }

func readSignInDetail(body string) signInDetail {
	text := func(id string) string {
		m := regexp.MustCompile(`(?s)id="` + id + `"[^>]*>(.*?)</(dd|p)>`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], ""))
	}
	fix := regexp.MustCompile(`id="signin-fix" href="([^"]*)"`).FindStringSubmatch(body)
	d := signInDetail{User: text("signin-user"), App: text("signin-app"), Hint: strings.TrimPrefix(text("signin-hint"), "How to fix: ")}
	if fix != nil {
		d.Fix = fix[1]
	}
	return d
}

// TestSignInLogDetail checks that the sign-in log shows a refused SAML request with the real user (whoever's
// browser sent it) and app (the one whose reply URL an unknown Issuer asked for), the same how-to-fix hint the
// admin's error page shows, and a link to the setting to change, in the portal and in the API; a request that
// names no app says so instead of "Gatehouse sign-in".
func TestSignInLogDetail(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	wiki := samlApp(t, srv, "Wiki")
	u := mustUser(t, srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	user := newPortalClient(t, srv)
	user.signIn("default", u.UserName, userPassword)
	admin := adminClient(t, srv)
	typo := "https://wiki.example.test/sp-typo"
	entry := func(c *portalClient, query string) (string, *gatehouse.SignInEvent) {
		t.Helper()
		p := c.get("/d/default/saml2" + query)
		cid := idOf(p.Body, "correlation-id")
		events, _, err := srv.Store.FindSignInEvents(ctx, "default", gatehouse.SignInFilter{Result: gatehouse.ResultFailure, Limit: 1})
		if err != nil || len(events) != 1 || events[0].CorrelationID != cid {
			t.Fatalf("the newest failure %+v (%v) is not the page's %s", events, err, cid)
		}
		return p.Body, events[0]
	}

	// The admin's own refused request: the log entry's hint is the error page's.
	page, e := entry(admin, authnRequestQuery(t, srv, typo, wiki.SAML.ReplyURLs[0]))
	d := readSignInDetail(admin.get("/admin/d/default/sign-ins/" + e.ID).Body)
	pageHint := strings.TrimPrefix(html.UnescapeString(regexp.MustCompile(`(?s)id="error-hint"[^>]*>(.*?)</p>`).FindStringSubmatch(page)[1]), "<strong>How to fix:</strong> ")
	if d.Hint == "" || d.Hint != pageHint {
		t.Errorf("log hint %q, error page hint %q; want the same", d.Hint, pageHint)
	}
	for _, want := range []string{typo, wiki.SAML.EntityID, "Wiki"} {
		if !strings.Contains(d.Hint, want) {
			t.Errorf("hint %q does not name %s", d.Hint, want)
		}
	}

	// B. Simon's: the entry names B. Simon and Wiki, and links to Wiki's Basic SAML configuration.
	_, e = entry(user, authnRequestQuery(t, srv, typo, wiki.SAML.ReplyURLs[0]))
	d = readSignInDetail(admin.get("/admin/d/default/sign-ins/" + e.ID).Body)
	if d.User != u.UserName || d.App != "Wiki" || d.Fix != "/admin/d/default/apps/"+wiki.ID+"/sso?edit=basic#entityId" {
		t.Errorf("log entry detail %+v; want user %s, app Wiki and the link to its Identifier", d, u.UserName)
	}
	if fix := admin.get(d.Fix); fix.Status != http.StatusOK || !strings.Contains(fix.Body, `id="entityId"`) {
		t.Errorf("the setting's link: status %d", fix.Status)
	}

	// The API gives the same, with the setting's absolute URL, to admins only.
	get := func(token string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/directories/default/sign-ins/"+e.ID, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	status, m := get(apiToken(t, srv))
	if status != http.StatusOK || m["userName"] != u.UserName || m["appName"] != "Wiki" || m["protocol"] != "saml" ||
		m["hint"] != d.Hint || m["setting"] != idp.SettingBasic || m["settingUrl"] != srv.URL+d.Fix {
		t.Errorf("API entry %d %v", status, m)
	}
	userToken, _, err := srv.Service.Login(ctx, "default", u.UserName, userPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	if status, m := get(userToken); status != http.StatusForbidden || m["hint"] != nil {
		t.Errorf("a user reads the entry: %d %v", status, m)
	}

	// A request that cannot be read names no app, and says so.
	_, e = entry(user, "?SAMLRequest=%25%25%25")
	d = readSignInDetail(admin.get("/admin/d/default/sign-ins/" + e.ID).Body)
	if d.User != u.UserName || strings.Contains(d.App, "Gatehouse sign-in") || !strings.Contains(d.App, "SAML") || d.Hint == "" {
		t.Errorf("an unreadable request's entry %+v; want B. Simon, no app named, a hint", d)
	}
}
