package interop

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// mallory is who a tampered Response claims to be.
const mallory = "mallory@contoso.com"

// tamper returns a copy of a signed Response whose NameID and e-mail attribute name mallory instead of the test
// user: the signatures stay as they were, so an SP that verifies them must refuse it.
func tamper(t testing.TB, xmlResp []byte) []byte {
	t.Helper()
	if !bytes.Contains(xmlResp, []byte(userName)) {
		t.Fatalf("the Response does not name %s, so it cannot be tampered with:\n%s", userName, xmlResp)
	}
	return bytes.ReplaceAll(xmlResp, []byte(userName), []byte(mallory))
}

// forge returns a copy of a Response whose signatures (of the Response, the Assertion or both, as in xmlResp) are
// replaced by signatures made with key, another key than Gatehouse's, with key's certificate in their KeyInfo: an SP
// that trusts only the IdP's certificates from its metadata must refuse it.
func forge(t testing.TB, xmlResp []byte, key *rsa.PrivateKey, cert *x509.Certificate) []byte {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xmlResp); err != nil {
		t.Fatal(err)
	}
	ctx, err := dsig.NewSigningContext(key, [][]byte{cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		t.Fatal(err)
	}
	// resign replaces el's signature, if it has one, with a new one placed after its Issuer.
	resign := func(el *etree.Element) {
		old := el.SelectElement("Signature")
		if old == nil {
			return
		}
		el.RemoveChild(old)
		sig, err := ctx.ConstructSignature(el, true)
		if err != nil {
			t.Fatal(err)
		}
		at := 0
		if issuer := el.SelectElement("Issuer"); issuer != nil {
			at = issuer.Index() + 1
		}
		el.InsertChildAt(at, sig)
	}
	resp := doc.Root()
	if a := resp.SelectElement("Assertion"); a != nil {
		resign(a)
	}
	resign(resp)
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Namespaces of the elements whose ID attributes signatures refer to.
const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
)

// haveXMLSec reports whether xmlsec1 is installed.
func haveXMLSec() bool {
	_, err := exec.LookPath("xmlsec1")
	return err == nil
}

var (
	responseSigRE  = regexp.MustCompile(`(?s)^(?:<\?xml[^>]*\?>\s*)?<(?:\w+:)?\w*Response\b[^>]*>\s*<(?:\w+:)?Issuer\b[^>]*>[^<]*</(?:\w+:)?Issuer>\s*<(?:\w+:)?Signature\b`)
	assertionSigRE = regexp.MustCompile(`(?s)<(?:\w+:)?Assertion\b[^>]*>\s*<(?:\w+:)?Issuer\b[^>]*>[^<]*</(?:\w+:)?Issuer>\s*<(?:\w+:)?Signature\b`)
)

// signatures reports which parts of a Response carry an enveloped signature.
func signatures(xmlResp []byte) (response, assertion bool) {
	return responseSigRE.Match(xmlResp), assertionSigRE.Match(xmlResp)
}

// xmlsecVerify verifies, with xmlsec1, the signature at each of the XPath expressions with certPEM's key and
// returns the first failure with xmlsec1's output.
func xmlsecVerify(t testing.TB, doc, certPEM []byte, xpaths ...string) error {
	t.Helper()
	dir := t.TempDir()
	docFile, certFile := filepath.Join(dir, "doc.xml"), filepath.Join(dir, "idp.pem")
	writeFile(t, docFile, doc)
	writeFile(t, certFile, certPEM)
	for _, xp := range xpaths {
		out, err := runTool(30*time.Second, "xmlsec1", "--verify", "--pubkey-cert-pem", certFile,
			"--id-attr:ID", nsProtocol+":Response", "--id-attr:ID", nsAssertion+":Assertion",
			"--id-attr:ID", nsProtocol+":LogoutRequest", "--id-attr:ID", nsProtocol+":LogoutResponse",
			"--id-attr:ID", nsMetadata+":EntityDescriptor", "--id-attr:ID", nsMetadata+":EntitiesDescriptor",
			"--node-xpath", xp, docFile)
		if err != nil || !strings.Contains(string(out), "OK") {
			return &xmlsecError{XPath: xp, Out: string(out), Err: err}
		}
	}
	return nil
}

// XPath expressions of the signatures of a Response.
const (
	xpathResponseSig  = "/*/*[local-name()='Signature']"
	xpathAssertionSig = "//*[local-name()='Assertion']/*[local-name()='Signature']"
)

type xmlsecError struct {
	XPath string
	Out   string
	Err   error
}

func (e *xmlsecError) Error() string {
	return "xmlsec1 --verify of " + e.XPath + " failed: " + errString(e.Err) + "\n" + e.Out
}

func errString(err error) string {
	if err == nil {
		return "no OK"
	}
	return err.Error()
}

// verifyResponseSignatures checks every signature of a Response Gatehouse sent with xmlsec1 (when installed),
// and that it carries the signatures the app's signing option asks for. It is run on every Response of every
// flow, so xmlsec1 verifies every signature Gatehouse produces in the suite.
func verifyResponseSignatures(t testing.TB, xmlResp, certPEM []byte, signingOption string) {
	t.Helper()
	resp, assertion := signatures(xmlResp)
	encrypted := bytes.Contains(xmlResp, []byte("EncryptedAssertion"))
	statusOnly := !encrypted && !plainAssertionRE.Match(xmlResp)
	switch {
	case statusOnly:
		// An error status (NoPassive, …) comes without an assertion, in a signed Response.
		if !resp {
			t.Errorf("a Response without an assertion is not signed:\n%s", xmlResp)
		}
	case signingOption == "response":
		if !resp {
			t.Errorf("signing option response, but the Response is not signed:\n%s", xmlResp)
		}
	case signingOption == "both":
		if !resp || (!assertion && !encrypted) {
			t.Errorf("signing option both, but the Response (%v) or the Assertion (%v) is not signed:\n%s", resp, assertion, xmlResp)
		}
	default:
		if !assertion && !encrypted {
			t.Errorf("signing option assertion, but the Assertion is not signed:\n%s", xmlResp)
		}
	}
	if !haveXMLSec() {
		if os.Getenv("CI") == "true" {
			t.Error("xmlsec1 is not installed; scripts/test.sh installs it (Debian package xmlsec1)")
		}
		return
	}
	var xps []string
	if resp {
		xps = append(xps, xpathResponseSig)
	}
	if assertion {
		xps = append(xps, xpathAssertionSig)
	}
	if err := xmlsecVerify(t, xmlResp, certPEM, xps...); err != nil {
		t.Errorf("%v\n%s", err, xmlResp)
		return
	}
	xmlsecCount.add(len(xps))
}

// xmlsecCount counts the signatures xmlsec1 verified in the whole run.
var xmlsecCount counter

// opensslCount counts the Redirect-binding signatures OpenSSL verified in the whole run.
var opensslCount counter

// verifyQuerySignature checks, with the openssl command (when installed), the signature of a Redirect-binding
// message Gatehouse sent: over "SAMLRequest=…&RelayState=…&SigAlg=…" exactly as the query carries them.
func verifyQuerySignature(t testing.TB, m samlMessage, certPEM []byte) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Log("openssl is not installed: the Redirect-binding signature is left to the SP")
		return
	}
	raw := map[string]string{}
	for _, kv := range strings.Split(m.RawQuery, "&") {
		k, _, _ := strings.Cut(kv, "=")
		raw[k] = kv
	}
	var signed []string
	for _, k := range []string{m.Param, "RelayState", "SigAlg"} {
		if kv, ok := raw[k]; ok {
			signed = append(signed, kv)
		}
	}
	digest := map[string]string{
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": "-sha256",
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": "-sha512",
		"http://www.w3.org/2000/09/xmldsig#rsa-sha1":        "-sha1",
		sigAlgECDSASHA256: "-sha256",
	}[m.Query.Get("SigAlg")]
	if digest == "" {
		t.Errorf("Gatehouse signed a %s with SigAlg %q", rootName(m.XML), m.Query.Get("SigAlg"))
		return
	}
	sig, err := base64.StdEncoding.DecodeString(m.Query.Get("Signature"))
	if err != nil {
		t.Errorf("the Signature of a %s is not base64: %v", rootName(m.XML), err)
		return
	}
	if m.Query.Get("SigAlg") == sigAlgECDSASHA256 {
		// XML Signature's r||s, as the binding carries it; openssl reads the ASN.1 form.
		if len(sig) != 64 {
			t.Errorf("the ECDSA Signature of a %s has %d bytes, want 64 (r||s)", rootName(m.XML), len(sig))
			return
		}
		if sig, err = asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])}); err != nil {
			t.Fatal(err)
		}
	}
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(cert.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data, sigFile, keyFile := filepath.Join(dir, "signed.txt"), filepath.Join(dir, "sig.bin"), filepath.Join(dir, "pub.pem")
	writeFile(t, data, []byte(strings.Join(signed, "&")))
	writeFile(t, sigFile, sig)
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	out, err := runTool(30*time.Second, "openssl", "dgst", digest, "-verify", keyFile, "-signature", sigFile, data)
	if err != nil || !strings.Contains(string(out), "Verified OK") {
		t.Errorf("openssl does not verify the Redirect-binding signature of Gatehouse's %s: %v\n%s\nquery: %s", rootName(m.XML), err, out, m.RawQuery)
		return
	}
	opensslCount.add(1)
}
