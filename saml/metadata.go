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
	ed := newElement(nil, "md", "EntityDescriptor", 5)
	ed.CreateAttr("xmlns:md", NamespaceMetadata)
	ed.CreateAttr("xmlns:ds", NamespaceDSig)
	ed.CreateAttr("cacheDuration", xsDuration(durationOr(idp.MetadataCacheDuration, time.Hour)))
	ed.CreateAttr("entityID", idp.EntityID)
	ed.CreateAttr("validUntil", now.Add(durationOr(idp.MetadataValidity, 7*24*time.Hour)).Format(timeFormat))

	d := newElement(ed, "md", "IDPSSODescriptor", 2)
	d.CreateAttr("WantAuthnRequestsSigned", "false")
	d.CreateAttr("protocolSupportEnumeration", NamespaceProtocol)
	for _, c := range certs {
		kd := newElement(d, "md", "KeyDescriptor", 1)
		kd.CreateAttr("use", "signing")
		ki := newElement(kd, "ds", "KeyInfo", 0)
		xd := newElement(ki, "ds", "X509Data", 0)
		newElement(xd, "ds", "X509Certificate", 0).SetText(base64.StdEncoding.EncodeToString(c.Raw))
	}
	slo := idp.SLOURL
	if slo == "" {
		slo = idp.SSOURL
	}
	endpoint := func(tag, binding, location string) {
		e := newElement(d, "md", tag, 2)
		e.CreateAttr("Binding", binding)
		e.CreateAttr("Location", location)
	}
	endpoint("SingleLogoutService", BindingHTTPRedirect, slo)
	endpoint("SingleLogoutService", BindingHTTPPost, slo)
	for _, f := range MetadataNameIDFormats {
		newElement(d, "md", "NameIDFormat", 0).SetText(f)
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
