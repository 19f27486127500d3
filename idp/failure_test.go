package idp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// TestFailureDisclosure checks who sees what of a refused sign-on (STYLE 16): the values received and expected,
// the app's registered reply URLs and Identifier, the hint and the log entry go only to a signed-in admin of the
// failure's directory (or an instance admin); anyone else, a user of the directory or an admin of another one,
// gets the plain explanation, message and code, which never name them.
func TestFailureDisclosure(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	if err := svc.CreateDirectory(ctx, root, &gatehouse.Directory{ID: "fabrikam", Name: "Fabrikam"}); err != nil {
		t.Fatal(err)
	}
	person := func(dir, name string, role gatehouse.Role) string {
		t.Helper()
		u, temp, err := svc.CreateUser(ctx, root, dir, idp.UserInput{UserName: name, FirstName: "T", LastName: "User", Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return newSession(t, svc, withPassword(t, svc, u, temp), false).token
	}
	user := person("default", "user@contoso.com", gatehouse.RoleUser)
	appAdmin := person("default", "apps@contoso.com", gatehouse.RoleAppAdmin)
	otherAdmin := person("fabrikam", "admin@fabrikam.com", gatehouse.RoleGlobalAdmin)
	instanceAdmin := newSession(t, svc, root, false).token

	wiki := plainApp(t, svc, root, "wiki", nil)
	registered := []string{wiki.SAML.ReplyURLs[0], wiki.SAML.EntityID}
	refusal := func(dir, issuer, acs, token string) *idp.Failure {
		t.Helper()
		q := redirectQuery(t, "SAMLRequest", authnRequest(issuer, ` AssertionConsumerServiceURL="`+acs+`"`), "", nil, "")
		_, err := svc.SAMLRedirect(ctx, dir, q, token)
		var f *idp.Failure
		if !errors.As(err, &f) {
			t.Fatalf("SAMLRedirect: %v, want a *idp.Failure", err)
		}
		return f
	}
	failures := []struct {
		name, code string
		f          *idp.Failure
		// admins lists the viewers who see the details.
		admins []string
	}{
		{"reply URL not registered", saml.CodeReplyURLMismatch,
			refusal("default", wiki.SAML.EntityID, "https://evil.example/acs", user), []string{"app admin", "instance admin"}},
		{"Issuer of no app, reply URL of one", saml.CodeUnknownIssuer,
			refusal("default", "https://wiki.example.test/other", wiki.SAML.ReplyURLs[0], ""), []string{"app admin", "instance admin"}},
		{"another directory's request", saml.CodeUnknownIssuer,
			refusal("fabrikam", wiki.SAML.EntityID, wiki.SAML.ReplyURLs[0], ""), []string{"other directory's admin", "instance admin"}},
	}
	viewers := []struct{ name, token string }{
		{"nobody signed in", ""},
		{"a user of the directory", user},
		{"app admin", appAdmin},
		{"other directory's admin", otherAdmin},
		{"instance admin", instanceAdmin},
	}
	for _, fc := range failures {
		f := fc.f
		if f.Code != fc.code || f.Event == nil || f.Hint == "" {
			t.Fatalf("%s: code %s, log entry %v, hint %q; want %s, an entry and a hint", fc.name, f.Code, f.Event, f.Hint, fc.code)
		}
		for _, vw := range viewers {
			t.Run(fc.name+"/"+vw.name, func(t *testing.T) {
				v := svc.ViewFailure(ctx, f, vw.token)
				admin := strings.Contains(strings.Join(fc.admins, ","), vw.name)
				if v.Admin != admin {
					t.Fatalf("Admin = %v, want %v", v.Admin, admin)
				}
				if v.Code != fc.code || v.Message == "" || v.Explanation == "" || v.Status != http.StatusBadRequest {
					t.Errorf("everyone's part: %+v", v)
				}
				if admin {
					if v.Hint == "" || v.EventID != f.Event.ID || v.Received == "" {
						t.Errorf("an admin sees %+v; want the hint, the log entry and the values", v)
					}
					return
				}
				shown := fmt.Sprintf("%+v", *v)
				for _, secret := range append(registered, "evil.example") {
					if strings.Contains(shown, secret) {
						t.Errorf("%s sees %q: %s", vw.name, secret, shown)
					}
				}
				if v.Field != "" || v.Received != "" || v.Expected != "" || v.Hint != "" || v.Setting != "" || v.EventID != "" || v.AppID != "" {
					t.Errorf("%s sees details: %+v", vw.name, v)
				}
			})
		}
	}
	// The admin's hint names the app that registers the reply URL and its Identifier.
	if h := failures[1].f.Hint; !strings.Contains(h, "wiki") || !strings.Contains(h, `"`+wiki.SAML.EntityID+`"`) || failures[1].f.Setting != idp.SettingBasic {
		t.Errorf("hint %q (setting %q) does not name wiki's Identifier", h, failures[1].f.Setting)
	}
	if f := failures[0].f; !strings.Contains(f.Expected, wiki.SAML.ReplyURLs[0]) || f.Event.UserName != "user@contoso.com" || f.Event.AppID != wiki.ID {
		t.Errorf("reply URL refusal: expected %q, log entry %+v; want the registered URL, the user and the app", f.Expected, f.Event)
	}
}

// TestSignInLogNamesUserAndApp checks that a refused SAML request is logged with the user whose browser sent it
// and the app it came from, as far as they are known: the app by the request's Issuer even when an earlier check
// fails, or by the reply URL an unknown Issuer asks for; and that a request Gatehouse cannot read at all is logged
// as a SAML attempt of that user with no app.
func TestSignInLogNamesUserAndApp(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	wiki := plainApp(t, svc, root, "wiki", nil)
	token := newSession(t, svc, root, false).token
	tests := []struct {
		name, query       string
		code, app         string
		setting, hintSays string
	}{
		{"expired request of a known app", redirectQuery(t, "SAMLRequest", strings.Replace(authnRequest(wiki.SAML.EntityID, ""), `IssueInstant="`, `IssueInstant="2001`, 1), "", nil, ""),
			saml.CodeRequestExpired, wiki.ID, "", "clock"},
		{"unknown Issuer, registered reply URL", redirectQuery(t, "SAMLRequest", authnRequest("https://typo.example.test/sp", ` AssertionConsumerServiceURL="`+wiki.SAML.ReplyURLs[0]+`"`), "", nil, ""),
			saml.CodeUnknownIssuer, wiki.ID, idp.SettingBasic, wiki.SAML.EntityID},
		{"unknown Issuer, unknown reply URL", redirectQuery(t, "SAMLRequest", authnRequest("https://typo.example.test/sp", ` AssertionConsumerServiceURL="https://typo.example.test/acs"`), "", nil, ""),
			saml.CodeUnknownIssuer, "", idp.SettingApps, "https://typo.example.test/sp"},
		{"unreadable request", "SAMLRequest=%%%", saml.CodeMalformedRequest, "", "", "SAML library"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.SAMLRedirect(ctx, "default", tt.query, token)
			var f *idp.Failure
			if !errors.As(err, &f) || f.Code != tt.code || f.Event == nil {
				t.Fatalf("SAMLRedirect: %v, want a logged %s", err, tt.code)
			}
			e, err := svc.FindSignInEvent(ctx, root, "default", f.Event.ID)
			if err != nil {
				t.Fatal(err)
			}
			if e.UserID != root.ID || e.UserName != root.UserName || e.AppID != tt.app || e.Protocol != gatehouse.ProtocolSAML {
				t.Errorf("log entry user %q %q app %q protocol %q; want %s, app %q, saml", e.UserID, e.UserName, e.AppID, e.Protocol, root.UserName, tt.app)
			}
			if e.Setting != tt.setting || !strings.Contains(e.Hint, tt.hintSays) {
				t.Errorf("log entry setting %q hint %q; want %q and a hint saying %q", e.Setting, e.Hint, tt.setting, tt.hintSays)
			}
		})
	}
}
