package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// spCertificate returns a new SP certificate as base64 DER.
func spCertificate(t *testing.T) string {
	t.Helper()
	der, _, err := certs.Generate("sp", time.Now().Add(-time.Hour), 365*24*time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// importMetadata uploads metadata on the app's Single sign-on page and returns the page shown after it.
func importMetadata(t *testing.T, c *portalClient, srv *testserver.Server, appID, metadata string) *portalResp {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("metadata", "sp.xml")
	fw.Write([]byte(metadata))
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/admin/d/default/apps/"+appID+"/sso/metadata", &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	p := c.do(req)
	if p.Status != http.StatusOK {
		t.Fatalf("import: status %d\n%s", p.Status, p.Body)
	}
	return p
}

// TestPortalMetadataImportNotices imports an SP's metadata on the Single sign-on page as the SP starts and stops
// signing its requests: the page says what changed each time, offers to encrypt assertions for the SP's
// encryption certificate, and the offer's button turns encryption on.
func TestPortalMetadataImportNotices(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	app := mustApp(t, srv, "custom", nil)
	signing, encryption := spCertificate(t), spCertificate(t)
	metadata := func(signed bool) string {
		return `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://sp.example.com/meta">` +
			`<!-- written by the SP -->` +
			`<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="` + map[bool]string{true: "true", false: "false"}[signed] + `">` +
			`<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + signing + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
			`<md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + encryption + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
			`<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.com/acs" index="0"/>` +
			`</md:SPSSODescriptor></md:EntityDescriptor>`
	}
	p := importMetadata(t, c, srv, app.ID, metadata(true))
	for _, want := range []string{
		`<li data-field="requireSignedRequests">Signed requests are now required: the SP&#39;s metadata says AuthnRequestsSigned=&#34;true&#34;.</li>`,
		`<li data-field="encryptionCertificate">The SP&#39;s encryption certificate is registered.</li>`,
		`id="suggest-encryption"`, `id="turn-on-encryption"`,
	} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the page after the first import lacks %s\n%s", want, p.Body)
		}
	}
	a, err := srv.Store.FindApp(context.Background(), "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !a.SAML.RequireSignedRequests || a.SAML.EncryptAssertions {
		t.Errorf("after import: require signed %v, encrypt %v", a.SAML.RequireSignedRequests, a.SAML.EncryptAssertions)
	}

	// The offer's form, as the page draws it.
	if p := c.post("/admin/d/default/apps/"+app.ID+"/sso/protocol", url.Values{"shown-encryptAssertions": {""}, "encryptAssertions": {"on"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("turn on encryption: %d\n%s", p.Status, p.Body)
	}
	if a, _ = srv.Store.FindApp(context.Background(), "default", app.ID); !a.SAML.EncryptAssertions || !a.SAML.RequireSignedRequests {
		t.Errorf("after the offer: encrypt %v, require signed %v (want both on)", a.SAML.EncryptAssertions, a.SAML.RequireSignedRequests)
	}
	if p := c.get("/admin/d/default/apps/" + app.ID + "/sso"); strings.Contains(p.Body, `id="suggest-encryption"`) {
		t.Error("the page still offers encryption once it is on")
	}

	// The SP stops signing its requests.
	p = importMetadata(t, c, srv, app.ID, metadata(false))
	if want := `<li data-field="requireSignedRequests">Signed requests are no longer required: the SP&#39;s metadata does not say AuthnRequestsSigned=&#34;true&#34;.</li>`; !strings.Contains(p.Body, want) {
		t.Errorf("the page after the second import lacks %s\n%s", want, p.Body)
	}
	// The same metadata again changes nothing, and says so.
	p = importMetadata(t, c, srv, app.ID, metadata(false))
	if !strings.Contains(p.Body, "The metadata changed nothing") {
		t.Errorf("the page after the same import again:\n%s", p.Body)
	}
}

// TestPortalSigningChoiceExplained shows, under the signing option, why a custom app signs both the response and
// the assertion and a gallery app what its vendor documents, and says when the option was changed.
func TestPortalSigningChoiceExplained(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	custom := mustApp(t, srv, "custom", nil)
	mixpanel := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "1234567"})
	why := func(appID string) string {
		t.Helper()
		p := c.get("/admin/d/default/apps/" + appID + "/sso")
		return idOf(p.Body, "signing-why")
	}
	if got := why(custom.ID); !strings.Contains(got, "signs both the SAML response and the assertion") || !strings.Contains(got, "passport-saml") {
		t.Errorf("custom app: %q", got)
	}
	if got := why(mixpanel.ID); !strings.Contains(got, "Mixpanel is a gallery app") || !strings.Contains(got, "sign the SAML assertion") || strings.Contains(got, "changed") {
		t.Errorf("Mixpanel: %q", got)
	}
	form := url.Values{"signingOption": {"both"}, "signingAlgorithm": {"sha256"}, "shown-signingOption": {"assertion"}, "shown-signingAlgorithm": {"sha256"}}
	if p := c.post("/admin/d/default/apps/"+mixpanel.ID+"/sso/signing", form); p.Status != http.StatusSeeOther {
		t.Fatalf("save signing: %d", p.Status)
	}
	if got := why(mixpanel.ID); !strings.Contains(got, "which was changed for this app") {
		t.Errorf("Mixpanel after a change: %q", got)
	}
}

// TestNameIDFormatAfterImport imports metadata whose NameID formats start with transient, as Lasso
// (mod_auth_mellon) writes it: the app keeps sending the e-mail NameID its admin chose, and a request whose
// NameIDPolicy asks for transient gets a transient one.
func TestNameIDFormatAfterImport(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	root := mustAdmin(t, srv)
	a := mustApp(t, srv, "custom", nil)
	off := false
	if _, err := srv.Service.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{AssignmentRequired: &off}); err != nil {
		t.Fatal(err)
	}
	const entityID, acs = "https://mellon.example.test/sp", "https://mellon.example.test/acs"
	md := `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + entityID + `">` +
		`<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
		`<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>` +
		`<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>` +
		`<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + acs + `" index="0"/>` +
		`</md:SPSSODescriptor></md:EntityDescriptor>`
	imp, err := srv.Service.ImportMetadata(ctx, root, "default", a.ID, idp.MetadataInput{Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	if imp.SAML.NameIDFormat != gatehouse.NameIDEmail {
		t.Fatalf("NameID format after import %q, want the admin's e-mail format", imp.SAML.NameIDFormat)
	}
	token, _, err := srv.Service.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	nameID := regexp.MustCompile(`<(?:\w+:)?NameID [^>]*Format="([^"]+)"[^>]*>([^<]*)<`)
	for i, tt := range []struct{ policy, format string }{
		{"", gatehouse.NameIDEmail},
		{`<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" AllowCreate="true"/>`, gatehouse.NameIDTransient},
	} {
		xml := fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_nid%d" Version="2.0" IssueInstant="%s" AssertionConsumerServiceURL="%s"><saml:Issuer>%s</saml:Issuer>%s</samlp:AuthnRequest>`,
			i, time.Now().UTC().Format(time.RFC3339), acs, entityID, tt.policy)
		u, err := saml.RedirectURL(srv.URL+"/d/default/saml2", "SAMLRequest", []byte(xml), "", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: token})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`name="SAMLResponse" value="([^"]+)"`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("request %d: status %d, no SAMLResponse\n%s", i, resp.StatusCode, body)
		}
		x, err := base64.StdEncoding.DecodeString(html.UnescapeString(string(m[1])))
		if err != nil {
			t.Fatal(err)
		}
		got := nameID.FindSubmatch(x)
		if got == nil || string(got[1]) != tt.format {
			t.Errorf("request %d (NameIDPolicy %q): NameID %q, want format %s", i, tt.policy, got, tt.format)
		}
		if tt.format == gatehouse.NameIDEmail && (got == nil || string(got[2]) != testserver.AdminUser) {
			t.Errorf("request %d: NameID %q, want %s", i, got, testserver.AdminUser)
		}
	}
}
