package idp_test

import (
	"context"
	"testing"

	"github.com/beevik/etree"
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/saml"
	"github.com/google/go-cmp/cmp"
)

// previewAdmin returns the test server's global admin.
func previewAdmin(t testing.TB, srv *testserver.Server) *gatehouse.User {
	t.Helper()
	us, _, err := srv.Store.FindUsers(context.Background(), "default", gatehouse.UserFilter{Query: testserver.AdminUser})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.UserName == testserver.AdminUser {
			return u
		}
	}
	t.Fatal("no admin")
	return nil
}

// realAssertion signs u in to the app with IdP-initiated sign-on and returns what the app would receive.
func realAssertion(t *testing.T, srv *testserver.Server, u *gatehouse.User, appID string) *etree.Element {
	t.Helper()
	ctx := context.Background()
	token, _, err := srv.Service.CreateSession(ctx, u, false)
	if err != nil {
		t.Fatal(err)
	}
	a, err := srv.Service.OpenApp(ctx, "default", appID, token)
	if err != nil || a.Post == nil {
		t.Fatalf("OpenApp = %+v, %v; want a Response", a, err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(a.Post.Response); err != nil {
		t.Fatal(err)
	}
	return doc.FindElement("/Response/Assertion")
}

func TestPreviewAssertion(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	admin := previewAdmin(t, srv)
	svc := srv.Service
	u, uTemp, err := svc.CreateUser(ctx, admin, "default", idp.UserInput{UserName: "b.simon@contoso.com", FirstName: "B.", LastName: "Simon", Mail: "b.simon@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	noMail, noMailTemp, err := svc.CreateUser(ctx, admin, "default", idp.UserInput{UserName: "nomail@contoso.com", DisplayName: "No Mail"})
	if err != nil {
		t.Fatal(err)
	}
	plain, plainTemp, err := svc.CreateUser(ctx, admin, "default", idp.UserInput{UserName: "plain@contoso.com", DisplayName: "Plain"})
	if err != nil {
		t.Fatal(err)
	}
	withPassword(t, svc, u, uTemp)
	withPassword(t, svc, noMail, noMailTemp)
	withPassword(t, svc, plain, plainTemp)
	app := func(change func(a *gatehouse.App), assign ...*gatehouse.User) *gatehouse.App {
		t.Helper()
		a, _, err := svc.AddApp(ctx, admin, "default", idp.AppInput{GalleryID: "custom", Name: "App"})
		if err != nil {
			t.Fatal(err)
		}
		st := a.SAML
		st.EntityID = "https://app-" + a.ID + ".example"
		st.ReplyURLs = []string{"https://app.example/acs"}
		a.SAML = st
		enabled := true
		if change != nil {
			change(a)
			enabled = a.Enabled
		}
		if a, err = svc.UpdateApp(ctx, admin, "default", a.ID, idp.AppPatch{SAML: &a.SAML, Enabled: &enabled}); err != nil {
			t.Fatal(err)
		}
		for _, x := range assign {
			if _, err := svc.Assign(ctx, admin, "default", a.ID, gatehouse.PrincipalUser, x.ID); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	tests := []struct {
		name     string
		app      *gatehouse.App
		user     *gatehouse.User
		problems []string
		// same reports whether the preview's NameID must equal the real assertion's.
		same   bool
		noXML  bool
		nameID string
	}{
		{"email", app(nil, u), u, nil, true, false, "b.simon@contoso.com"},
		{"persistent", app(func(a *gatehouse.App) { a.SAML.NameIDFormat = gatehouse.NameIDPersistent }, u), u, nil, true, false, ""},
		{"transient", app(func(a *gatehouse.App) { a.SAML.NameIDFormat = gatehouse.NameIDTransient }, u), u, nil, false, false, ""},
		{"not assigned", app(nil), plain, []string{idp.CodeNotAssigned}, false, false, "plain@contoso.com"},
		{"disabled app", app(func(a *gatehouse.App) { a.Enabled = false }, u), u, []string{idp.CodeAppDisabled}, false, false, "b.simon@contoso.com"},
		{"no reply URL", app(func(a *gatehouse.App) { a.SAML.ReplyURLs = []string{} }, u), u, []string{saml.CodeNoReplyURL}, false, false, "b.simon@contoso.com"},
		{"no NameID value", app(func(a *gatehouse.App) {
			a.SAML.NameIDFormat, a.SAML.NameIDSource = gatehouse.NameIDUnspecified, gatehouse.AttrMail
		}, noMail), noMail, []string{idp.CodeNoNameIDValue}, false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := svc.PreviewAssertion(ctx, admin, "default", tt.app.ID, tt.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, pr := range p.Problems {
				codes = append(codes, pr.Code)
			}
			if diff := cmp.Diff(tt.problems, codes); diff != "" {
				t.Errorf("problem codes mismatch (-want +got):\n%s", diff)
			}
			if tt.noXML {
				if p.XML != "" {
					t.Error("a Response was built without a NameID")
				}
				return
			}
			if p.XML == "" || p.Audience != tt.app.SAML.EntityID {
				t.Fatalf("preview %+v", p)
			}
			if tt.nameID != "" && p.NameID != tt.nameID {
				t.Errorf("NameID %q, want %q", p.NameID, tt.nameID)
			}
			if !tt.same {
				return
			}
			real := realAssertion(t, srv, tt.user, tt.app.ID)
			if got := real.FindElement("Subject/NameID").Text(); got != p.NameID {
				t.Errorf("preview NameID %q, the real sign-in sends %q", p.NameID, got)
			}
			var realClaims []idp.PreviewClaim
			for _, a := range real.FindElements("AttributeStatement/Attribute") {
				c := idp.PreviewClaim{Name: a.SelectAttrValue("Name", ""), NameFormat: a.SelectAttrValue("NameFormat", ""), Values: []string{}}
				for _, v := range a.SelectElements("AttributeValue") {
					c.Values = append(c.Values, v.Text())
				}
				realClaims = append(realClaims, c)
			}
			if diff := cmp.Diff(realClaims, p.Claims); diff != "" {
				t.Errorf("claims mismatch (-real +preview):\n%s", diff)
			}
		})
	}
}

func TestPreviewAssertionRights(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	admin := previewAdmin(t, srv)
	svc := srv.Service
	a, _, err := svc.AddApp(ctx, admin, "default", idp.AppInput{GalleryID: "mixpanel", Parameters: map[string]string{"org_id": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := svc.CreateUser(ctx, admin, "default", idp.UserInput{UserName: "plain@contoso.com", DisplayName: "Plain"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateDirectory(ctx, admin, &gatehouse.Directory{ID: "fabrikam", Name: "Fabrikam"}); err != nil {
		t.Fatal(err)
	}
	stranger, _, err := svc.CreateUser(ctx, admin, "fabrikam", idp.UserInput{UserName: "s@fabrikam.com", DisplayName: "S", Role: gatehouse.RoleGlobalAdmin})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		actor         *gatehouse.User
		dir, app, usr string
		code          string
	}{
		{"a plain user", plain, "default", a.ID, plain.ID, gatehouse.EFORBIDDEN},
		{"an admin of another directory", stranger, "default", a.ID, plain.ID, gatehouse.EFORBIDDEN},
		{"a user of another directory", admin, "default", a.ID, stranger.ID, gatehouse.ENOTFOUND},
		{"an app of another directory", stranger, "fabrikam", a.ID, stranger.ID, gatehouse.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.PreviewAssertion(ctx, tt.actor, tt.dir, tt.app, tt.usr)
			if got := gatehouse.ErrorCode(err); got != tt.code {
				t.Errorf("code %q (%v), want %q", got, err, tt.code)
			}
		})
	}
}

func TestIndentXML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<a><b>x</b></a>", "<a>\n  <b>x</b>\n</a>\n"},
		{"not xml <", "not xml <"},
	}
	for _, tt := range tests {
		if got := idp.IndentXML(tt.in); got != tt.want {
			t.Errorf("IndentXML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkPreviewAssertion(b *testing.B) {
	srv := testserver.Start(b, testserver.Options{})
	ctx := context.Background()
	admin := previewAdmin(b, srv)
	a, _, err := srv.Service.AddApp(ctx, admin, "default", idp.AppInput{GalleryID: "mixpanel", Parameters: map[string]string{"org_id": "1"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := srv.Service.PreviewAssertion(ctx, admin, "default", a.ID, admin.ID); err != nil {
			b.Fatal(err)
		}
	}
}
