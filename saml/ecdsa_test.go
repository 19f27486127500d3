package saml

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

var ecdsaTestKey = sync.OnceValues(func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) })

// testECDSASigner returns a Signer with an ECDSA P-256 key (made once per test binary) and its self-signed
// certificate, valid at testNow.
func testECDSASigner(tb testing.TB) *Signer {
	tb.Helper()
	key, err := ecdsaTestKey()
	if err != nil {
		tb.Fatal(err)
	}
	s, err := NewSigner(key, selfSigned(tb, key))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func selfSigned(tb testing.TB, key *ecdsa.PrivateKey) *x509.Certificate {
	tb.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Gatehouse ECDSA test"},
		NotBefore: testNow.AddDate(0, 0, -1), NotAfter: testNow.AddDate(3, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, SignatureAlgorithm: x509.ECDSAWithSHA256,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestNewSignerECDSA(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsaTestKey()
	for _, c := range []struct {
		name string
		key  *ecdsa.PrivateKey
		cert *x509.Certificate
		ok   bool
	}{
		{"p256", key, selfSigned(t, key), true},
		{"p384", p384, selfSigned(t, p384), false},
		{"another-key's-certificate", key, selfSigned(t, other), false},
		{"rsa-certificate", key, testCert(t), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewSigner(c.key, c.cert)
			if (err == nil) != c.ok {
				t.Errorf("NewSigner: err = %v, want ok %v", err, c.ok)
			}
		})
	}
}

// signatures returns the Signature elements of a signed document with the element each one signs.
func signatures(tb testing.TB, out []byte) (*etree.Document, map[string]*etree.Element) {
	tb.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(out); err != nil {
		tb.Fatal(err)
	}
	sigs := map[string]*etree.Element{}
	for _, el := range append([]*etree.Element{doc.Root()}, doc.Root().ChildElements()...) {
		for _, c := range el.ChildElements() {
			if c.Tag == "Signature" {
				sigs[el.Tag] = c
			}
		}
	}
	return doc, sigs
}

// asASN1 rewrites the SignatureValue of sig from r||s, as XML Signature writes ECDSA signatures, to the ASN.1
// Ecdsa-Sig-Value that goxmldsig v1.6.1 verifies with (russellhaering/goxmldsig#163), failing unless it is r||s of
// P-256 (64 bytes).
func asASN1(tb testing.TB, sig *etree.Element) {
	tb.Helper()
	for _, v := range sig.FindElements("./SignatureValue") {
		raw, err := base64.StdEncoding.DecodeString(v.Text())
		if err != nil {
			tb.Fatal(err)
		}
		if len(raw) != 64 {
			tb.Fatalf("the ECDSA SignatureValue has %d bytes, want 64 (r||s of P-256)", len(raw))
		}
		der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])})
		if err != nil {
			tb.Fatal(err)
		}
		v.SetText(base64.StdEncoding.EncodeToString(der))
	}
}

// TestRespondECDSA checks Responses signed with an ECDSA P-256 key: every signature names ECDSA-SHA256 (also when
// the app's algorithm is SHA-1, which applies to RSA keys only), carries r||s, and verifies with goxmldsig's
// validation context once its value is put in the ASN.1 form goxmldsig expects — which goxmldsig refuses to
// verify as XML Signature writes it, so a goxmldsig that starts to follow the specification is noticed.
func TestRespondECDSA(t *testing.T) {
	s := testECDSASigner(t)
	for _, c := range []struct {
		option, algorithm string
		signed            []string
	}{
		{SignAssertion, SHA256, []string{"Assertion"}},
		{SignResponse, SHA256, []string{"Response"}},
		{SignBoth, SHA256, []string{"Response", "Assertion"}},
		{SignBoth, SHA1, []string{"Response", "Assertion"}},
	} {
		t.Run(c.option+"-"+c.algorithm, func(t *testing.T) {
			out, err := testIdP(t).Respond(&ResponseParams{SP: testSP(c.option, c.algorithm), ACSURL: testACSURL,
				InResponseTo: testRequestID, NameID: "britta.simon@contoso.example", Attributes: defaultAttributes()}, s)
			if err != nil {
				t.Fatal(err)
			}
			doc, sigs := signatures(t, out)
			if len(sigs) != len(c.signed) {
				t.Fatalf("%d signatures, want %v", len(sigs), c.signed)
			}
			for _, tag := range c.signed {
				sig := sigs[tag]
				if sig == nil {
					t.Fatalf("the %s is not signed", tag)
				}
				if got := sig.FindElement("./SignedInfo/SignatureMethod").SelectAttrValue("Algorithm", ""); got != SigAlgECDSASHA256 {
					t.Errorf("%s SignatureMethod = %q, want %q", tag, got, SigAlgECDSASHA256)
				}
				if got := sig.FindElement("./KeyInfo/X509Data/X509Certificate").Text(); got != base64.StdEncoding.EncodeToString(s.Cert.Raw) {
					t.Errorf("%s KeyInfo does not carry the ECDSA certificate", tag)
				}
			}
			v := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{s.Cert}})
			v.Clock = dsig.NewFakeClockAt(testNow)
			if _, err := v.Validate(signedElement(doc, c.signed[0])); err == nil {
				t.Error("goxmldsig verified an r||s ECDSA signature; it now follows XML Signature, so asASN1 can go")
			}
			// Each signature is checked in a fresh copy: the Response's digest covers the Assertion's signature as
			// it was sent.
			for _, tag := range c.signed {
				doc, sigs := signatures(t, out)
				asASN1(t, sigs[tag])
				if _, err := v.Validate(signedElement(doc, tag)); err != nil {
					t.Errorf("goxmldsig rejects the %s signature: %v", tag, err)
				}
			}
		})
	}
}

// signedElement returns the Response (the root) or its Assertion.
func signedElement(doc *etree.Document, tag string) *etree.Element {
	if tag == "Response" {
		return doc.Root()
	}
	return doc.Root().SelectElement("Assertion")
}

// TestRespondECDSAXMLSec1 verifies every ECDSA signature Gatehouse makes — of a Response, an Assertion, an error
// Response, a LogoutRequest, a LogoutResponse and signed metadata — with xmlsec1, which reads ECDSA signature
// values as XML Signature defines them (r||s).
func TestRespondECDSAXMLSec1(t *testing.T) {
	xmlsec1, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmlsec1 is not installed, and CI=true requires it")
		}
		t.Skip("SKIPPING: xmlsec1 is not installed; install it (apt-get install xmlsec1) to verify signatures independently")
	}
	s := testECDSASigner(t)
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	verify := func(t *testing.T, out []byte, xpath string) {
		t.Helper()
		file := filepath.Join(dir, "message.xml")
		if err := os.WriteFile(file, out, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(xmlsec1, "--verify", "--pubkey-cert-pem", certFile,
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse",
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
			"--node-xpath", xpath, file)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("xmlsec1 rejects the ECDSA signature at %s: %v\n%s\n%s", xpath, err, b, out)
		}
		// A changed byte of the signed content must break it.
		bad := strings.Replace(string(out), testIdPEntityID, testIdPEntityID+"x", 1)
		if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := exec.Command(xmlsec1, "--verify", "--pubkey-cert-pem", certFile,
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse",
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
			"--node-xpath", xpath, file).Run(); err == nil && xpath != assertionSigXPath {
			t.Errorf("xmlsec1 verifies the signature at %s of a changed message", xpath)
		}
	}
	idp := testIdP(t)
	for _, option := range []string{SignAssertion, SignResponse, SignBoth} {
		t.Run(option, func(t *testing.T) {
			out, err := idp.Respond(&ResponseParams{SP: testSP(option, SHA256), ACSURL: testACSURL,
				InResponseTo: testRequestID, NameID: "britta.simon@contoso.example", Attributes: defaultAttributes()}, s)
			if err != nil {
				t.Fatal(err)
			}
			if option != SignResponse {
				verify(t, out, assertionSigXPath)
			}
			if option != SignAssertion {
				verify(t, out, "/*[local-name()='Response']/*[local-name()='Signature']")
			}
		})
	}
	t.Run("error-response", func(t *testing.T) {
		out, err := idp.ErrorResponse(testSP("", ""), testACSURL, testRequestID, NoPassiveError(), s)
		if err != nil {
			t.Fatal(err)
		}
		verify(t, out, "/*[local-name()='Response']/*[local-name()='Signature']")
	})
	t.Run("logout-request", func(t *testing.T) {
		_, out, err := idp.LogoutRequest(&LogoutParams{SP: testSP("", ""), Destination: "https://sp.example/slo", NameID: "b.simon@contoso.com"}, s, true)
		if err != nil {
			t.Fatal(err)
		}
		verify(t, out, "/*[local-name()='LogoutRequest']/*[local-name()='Signature']")
	})
	t.Run("logout-response", func(t *testing.T) {
		out, err := idp.LogoutResponse(testSP("", ""), "https://sp.example/slo", "_x", "", s, true)
		if err != nil {
			t.Fatal(err)
		}
		verify(t, out, "/*[local-name()='LogoutResponse']/*[local-name()='Signature']")
	})
	t.Run("metadata", func(t *testing.T) {
		out, err := idp.SignedMetadata([]*x509.Certificate{s.Cert}, s)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), SigAlgECDSASHA256) {
			t.Errorf("the signed metadata does not name ECDSA-SHA256:\n%s", out)
		}
		verify(t, out, "/*[local-name()='EntityDescriptor']/*[local-name()='Signature']")
	})
}

// assertionSigXPath is the Assertion's signature; in a Response signed only there, a changed Response Issuer is
// outside what it covers.
const assertionSigXPath = "//*[local-name()='Assertion']/*[local-name()='Signature']"

// TestRedirectURLECDSA checks the HTTP-Redirect binding with an ECDSA key: SigAlg is ECDSA-SHA256 and Signature is
// r||s over the query up to and with SigAlg; with the RSA key of the same app the SigAlg is RSA-SHA256 again.
func TestRedirectURLECDSA(t *testing.T) {
	s := testECDSASigner(t)
	for _, algorithm := range []string{SHA256, SHA1} {
		u, err := RedirectURL("https://sp.example/slo", "SAMLRequest", []byte(requestXML()), "relay", s, algorithm)
		if err != nil {
			t.Fatal(err)
		}
		raw := u[strings.Index(u, "?")+1:]
		q, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.Get("SigAlg"); got != SigAlgECDSASHA256 {
			t.Errorf("%s: SigAlg = %q, want %q", algorithm, got, SigAlgECDSASHA256)
		}
		sig, err := base64.StdEncoding.DecodeString(q.Get("Signature"))
		if err != nil || len(sig) != 64 {
			t.Fatalf("%s: Signature is %d bytes (%v), want 64 (r||s)", algorithm, len(sig), err)
		}
		digest := sha256.Sum256([]byte(raw[:strings.Index(raw, "&Signature=")]))
		pub := s.Cert.PublicKey.(*ecdsa.PublicKey)
		if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			t.Errorf("%s: the Redirect-binding signature does not verify over the query", algorithm)
		}
	}
	u, err := RedirectURL("https://sp.example/slo", "SAMLRequest", []byte(requestXML()), "", testSigner(t), SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := url.ParseQuery(u[strings.Index(u, "?")+1:]); q.Get("SigAlg") != SigAlgRSASHA256 {
		t.Errorf("RSA SigAlg = %q, want %q", q.Get("SigAlg"), SigAlgRSASHA256)
	}
}
