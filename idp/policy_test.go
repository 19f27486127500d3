package idp_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/saml"
	"github.com/gatehouse-idp/gatehouse/web"
)

// activeUser creates a user of the default directory who has set their own password.
func activeUser(t *testing.T, srv *testserver.Server, actor *gatehouse.User, name string) *gatehouse.User {
	t.Helper()
	u, temp, err := srv.Service.CreateUser(context.Background(), actor, "default", idp.UserInput{UserName: name, FirstName: "T", LastName: "User"})
	if err != nil {
		t.Fatal(err)
	}
	return withPassword(t, srv.Service, u, temp)
}

// TestSignOnPolicy signs users in to apps from My Apps (IdP-initiated) and checks which get an assertion, and with
// which Gatehouse code the others are refused; each refusal is in the sign-in log with its code.
func TestSignOnPolicy(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	root := admin(t, srv)
	svc := srv.Service
	settings := gatehouse.DefaultSAMLSettings()
	settings.EntityID, settings.ReplyURLs = "https://wiki.example.test/saml", []string{"https://wiki.example.test/acs"}
	newApp := func(name string, patch idp.AppPatch) *gatehouse.App {
		a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: name})
		if err != nil {
			t.Fatal(err)
		}
		s := settings
		s.EntityID += "/" + a.ID
		patch.SAML = &s
		if a, err = svc.UpdateApp(ctx, root, "default", a.ID, patch); err != nil {
			t.Fatal(err)
		}
		return a
	}
	off := false
	wiki := newApp("Wiki", idp.AppPatch{})
	closed := newApp("Closed", idp.AppPatch{Enabled: &off})
	open := newApp("Open", idp.AppPatch{AssignmentRequired: &off})
	noReply := newApp("No reply URL", idp.AppPatch{})
	s := settings
	s.EntityID, s.ReplyURLs = "https://noreply.example.test", nil
	if _, err := svc.UpdateApp(ctx, root, "default", noReply.ID, idp.AppPatch{SAML: &s}); err != nil {
		t.Fatal(err)
	}

	member := activeUser(t, srv, root, "member@contoso.com")
	outsider := activeUser(t, srv, root, "outsider@contoso.com")
	gone := activeUser(t, srv, root, "gone@contoso.com")
	for _, a := range []*gatehouse.App{wiki, closed, noReply} {
		for _, u := range []*gatehouse.User{member, gone} {
			if _, err := svc.Assign(ctx, root, "default", a.ID, gatehouse.PrincipalUser, u.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A group assignment counts as well as a direct one.
	g, err := svc.CreateGroup(ctx, root, "default", idp.GroupInput{Name: "Readers"})
	if err != nil {
		t.Fatal(err)
	}
	grouped := activeUser(t, srv, root, "grouped@contoso.com")
	if err := svc.AddGroupMember(ctx, root, "default", g.ID, grouped.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Assign(ctx, root, "default", wiki.ID, gatehouse.PrincipalGroup, g.ID); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, u := range []*gatehouse.User{member, outsider, gone, grouped} {
		token, _, err := svc.CreateSession(ctx, u, false)
		if err != nil {
			t.Fatal(err)
		}
		tokens[u.ID] = token
	}
	// Disabling a user through the service ends their sessions; in the store directly it leaves the session, as a
	// sign-on racing the change would see it, and the policy still refuses.
	gone.Disabled = true
	if err := srv.Store.UpdateUser(ctx, gone); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		user *gatehouse.User
		app  string
		code string
	}{
		{"assigned", member, wiki.ID, ""},
		{"assigned through a group", grouped, wiki.ID, ""},
		{"not assigned", outsider, wiki.ID, idp.CodeNotAssigned},
		{"assignment not required", outsider, open.ID, ""},
		{"app disabled", member, closed.ID, idp.CodeAppDisabled},
		{"user disabled", gone, wiki.ID, idp.CodeUserDisabled},
		{"app without a reply URL", member, noReply.ID, saml.CodeNoReplyURL},
		{"no such app", member, "nope", idp.CodeAppNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := svc.OpenApp(ctx, "default", tt.app, tokens[tt.user.ID])
			var f *idp.Failure
			switch {
			case tt.code == "" && (err != nil || a.Post == nil):
				t.Fatalf("OpenApp: %+v, %v, want a response", a, err)
			case tt.code == "":
				if a.Post.ACSURL != settings.ReplyURLs[0] || !strings.Contains(string(a.Post.Response), tt.user.UserName) {
					t.Errorf("post to %s does not carry %s", a.Post.ACSURL, tt.user.UserName)
				}
			case !errors.As(err, &f) || f.Code != tt.code:
				t.Fatalf("OpenApp: %+v, %v, want %s", a, err, tt.code)
			case a != nil:
				t.Errorf("a refused sign-in still produced an answer: %+v", a)
			}
			events, _, err := srv.Store.FindSignInEvents(ctx, "default", gatehouse.SignInFilter{UserID: tt.user.ID, Limit: 1})
			if err != nil || len(events) == 0 {
				t.Fatalf("sign-in log: %v, %d events", err, len(events))
			}
			if events[0].Code != tt.code {
				t.Errorf("sign-in log code = %q, want %q", events[0].Code, tt.code)
			}
		})
	}
}

// TestFailedSignInsInUserLog checks that failed password attempts on an existing account are in that user's sign-in
// log (which only admins read), while the person signing in gets one message for every failure.
func TestFailedSignInsInUserLog(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	u := userWithRole(t, srv, admin(t, srv), "default", "typo@contoso.com", gatehouse.RoleUser)
	_, errKnown := srv.Service.Authenticate(ctx, "default", "typo@contoso.com", "wrong password")
	_, errUnknown := srv.Service.Authenticate(ctx, "default", "nobody@contoso.com", "wrong password")
	if errKnown == nil || errUnknown == nil || gatehouse.ErrorMessage(errKnown) != gatehouse.ErrorMessage(errUnknown) {
		t.Errorf("known user: %v; unknown user: %v; want the same failure", errKnown, errUnknown)
	}
	events, _, err := srv.Store.FindSignInEvents(ctx, "default", gatehouse.SignInFilter{UserID: u.ID})
	if err != nil || len(events) != 1 || events[0].Result != gatehouse.ResultFailure {
		t.Fatalf("the user's sign-in log: %v, %+v; want the one failed attempt", err, events)
	}
}

// failingSignInLog is a store whose sign-in log can be made to fail.
type failingSignInLog struct {
	gatehouse.Store
	fail *atomic.Bool
}

func (s failingSignInLog) CreateSignInEvent(ctx context.Context, e *gatehouse.SignInEvent) error {
	if s.fail.Load() {
		return gatehouse.Errorf(gatehouse.EINTERNAL, "the log is full")
	}
	return s.Store.CreateSignInEvent(ctx, e)
}

func (s failingSignInLog) CreateSignInEventOnce(ctx context.Context, e *gatehouse.SignInEvent, key string, expiresAt time.Time) error {
	if s.fail.Load() {
		return gatehouse.Errorf(gatehouse.EINTERNAL, "the log is full")
	}
	return s.Store.CreateSignInEventOnce(ctx, e, key, expiresAt)
}

func (s failingSignInLog) StartSignInEventOnce(ctx context.Context, e *gatehouse.SignInEvent, key string, expiresAt time.Time) func() error {
	if s.fail.Load() {
		return func() error { return gatehouse.Errorf(gatehouse.EINTERNAL, "the log is full") }
	}
	return s.Store.StartSignInEventOnce(ctx, e, key, expiresAt)
}

// TestNoAssertionWithoutLog checks that no assertion leaves when its success cannot be written to the sign-in log,
// which single logout reads to know the apps of a session, IdP-initiated or SP-initiated. The AuthnRequest's replay
// record is written with the log entry, both or neither: a request refused because the log failed may be sent again
// once the log works, and is then a replay.
func TestNoAssertionWithoutLog(t *testing.T) {
	fail := new(atomic.Bool)
	srv := testserver.Start(t, testserver.Options{Configure: func(c *idp.Config, _ *web.Server) {
		c.Store = failingSignInLog{c.Store, fail}
	}})
	ctx := context.Background()
	root := admin(t, srv)
	off := false
	a, _, err := srv.Service.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Wiki"})
	if err != nil {
		t.Fatal(err)
	}
	s := a.SAML
	s.EntityID, s.ReplyURLs = "https://wiki.example.test/sp", []string{"https://wiki.example.test/acs"}
	if _, err := srv.Service.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{AssignmentRequired: &off, SAML: &s}); err != nil {
		t.Fatal(err)
	}
	token, _, err := srv.Service.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	if ans, err := srv.Service.OpenApp(ctx, "default", a.ID, token); err == nil || ans != nil {
		t.Errorf("OpenApp with a failing log = %+v, %v; want an error and no answer", ans, err)
	}
	q := redirectQuery(t, "SAMLRequest", authnRequest(s.EntityID, ""), "", nil, "")
	if ans, err := srv.Service.SAMLRedirect(ctx, "default", q, token); err == nil || ans != nil {
		t.Errorf("SAMLRedirect with a failing log = %+v, %v; want an error and no answer", ans, err)
	}
	fail.Store(false)
	if ans, err := srv.Service.OpenApp(ctx, "default", a.ID, token); err != nil || ans.Post == nil {
		t.Errorf("OpenApp once the log works again: %+v, %v", ans, err)
	}
	if ans, err := srv.Service.SAMLRedirect(ctx, "default", q, token); err != nil || ans.Post == nil {
		t.Errorf("the same AuthnRequest once the log works again: %+v, %v; want an answer", ans, err)
	}
	var f *idp.Failure
	if ans, err := srv.Service.SAMLRedirect(ctx, "default", q, token); !errors.As(err, &f) || f.Code != saml.CodeRequestReplayed {
		t.Errorf("the same AuthnRequest a third time = %+v, %v; want %s", ans, err, saml.CodeRequestReplayed)
	}
}
