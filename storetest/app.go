package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// fullApp returns an app with every field set to something other than its zero value and the defaults.
func fullApp(directoryID, id string) *gatehouse.App {
	return &gatehouse.App{ID: id, DirectoryID: directoryID, Name: "Mixpanel <EU> & \"friends\"", GalleryID: "mixpanel",
		Enabled: true, AssignmentRequired: true, Visible: true, Notes: "Renew the certificate in March.\nÜñíçødé ✓",
		Logo: []byte{0x89, 'P', 'N', 'G', 0x00, 0xff, 0x0d, 0x0a}, LogoType: "image/png",
		SAML: gatehouse.SAMLSettings{
			EntityID:     "https://mixpanel.com/saml/" + id,
			ReplyURLs:    []string{"https://mixpanel.com/saml/acs", "https://eu.mixpanel.com/saml/acs?x=1&y=2"},
			SignOnURL:    "https://mixpanel.com/login/",
			RelayState:   "https://mixpanel.com/report?a=<b>",
			LogoutURL:    "https://mixpanel.com/logout",
			NameIDFormat: gatehouse.NameIDPersistent,
			NameIDSource: gatehouse.AttrObjectID,
			Claims: []gatehouse.Claim{
				{Name: gatehouse.ClaimsNamespace + "givenname", Source: gatehouse.AttrGivenName},
				{Name: "email", NameFormat: gatehouse.NameFormatBasic, Source: gatehouse.AttrMail},
				{Name: "urn:oid:1.3.6.1.4.1.5923.1.1.1.7", NameFormat: gatehouse.NameFormatURI, Value: "member ✓ \"q\""},
			},
			SigningOption:    gatehouse.SignBoth,
			SigningAlgorithm: gatehouse.SHA1,
		},
		CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
}

func testApps(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	full := fullApp("d", "full")
	// bare has empty values wherever a field may be empty: no logo, no reply URLs, no claims.
	bare := &gatehouse.App{ID: "bare", DirectoryID: "d", Name: "Asana", GalleryID: "custom",
		SAML: gatehouse.SAMLSettings{NameIDFormat: gatehouse.NameIDEmail, NameIDSource: gatehouse.AttrUserName,
			SigningOption: gatehouse.SignAssertion, SigningAlgorithm: gatehouse.SHA256}, CreatedAt: t0, UpdatedAt: t0}
	must(t, s.CreateApp(ctx, full, nil))
	must(t, s.CreateApp(ctx, bare, nil))
	must(t, s.CreateApp(ctx, newApp("d", "zoom", "Zoom", ""), nil))
	must(t, s.CreateApp(ctx, newApp("d", "box", "Box", ""), nil))
	must(t, s.CreateApp(ctx, newApp("e", "e-app", "mixpanel", ""), nil))

	t.Run("RoundTrip", func(t *testing.T) {
		for _, a := range []*gatehouse.App{full, bare} {
			got, err := s.FindApp(ctx, "d", a.ID)
			must(t, err)
			diff(t, "app "+a.ID, a, got)
		}
	})
	t.Run("IDTaken", func(t *testing.T) {
		wantCode(t, "CreateApp with a taken ID", s.CreateApp(ctx, newApp("d", "bare", "Other", ""), nil), gatehouse.ECONFLICT)
	})
	t.Run("WithCertificate", func(t *testing.T) {
		a := newApp("d", "with-cert", "GitHub", "https://github.com/orgs/contoso")
		c := newCert("d", "with-cert-1", "with-cert", t0.AddDate(3, 0, 0), true)
		must(t, s.CreateApp(ctx, a, c))
		got, err := s.FindCertificate(ctx, "d", c.ID)
		must(t, err)
		diff(t, "the app's first certificate", c, got)
	})
	t.Run("WithCertificateFailing", func(t *testing.T) {
		// The certificate's ID is taken, so neither the app nor its certificate is stored.
		a := newApp("d", "half", "slack", "https://slack.com")
		c := newCert("d", "with-cert-1", "half", t0.AddDate(3, 0, 0), true)
		wantCode(t, "CreateApp with a taken certificate ID", s.CreateApp(ctx, a, c), gatehouse.ECONFLICT)
		_, err := s.FindApp(ctx, "d", "half")
		wantCode(t, "FindApp of an app whose certificate failed", err, gatehouse.ENOTFOUND)
		_, err = s.FindAppByEntityID(ctx, "d", "https://slack.com")
		wantCode(t, "FindAppByEntityID of an app whose certificate failed", err, gatehouse.ENOTFOUND)
		// The certificate that held the ID is still the first app's, and still active.
		got, err := s.FindCertificate(ctx, "d", "with-cert-1")
		must(t, err)
		if got.AppID != "with-cert" || !got.Active {
			t.Errorf("certificate after the failed CreateApp: app %q, active %v; want app with-cert, active", got.AppID, got.Active)
		}
	})
	t.Run("FindApps", func(t *testing.T) {
		for _, tc := range []struct {
			name, directoryID, query string
			want                     []string
		}{
			{"All", "d", "", []string{"bare", "box", "with-cert", "full", "zoom"}},
			{"IgnoringCase", "d", "MIXPANEL <eu>", []string{"full"}},
			{"Substring", "d", "o", []string{"box", "zoom"}},
			{"Quote", "d", `"friends"`, []string{"full"}},
			{"NoMatch", "d", "salesforce", nil},
			{"OtherDirectory", "e", "", []string{"e-app"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := s.FindApps(ctx, tc.directoryID, tc.query)
				must(t, err)
				diff(t, "FindApps", tc.want, ids(list, appID))
			})
		}
		list, err := s.FindApps(ctx, "d", "mixpanel")
		must(t, err)
		diff(t, "FindApps", []*gatehouse.App{full}, list)
	})
	t.Run("Update", func(t *testing.T) {
		u := fullApp("d", "bare")
		u.Name, u.CreatedAt, u.UpdatedAt = "Asana Renamed", t0.Add(99*time.Hour), t0.Add(time.Hour)
		u.SAML.EntityID = "https://asana.com"
		must(t, s.UpdateApp(ctx, u))
		want := *u
		want.CreatedAt = bare.CreatedAt // UpdateApp keeps CreatedAt.
		got, err := s.FindApp(ctx, "d", "bare")
		must(t, err)
		diff(t, "updated app", &want, got)
		got, err = s.FindAppByEntityID(ctx, "d", "https://asana.com")
		must(t, err)
		diff(t, "updated app by its new Identifier", &want, got)

		// Back to empty values.
		empty := *bare
		empty.UpdatedAt = t0.Add(2 * time.Hour)
		must(t, s.UpdateApp(ctx, &empty))
		got, err = s.FindApp(ctx, "d", "bare")
		must(t, err)
		diff(t, "app updated to empty values", &empty, got)
		_, err = s.FindAppByEntityID(ctx, "d", "https://asana.com")
		wantCode(t, "FindAppByEntityID with the old Identifier", err, gatehouse.ENOTFOUND)
	})
	t.Run("Missing", func(t *testing.T) {
		_, err := s.FindApp(ctx, "d", "nope")
		wantCode(t, "FindApp", err, gatehouse.ENOTFOUND)
		wantCode(t, "UpdateApp", s.UpdateApp(ctx, newApp("d", "nope", "Nope", "")), gatehouse.ENOTFOUND)
		wantCode(t, "DeleteApp", s.DeleteApp(ctx, "d", "nope"), gatehouse.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		must(t, s.DeleteApp(ctx, "d", "zoom"))
		_, err := s.FindApp(ctx, "d", "zoom")
		wantCode(t, "FindApp after DeleteApp", err, gatehouse.ENOTFOUND)
		wantCode(t, "DeleteApp again", s.DeleteApp(ctx, "d", "zoom"), gatehouse.ENOTFOUND)
	})
}

// testAppEntityIDs checks that a non-empty Identifier is unique in its directory, exactly as written, while any
// number of apps may have none.
func testAppEntityIDs(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	const id = "https://mixpanel.com/saml"
	mixpanel := newApp("d", "mixpanel", "Mixpanel", id)
	must(t, s.CreateApp(ctx, mixpanel, nil))

	for _, tc := range []struct {
		name string
		app  *gatehouse.App
		code string
	}{
		{"SameIdentifier", newApp("d", "copy", "Copy", id), gatehouse.ECONFLICT},
		{"Empty1", newApp("d", "new1", "New 1", ""), ""},
		{"Empty2", newApp("d", "new2", "New 2", ""), ""},
		{"Empty3", newApp("d", "new3", "New 3", ""), ""},
		{"OtherDirectory", newApp("e", "e-mixpanel", "Mixpanel", id), ""},
		{"OtherCase", newApp("d", "upper", "Upper", "https://MIXPANEL.com/saml"), ""},
		{"TrailingSlash", newApp("d", "slash", "Slash", id+"/"), ""},
	} {
		t.Run("Create"+tc.name, func(t *testing.T) {
			wantCode(t, "CreateApp", s.CreateApp(ctx, tc.app, nil), tc.code)
		})
	}
	t.Run("Find", func(t *testing.T) {
		for _, tc := range []struct {
			name, directoryID, entityID, want string
		}{
			{"Exact", "d", id, "mixpanel"},
			{"OtherCase", "d", "https://MIXPANEL.com/saml", "upper"},
			{"TrailingSlash", "d", id + "/", "slash"},
			{"OtherDirectory", "e", id, "e-mixpanel"},
			{"Prefix", "d", "https://mixpanel.com", ""},
			{"Unknown", "d", "https://unknown.example.com", ""},
			{"Empty", "d", "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.FindAppByEntityID(ctx, tc.directoryID, tc.entityID)
				if tc.want == "" {
					wantCode(t, "FindAppByEntityID", err, gatehouse.ENOTFOUND)
					return
				}
				must(t, err)
				if got.ID != tc.want || got.DirectoryID != tc.directoryID {
					t.Errorf("FindAppByEntityID(%q, %q) = app %s of %s, want %s", tc.directoryID, tc.entityID, got.ID, got.DirectoryID, tc.want)
				}
			})
		}
		got, err := s.FindAppByEntityID(ctx, "d", id)
		must(t, err)
		diff(t, "FindAppByEntityID", mixpanel, got)
	})
	t.Run("Update", func(t *testing.T) {
		u, err := s.FindApp(ctx, "d", "new1")
		must(t, err)
		u.SAML.EntityID = id
		wantCode(t, "UpdateApp to a taken Identifier", s.UpdateApp(ctx, u), gatehouse.ECONFLICT)
		got, err := s.FindApp(ctx, "d", "new1")
		must(t, err)
		if got.SAML.EntityID != "" {
			t.Errorf("Identifier after a failed update = %q, want empty", got.SAML.EntityID)
		}
		// Updating an app without changing its Identifier is no conflict.
		m := *mixpanel
		m.Notes = "changed"
		must(t, s.UpdateApp(ctx, &m))
		// Once the first app lets go of the Identifier, another may take it.
		m.SAML.EntityID = ""
		must(t, s.UpdateApp(ctx, &m))
		must(t, s.UpdateApp(ctx, u))
		got, err = s.FindAppByEntityID(ctx, "d", id)
		must(t, err)
		if got.ID != "new1" {
			t.Errorf("FindAppByEntityID = %s, want new1", got.ID)
		}
	})
}
