package passkeytest

import (
	"crypto/ecdsa"
	"crypto/x509"
	"testing"
)

// TestNewCredential checks that every credential's public key has two full-length coordinates.
func TestNewCredential(t *testing.T) {
	for range 2000 {
		c := NewCredential()
		k, err := x509.ParsePKCS8PrivateKey(c.Key.Data)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := k.(*ecdsa.PrivateKey).PublicKey.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if pub[1] == 0 || pub[33] == 0 {
			t.Fatalf("a coordinate starts with a zero byte: %x", pub)
		}
	}
}
