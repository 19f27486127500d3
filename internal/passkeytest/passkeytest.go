// Package passkeytest makes credentials for github.com/descope/virtualwebauthn, the independent virtual
// authenticator of the passkey tests.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"

	"github.com/descope/virtualwebauthn"
)

// NewCredential returns a new P-256 credential for the virtual authenticator. The authenticator writes a public
// key's coordinates without their leading zero bytes, while a COSE P-256 coordinate is 32 bytes and go-webauthn
// refuses a shorter one; about one key in 128 has such a coordinate, so NewCredential makes keys until one has
// none, and a test never fails on the authenticator's encoding.
func NewCredential() virtualwebauthn.Credential {
	for {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic("passkeytest: " + err.Error())
		}
		pub, err := k.PublicKey.Bytes() // 0x04 || X || Y, each 32 bytes
		if err != nil {
			panic("passkeytest: " + err.Error())
		}
		if pub[1] == 0 || pub[33] == 0 {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic("passkeytest: " + err.Error())
		}
		return virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der)
	}
}
