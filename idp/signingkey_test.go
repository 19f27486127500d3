package idp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// activeAndNext returns an app's active and next certificates (nil when there is none).
func activeAndNext(t *testing.T, svc *idp.Service, root *gatehouse.User, app *gatehouse.App) (active, next *idp.CertificateInfo) {
	t.Helper()
	list, err := svc.CertificateList(context.Background(), root, "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range list {
		switch list[i].State {
		case idp.CertActive:
			active = &list[i]
		case idp.CertNext:
			next = &list[i]
		}
	}
	return active, next
}

// signatureOf returns the SignatureMethod, the length of the SignatureValue and the KeyInfo certificate of the
// Assertion's signature in a Response.
func signatureOf(t *testing.T, resp []byte) (method string, valueLen int, cert string) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(resp); err != nil {
		t.Fatal(err)
	}
	sig := doc.FindElement("//Assertion/Signature")
	if sig == nil {
		t.Fatalf("the assertion is not signed:\n%s", resp)
	}
	v, _ := base64.StdEncoding.DecodeString(sig.FindElement("./SignatureValue").Text())
	return sig.FindElement("./SignedInfo/SignatureMethod").SelectAttrValue("Algorithm", ""),
		len(v), sig.FindElement("./KeyInfo/X509Data/X509Certificate").Text()
}

// TestSigningKeyTypeECDSA switches an app that nobody uses yet to ECDSA P-256 at once, signs with it, offers the
// EC certificate in every download format and in the metadata, then switches back to RSA through a staged next
// certificate while sign-ons keep working, and audits each change.
func TestSigningKeyTypeECDSA(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	app := plainApp(t, svc, root, "ecdsa", nil)
	if app.SAML.KeyType() != gatehouse.KeyRSA2048 {
		t.Fatalf("a new app's key type is %q, want %q", app.SAML.KeyType(), gatehouse.KeyRSA2048)
	}
	rsaCert, _ := activeAndNext(t, svc, root, app)
	if rsaCert.KeyType != gatehouse.KeyRSA2048 {
		t.Fatalf("a new app's certificate has key %q", rsaCert.KeyType)
	}

	// Nobody is assigned and nobody signed in: the ECDSA certificate becomes active at once.
	ec := gatehouse.KeyECDSAP256
	app, err := svc.UpdateSAML(ctx, root, "default", app.ID, idp.SAMLPatch{SigningKeyType: &ec})
	if err != nil {
		t.Fatal(err)
	}
	active, next := activeAndNext(t, svc, root, app)
	if active.KeyType != gatehouse.KeyECDSAP256 || next != nil {
		t.Fatalf("after choosing ECDSA the active certificate has key %q (next %v), want %q at once", active.KeyType, next, gatehouse.KeyECDSAP256)
	}
	if st := states(t, svc, root, app); st[rsaCert.ID].State != idp.CertPrevious || !st[rsaCert.ID].Published {
		t.Errorf("the RSA certificate after the switch: %+v", st[rsaCert.ID])
	}
	method, n, cert := signatureOf(t, signInTo(t, svc, root, app))
	if method != saml.SigAlgECDSASHA256 || n != 64 || cert != b64(active.Certificate) {
		t.Errorf("ECDSA sign-on: SignatureMethod %q, %d-byte value, own certificate %v; want %q, 64 (r||s), true",
			method, n, cert == b64(active.Certificate), saml.SigAlgECDSASHA256)
	}

	// Every download carries the EC certificate.
	for _, format := range []string{idp.FormatPEM, idp.FormatBase64, idp.FormatRaw, idp.FormatMetadata} {
		f, err := svc.CertificateFile(ctx, root, "default", app.ID, "active", format)
		if err != nil {
			t.Fatalf("%s download: %v", format, err)
		}
		var der []byte
		switch format {
		case idp.FormatRaw:
			der = f.Data
		case idp.FormatMetadata:
			if !strings.Contains(string(f.Data), b64(active.Certificate)) {
				t.Errorf("the metadata download does not publish the EC certificate")
			}
			continue
		default:
			b, _ := pem.Decode(f.Data)
			if b == nil {
				t.Fatalf("%s download is not PEM:\n%s", format, f.Data)
			}
			der = b.Bytes
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatalf("%s download: %v", format, err)
		}
		if _, ok := c.PublicKey.(*ecdsa.PublicKey); !ok {
			t.Errorf("%s download holds a %T key, want ECDSA", format, c.PublicKey)
		}
	}
	if got := metadataCerts(t, svc, app); len(got) != 2 || got[0] != b64(active.Certificate) || got[1] != b64(rsaCert.Certificate) {
		t.Errorf("metadata publishes %d certificates, want the EC one then the previous RSA one", len(got))
	}

	// The app has been used now: going back to RSA stages a next certificate and ECDSA keeps signing until it is
	// made active.
	rsaType := gatehouse.KeyRSA2048
	if app, err = svc.UpdateSAML(ctx, root, "default", app.ID, idp.SAMLPatch{SigningKeyType: &rsaType}); err != nil {
		t.Fatal(err)
	}
	stillEC, next := activeAndNext(t, svc, root, app)
	if stillEC.ID != active.ID || next == nil || next.KeyType != gatehouse.KeyRSA2048 {
		t.Fatalf("going back to RSA on a used app: active %s (%s), next %+v; want the EC one active and an RSA next one", stillEC.ID, stillEC.KeyType, next)
	}
	if method, _, _ := signatureOf(t, signInTo(t, svc, root, app)); method != saml.SigAlgECDSASHA256 {
		t.Errorf("before the RSA certificate is made active the signature method is %q", method)
	}
	if _, err := svc.ActivateCertificate(ctx, root, "default", app.ID, next.ID); err != nil {
		t.Fatal(err)
	}
	resp := signInTo(t, svc, root, app)
	if method, _, _ := signatureOf(t, resp); method != saml.SigAlgRSASHA256 || !signedBy(t, resp, next.Certificate) {
		t.Errorf("after switching back the signature method is %q, signed by the new RSA certificate: %v", method, signedBy(t, resp, next.Certificate))
	}

	// Choosing ECDSA again while an RSA next certificate waits is a conflict that names it.
	if _, err := svc.CreateNextCertificate(ctx, root, "default", app.ID); err != nil {
		t.Fatal(err)
	}
	_, err = svc.UpdateSAML(ctx, root, "default", app.ID, idp.SAMLPatch{SigningKeyType: &ec})
	if gatehouse.ErrorCode(err) != gatehouse.ECONFLICT || !strings.Contains(gatehouse.ErrorMessage(err), "RSA 2048") {
		t.Errorf("ECDSA with an RSA next certificate waiting: %v, want a conflict naming it", err)
	}
	if a, _ := svc.FindApp(ctx, root, "default", app.ID); a.SAML.KeyType() != gatehouse.KeyRSA2048 {
		t.Errorf("the refused change was kept: key type %q", a.SAML.KeyType())
	}

	// Replacing the whole settings cannot change the key type behind the certificates' back.
	whole := app.SAML
	whole.SigningKeyType = gatehouse.KeyECDSAP256
	if _, err := svc.UpdateApp(ctx, root, "default", app.ID, idp.AppPatch{SAML: &whole}); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
		t.Errorf("UpdateApp with another key type: %v, want EINVALID", err)
	}

	events, _, err := svc.FindAuditEvents(ctx, root, "default", gatehouse.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var keyChanges, creates int
	for _, e := range events {
		if e.Action == "app.update" && e.TargetID == app.ID && strings.Contains(e.After, `"signingKeyType":"ecdsa-p256"`) && strings.Contains(e.Before, `"signingKeyType":"rsa-2048"`) {
			keyChanges++
		}
		if e.Action == "certificate.create" {
			creates++
		}
	}
	if keyChanges != 1 || creates < 3 {
		t.Errorf("audit log: %d changes to ECDSA, %d certificates created; want 1 and at least 3", keyChanges, creates)
	}
}

// TestSigningKeyTypeInvalid refuses unknown key types, naming the allowed ones, and ECDSA with SHA-1, and keeps
// the app as it was.
func TestSigningKeyTypeInvalid(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		patch    idp.SAMLPatch
		contains string
	}{
		{"unknown", idp.SAMLPatch{SigningKeyType: ptr("ecdsa")}, "choose rsa-2048 or ecdsa-p256"},
		{"rsa-4096", idp.SAMLPatch{SigningKeyType: ptr("rsa-4096")}, "choose rsa-2048 or ecdsa-p256"},
		{"with-sha1", idp.SAMLPatch{SigningKeyType: ptr(gatehouse.KeyECDSAP256), SigningAlgorithm: ptr(gatehouse.SHA1)}, "SHA-256 only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			app := plainApp(t, svc, root, "bad-"+c.name, nil)
			_, err := svc.UpdateSAML(ctx, root, "default", app.ID, c.patch)
			var ge *gatehouse.Error
			if gatehouse.ErrorCode(err) != gatehouse.EINVALID || !strings.Contains(gatehouse.ErrorMessage(err), c.contains) {
				t.Fatalf("err = %v, want EINVALID saying %q", err, c.contains)
			}
			if !errors.As(err, &ge) || ge.Field != "signingKeyType" {
				t.Errorf("the error %v does not name the field signingKeyType", err)
			}
			active, next := activeAndNext(t, svc, root, app)
			if active.KeyType != gatehouse.KeyRSA2048 || next != nil {
				t.Errorf("a refused change made certificates: active %s, next %v", active.KeyType, next)
			}
		})
	}
}

// TestSignerKeys checks that the service opens both kinds of sealed key: an app on RSA and one on ECDSA sign side
// by side, each with its own method.
func TestSignerKeys(t *testing.T) {
	svc, root := newSPService(t)
	ecApp := plainApp(t, svc, root, "ec-app", nil)
	ec := gatehouse.KeyECDSAP256
	if _, err := svc.UpdateSAML(context.Background(), root, "default", ecApp.ID, idp.SAMLPatch{SigningKeyType: &ec}); err != nil {
		t.Fatal(err)
	}
	rsaApp := plainApp(t, svc, root, "rsa-app", nil)
	for _, c := range []struct {
		app  *gatehouse.App
		want string
	}{{ecApp, saml.SigAlgECDSASHA256}, {rsaApp, saml.SigAlgRSASHA256}} {
		if method, _, _ := signatureOf(t, signInTo(t, svc, root, c.app)); method != c.want {
			t.Errorf("%s signs with %q, want %q", c.app.Name, method, c.want)
		}
	}
}
