package saml

import (
	"bytes"
	"crypto/x509"
	"fmt"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
)

// Data encryption algorithm URIs an SP's metadata may list.
const (
	EncAES256GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
	EncAES128GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
	EncAES256CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
	EncAES128CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
)

// blockCipher chooses the data encryption of an assertion from the algorithms the SP lists: AES-256-GCM when it
// lists none or lists it, otherwise the first of AES-128-GCM, AES-256-CBC and AES-128-CBC it lists, and AES-256-GCM
// when it lists none of those either.
func blockCipher(methods []string) xmlenc.BlockCipher {
	if len(methods) == 0 {
		return xmlenc.AES256GCM
	}
	listed := map[string]bool{}
	for _, m := range methods {
		listed[m] = true
	}
	for _, c := range []xmlenc.BlockCipher{xmlenc.AES256GCM, xmlenc.AES128GCM, xmlenc.AES256CBC, xmlenc.AES128CBC} {
		if listed[c.Algorithm()] {
			return c
		}
	}
	return xmlenc.AES256GCM
}

// EncryptionAlgorithm returns the data encryption algorithm URI assertions for an SP listing methods get.
func EncryptionAlgorithm(methods []string) string { return blockCipher(methods).Algorithm() }

// encryptAssertion returns a saml:EncryptedAssertion holding the (already signed) assertion a, encrypted for cert:
// a random content key wrapped with RSA-OAEP (MGF1, SHA-1 digest, which every SP's XML Encryption implementation
// reads) and the data encrypted with the cipher blockCipher chooses. The format comes from crewjam/saml's xmlenc.
func encryptAssertion(a *etree.Element, cert *x509.Certificate, methods []string) (*etree.Element, error) {
	var buf bytes.Buffer
	a.WriteTo(&buf, &etree.WriteSettings{})
	enc := xmlenc.OAEP()
	enc.DigestMethod = &xmlenc.SHA1
	enc.BlockCipher = blockCipher(methods)
	data, err := enc.Encrypt(cert, buf.Bytes(), nil)
	if err != nil {
		return nil, fmt.Errorf("saml: encrypt assertion: %w", err)
	}
	data.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
	ea := etree.NewElement("EncryptedAssertion")
	ea.CreateAttr("xmlns", NamespaceAssertion)
	ea.AddChild(data)
	return ea, nil
}
