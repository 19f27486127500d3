package idp_test

import (
	"cmp"
	"context"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
	saml2 "github.com/russellhaering/gosaml2"
	dsig "github.com/russellhaering/goxmldsig"
)

// signInTo returns the Response of an IdP-initiated sign-in of the admin to app.
func signInTo(t *testing.T, svc *idp.Service, root *gatehouse.User, app *gatehouse.App) []byte {
	t.Helper()
	ctx := context.Background()
	token, _, err := svc.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.OpenApp(ctx, "default", app.ID, token)
	if err != nil || a.Post == nil {
		t.Fatalf("OpenApp = %+v, %v; want a Response", a, err)
	}
	return a.Post.Response
}

// openApp adds an app from metadata with the encryption key enc that anyone may use.
func openApp(t *testing.T, svc *idp.Service, root *gatehouse.User, entityID string, enc *spKey, methods string) *gatehouse.App {
	t.Helper()
	ctx := context.Background()
	md := spMetadata(entityID, "https://sp.example.test", nil, enc, "")
	md = strings.Replace(md, `<md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>`, methods, 1)
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	off, on := false, true
	s := a.SAML
	s.EncryptAssertions = on
	a, err = svc.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{AssignmentRequired: &off, SAML: &s})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// idpCert returns the app's active signing certificate.
func idpCert(t *testing.T, svc *idp.Service, root *gatehouse.User, app *gatehouse.App) *x509.Certificate {
	t.Helper()
	cs, err := svc.FindCertificates(context.Background(), root, "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Active {
			x, err := x509.ParseCertificate(c.DER)
			if err != nil {
				t.Fatal(err)
			}
			return x
		}
	}
	t.Fatal("no active certificate")
	return nil
}

// TestEncryptedAssertions encrypts assertions for the SP's encryption certificate with AES-256-GCM by default and
// AES-128-CBC when the SP lists only that, and checks that crewjam/saml's xmlenc decrypts them to an assertion whose
// signature verifies.
func TestEncryptedAssertions(t *testing.T) {
	svc, root := newSPService(t)
	enc := newSPKey(t, "sp encryption")
	tests := []struct {
		name, methods, want string
	}{
		{"no methods listed", "", saml.EncAES256GCM},
		{"only AES-128-CBC", `<md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>`, saml.EncAES128CBC},
		{"GCM among others", `<md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><md:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>`, saml.EncAES256GCM},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := openApp(t, svc, root, "https://enc.example.test/"+string(rune('a'+i)), enc, tt.methods)
			resp := signInTo(t, svc, root, app)
			if strings.Contains(string(resp), "AttributeStatement") || strings.Contains(string(resp), root.UserName) {
				t.Fatal("the Response shows the assertion in the clear")
			}
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(resp); err != nil {
				t.Fatal(err)
			}
			ed := doc.FindElement("//EncryptedAssertion/EncryptedData")
			if ed == nil {
				t.Fatalf("no EncryptedAssertion/EncryptedData in %s", resp)
			}
			if got := ed.FindElement("./EncryptionMethod").SelectAttrValue("Algorithm", ""); got != tt.want {
				t.Errorf("data encryption %s, want %s", got, tt.want)
			}
			plain, err := xmlenc.Decrypt(enc.Key, ed)
			if err != nil {
				t.Fatalf("decrypt: %v", err)
			}
			a := etree.NewDocument()
			if err := a.ReadFromBytes(plain); err != nil {
				t.Fatal(err)
			}
			if a.Root().Tag != "Assertion" || !strings.Contains(string(plain), root.UserName) {
				t.Fatalf("decrypted %s", plain)
			}
			v := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{idpCert(t, svc, root, app)}})
			if _, err := v.Validate(a.Root()); err != nil {
				t.Errorf("the decrypted assertion's signature: %v", err)
			}
		})
	}
	t.Run("gosaml2 reads it", func(t *testing.T) {
		app := openApp(t, svc, root, "https://enc.example.test/gosaml2", enc, "")
		// The SP's metadata lists persistent NameIDs; the admin chooses that format (an import leaves it alone).
		persistent := gatehouse.NameIDPersistent
		app, err := svc.UpdateSAML(context.Background(), root, "default", app.ID, idp.SAMLPatch{NameIDFormat: &persistent})
		if err != nil {
			t.Fatal(err)
		}
		resp := signInTo(t, svc, root, app)
		sp := &saml2.SAMLServiceProvider{
			IdentityProviderIssuer:      "http://127.0.0.1:8080/d/default",
			AssertionConsumerServiceURL: app.SAML.ReplyURLs[0],
			AudienceURI:                 app.SAML.EntityID,
			IDPCertificateStore:         &dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{idpCert(t, svc, root, app)}},
			SPKeyStore:                  dsig.TLSCertKeyStore(tlsCert(enc)),
		}
		info, err := sp.RetrieveAssertionInfo(base64.StdEncoding.EncodeToString(resp))
		if err != nil {
			t.Fatal(err)
		}
		if info.WarningInfo.InvalidTime || info.WarningInfo.NotInAudience {
			t.Errorf("warnings %+v", info.WarningInfo)
		}
		// Persistent NameIDs are pairwise, never the e-mail.
		if info.NameID == "" || strings.Contains(info.NameID, "@") {
			t.Errorf("NameID %q, want a persistent pairwise ID", info.NameID)
		}
	})
}

// TestSecurityCase40CertificateUpload refuses SP certificates that are garbage, expired, RSA under 2048 bits or
// over 64 KiB, with the reason.
func TestSecurityCase40CertificateUpload(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Upload"})
	if err != nil {
		t.Fatal(err)
	}
	expired := expiredCertificate(t)
	tests := []struct {
		name, cert, contains string
		// code is the error's code, EINVALID when empty.
		code string
	}{
		{"garbage", base64.StdEncoding.EncodeToString([]byte("garbage")), "X.509", ""},
		{"not base64", "%%%", "not a readable X.509 certificate", ""},
		{"expired", expired, "expired", ""},
		{"RSA under 2048 bits", weakCertificate(t), "2048", ""},
		{"over 64 KiB", strings.Repeat("A", 64<<10+4), "over the 64 KiB allowed", gatehouse.ETOOLARGE},
	}
	for _, tt := range tests {
		for _, field := range []string{"signingCertificates", "encryptionCertificate"} {
			t.Run(tt.name+" "+field, func(t *testing.T) {
				s := a.SAML
				if field == "signingCertificates" {
					s.SigningCertificates = []string{tt.cert}
				} else {
					s.EncryptionCertificate = tt.cert
				}
				_, err := svc.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{SAML: &s})
				code := cmp.Or(tt.code, gatehouse.EINVALID)
				if gatehouse.ErrorCode(err) != code || gatehouse.ErrorField(err) != field || !strings.Contains(gatehouse.ErrorMessage(err), tt.contains) {
					t.Fatalf("UpdateApp() = %v (field %q), want %s on %s mentioning %q", err, gatehouse.ErrorField(err), code, field, tt.contains)
				}
			})
		}
	}
	good := newSPKey(t, "good")
	s := a.SAML
	s.SigningCertificates = []string{good.b64()}
	if _, err := svc.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{SAML: &s}); err != nil {
		t.Errorf("a good certificate: %v", err)
	}
}
