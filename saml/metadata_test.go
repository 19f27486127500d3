package saml

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	"github.com/google/go-cmp/cmp"
	dsig "github.com/russellhaering/goxmldsig"
)

func TestMetadataGolden(t *testing.T) {
	out, err := testIdP(t).Metadata([]*x509.Certificate{testCert(t)})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "metadata.xml", out)
}

// TestMetadataCrewjam reads the metadata with an independent SAML library.
func TestMetadataCrewjam(t *testing.T) {
	cert := testCert(t)
	out, err := testIdP(t).Metadata([]*x509.Certificate{cert, cert})
	if err != nil {
		t.Fatal(err)
	}
	var ed crewjam.EntityDescriptor
	if err := xml.Unmarshal(out, &ed); err != nil {
		t.Fatal(err)
	}
	if len(ed.IDPSSODescriptors) != 1 {
		t.Fatalf("%d IDPSSODescriptors, want 1", len(ed.IDPSSODescriptors))
	}
	d := ed.IDPSSODescriptors[0]
	type endpoint struct{ Binding, Location string }
	type summary struct {
		EntityID      string
		ValidUntil    time.Time
		CacheDuration time.Duration
		Protocols     string
		Keys          []string
		SSO, SLO      []endpoint
		NameIDFormats []string
	}
	got := summary{EntityID: ed.EntityID, ValidUntil: ed.ValidUntil, CacheDuration: ed.CacheDuration,
		Protocols: d.ProtocolSupportEnumeration}
	for _, k := range d.KeyDescriptors {
		got.Keys = append(got.Keys, k.Use+" "+k.KeyInfo.X509Data.X509Certificates[0].Data)
	}
	for _, e := range d.SingleSignOnServices {
		got.SSO = append(got.SSO, endpoint{e.Binding, e.Location})
	}
	for _, e := range d.SingleLogoutServices {
		got.SLO = append(got.SLO, endpoint{e.Binding, e.Location})
	}
	for _, f := range d.NameIDFormats {
		got.NameIDFormats = append(got.NameIDFormats, string(f))
	}
	b64 := base64.StdEncoding.EncodeToString(cert.Raw)
	want := summary{
		EntityID:      testIdPEntityID,
		ValidUntil:    testNow.Add(7 * 24 * time.Hour),
		CacheDuration: time.Hour,
		Protocols:     NamespaceProtocol,
		Keys:          []string{"signing " + b64, "signing " + b64},
		SSO:           []endpoint{{BindingHTTPRedirect, testSSOURL}, {BindingHTTPPost, testSSOURL}},
		SLO:           []endpoint{{BindingHTTPRedirect, testSSOURL}, {BindingHTTPPost, testSSOURL}},
		NameIDFormats: MetadataNameIDFormats,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestMetadataNeedsCertificate(t *testing.T) {
	if _, err := testIdP(t).Metadata(nil); err == nil {
		t.Error("Metadata without certificates succeeded")
	}
}

// TestSignedMetadata signs the IdP metadata and checks the signature with goxmldsig and, when installed, xmlsec1.
func TestSignedMetadata(t *testing.T) {
	md, err := testIdP(t).SignedMetadata([]*x509.Certificate{testCert(t)}, testSigner(t))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(md); err != nil {
		t.Fatal(err)
	}
	if first := doc.Root().ChildElements()[0]; first.Tag != "Signature" {
		t.Errorf("the first child of EntityDescriptor is %s, want Signature", first.Tag)
	}
	v := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{testCert(t)}})
	v.Clock = dsig.NewFakeClockAt(testNow)
	if _, err := v.Validate(doc.Root()); err != nil {
		t.Errorf("goxmldsig rejects the metadata signature: %v", err)
	}
	xmlsec1, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmlsec1 is not installed, and CI=true requires it")
		}
		t.Skip("SKIPPING: xmlsec1 is not installed; install it (apt-get install xmlsec1) to verify signatures independently")
	}
	dir := t.TempDir()
	certFile, file := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "metadata.xml")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: testCert(t).Raw}), 0o600)
	os.WriteFile(file, md, 0o600)
	cmd := exec.Command(xmlsec1, "--verify", "--pubkey-cert-pem", certFile,
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor", file)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("xmlsec1 rejects the metadata signature: %v\n%s", err, b)
	}
}
