package saml

import (
	"bytes"
	"compress/flate"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testNow is the fixed clock of the tests; the test certificate is valid at that time.
var testNow = time.Date(2027, 3, 4, 5, 6, 7, 0, time.UTC)

const (
	testIdPEntityID = "http://127.0.0.1:8080/d/default"
	testSSOURL      = "http://127.0.0.1:8080/d/default/saml2"
	testSPEntityID  = "https://mixpanel.com/security/sso/v2/authorize/"
	testACSURL      = "https://sso.mixpanel.com/sso/saml2"
	testRequestID   = "_9f3e1c2a-5b7d-4e8f-a1b2-c3d4e5f60718"
)

// testIdP returns an IdP with a fixed clock and a seeded random source, so its output is byte-stable.
func testIdP(tb testing.TB) *IdentityProvider {
	tb.Helper()
	return &IdentityProvider{
		EntityID: testIdPEntityID,
		SSOURL:   testSSOURL,
		SLOURL:   testSSOURL,
		Now:      func() time.Time { return testNow },
		Rand:     rand.NewChaCha8([32]byte{'g', 'a', 't', 'e', 'h', 'o', 'u', 's', 'e'}),
	}
}

// testSP returns the Mixpanel-like service provider of the tests.
func testSP(option, algorithm string) *ServiceProvider {
	return &ServiceProvider{
		EntityID:         testSPEntityID,
		ACSURLs:          []string{testACSURL, "https://sso.mixpanel.com/sso/saml2/alt"},
		NameIDFormat:     NameIDEmail,
		SigningOption:    option,
		SigningAlgorithm: algorithm,
	}
}

// testSigner returns the Signer of the committed test key and certificate.
func testSigner(tb testing.TB) *Signer {
	tb.Helper()
	s, err := NewSigner(testKey(tb), testCert(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func testCert(tb testing.TB) *x509.Certificate {
	tb.Helper()
	block := readPEM(tb, "idp-cert.pem")
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return cert
}

func testKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	block := readPEM(tb, "idp-key.pem")
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return key.(*rsa.PrivateKey)
}

func readPEM(tb testing.TB, name string) *pem.Block {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		tb.Fatalf("%s holds no PEM block", name)
	}
	return block
}

// defaultAttributes are the default claims of an Entra-like app.
func defaultAttributes() []Attribute {
	const ns = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
	return []Attribute{
		{Name: ns + "givenname", Values: []string{"Britta"}},
		{Name: ns + "surname", Values: []string{"Simon"}},
		{Name: ns + "emailaddress", Values: []string{"britta.simon@contoso.example"}},
		{Name: ns + "name", Values: []string{"britta.simon@contoso.example"}},
	}
}

// requestXML returns a realistic SP AuthnRequest; edit changes attributes or inner XML by string replacement.
func requestXML(replacements ...string) string {
	s := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
		`ID="` + testRequestID + `" Version="2.0" IssueInstant="2027-03-04T05:05:37Z" ` +
		`Destination="` + testSSOURL + `" AssertionConsumerServiceURL="` + testACSURL + `" ` +
		`ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" ForceAuthn="false" IsPassive="false">` +
		`<saml:Issuer>` + testSPEntityID + `</saml:Issuer>` +
		`<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>` +
		`<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>` +
		`</samlp:AuthnRequest>`
	return strings.NewReplacer(replacements...).Replace(s)
}

// deflateBase64 returns base64 of the raw DEFLATE compression of s.
func deflateBase64(tb testing.TB, s string) string {
	tb.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write([]byte(s)); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// redirectQuery returns the query string of an HTTP-Redirect request carrying xml.
func redirectQuery(tb testing.TB, xml, relayState string) string {
	tb.Helper()
	q := "SAMLRequest=" + url.QueryEscape(deflateBase64(tb, xml))
	if relayState != "" {
		q += "&RelayState=" + url.QueryEscape(relayState)
	}
	return q
}

// errorCode returns the Code and Field of err's *Error, or "not a saml.Error" codes.
func errorCode(err error) (code, field string) {
	if err == nil {
		return "", ""
	}
	var e *Error
	if !errors.As(err, &e) {
		return "not a *saml.Error: " + err.Error(), ""
	}
	return e.Code, e.Field
}

// checkError fails tb unless err is an *Error with code and field.
func checkError(tb testing.TB, err error, code, field string) {
	tb.Helper()
	gotCode, gotField := errorCode(err)
	if diff := cmp.Diff([2]string{code, field}, [2]string{gotCode, gotField}); diff != "" {
		tb.Errorf("error code and field mismatch (-want +got):\n%s\nerror: %v", diff, err)
	}
}

// golden compares got with testdata/name, rewriting the file under -update.
func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test ./saml -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		tb.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}
