package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestPortalSigningKeyType chooses ECDSA P-256 in the app's signing card: the card explains the choice, an app
// nobody uses switches at once and says so, the certificate card and list show the key type, the downloads carry
// the EC certificate, and a bad value is refused at its field naming the allowed ones.
func TestPortalSigningKeyType(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	app := mustApp(t, srv, "custom", nil)
	sso := "/admin/d/default/apps/" + app.ID + "/sso"

	p := c.get(sso + "?edit=signing")
	for _, want := range []string{`id="signingKeyType"`, `value="ecdsa-p256"`, "RSA is the safe default", "Shibboleth SP", `name="shown-signingKeyType" value="rsa-2048"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the signing form lacks %q", want)
		}
	}
	form := url.Values{"signingOption": {app.SAML.SigningOption}, "shown-signingOption": {app.SAML.SigningOption},
		"signingAlgorithm": {"sha256"}, "shown-signingAlgorithm": {"sha256"},
		"signingKeyType": {gatehouse.KeyECDSAP256}, "shown-signingKeyType": {gatehouse.KeyRSA2048}}
	if p := c.post(sso+"/signing", form); p.Status != http.StatusSeeOther {
		t.Fatalf("save ECDSA: status %d\n%s", p.Status, p.Body)
	}
	p = c.get(sso)
	for _, want := range []string{"An ECDSA P-256 certificate signs now", `id="cert-key-type">ECDSA P-256`, "ECDSA-SHA256", `class="certificate-key-type">RSA 2048`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the SSO page after the switch lacks %q", want)
		}
	}
	for _, format := range []string{"pem", "base64"} {
		d := c.get("/admin/d/default/apps/" + app.ID + "/certificates/active/download?format=" + format)
		b, _ := pem.Decode([]byte(d.Body))
		if b == nil {
			t.Fatalf("%s download: %d %q", format, d.Status, d.Body)
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok {
			t.Errorf("%s download holds a %T key", format, cert.PublicKey)
		}
	}

	form.Set("signingKeyType", "dsa-1024")
	form.Set("shown-signingKeyType", gatehouse.KeyECDSAP256)
	p = c.post(sso+"/signing", form)
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `id="error-signingKeyType"`) || !strings.Contains(p.Body, "choose rsa-2048 or ecdsa-p256") {
		t.Errorf("a bad key type: status %d, want 400 with the error at its field naming the allowed ones", p.Status)
	}
}

// TestAPISigningKeyType sets the key type over the REST API with the client, sees it in the settings and the
// certificate list, and gets a 400 naming the allowed values for a bad one.
func TestAPISigningKeyType(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	api := apiclient.New(srv.URL, apiToken(t, srv), nil)
	app := mustApp(t, srv, "custom", nil)
	ec := gatehouse.KeyECDSAP256
	st, err := api.PatchSAML(ctx, "default", app.ID, apiclient.SAMLPatch{SigningKeyType: &ec})
	if err != nil {
		t.Fatal(err)
	}
	if st.SigningKeyType != ec {
		t.Errorf("settings after the change: signingKeyType %q", st.SigningKeyType)
	}
	list, _, err := api.ListCertificates(ctx, "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	var active string
	for _, c := range list {
		if c.State == "active" {
			active = c.KeyType
		}
	}
	if active != ec || len(list) != 2 {
		t.Errorf("certificates after the change: %d, the active one %q; want 2 and %q", len(list), active, ec)
	}
	bad := "ed25519"
	_, err = api.PatchSAML(ctx, "default", app.ID, apiclient.SAMLPatch{SigningKeyType: &bad})
	var ae *apiclient.Error
	if !asAPIError(err, &ae) || ae.Status != 400 || ae.Field != "signingKeyType" || !strings.Contains(ae.Message, "rsa-2048 or ecdsa-p256") {
		t.Errorf("a bad key type: %v, want 400 at signingKeyType naming the allowed values", err)
	}
}
