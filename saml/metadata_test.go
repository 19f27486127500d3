package saml

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"
	"github.com/google/go-cmp/cmp"
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
