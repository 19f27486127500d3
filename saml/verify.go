package saml

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Signature error codes.
const (
	// CodeBadSignature means a request's signature does not verify with any certificate registered for the app,
	// covers another element than the message, or is malformed.
	CodeBadSignature = "GH1010"
	// CodeUnsignedRequest means the app requires signed requests and the request carries no signature.
	CodeUnsignedRequest = "GH1011"
	// CodeWeakSignatureAlgorithm means the request is signed with an algorithm Gatehouse refuses: DSA, HMAC,
	// ECDSA, an unknown one, or RSA-SHA1 when the app does not allow it.
	CodeWeakSignatureAlgorithm = "GH1012"
)

// Signature algorithm URIs accepted on requests.
const (
	SigAlgRSASHA1   = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	SigAlgRSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	SigAlgRSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	SigAlgRSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
)

// sigAlgHash returns the hash of an RSA signature algorithm URI, refusing SHA-1 unless allowSHA1.
func sigAlgHash(alg string, allowSHA1 bool) (crypto.Hash, error) {
	switch alg {
	case SigAlgRSASHA256:
		return crypto.SHA256, nil
	case SigAlgRSASHA384:
		return crypto.SHA384, nil
	case SigAlgRSASHA512:
		return crypto.SHA512, nil
	case SigAlgRSASHA1:
		if allowSHA1 {
			return crypto.SHA1, nil
		}
		return 0, &Error{Code: CodeWeakSignatureAlgorithm, Field: "SigAlg", Received: alg, Expected: SigAlgRSASHA256,
			Status: StatusRequester, SubStatus: StatusRequestDenied,
			Message: "The request is signed with RSA-SHA1, which this app does not allow; configure the SP to sign with RSA-SHA256, or allow SHA-1 for this app."}
	}
	return 0, &Error{Code: CodeWeakSignatureAlgorithm, Field: "SigAlg", Received: alg, Expected: SigAlgRSASHA256,
		Status: StatusRequester, SubStatus: StatusRequestDenied,
		Message: "The request is signed with an algorithm Gatehouse does not accept; sign with RSA-SHA256, RSA-SHA384 or RSA-SHA512."}
}

// digestAllowed reports whether a ds:DigestMethod may be used.
func digestAllowed(alg string, allowSHA1 bool) bool {
	switch alg {
	case "http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2001/04/xmldsig-more#sha384", "http://www.w3.org/2001/04/xmlenc#sha512":
		return true
	case "http://www.w3.org/2000/09/xmldsig#sha1":
		return allowSHA1
	}
	return false
}

func badSignature(err error, msg string) *Error {
	return &Error{Code: CodeBadSignature, Field: "Signature", Status: StatusRequester, SubStatus: StatusRequestDenied, Err: err, Message: msg}
}

// usableKeys returns the RSA keys of certs that have at least 2048 bits.
func usableKeys(certs []*x509.Certificate) []*rsa.PublicKey {
	var keys []*rsa.PublicKey
	for _, c := range certs {
		if k, ok := c.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() >= 2048 {
			keys = append(keys, k)
		}
	}
	return keys
}

// VerifyRedirect verifies the signature of an HTTP-Redirect binding message over the query string octets as
// received (SignedQuery), as the bindings specification (section 3.4.4.1) prescribes, with any of certs. RSA with
// SHA-256, SHA-384 or SHA-512 is accepted, RSA-SHA1 only when allowSHA1. A message without a signature is an
// error here; callers decide beforehand whether one is required.
func VerifyRedirect(m *Message, certs []*x509.Certificate, allowSHA1 bool) error {
	if m.SigAlg == "" || len(m.Signature) == 0 || len(m.SignedQuery) == 0 {
		return &Error{Code: CodeUnsignedRequest, Field: "Signature", Status: StatusRequester, SubStatus: StatusRequestDenied,
			Message: "The request is not signed, and this app requires signed requests."}
	}
	h, err := sigAlgHash(m.SigAlg, allowSHA1)
	if err != nil {
		return err
	}
	keys := usableKeys(certs)
	if len(keys) == 0 {
		return badSignature(nil, "The request is signed, but the app has no SP signing certificate registered to verify it; import the SP's metadata or add its certificate.")
	}
	hh := h.New()
	hh.Write(m.SignedQuery)
	sum := hh.Sum(nil)
	for _, k := range keys {
		if rsa.VerifyPKCS1v15(k, h, sum, m.Signature) == nil {
			return nil
		}
	}
	return badSignature(nil, "The request's signature does not verify with the SP signing certificates registered for the app.")
}

// VerifyPost verifies the enveloped XML signature of an HTTP-POST binding message (raw, already checked by the
// decoder) with any of certs. The signature must be the root element's own, reference the root by its ID, and use
// RSA with SHA-256 or better (RSA-SHA1 and SHA-1 digests only when allowSHA1). Only certs are trusted, never a
// certificate the message carries in KeyInfo; their validity dates are not checked, since they are keys the admin
// registered.
func VerifyPost(raw []byte, certs []*x509.Certificate, allowSHA1 bool) error {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return badSignature(err, "The request could not be read to verify its signature.")
	}
	root := doc.Root()
	if root == nil {
		return badSignature(nil, "The request has no root element.")
	}
	var sig *etree.Element
	for _, c := range root.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == NamespaceDSig {
			if sig != nil {
				return badSignature(nil, "The request carries more than one signature.")
			}
			sig = c
		}
	}
	if sig == nil {
		return &Error{Code: CodeUnsignedRequest, Field: "Signature", Status: StatusRequester, SubStatus: StatusRequestDenied,
			Message: "The request is not signed, and this app requires signed requests."}
	}
	si := childNS(sig, NamespaceDSig, "SignedInfo")
	if si == nil {
		return badSignature(nil, "The request's signature has no SignedInfo.")
	}
	sm := childNS(si, NamespaceDSig, "SignatureMethod")
	if sm == nil {
		return badSignature(nil, "The request's signature has no SignatureMethod.")
	}
	if _, err := sigAlgHash(sm.SelectAttrValue("Algorithm", ""), allowSHA1); err != nil {
		return err
	}
	refs := 0
	for _, ref := range si.ChildElements() {
		if ref.Tag != "Reference" || ref.NamespaceURI() != NamespaceDSig {
			continue
		}
		refs++
		id := root.SelectAttrValue("ID", "")
		if uri := ref.SelectAttrValue("URI", ""); id == "" || uri != "#"+id {
			return &Error{Code: CodeBadSignature, Field: "Signature", Received: uri, Expected: "#" + id,
				Status: StatusRequester, SubStatus: StatusRequestDenied,
				Message: "The request's signature references another element than the request itself."}
		}
		dm := childNS(ref, NamespaceDSig, "DigestMethod")
		if dm == nil || !digestAllowed(dm.SelectAttrValue("Algorithm", ""), allowSHA1) {
			alg := ""
			if dm != nil {
				alg = dm.SelectAttrValue("Algorithm", "")
			}
			return &Error{Code: CodeWeakSignatureAlgorithm, Field: "DigestMethod", Received: alg, Status: StatusRequester,
				SubStatus: StatusRequestDenied, Message: "The request's signature uses a digest Gatehouse does not accept; use SHA-256 or better."}
		}
	}
	if refs != 1 {
		return badSignature(nil, "The request's signature must have exactly one Reference.")
	}
	var last error
	tried := 0
	for _, c := range certs {
		if k, ok := c.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() < 2048 {
			continue
		}
		tried++
		ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{c}})
		// The registered certificate is trusted as a key: its dates do not matter.
		ctx.Clock = dsig.NewFakeClockAt(c.NotBefore.Add(time.Second))
		if _, err := ctx.Validate(root.Copy()); err == nil {
			return nil
		} else {
			last = err
		}
	}
	if tried == 0 {
		return badSignature(nil, "The request is signed, but the app has no SP signing certificate registered to verify it; import the SP's metadata or add its certificate.")
	}
	if last != nil && strings.Contains(last.Error(), "trusted certs") {
		last = errors.New("the KeyInfo certificate is not one registered for the app")
	}
	return badSignature(last, "The request's signature does not verify with the SP signing certificates registered for the app.")
}

// childNS returns el's first child element in namespace space named tag.
func childNS(el *etree.Element, space, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == space {
			return c
		}
	}
	return nil
}
