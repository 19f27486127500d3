package idp_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/saml"
	"github.com/gatehouse-idp/gatehouse/web"
)

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

	member := userWithRole(t, srv, root, "default", "member@contoso.com", gatehouse.RoleUser)
	outsider := userWithRole(t, srv, root, "default", "outsider@contoso.com", gatehouse.RoleUser)
	gone := userWithRole(t, srv, root, "default", "gone@contoso.com", gatehouse.RoleUser)
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
	grouped := userWithRole(t, srv, root, "default", "grouped@contoso.com", gatehouse.RoleUser)
	if err := svc.AddGroupMember(ctx, root, "default", g.ID, grouped.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Assign(ctx, root, "default", wiki.ID, gatehouse.PrincipalGroup, g.ID); err != nil {
		t.Fatal(err)
	}
	sessions := map[string]*gatehouse.Session{}
	for _, u := range []*gatehouse.User{member, outsider, gone, grouped} {
		_, sess, err := svc.CreateSession(ctx, u, false)
		if err != nil {
			t.Fatal(err)
		}
		sessions[u.ID] = sess
	}
	yes := true
	if _, err := svc.UpdateUser(ctx, root, "default", gone.ID, idp.UserPatch{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	gone.Disabled = true

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
			post, err := svc.IdPInitiated(ctx, "default", tt.app, sessions[tt.user.ID], tt.user)
			var se *saml.Error
			switch {
			case tt.code == "" && err != nil:
				t.Fatalf("IdPInitiated: %v, want a response", err)
			case tt.code == "":
				if post.ACSURL != settings.ReplyURLs[0] || !strings.Contains(string(post.Response), tt.user.UserName) {
					t.Errorf("post to %s does not carry %s", post.ACSURL, tt.user.UserName)
				}
			case !errors.As(err, &se) || se.Code != tt.code:
				t.Fatalf("IdPInitiated: %v, want %s", err, tt.code)
			case post != nil:
				t.Errorf("a refused sign-in still produced a response for %s", post.ACSURL)
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

// TestNoAssertionWithoutLog checks that no assertion leaves when its success cannot be written to the sign-in log,
// which single logout reads to know the apps of a session.
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
	_, sess, err := srv.Service.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	if post, err := srv.Service.IdPInitiated(ctx, "default", a.ID, sess, root); err == nil || post != nil {
		t.Errorf("IdPInitiated with a failing log = %v, %v; want an error and no response", post, err)
	}
	fail.Store(false)
	if _, err := srv.Service.IdPInitiated(ctx, "default", a.ID, sess, root); err != nil {
		t.Errorf("IdPInitiated once the log works again: %v", err)
	}
}
