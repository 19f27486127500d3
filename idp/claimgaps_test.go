package idp_test

import (
	"context"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestClaimGaps checks which claims an app would leave out of a user's assertion: a claim whose source attribute
// is empty (marked required when the gallery template says so, as Mixpanel's email), not one a fallback fills, not
// a constant or a group claim, a NameID without a value, and a required claim the app no longer sends; the
// preview, the per-user and the per-app views agree.
func TestClaimGaps(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	admin := previewAdmin(t, srv)
	svc := srv.Service
	user := func(name, mail string) *gatehouse.User {
		t.Helper()
		u, _, err := svc.CreateUser(ctx, admin, "default", idp.UserInput{UserName: name, DisplayName: name, Mail: mail, FirstName: "B", LastName: "Simon"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	withMail, noMail := user("b.simon@contoso.com", "b.simon@contoso.com"), user("nomail@contoso.com", "")
	app := func(gallery string, params map[string]string, change func(*gatehouse.SAMLSettings)) *gatehouse.App {
		t.Helper()
		a, _, err := svc.AddApp(ctx, admin, "default", idp.AppInput{GalleryID: gallery, Parameters: params})
		if err != nil {
			t.Fatal(err)
		}
		if change != nil {
			st := a.SAML
			change(&st)
			if a, err = svc.UpdateApp(ctx, admin, "default", a.ID, idp.AppPatch{SAML: &st}); err != nil {
				t.Fatal(err)
			}
		}
		for _, u := range []*gatehouse.User{withMail, noMail} {
			if _, err := svc.Assign(ctx, admin, "default", a.ID, gatehouse.PrincipalUser, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	mixpanel := app("mixpanel", map[string]string{"org_id": "1"}, nil)
	custom := app("custom", nil, func(st *gatehouse.SAMLSettings) {
		st.EntityID, st.ReplyURLs = "https://custom.example", []string{"https://custom.example/acs"}
		st.NameIDFormat, st.NameIDSource = gatehouse.NameIDUnspecified, gatehouse.AttrMail
		st.Claims = []gatehouse.Claim{
			{Name: "mail", Source: gatehouse.AttrMail},
			{Name: "contact", Source: gatehouse.AttrMail, FallbackSource: gatehouse.AttrUserName},
			{Name: "tier", Value: "gold"},
			{Name: "groups", Groups: gatehouse.ClaimGroupsAll},
		}
	})
	noEmail := app("gatehouse-demo", map[string]string{"demo_url": "http://demo.example"}, func(st *gatehouse.SAMLSettings) {
		st.Claims = st.Claims[1:] // without email
	})

	gap := func(a *gatehouse.App, claim, source string, required, nameID bool) idp.ClaimGap {
		return idp.ClaimGap{AppID: a.ID, AppName: a.Name, Claim: claim, Source: source, Required: required, NameID: nameID}
	}
	tests := []struct {
		name string
		app  *gatehouse.App
		user *gatehouse.User
		want []idp.ClaimGap
	}{
		{"every value there", mixpanel, withMail, nil},
		{"no mail for a required claim", mixpanel, noMail, []idp.ClaimGap{gap(mixpanel, "email", gatehouse.AttrMail, true, false)}},
		{"no mail: the NameID and a plain claim, not the fallback, constant or groups", custom, noMail,
			[]idp.ClaimGap{gap(custom, "NameID", gatehouse.AttrMail, true, true), gap(custom, "mail", gatehouse.AttrMail, false, false)}},
		{"a required claim the app does not send", noEmail, withMail, []idp.ClaimGap{gap(noEmail, "email", "", true, false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			byUser, err := svc.ClaimGaps(ctx, admin, "default", tt.app.ID, []string{tt.user.ID, "nosuchuser"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, byUser[tt.user.ID]); diff != "" {
				t.Errorf("ClaimGaps mismatch (-want +got):\n%s", diff)
			}
			if _, ok := byUser[tt.user.ID]; ok != (len(tt.want) > 0) || len(byUser) > 1 {
				t.Errorf("ClaimGaps has users %v", byUser)
			}
			p, err := svc.PreviewAssertion(ctx, admin, "default", tt.app.ID, tt.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			var previewWant []idp.ClaimGap
			for _, g := range tt.want {
				if !g.NameID {
					previewWant = append(previewWant, g)
				}
			}
			if diff := cmp.Diff(previewWant, p.MissingClaims, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("the preview's missing claims mismatch (-want +got):\n%s", diff)
			}
		})
	}

	all, err := svc.UserClaimGaps(ctx, admin, "default", noMail.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []idp.ClaimGap{gap(mixpanel, "email", gatehouse.AttrMail, true, false), gap(custom, "NameID", gatehouse.AttrMail, true, true),
		gap(custom, "mail", gatehouse.AttrMail, false, false), gap(noEmail, "email", "", true, false)}
	sortGaps := cmpopts.SortSlices(func(a, b idp.ClaimGap) bool { return a.AppID+a.Claim < b.AppID+b.Claim })
	if diff := cmp.Diff(want, all, sortGaps); diff != "" {
		t.Errorf("UserClaimGaps mismatch (-want +got):\n%s", diff)
	}

	// A user without an admin role may not ask; another directory's app is not found.
	if _, err := svc.UserClaimGaps(ctx, withMail, "default", noMail.ID); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
		t.Errorf("a user asks: %v, want forbidden", err)
	}
	if _, err := svc.ClaimGaps(ctx, admin, "default", "nosuchapp", []string{noMail.ID}); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		t.Errorf("an unknown app: %v, want not found", err)
	}
}
