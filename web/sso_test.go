package web_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// TestSecurityCase20ForceAuthn sends a ForceAuthn request for a signed-in user: the user is sent to sign in
// again, the old session does not complete the sign-in, and the Response after signing in again carries the new
// AuthnInstant.
func TestSecurityCase20ForceAuthn(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	svc := srv.Service
	root, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Force"})
	if err != nil {
		t.Fatal(err)
	}
	s := a.SAML
	s.EntityID, s.ReplyURLs = "https://force.example.test/sp", []string{"https://force.example.test/acs"}
	off := false
	if _, err := svc.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{AssignmentRequired: &off, SAML: &s}); err != nil {
		t.Fatal(err)
	}
	oldToken, _, err := svc.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u, token string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: token})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	xml := fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_force1" Version="2.0" IssueInstant="%s" ForceAuthn="true"><saml:Issuer>%s</saml:Issuer></samlp:AuthnRequest>`,
		time.Now().UTC().Format(time.RFC3339), s.EntityID)
	u, _ := saml.RedirectURL(srv.URL+"/d/default/saml2", "SAMLRequest", []byte(xml), "", nil, "")
	resp, _ := get(u, oldToken)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Path != "/d/default/login" || loc.Query().Get("force") != "1" {
		t.Fatalf("ForceAuthn with a session: %d to %s, want the sign-in page with force=1", resp.StatusCode, loc)
	}
	signin := loc.Query().Get("signin")
	// The old session does not complete it.
	resp, _ = get(srv.URL+"/d/default/sso/continue?signin="+url.QueryEscape(signin), oldToken)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/d/default/login") {
		t.Fatalf("continue with the old session: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Signing in again (a new session, later than the request) completes it with a fresh AuthnInstant.
	newToken, newSess, err := svc.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := get(srv.URL+"/d/default/sso/continue?signin="+url.QueryEscape(signin), newToken)
	m := regexp.MustCompile(`name="SAMLResponse" value="([^"]+)"`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("continue after signing in again: %d\n%s", resp.StatusCode, body)
	}
	x, _ := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
	want := `AuthnInstant="` + newSess.AuthnInstant.UTC().Format("2006-01-02T15:04:05.000Z") + `"`
	if !strings.Contains(string(x), want) {
		t.Errorf("the Response lacks the fresh %s", want)
	}
}

// TestSSOStrictXML sends an app's requests with a comment inside the Issuer, an attribute given twice and 10,000
// namespace declarations to the SSO endpoint by both bindings: each is refused with its code on the error page and
// in the sign-in log, and no Response is sent.
func TestSSOStrictXML(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	svc := srv.Service
	root, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Strict"})
	if err != nil {
		t.Fatal(err)
	}
	s := a.SAML
	s.EntityID, s.ReplyURLs = "https://sp.example.test/sp", []string{"https://sp.example.test/acs"}
	off := false
	if _, err := svc.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{AssignmentRequired: &off, SAML: &s}); err != nil {
		t.Fatal(err)
	}
	token, _, err := svc.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	request := func(id, attrs, issuer string) []byte {
		return []byte(fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="%s" AssertionConsumerServiceURL="https://sp.example.test/acs"%s><saml:Issuer>%s</saml:Issuer></samlp:AuthnRequest>`,
			id, time.Now().UTC().Format(time.RFC3339), attrs, issuer))
	}
	var flood strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&flood, ` xmlns:n%d="urn:x"`, i)
	}
	tests := []struct {
		name   string
		xml    []byte
		status int
		code   string
	}{
		{"comment inside the Issuer", request("_c1", "", "https://sp.example.test<!---->/sp"), http.StatusBadRequest, saml.CodeXMLComment},
		{"ACS URL twice", request("_d1", ` AssertionConsumerServiceURL="https://evil.example/acs"`, s.EntityID), http.StatusBadRequest, saml.CodeDuplicateAttribute},
		{"ID twice", request("_d2", ` ID="_d3"`, s.EntityID), http.StatusBadRequest, saml.CodeDuplicateAttribute},
		{"10,000 namespace declarations", request("_n1", flood.String(), s.EntityID), http.StatusRequestEntityTooLarge, saml.CodeRequestTooLarge},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		for _, binding := range []string{"redirect", "post"} {
			t.Run(tt.name+" by "+binding, func(t *testing.T) {
				var req *http.Request
				if binding == "redirect" {
					u, err := saml.RedirectURL(srv.URL+"/d/default/saml2", "SAMLRequest", tt.xml, "", nil, "")
					if err != nil {
						t.Fatal(err)
					}
					req, _ = http.NewRequest(http.MethodGet, u, nil)
				} else {
					if len(tt.xml) > 48<<10 {
						t.Skip("over the POST binding's size limit, which refuses it first")
					}
					form := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(tt.xml)}}
					req, _ = http.NewRequest(http.MethodPost, srv.URL+"/d/default/saml2", strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				req.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: token})
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				body := string(b)
				if resp.StatusCode != tt.status || !strings.Contains(body, `<code id="error-code">`+tt.code+`</code>`) {
					t.Fatalf("status %d, want %d with %s\n%s", resp.StatusCode, tt.status, tt.code, body)
				}
				if strings.Contains(body, "SAMLResponse") {
					t.Error("the error page carries a SAMLResponse")
				}
				cid := regexp.MustCompile(`id="correlation-id">([^<]+)<`).FindStringSubmatch(body)
				if cid == nil {
					t.Fatalf("no correlation ID on the page\n%s", body)
				}
				events, _, err := srv.Store.FindSignInEvents(ctx, "default", gatehouse.SignInFilter{Result: gatehouse.ResultFailure})
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, e := range events {
					found = found || e.CorrelationID == cid[1] && e.Code == tt.code
				}
				if !found {
					t.Errorf("no sign-in log entry %s with correlation ID %s", tt.code, cid[1])
				}
			})
		}
	}
}
