package saml

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/beevik/etree"
)

// MetadataNameIDFormats are the NameID formats the IdP offers in its metadata.
var MetadataNameIDFormats = []string{NameIDEmail, NameIDPersistent, NameIDTransient, NameIDUnspecified}

// Metadata returns the IdP's EntityDescriptor: an IDPSSODescriptor with a KeyDescriptor use="signing" per
// certificate (several during a rollover, the active one first), SingleLogoutService at SLOURL and
// SingleSignOnService at SSOURL for both the HTTP-Redirect and HTTP-POST bindings, the NameID formats offered,
// WantAuthnRequestsSigned, validUntil (MetadataValidity from now) and cacheDuration (MetadataCacheDuration).
func (idp *IdentityProvider) Metadata(certs []*x509.Certificate) ([]byte, error) {
	ed, err := idp.metadataTree(certs, "")
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(ed)
	doc.Indent(2)
	return doc.WriteToBytes()
}

// SignedMetadata returns the metadata of Metadata with an ID and an enveloped signature by s (RSA-SHA256, exclusive
// C14N) as the EntityDescriptor's first child, so that SPs that verify metadata can check where it came from. The
// document is not indented: whitespace added after signing would break the signature.
func (idp *IdentityProvider) SignedMetadata(certs []*x509.Certificate, s *Signer) ([]byte, error) {
	ctx, err := s.context(SHA256)
	if err != nil {
		return nil, err
	}
	ids, err := idp.newIDs(1)
	if err != nil {
		return nil, err
	}
	ed, err := idp.metadataTree(certs, ids[0])
	if err != nil {
		return nil, err
	}
	sig, err := ctx.ConstructSignature(ed, true)
	if err != nil {
		return nil, fmt.Errorf("saml: sign metadata: %w", err)
	}
	x509Data := lastChild(lastChild(sig, "KeyInfo"), "X509Data")
	if x509Data == nil {
		return nil, errors.New("saml: sign metadata: the signature has no KeyInfo/X509Data")
	}
	x509Data.CreateElement("X509Certificate").SetText(s.certBase64)
	ed.InsertChildAt(0, sig)
	return append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"), serialize(ed)...), nil
}

// metadataTree builds the EntityDescriptor of Metadata, with an ID attribute when id is not empty.
func (idp *IdentityProvider) metadataTree(certs []*x509.Certificate, id string) (*etree.Element, error) {
	if len(certs) == 0 {
		return nil, errors.New("saml: metadata needs at least one signing certificate")
	}
	now := idp.now()
	t := newTree(32, 32, 32, 8)
	ed := t.element(nil, "md", "EntityDescriptor", 6, 2)
	ed.CreateAttr("xmlns:md", NamespaceMetadata)
	ed.CreateAttr("xmlns:ds", NamespaceDSig)
	if id != "" {
		ed.CreateAttr("ID", id)
	}
	ed.CreateAttr("cacheDuration", xsDuration(durationOr(idp.MetadataCacheDuration, time.Hour)))
	ed.CreateAttr("entityID", idp.EntityID)
	ed.CreateAttr("validUntil", now.Add(durationOr(idp.MetadataValidity, 7*24*time.Hour)).Format(timeFormat))

	d := t.element(ed, "md", "IDPSSODescriptor", 2, len(certs)+len(MetadataNameIDFormats)+4)
	d.CreateAttr("WantAuthnRequestsSigned", strconv.FormatBool(idp.WantAuthnRequestsSigned))
	d.CreateAttr("protocolSupportEnumeration", NamespaceProtocol)
	for _, c := range certs {
		kd := t.element(d, "md", "KeyDescriptor", 1, 1)
		kd.CreateAttr("use", "signing")
		ki := t.element(kd, "ds", "KeyInfo", 0, 1)
		xd := t.element(ki, "ds", "X509Data", 0, 1)
		t.text(t.element(xd, "ds", "X509Certificate", 0, 1), base64.StdEncoding.EncodeToString(c.Raw))
	}
	slo := idp.SLOURL
	if slo == "" {
		slo = idp.SSOURL
	}
	endpoint := func(tag, binding, location string) {
		e := t.element(d, "md", tag, 2, 0)
		e.CreateAttr("Binding", binding)
		e.CreateAttr("Location", location)
	}
	endpoint("SingleLogoutService", BindingHTTPRedirect, slo)
	endpoint("SingleLogoutService", BindingHTTPPost, slo)
	for _, f := range MetadataNameIDFormats {
		t.text(t.element(d, "md", "NameIDFormat", 0, 1), f)
	}
	endpoint("SingleSignOnService", BindingHTTPRedirect, idp.SSOURL)
	endpoint("SingleSignOnService", BindingHTTPPost, idp.SSOURL)
	return ed, nil
}

// xsDuration formats d as an xs:duration in whole seconds, e.g. PT3600S.
func xsDuration(d time.Duration) string {
	return "PT" + strconv.FormatInt(int64(d/time.Second), 10) + "S"
}
