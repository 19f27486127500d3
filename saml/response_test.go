package saml

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	"github.com/google/go-cmp/cmp"
	saml2 "github.com/russellhaering/gosaml2"
	dsig "github.com/russellhaering/goxmldsig"
)

// responseCase is one way of answering an AuthnRequest.
type responseCase struct {
	name         string
	option       string
	algorithm    string
	inResponseTo string
}

var responseCases = []responseCase{
	{name: "sign-assertion", option: SignAssertion, algorithm: SHA256, inResponseTo: testRequestID},
	{name: "sign-response", option: SignResponse, algorithm: SHA256, inResponseTo: testRequestID},
	{name: "sign-both", option: SignBoth, algorithm: SHA256, inResponseTo: testRequestID},
	{name: "sha1", option: SignAssertion, algorithm: SHA1, inResponseTo: testRequestID},
	{name: "sha1-both", option: SignBoth, algorithm: SHA1, inResponseTo: testRequestID},
	{name: "idp-initiated", option: SignAssertion, algorithm: SHA256},
}

// respond answers the test SP with the default claims.
func respond(tb testing.TB, idp *IdentityProvider, c responseCase) []byte {
	tb.Helper()
	out, err := idp.Respond(&ResponseParams{
		SP:                  testSP(c.option, c.algorithm),
		ACSURL:              testACSURL,
		InResponseTo:        c.inResponseTo,
		NameID:              "britta.simon@contoso.example",
		Attributes:          defaultAttributes(),
		AuthnInstant:        testNow.Add(-2 * time.Minute),
		SessionIndex:        "_session-7c1f",
		SessionNotOnOrAfter: testNow.Add(8 * time.Hour),
	}, testSigner(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestRespondGolden(t *testing.T) {
	for _, c := range responseCases {
		t.Run(c.name, func(t *testing.T) {
			golden(t, "response-"+c.name+".xml", respond(t, testIdP(t), c))
		})
	}
}

func TestErrorResponseGolden(t *testing.T) {
	out, err := testIdP(t).ErrorResponse(testSP(SignAssertion, SHA256), testACSURL, testRequestID, NoPassiveError(), testSigner(t))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "response-error-nopassive.xml", out)
}

// TestRespondGoSAML2 checks every Response with an independent SP implementation.
func TestRespondGoSAML2(t *testing.T) {
	for _, c := range responseCases {
		t.Run(c.name, func(t *testing.T) {
			out := respond(t, testIdP(t), c)
			sp := &saml2.SAMLServiceProvider{
				IdentityProviderSSOURL:      testSSOURL,
				IdentityProviderIssuer:      testIdPEntityID,
				AssertionConsumerServiceURL: testACSURL,
				AudienceURI:                 testSPEntityID,
				IDPCertificateStore:         &dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{testCert(t)}},
				Clock:                       dsig.NewFakeClockAt(testNow),
			}
			info, err := sp.RetrieveAssertionInfo(base64.StdEncoding.EncodeToString(out))
			if err != nil {
				t.Fatalf("gosaml2 rejects the response: %v\n%s", err, out)
			}
			if diff := cmp.Diff(saml2.WarningInfo{}, *info.WarningInfo); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			got := map[string]string{"NameID": info.NameID, "SessionIndex": info.SessionIndex}
			for _, a := range defaultAttributes() {
				got[a.Name] = info.Values.Get(a.Name)
			}
			want := map[string]string{"NameID": "britta.simon@contoso.example", "SessionIndex": "_session-7c1f"}
			for _, a := range defaultAttributes() {
				want[a.Name] = a.Values[0]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("assertion values (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRespondSecurityProperties checks case 24: SHA-256, random IDs, InResponseTo, Audience, Recipient,
// Destination, a validity window of 5 minutes and a backdated NotBefore.
func TestRespondSecurityProperties(t *testing.T) {
	idp := testIdP(t)
	idp.Rand = nil // crypto/rand
	out := respond(t, idp, responseCases[2])
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(out); err != nil {
		t.Fatal(err)
	}
	value := func(path string) string {
		t.Helper()
		p, err := etree.CompilePath(path)
		if err != nil {
			t.Fatal(err)
		}
		el := doc.FindElementPath(p)
		if el == nil {
			t.Fatalf("no %s", path)
			return ""
		}
		return el.Text()
	}
	attr := func(path, name string) string {
		t.Helper()
		el := doc.FindElement(path)
		if el == nil {
			t.Fatalf("no %s", path)
			return ""
		}
		return el.SelectAttrValue(name, "")
	}
	got := map[string]string{
		"Response@Destination":                attr("/Response", "Destination"),
		"Response@InResponseTo":               attr("/Response", "InResponseTo"),
		"Audience":                            value("/Response/Assertion/Conditions/AudienceRestriction/Audience"),
		"SubjectConfirmationData@Recipient":   attr("//SubjectConfirmationData", "Recipient"),
		"SubjectConfirmationData@InResponse":  attr("//SubjectConfirmationData", "InResponseTo"),
		"SubjectConfirmationData@NotOnOrAft":  attr("//SubjectConfirmationData", "NotOnOrAfter"),
		"Conditions@NotBefore":                attr("//Conditions", "NotBefore"),
		"Conditions@NotOnOrAfter":             attr("//Conditions", "NotOnOrAfter"),
		"Response/Signature/SignatureMethod":  attr("/Response/Signature/SignedInfo/SignatureMethod", "Algorithm"),
		"Assertion/Signature/SignatureMethod": attr("/Response/Assertion/Signature/SignedInfo/SignatureMethod", "Algorithm"),
		"Assertion/Signature/DigestMethod":    attr("/Response/Assertion/Signature/SignedInfo/Reference/DigestMethod", "Algorithm"),
		"Assertion/Signature/C14N":            attr("/Response/Assertion/Signature/SignedInfo/CanonicalizationMethod", "Algorithm"),
	}
	want := map[string]string{
		"Response@Destination":                testACSURL,
		"Response@InResponseTo":               testRequestID,
		"Audience":                            testSPEntityID,
		"SubjectConfirmationData@Recipient":   testACSURL,
		"SubjectConfirmationData@InResponse":  testRequestID,
		"SubjectConfirmationData@NotOnOrAft":  "2027-03-04T05:11:07.000Z",
		"Conditions@NotBefore":                "2027-03-04T05:05:07.000Z",
		"Conditions@NotOnOrAfter":             "2027-03-04T05:11:07.000Z",
		"Response/Signature/SignatureMethod":  dsig.RSASHA256SignatureMethod,
		"Assertion/Signature/SignatureMethod": dsig.RSASHA256SignatureMethod,
		"Assertion/Signature/DigestMethod":    "http://www.w3.org/2001/04/xmlenc#sha256",
		"Assertion/Signature/C14N":            string(dsig.CanonicalXML10ExclusiveAlgorithmId),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	// IDs: a letter or "_" first, then at least 128 random bits, different every time.
	seen := map[string]bool{}
	for range 3 {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(respond(t, idp, responseCases[2])); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{doc.Root().SelectAttrValue("ID", ""), doc.FindElement("//Assertion").SelectAttrValue("ID", "")} {
			if len(id) != 33 || id[0] != '_' || seen[id] {
				t.Errorf("ID %q is not a fresh \"_\" followed by 32 hex digits", id)
			}
			seen[id] = true
		}
	}
}

// TestRespondXMLSec1 verifies every signature with xmlsec1, a second independent implementation.
func TestRespondXMLSec1(t *testing.T) {
	xmlsec1, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmlsec1 is not installed, and CI=true requires it")
		}
		t.Skip("SKIPPING: xmlsec1 is not installed; install it (apt-get install xmlsec1) to verify signatures independently")
	}
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: testCert(t).Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	verify := func(t *testing.T, out []byte, xpath string) {
		t.Helper()
		file := filepath.Join(dir, "response.xml")
		if err := os.WriteFile(file, out, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(xmlsec1, "--verify", "--pubkey-cert-pem", certFile,
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
			"--node-xpath", xpath, file)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("xmlsec1 rejects the signature at %s: %v\n%s\n%s", xpath, err, b, out)
		}
	}
	const (
		responseSig  = "/*[local-name()='Response']/*[local-name()='Signature']"
		assertionSig = "//*[local-name()='Assertion']/*[local-name()='Signature']"
	)
	for _, c := range responseCases {
		t.Run(c.name, func(t *testing.T) {
			out := respond(t, testIdP(t), c)
			if c.option != SignResponse {
				verify(t, out, assertionSig)
			}
			if c.option != SignAssertion {
				verify(t, out, responseSig)
			}
			if !strings.Contains(string(out), "Signature") {
				t.Error("no signature")
			}
		})
	}
	t.Run("error-response", func(t *testing.T) {
		out, err := testIdP(t).ErrorResponse(testSP("", ""), testACSURL, testRequestID, NoPassiveError(), testSigner(t))
		if err != nil {
			t.Fatal(err)
		}
		verify(t, out, responseSig)
	})
}

// TestErrorResponse holds SECURITY-CASES 19 and 21: NoPassive, InvalidNameIDPolicy, NoAuthnContext and
// RequestDenied answered with a signed Response that carries no assertion.
func TestErrorResponse(t *testing.T) {
	sp := testSP(SignAssertion, SHA256)
	policyErr := sp.CheckNameIDPolicy(&AuthnRequest{NameIDPolicy: &NameIDPolicy{Format: "urn:example:kerberos"}}).(*Error)
	ctxErr := CheckAuthnContext(&AuthnRequest{RequestedAuthnContext: &RequestedAuthnContext{ClassRefs: []string{"urn:example:mfa"}}}, []string{AuthnContextPassword}).(*Error)
	tests := []struct {
		name string
		err  *Error
		want []string // Status, SubStatus, StatusMessage
	}{
		{"no-passive", NoPassiveError(), []string{StatusResponder, StatusNoPassive, NoPassiveError().Message}},
		{"invalid-nameid-policy", policyErr, []string{StatusRequester, StatusInvalidNameIDPolicy, policyErr.Message}},
		{"no-authn-context", ctxErr, []string{StatusRequester, StatusNoAuthnContext, ctxErr.Message}},
		{"request-denied", RequestDeniedError("Access <denied>."), []string{StatusResponder, StatusRequestDenied, "Access <denied>."}},
		{"no-status", &Error{Code: CodeRequestDenied}, []string{StatusResponder}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := testIdP(t).ErrorResponse(sp, testACSURL, testRequestID, tt.err, testSigner(t))
			if err != nil {
				t.Fatal(err)
			}
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(out); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, el := range doc.FindElements("//StatusCode") {
				got = append(got, el.SelectAttrValue("Value", ""))
			}
			if m := doc.FindElement("//StatusMessage"); m != nil {
				got = append(got, m.Text())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("status mismatch (-want +got):\n%s", diff)
			}
			if doc.FindElement("//Assertion") != nil {
				t.Error("an error Response carries an assertion")
			}
			ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{testCert(t)}})
			ctx.Clock = dsig.NewFakeClockAt(testNow)
			if _, err := ctx.Validate(doc.Root()); err != nil {
				t.Errorf("the error Response's signature does not verify: %v", err)
			}
			if got := doc.Root().SelectAttrValue("InResponseTo", ""); got != testRequestID {
				t.Errorf("InResponseTo = %q, want %q", got, testRequestID)
			}
		})
	}
}

// TestRespondTampered makes sure the independent verifiers do reject a changed Response.
func TestRespondTampered(t *testing.T) {
	for _, c := range responseCases[:3] {
		t.Run(c.name, func(t *testing.T) {
			orig := string(respond(t, testIdP(t), c))
			out := strings.Replace(orig, ">britta.simon@contoso.example</NameID>", ">eve@contoso.example</NameID>", 1)
			if out == orig {
				t.Fatal("found no NameID to change")
			}
			sp := &saml2.SAMLServiceProvider{
				IdentityProviderIssuer:      testIdPEntityID,
				AssertionConsumerServiceURL: testACSURL,
				AudienceURI:                 testSPEntityID,
				IDPCertificateStore:         &dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{testCert(t)}},
				Clock:                       dsig.NewFakeClockAt(testNow),
			}
			if info, err := sp.RetrieveAssertionInfo(base64.StdEncoding.EncodeToString([]byte(out))); err == nil {
				t.Errorf("gosaml2 accepted a tampered response for %s", info.NameID)
			}
		})
	}
}

func TestRespondRejectsBadSettings(t *testing.T) {
	tests := []struct {
		name   string
		params ResponseParams
	}{
		{"unknown-option", ResponseParams{SP: testSP("envelope", ""), ACSURL: testACSURL, NameID: "a"}},
		{"unknown-algorithm", ResponseParams{SP: testSP("", "md5"), ACSURL: testACSURL, NameID: "a"}},
		{"no-acs", ResponseParams{SP: testSP("", ""), NameID: "a"}},
		{"no-nameid", ResponseParams{SP: testSP("", ""), ACSURL: testACSURL}},
		{"no-sp", ResponseParams{ACSURL: testACSURL, NameID: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := testIdP(t).Respond(&tt.params, testSigner(t)); err == nil {
				t.Error("Respond succeeded")
			}
		})
	}
}

func TestNewSignerRejects(t *testing.T) {
	key, cert := testKey(t), testCert(t)
	other := *testKey(t)
	other.PublicKey.E = 3
	if _, err := NewSigner(&other, cert); err == nil {
		t.Error("NewSigner accepted a key that does not match the certificate")
	}
	if _, err := NewSigner(nil, cert); err == nil {
		t.Error("NewSigner accepted no key")
	}
	if _, err := NewSigner(key, cert); err != nil {
		t.Error(err)
	}
}

// TestRespondCrewjam checks every Response with a second SP implementation, which reads the IdP's key from the
// IdP's own metadata.
func TestRespondCrewjam(t *testing.T) {
	md, err := testIdP(t).Metadata([]*x509.Certificate{testCert(t)})
	if err != nil {
		t.Fatal(err)
	}
	var ed crewjam.EntityDescriptor
	if err := xml.Unmarshal(md, &ed); err != nil {
		t.Fatal(err)
	}
	for _, c := range responseCases {
		t.Run(c.name, func(t *testing.T) {
			sp := &crewjam.ServiceProvider{
				EntityID:          testSPEntityID,
				AcsURL:            mustParseURL(t, testACSURL),
				IDPMetadata:       &ed,
				Clock:             dsig.NewFakeClockAt(testNow),
				AllowIDPInitiated: c.inResponseTo == "",
			}
			var ids []string
			if c.inResponseTo != "" {
				ids = []string{c.inResponseTo}
			}
			a, err := sp.ParseXMLResponse(respond(t, testIdP(t), c), ids, mustParseURL(t, testACSURL))
			if err != nil {
				var ire *crewjam.InvalidResponseError
				if errors.As(err, &ire) {
					err = ire.PrivateErr
				}
				t.Fatalf("crewjam rejects the response: %v", err)
			}
			got := map[string]string{"NameID": a.Subject.NameID.Value, "Format": a.Subject.NameID.Format}
			for _, s := range a.AttributeStatements {
				for _, attr := range s.Attributes {
					got[attr.Name] = attr.Values[0].Value
				}
			}
			want := map[string]string{"NameID": "britta.simon@contoso.example", "Format": NameIDEmail}
			for _, attr := range defaultAttributes() {
				want[attr.Name] = attr.Values[0]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("assertion mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func mustParseURL(t *testing.T, s string) url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return *u
}

// TestSignerConcurrent builds Responses from many goroutines with a Signer literal, whose signing contexts are
// made on first use.
func TestSignerConcurrent(t *testing.T) {
	s := &Signer{Key: testKey(t), Cert: testCert(t)}
	idp := testIdP(t)
	idp.Rand = nil
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := idp.Respond(&ResponseParams{SP: testSP(SignBoth, SHA256), ACSURL: testACSURL, NameID: "a@b.example"}, s)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
