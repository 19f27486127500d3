package idp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestImportMetadata configures a custom app from SP metadata and checks every setting the metadata carries.
func TestImportMetadata(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	sign, enc := newSPKey(t, "sp signing"), newSPKey(t, "sp encryption")
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Wiki"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.ImportMetadata(ctx, root, "default", a.ID, idp.MetadataInput{
		Metadata: spMetadata("https://wiki.example.test/sp", "https://wiki.example.test", sign, enc, ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := gatehouse.DefaultSAMLSettings()
	want.EntityID = "https://wiki.example.test/sp"
	want.ReplyURLs = []string{"https://wiki.example.test/acs2", "https://wiki.example.test/acs1"}
	want.ACSIndexes = []int{2, 1}
	want.LogoutURL, want.LogoutBinding = "https://wiki.example.test/slo", gatehouse.BindingHTTPRedirect
	// The NameID format stays the app's, although the metadata lists only persistent.
	want.SigningCertificates = []string{sign.b64()}
	want.RequireSignedRequests = true
	want.EncryptionCertificate = enc.b64()
	want.EncryptionMethods = []string{"http://www.w3.org/2001/04/xmlenc#aes128-cbc"}
	if diff := cmp.Diff(want, got.SAML); diff != "" {
		t.Errorf("settings mismatch (-want +got):\n%s", diff)
	}
	var changed []string
	for _, c := range got.Changes {
		changed = append(changed, c.Field)
	}
	wantChanged := []string{"entityId", "replyUrls", "logoutUrl", "signingCertificates", "requireSignedRequests", "encryptionCertificate", "encryptionMethods"}
	if diff := cmp.Diff(wantChanged, changed); diff != "" {
		t.Errorf("changes mismatch (-want +got):\n%s", diff)
	}
	// An app can be created straight from metadata.
	b, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom",
		Metadata: spMetadata("https://files.example.test/sp", "https://files.example.test", nil, nil, "")})
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "https://files.example.test/sp" || b.SAML.ReplyURLs[0] != "https://files.example.test/acs2" || b.SAML.RequireSignedRequests {
		t.Errorf("app from metadata: name %q, reply URLs %v, require signed %v", b.Name, b.SAML.ReplyURLs, b.SAML.RequireSignedRequests)
	}
}

// TestSecurityCase38MetadataUpload refuses bad SP metadata with a message that names the problem, and leaves the
// app as it was.
func TestSecurityCase38MetadataUpload(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	taken, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Taken",
		Metadata: spMetadata("https://taken.example.test/sp", "https://taken.example.test", nil, nil, "")})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Target"})
	if err != nil {
		t.Fatal(err)
	}
	good := spMetadata("https://sp.example.test/sp", "https://sp.example.test", nil, nil, "")
	weak := weakCertificate(t)
	tests := []struct {
		name     string
		metadata string
		code     string
		contains string
	}{
		{"DTD", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>` + good, gatehouse.EINVALID, "DOCTYPE"},
		{"over 1 MiB", strings.Replace(good, "<md:SPSSODescriptor", "<!--"+strings.Repeat("x", 1<<20)+"--><md:SPSSODescriptor", 1), gatehouse.ETOOLARGE, "1 MiB"},
		{"many EntityDescriptors", `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` +
			strings.Repeat(strings.TrimPrefix(good, `<?xml version="1.0"?>`), 2) + `</md:EntitiesDescriptor>`, gatehouse.EINVALID, "2 entities"},
		{"javascript ACS", strings.Replace(good, `Location="https://sp.example.test/acs1"`, `Location="javascript:alert(1)"`, 1), gatehouse.EINVALID, `"javascript"`},
		{"data SLO", strings.Replace(good, `Location="https://sp.example.test/slo"`, `Location="data:text/html,x"`, 1), gatehouse.EINVALID, `"data"`},
		{"entity ID of another app", strings.ReplaceAll(good, "https://sp.example.test/sp", "https://taken.example.test/sp"), gatehouse.ECONFLICT, "already has the Identifier"},
		{"RSA under 2048 bits", strings.Replace(good, `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP"`,
			`<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>`+weak+`</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP"`, 1), gatehouse.EINVALID, "2048"},
		{"certificate garbage", strings.Replace(good, `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP"`,
			`<md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>bm90IGEgY2VydA==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP"`, 1), gatehouse.EINVALID, "X.509"},
		{"no POST ACS", strings.ReplaceAll(good, "bindings:HTTP-POST", "bindings:PAOS"), gatehouse.EINVALID, "HTTP-POST"},
		{"not metadata", `<html/>`, gatehouse.EINVALID, "EntityDescriptor"},
		{"not XML", `{"entityID": "x"}`, gatehouse.EINVALID, "XML"},
		{"empty", ``, gatehouse.EINVALID, "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.ImportMetadata(ctx, root, "default", a.ID, idp.MetadataInput{Metadata: tt.metadata})
			if gatehouse.ErrorCode(err) != tt.code || !strings.Contains(gatehouse.ErrorMessage(err), tt.contains) {
				t.Fatalf("ImportMetadata() = %v, want code %s and a message containing %q", err, tt.code, tt.contains)
			}
			after, err := svc.FindApp(ctx, root, "default", a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.SAML.EntityID != "" {
				t.Errorf("the app changed: entity ID %q", after.SAML.EntityID)
			}
		})
	}
	_ = taken
}

// TestImportMetadataURL fetches metadata over HTTP, refuses URLs that are not http(s) and redirects to other schemes,
// and refreshes: a change is applied, a failure is recorded while the last good settings stay in force.
func TestImportMetadataURL(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	var body atomic.Value
	body.Store(spMetadata("https://sp.example.test/sp", "https://sp.example.test", nil, nil, ""))
	var fail atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/redirect":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case fail.Load():
			http.Error(w, "down", http.StatusInternalServerError)
		default:
			w.Write([]byte(body.Load().(string)))
		}
	}))
	defer ts.Close()
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "SP", MetadataURL: ts.URL + "/metadata"})
	if err != nil {
		t.Fatal(err)
	}
	if a.SAML.EntityID != "https://sp.example.test/sp" || a.SAML.MetadataStatus == nil || a.SAML.MetadataStatus.LastSuccessAt.IsZero() {
		t.Fatalf("app from a metadata URL: %+v", a.SAML)
	}
	for _, u := range []string{"file:///etc/passwd", "ftp://127.0.0.1/md.xml", "javascript:alert(1)", ts.URL + "/redirect"} {
		_, err := svc.ImportMetadata(ctx, root, "default", a.ID, idp.MetadataInput{URL: u})
		if gatehouse.ErrorCode(err) != gatehouse.EINVALID || gatehouse.ErrorField(err) != "url" {
			t.Errorf("ImportMetadata(%q) = %v, want invalid naming url", u, err)
		}
	}

	// A refresh applies a change.
	body.Store(spMetadata("https://sp.example.test/sp", "https://new.example.test", nil, nil, ""))
	if n, err := svc.RefreshMetadata(ctx, -1); err != nil || n != 1 {
		t.Fatalf("RefreshMetadata() = %d, %v", n, err)
	}
	a, _ = svc.FindApp(ctx, root, "default", a.ID)
	if a.SAML.ReplyURLs[0] != "https://new.example.test/acs2" {
		t.Errorf("after refresh reply URLs %v", a.SAML.ReplyURLs)
	}
	// A failing refresh keeps the last good settings and says why.
	fail.Store(true)
	if _, err := svc.RefreshMetadata(ctx, -1); err != nil {
		t.Fatal(err)
	}
	a, _ = svc.FindApp(ctx, root, "default", a.ID)
	st := a.SAML.MetadataStatus
	if a.SAML.ReplyURLs[0] != "https://new.example.test/acs2" || st == nil || !strings.Contains(st.LastError, "HTTP 500") || st.LastSuccessAt.IsZero() {
		t.Errorf("after a failed refresh: reply URLs %v, status %+v", a.SAML.ReplyURLs, st)
	}
	// Bad metadata at the URL is a failure too.
	fail.Store(false)
	body.Store(`<!DOCTYPE x><x/>`)
	svc.RefreshMetadata(ctx, -1)
	a, _ = svc.FindApp(ctx, root, "default", a.ID)
	if st := a.SAML.MetadataStatus; !strings.Contains(st.LastError, "DOCTYPE") || a.SAML.EntityID != "https://sp.example.test/sp" {
		t.Errorf("after bad metadata: status %+v", st)
	}
	// Not due yet: nothing is fetched.
	if n, _ := svc.RefreshMetadata(ctx, 0); n != 0 {
		t.Errorf("RefreshMetadata right after a refresh tried %d apps", n)
	}
	_ = cmpopts.EquateEmpty
}
