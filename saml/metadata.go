package saml

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strconv"
	"time"

	"github.com/beevik/etree"
)

// MetadataNameIDFormats are the NameID formats the IdP offers in its metadata.
var MetadataNameIDFormats = []string{NameIDEmail, NameIDPersistent, NameIDTransient, NameIDUnspecified}

// Metadata returns the IdP's EntityDescriptor: an IDPSSODescriptor with a KeyDescriptor use="signing" per
// certificate (several during a rollover, the active one first), SingleLogoutService at SLOURL and
// SingleSignOnService at SSOURL for both the HTTP-Redirect and HTTP-POST bindings, the NameID formats offered,
// validUntil (MetadataValidity from now) and cacheDuration (MetadataCacheDuration).
func (idp *IdentityProvider) Metadata(certs []*x509.Certificate) ([]byte, error) {
	if len(certs) == 0 {
		return nil, errors.New("saml: metadata needs at least one signing certificate")
	}
	now := idp.now()
	t := newTree(32, 32, 32, 8)
	ed := t.element(nil, "md", "EntityDescriptor", 5, 1)
	ed.CreateAttr("xmlns:md", NamespaceMetadata)
	ed.CreateAttr("xmlns:ds", NamespaceDSig)
	ed.CreateAttr("cacheDuration", xsDuration(durationOr(idp.MetadataCacheDuration, time.Hour)))
	ed.CreateAttr("entityID", idp.EntityID)
	ed.CreateAttr("validUntil", now.Add(durationOr(idp.MetadataValidity, 7*24*time.Hour)).Format(timeFormat))

	d := t.element(ed, "md", "IDPSSODescriptor", 2, len(certs)+len(MetadataNameIDFormats)+4)
	d.CreateAttr("WantAuthnRequestsSigned", "false")
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

	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(ed)
	doc.Indent(2)
	return doc.WriteToBytes()
}

// xsDuration formats d as an xs:duration in whole seconds, e.g. PT3600S.
func xsDuration(d time.Duration) string {
	return "PT" + strconv.FormatInt(int64(d/time.Second), 10) + "S"
}
