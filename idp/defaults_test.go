package idp_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/google/go-cmp/cmp"
)

// TestDefaultSigningOption: a custom app, and an app created from SP metadata, sign the Response and the Assertion;
// gallery apps keep the option of their template, which is what the vendor documents (Mixpanel: the assertion).
func TestDefaultSigningOption(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	tests := []struct {
		name string
		in   idp.AppInput
		want string
	}{
		{"custom", idp.AppInput{GalleryID: "custom", Name: "Custom"}, gatehouse.SignBoth},
		{"no template named", idp.AppInput{Name: "Unnamed"}, gatehouse.SignBoth},
		{"custom from metadata", idp.AppInput{GalleryID: "custom", Metadata: spMetadata("https://md.example.test/sp", "https://md.example.test", nil, nil, "")}, gatehouse.SignBoth},
		{"mixpanel", idp.AppInput{GalleryID: "mixpanel", Parameters: map[string]string{"org_id": "1234567"}}, gatehouse.SignAssertion},
		{"gatehouse-demo", idp.AppInput{GalleryID: "gatehouse-demo"}, gatehouse.SignAssertion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, err := svc.AddApp(ctx, root, "default", tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if a.SAML.SigningOption != tt.want {
				t.Errorf("signing option %q, want %q", a.SAML.SigningOption, tt.want)
			}
		})
	}
}

// TestReimportMetadataSignedRequests re-imports an SP's metadata as the SP starts and stops signing its requests:
// "require signed requests" follows the metadata both ways, and the import says what changed.
func TestReimportMetadataSignedRequests(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	sign := newSPKey(t, "sp signing")
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Wiki"})
	if err != nil {
		t.Fatal(err)
	}
	const entityID, base = "https://wiki.example.test/sp", "https://wiki.example.test"
	signed := spMetadata(entityID, base, sign, nil, "")
	unsigned := strings.Replace(signed, `AuthnRequestsSigned="true"`, `AuthnRequestsSigned="false"`, 1)
	steps := []struct {
		name     string
		metadata string
		require  bool
		change   string // the message about requireSignedRequests, "" for none
	}{
		{"the SP signs", signed, true, `Signed requests are now required: the SP's metadata says AuthnRequestsSigned="true".`},
		{"the same again", signed, true, ""},
		{"the SP stops signing", unsigned, false, `Signed requests are no longer required: the SP's metadata does not say AuthnRequestsSigned="true".`},
		{"the SP signs again", signed, true, `Signed requests are now required: the SP's metadata says AuthnRequestsSigned="true".`},
		{"the SP drops its key", spMetadata(entityID, base, nil, nil, ""), false, "Signed requests are no longer required: the SP's metadata has no signing certificate to verify them with."},
	}
	for _, st := range steps {
		imp, err := svc.ImportMetadata(ctx, root, "default", a.ID, idp.MetadataInput{Metadata: st.metadata})
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if imp.SAML.RequireSignedRequests != st.require {
			t.Errorf("%s: require signed requests %v, want %v", st.name, imp.SAML.RequireSignedRequests, st.require)
		}
		got := ""
		for _, c := range imp.Changes {
			if c.Field == "requireSignedRequests" {
				got = c.Message
			}
		}
		if got != st.change {
			t.Errorf("%s: change %q, want %q", st.name, got, st.change)
		}
		if st.name == "the same again" && len(imp.Changes) != 0 {
			t.Errorf("%s: changes %v, want none", st.name, imp.Changes)
		}
	}
}

// TestImportMetadataSuggestsEncryption imports metadata that publishes an encryption certificate: encryption stays
// off until the admin turns it on, and the import says it can be.
func TestImportMetadataSuggestsEncryption(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Files"})
	if err != nil {
		t.Fatal(err)
	}
	md := spMetadata("https://files.example.test/sp", "https://files.example.test", nil, newSPKey(t, "sp encryption"), "")
	imp, err := svc.ImportMetadata(ctx, root, "default", a.ID, idp.MetadataInput{Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	want := []idp.SettingNote{{Field: "encryptAssertions", Message: "The SP publishes an encryption certificate, and assertions are not encrypted: turn on encryptAssertions to encrypt them for it."}}
	if diff := cmp.Diff(want, imp.Suggestions); diff != "" || imp.SAML.EncryptAssertions {
		t.Errorf("encrypt %v; suggestions mismatch (-want +got):\n%s", imp.SAML.EncryptAssertions, diff)
	}
	on := true
	b, err := svc.UpdateSAML(ctx, root, "default", a.ID, idp.SAMLPatch{EncryptAssertions: &on})
	if err != nil {
		t.Fatal(err)
	}
	if s := idp.Suggestions(b.SAML); len(s) != 0 {
		t.Errorf("suggestions with encryption on: %v", s)
	}
	// Creating an app from such metadata makes the same suggestion.
	c, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom",
		Metadata: spMetadata("https://more.example.test/sp", "https://more.example.test", nil, newSPKey(t, "sp encryption"), "")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, idp.Suggestions(c.SAML)); diff != "" {
		t.Errorf("suggestions for an app created from metadata (-want +got):\n%s", diff)
	}
}

// TestImportMetadataKeepsNameIDFormat imports metadata whose NameID formats start with transient, as Lasso
// (mod_auth_mellon) writes it, into apps whose admins chose a format: the format stays.
func TestImportMetadataKeepsNameIDFormat(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	mellon := strings.Replace(spMetadata("https://mellon.example.test/sp", "https://mellon.example.test", nil, nil, ""),
		`<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>`,
		`<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>`+
			`<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>`, 1)
	for _, format := range []string{gatehouse.NameIDEmail, gatehouse.NameIDUnspecified, gatehouse.NameIDPersistent} {
		a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Mellon " + format})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UpdateSAML(ctx, root, "default", a.ID, idp.SAMLPatch{NameIDFormat: &format}); err != nil {
			t.Fatal(err)
		}
		for round := range 2 { // import, then import again
			imp, err := svc.ImportMetadata(ctx, root, "default", a.ID, idp.MetadataInput{Metadata: mellon})
			if err != nil {
				t.Fatal(err)
			}
			if imp.SAML.NameIDFormat != format {
				t.Errorf("import %d: NameID format %q, want the admin's %q", round+1, imp.SAML.NameIDFormat, format)
			}
		}
		if err := svc.DeleteApp(ctx, root, "default", a.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAppMetadataWantAuthnRequestsSigned: an app's federation metadata says WantAuthnRequestsSigned="true" exactly
// when the app refuses unsigned requests.
func TestAppMetadataWantAuthnRequestsSigned(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	sign := newSPKey(t, "sp signing")
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom",
		Metadata: spMetadata("https://signed.example.test/sp", "https://signed.example.test", sign, nil, "")})
	if err != nil {
		t.Fatal(err)
	}
	for _, require := range []bool{true, false, true} {
		if _, err := svc.UpdateSAML(ctx, root, "default", a.ID, idp.SAMLPatch{RequireSignedRequests: &require}); err != nil {
			t.Fatal(err)
		}
		md, err := svc.AppMetadata(ctx, "default", a.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := `WantAuthnRequestsSigned="false"`
		if require {
			want = `WantAuthnRequestsSigned="true"`
		}
		if !strings.Contains(string(md), want) {
			t.Errorf("require signed requests %v: metadata lacks %s\n%s", require, want, md)
		}
	}
	// The directory's metadata serves apps that differ, and asks for nothing.
	md, err := svc.DirectoryMetadata(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), `WantAuthnRequestsSigned="false"`) {
		t.Errorf("directory metadata:\n%s", md)
	}
}
