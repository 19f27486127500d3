package saml

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// spMetadataXML returns SP metadata in the shape Shibboleth writes: a KeyDescriptor without use, several ACS
// endpoints of several bindings, logout endpoints, with replacements applied.
func spMetadataXML(tb testing.TB, replacements ...string) string {
	cert := base64.StdEncoding.EncodeToString(testCert(tb).Raw)
	s := `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://sp.example/shibboleth">
 <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol urn:oasis:names:tc:SAML:1.1:protocol" AuthnRequestsSigned="1">
  <md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
` + cert + `
  </ds:X509Certificate></ds:X509Data></ds:KeyInfo>
   <md:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes128-gcm"/>
   <md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
  </md:KeyDescriptor>
  <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/Shibboleth.sso/SLO/POST"/>
  <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.example/Shibboleth.sso/SLO/Redirect" ResponseLocation="https://sp.example/Shibboleth.sso/SLO/Response"/>
  <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
  <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/Shibboleth.sso/SAML2/POST" index="1"/>
  <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign" Location="https://sp.example/Shibboleth.sso/SAML2/POST-SimpleSign" index="2"/>
  <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://sp.example/Shibboleth.sso/SAML2/Artifact" index="3"/>
  <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/alt" index="7"/>
 </md:SPSSODescriptor>
</md:EntityDescriptor>`
	return strings.NewReplacer(replacements...).Replace(s)
}

func TestParseSPMetadata(t *testing.T) {
	md, err := ParseSPMetadata([]byte(spMetadataXML(t)))
	if err != nil {
		t.Fatal(err)
	}
	got := struct {
		EntityID          string
		ACS, SLO          []Endpoint
		Formats, Methods  []string
		Signed            bool
		Signing, Encrypts int
	}{md.EntityID, md.ACS, md.SLO, md.NameIDFormats, md.EncryptionMethods, md.AuthnRequestsSigned, len(md.SigningCerts), len(md.EncryptionCerts)}
	want := got
	want.EntityID = "https://sp.example/shibboleth"
	want.ACS = []Endpoint{
		{Binding: BindingHTTPPost, Location: "https://sp.example/Shibboleth.sso/SAML2/POST", Index: 1},
		{Binding: BindingHTTPPost, Location: "https://sp.example/alt", Index: 7},
	}
	want.SLO = []Endpoint{
		{Binding: BindingHTTPPost, Location: "https://sp.example/Shibboleth.sso/SLO/POST"},
		{Binding: BindingHTTPRedirect, Location: "https://sp.example/Shibboleth.sso/SLO/Redirect", ResponseLocation: "https://sp.example/Shibboleth.sso/SLO/Response"},
	}
	want.Formats = []string{NameIDTransient}
	want.Methods = []string{EncAES128GCM, EncAES128CBC}
	want.Signed, want.Signing, want.Encrypts = true, 1, 1
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metadata mismatch (-want +got):\n%s", diff)
	}
	if EncryptionAlgorithm(md.EncryptionMethods) != EncAES128GCM {
		t.Errorf("encryption for %v: %s", md.EncryptionMethods, EncryptionAlgorithm(md.EncryptionMethods))
	}
	// isDefault puts an endpoint first.
	md, err = ParseSPMetadata([]byte(spMetadataXML(t, `index="7"`, `index="7" isDefault="true"`)))
	if err != nil || md.ACS[0].Location != "https://sp.example/alt" {
		t.Errorf("isDefault: %+v, %v", md, err)
	}
}

func TestParseSPMetadataRejects(t *testing.T) {
	one := strings.TrimPrefix(spMetadataXML(t), `<?xml version="1.0" encoding="UTF-8"?>`)
	tests := []struct {
		name, xml, code, field string
	}{
		{"SecurityCase38 DTD", `<!DOCTYPE md [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + one, CodeForbiddenDTD, "metadata"},
		{"SecurityCase38 over 1 MiB", one + strings.Repeat(" ", MaxMetadataSize), CodeRequestTooLarge, "metadata"},
		{"SecurityCase38 many EntityDescriptors", `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` + one + one + `</md:EntitiesDescriptor>`, CodeBadMetadata, "EntityDescriptor"},
		{"SecurityCase38 javascript ACS", spMetadataXML(t, `https://sp.example/alt`, `javascript:alert(1)`), CodeBadMetadata, "AssertionConsumerService"},
		{"SecurityCase38 file SLO", spMetadataXML(t, `https://sp.example/Shibboleth.sso/SLO/POST`, `file:///etc/passwd`), CodeBadMetadata, "SingleLogoutService"},
		{"ACS without index", spMetadataXML(t, ` index="7"`, ``), CodeBadMetadata, "AssertionConsumerService"},
		{"ACS indexes repeated", spMetadataXML(t, `index="7"`, `index="1"`), CodeBadMetadata, "AssertionConsumerService"},
		{"no SAML 2.0 SP", spMetadataXML(t, `urn:oasis:names:tc:SAML:2.0:protocol urn`, `urn`), CodeBadMetadata, "SPSSODescriptor"},
		{"bad entityID", spMetadataXML(t, `entityID="https://sp.example/shibboleth"`, `entityID="a b"`), CodeBadMetadata, "entityID"},
		{"wrong root", `<EntityDescriptor entityID="x"/>`, CodeBadMetadata, "metadata"},
		{"bad key use", spMetadataXML(t, `<md:KeyDescriptor>`, `<md:KeyDescriptor use="both">`), CodeBadMetadata, "KeyDescriptor"},
		{"certificate not base64", spMetadataXML(t, base64.StdEncoding.EncodeToString(testCert(t).Raw), "@@@"), CodeBadMetadata, "X509Certificate"},
		{"deep", spMetadataXML(t, `<md:NameIDFormat>`, strings.Repeat("<x>", 40)+strings.Repeat("</x>", 40)+`<md:NameIDFormat>`), CodeRequestTooLarge, "metadata"},
		{"processing instruction", spMetadataXML(t, `<md:SPSSODescriptor`, `<?php x ?><md:SPSSODescriptor`), CodeForbiddenDTD, "metadata"},
		{"entityID twice", spMetadataXML(t, `entityID="https://sp.example/shibboleth"`, `entityID="https://sp.example/shibboleth" entityID="https://evil.example/"`), CodeDuplicateAttribute, "metadata"},
		{"ACS Location twice", spMetadataXML(t, `Location="https://sp.example/alt"`, `Location="https://sp.example/alt" Location="https://evil.example/acs"`), CodeDuplicateAttribute, "metadata"},
		{"comment inside the NameIDFormat", spMetadataXML(t, `nameid-format:transient<`, `nameid-format:<!-- x -->transient<`), CodeXMLComment, "metadata"},
		{"comment at the start of a certificate", spMetadataXML(t, `<ds:X509Certificate>`, `<ds:X509Certificate><!-- x -->`), CodeXMLComment, "metadata"},
		{"comment at the end of a text", spMetadataXML(t, `transient</md:NameIDFormat>`, `transient<!-- x --></md:NameIDFormat>`), CodeXMLComment, "metadata"},
		{"namespace flood", spMetadataXML(t, `</md:SPSSODescriptor>`, strings.Repeat(`<x:e xmlns:x="urn:x"/>`, MetadataLimits.MaxNamespaces)+`</md:SPSSODescriptor>`), CodeRequestTooLarge, "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSPMetadata([]byte(tt.xml))
			checkError(t, err, tt.code, tt.field)
		})
	}
}

// TestParseSPMetadataComments accepts comments between the elements of SP metadata, as Shibboleth SP and others
// write them, and reads the metadata as if they were not there.
func TestParseSPMetadataComments(t *testing.T) {
	plain, err := ParseSPMetadata([]byte(spMetadataXML(t)))
	if err != nil {
		t.Fatal(err)
	}
	commented := spMetadataXML(t,
		`<md:EntityDescriptor`, "<!-- This is example metadata only. Review it before use. -->\n<md:EntityDescriptor",
		`<md:KeyDescriptor>`, `<!-- the SP's key --><md:KeyDescriptor>`,
		`</md:SPSSODescriptor>`, `<!-- end --></md:SPSSODescriptor>`,
		`</md:EntityDescriptor>`, "</md:EntityDescriptor>\n<!-- trailing -->")
	got, err := ParseSPMetadata([]byte(commented))
	if err != nil {
		t.Fatalf("metadata with comments between elements refused: %v", err)
	}
	if diff := cmp.Diff(plain, got); diff != "" {
		t.Errorf("comments changed what was read (-want +got):\n%s", diff)
	}
}
