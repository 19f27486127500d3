package certs_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	mathrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
)

type certOpts struct {
	notBefore, notAfter time.Time
	key                 crypto.Signer
	// name is the subject's common name, sp.example.com when empty.
	name string
}

// testCert returns a self-signed certificate valid around now (or as opts say) with testKey (or opts.key).
func testCert(tb testing.TB, opts certOpts) []byte {
	tb.Helper()
	if opts.notBefore.IsZero() {
		opts.notBefore = now.Add(-time.Hour)
	}
	if opts.notAfter.IsZero() {
		opts.notAfter = now.Add(time.Hour)
	}
	if opts.key == nil {
		opts.key = testKey
	}
	if opts.name == "" {
		opts.name = "sp.example.com"
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: opts.name},
		NotBefore: opts.notBefore, NotAfter: opts.notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, opts.key.Public(), opts.key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// TestParseUploaded covers SECURITY-CASES 40: every bad certificate upload gets its own reason.
func TestParseUploaded(t *testing.T) {
	der := testCert(t, certOpts{})
	pemLF := pemOf("CERTIFICATE", der)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	metadata := `<?xml version="1.0"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">` +
		`<IDPSSODescriptor><KeyDescriptor><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(der) +
		`</ds:X509Certificate></KeyDescriptor></IDPSSODescriptor></EntityDescriptor>`

	var chain []byte
	for _, c := range []struct {
		name     string
		notAfter time.Time
	}{
		{"sp.example.com", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{"Contoso Issuing CA", time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"Contoso Root CA", time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		chain = append(chain, pemOf("CERTIFICATE", testCert(t, certOpts{name: c.name, notAfter: c.notAfter}))...)
	}
	tests := []struct {
		name     string
		data     []byte
		wantCode string // "" means accepted
		wantMsg  string
	}{
		{"PEM with LF", pemLF, "", ""},
		{"Base64 .cer with CRLF", certs.EncodeBase64(der), "", ""},
		{"DER", der, "", ""},
		{"PEM with byte order mark and blank lines", append([]byte("\xef\xbb\xbf\n\n"), pemLF...), "", ""},
		{"PEM with text around it", append(append([]byte("subject=CN = sp\nissuer=CN = sp\n"), pemLF...), "trailing notes\n"...), "", ""},
		{"bare base64 body", []byte(base64.StdEncoding.EncodeToString(der)), "", ""},
		{"over 64 KiB", append(bytes.Clone(pemLF), bytes.Repeat([]byte("\n"), certs.MaxUpload)...), gatehouse.ETOOLARGE, "over the 64 KiB allowed"},
		{"empty", nil, gatehouse.EINVALID, "empty"},
		{"white space only", []byte(" \r\n\t"), gatehouse.EINVALID, "empty"},
		{"garbage text", []byte("hello, this is not a certificate"), gatehouse.EINVALID, "not a readable X.509 certificate"},
		{"garbage binary", []byte{0x30, 0x82, 0xff, 0xff, 0x00, 0x01}, gatehouse.EINVALID, "not a readable X.509 certificate"},
		{"truncated DER", der[:len(der)/2], gatehouse.EINVALID, "not a readable X.509 certificate"},
		{"DER with trailing bytes", append(bytes.Clone(der), 0), gatehouse.EINVALID, "not a readable X.509 certificate"},
		{"damaged PEM", []byte("-----BEGIN CERTIFICATE-----\nMIIB!!!\n-----END CERTIFICATE-----\n"), gatehouse.EINVALID, "PEM data is damaged"},
		{"PEM without END", bytes.TrimSuffix(pemLF, []byte("-----END CERTIFICATE-----\n")), gatehouse.EINVALID, "PEM data is damaged"},
		{"PEM with garbage inside", pemOf("CERTIFICATE", []byte("nonsense")), gatehouse.EINVALID, "not a readable X.509 certificate"},
		{"federation metadata XML", []byte(metadata), gatehouse.EINVALID, "This is federation metadata XML, not a certificate"},
		{"XML with byte order mark", []byte("\xef\xbb\xbf" + metadata), gatehouse.EINVALID, "federation metadata XML"},
		{"PKCS#8 private key PEM", pemOf("PRIVATE KEY", pkcs8), gatehouse.EINVALID, "This is a private key, not a certificate"},
		{"PKCS#1 private key PEM", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(testKey)), gatehouse.EINVALID, "private key"},
		{"private key DER", pkcs8, gatehouse.EINVALID, "private key"},
		{"certificate and key together", append(bytes.Clone(pemLF), pemOf("PRIVATE KEY", pkcs8)...), gatehouse.EINVALID, "private key"},
		{"two certificates", append(bytes.Clone(pemLF), pemLF...), gatehouse.EINVALID, `2 certificates found: "sp.example.com" (expires `},
		{"a chain", chain, gatehouse.EINVALID, `3 certificates found: "sp.example.com" (expires 2026-03-02), "Contoso Issuing CA" (expires 2031-01-01), "Contoso Root CA" (expires 2036-01-01). Give only the one certificate the app uses`},
		{"certificate request", pemOf("CERTIFICATE REQUEST", []byte("x")), gatehouse.EINVALID, "certificate signing request"},
		{"public key", pemOf("PUBLIC KEY", []byte("x")), gatehouse.EINVALID, "bare public key"},
		{"other PEM block", pemOf("X\x01<b>", []byte("x")), gatehouse.EINVALID, "is not a certificate"},
		{"expired", testCert(t, certOpts{notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-time.Second)}), gatehouse.EINVALID, "expired on"},
		{"not yet valid", testCert(t, certOpts{notBefore: now.Add(time.Minute), notAfter: now.Add(48 * time.Hour)}), gatehouse.EINVALID, "not valid yet"},
		{"RSA 1024", testCert(t, certOpts{key: rsa1024}), gatehouse.EINVALID, "1024-bit RSA key; at least 2048"},
		{"ECDSA", testCert(t, certOpts{key: ecKey}), gatehouse.EINVALID, "ECDSA key"},
		{"Ed25519", testCert(t, certOpts{key: edKey}), gatehouse.EINVALID, "Ed25519 key"},
		{"DER ending in a white-space byte", derEndingIn(t, ' '), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := certs.ParseUploaded(tt.data, now)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("ParseUploaded: %v", err)
				}
				if !bytes.Equal(c.Raw, der) && !bytes.Equal(c.Raw, tt.data) {
					t.Error("parsed certificate differs from the uploaded one")
				}
				return
			}
			if err == nil {
				t.Fatal("ParseUploaded: no error")
			}
			if got := gatehouse.ErrorCode(err); got != tt.wantCode {
				t.Errorf("code %q; want %q (%v)", got, tt.wantCode, err)
			}
			if got := gatehouse.ErrorField(err); got != "certificate" {
				t.Errorf("field %q; want certificate", got)
			}
			if msg := gatehouse.ErrorMessage(err); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q; want it to contain %q", msg, tt.wantMsg)
			}
			if msg := gatehouse.ErrorMessage(err); strings.ContainsAny(msg, "<\x01") {
				t.Errorf("message %q repeats markup or control characters from the upload", msg)
			}
		})
	}
}

// TestParseDoesNotJudge checks that Parse reads an expired certificate, which Check refuses at a time and accepts
// with a zero time (for SP metadata), and that InField renames the field of either's errors.
func TestParseDoesNotJudge(t *testing.T) {
	expired := testCert(t, certOpts{notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-time.Hour)})
	c, err := certs.Parse(pemOf("CERTIFICATE", expired))
	if err != nil {
		t.Fatalf("Parse of an expired certificate: %v", err)
	}
	if err := certs.Check(c, time.Time{}); err != nil {
		t.Errorf("Check without a time: %v", err)
	}
	err = certs.InField(certs.Check(c, now), "encryptionCertificate")
	if gatehouse.ErrorField(err) != "encryptionCertificate" || !strings.Contains(gatehouse.ErrorMessage(err), "expired on") {
		t.Errorf("Check at now in another field: %v (field %q)", err, gatehouse.ErrorField(err))
	}
	if err := certs.InField(errors.New("other"), "x"); err.Error() != "other" {
		t.Errorf("InField changed another error: %v", err)
	}
}

// derEndingIn returns a certificate whose last DER byte is b, so that trimming white space from binary input would
// damage it. The signature's last byte is uniformly distributed, so about 256 tries are needed.
func derEndingIn(tb testing.TB, b byte) []byte {
	tb.Helper()
	for range 5000 {
		der := testCert(tb, certOpts{notBefore: now.Add(-time.Duration(mathrand.IntN(1<<30)) * time.Second)})
		if der[len(der)-1] == b {
			return der
		}
	}
	tb.Fatalf("no certificate ending in %#x in 5000 tries", b)
	return nil
}

func FuzzParseUploaded(f *testing.F) {
	der := testCert(f, certOpts{})
	f.Add(der)
	f.Add(pemOf("CERTIFICATE", der))
	f.Add(certs.EncodeBase64(der))
	f.Add([]byte(base64.StdEncoding.EncodeToString(der)))
	f.Add([]byte("<?xml version=\"1.0\"?><x/>"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{0x30, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := certs.ParseUploaded(data, now)
		if err == nil && c == nil {
			t.Fatal("no certificate and no error")
		}
		if err != nil && gatehouse.ErrorCode(err) == gatehouse.EINTERNAL {
			t.Fatalf("untyped error: %v", err)
		}
	})
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := certs.Generate("Gatehouse SSO Certificate", now, threeYears, nil); err != nil {
			b.Fatal(err)
		}
	}
}
