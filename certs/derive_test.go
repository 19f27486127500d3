package certs_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/gatehouse-idp/gatehouse/certs"
)

// TestDeriveKey checks that DeriveKey is HKDF-SHA256 (RFC 5869, test case 3: no salt, no info; the first 32 bytes
// of its output) and that each purpose has its own key.
func TestDeriveKey(t *testing.T) {
	k, err := certs.DeriveKey(bytes.Repeat([]byte{0x0b}, 22), "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(k), "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"; got != want {
		t.Errorf("DeriveKey = %s, want RFC 5869's %s", got, want)
	}
	a, err := certs.DeriveKey(kek(1), "gatehouse a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := certs.DeriveKey(kek(1), "gatehouse b")
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != certs.DerivedKeySize || bytes.Equal(a, b) || bytes.Equal(a, kek(1)) {
		t.Errorf("keys for two purposes: %x and %x; want two different %d-byte keys", a, b, certs.DerivedKeySize)
	}
}

// TestLegacyKey checks that LegacyKey gives exactly the keys Gatehouse derived before DeriveKey, HMAC-SHA256 of the
// purpose, so that persistent NameIDs and sealed TOTP secrets made with them stay the same.
func TestLegacyKey(t *testing.T) {
	const purpose = "gatehouse persistent NameID v1"
	k, err := certs.LegacyKey(kek(1), purpose)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, kek(1))
	m.Write([]byte(purpose))
	if !bytes.Equal(k, m.Sum(nil)) {
		t.Errorf("LegacyKey = %x, want HMAC-SHA256 %x", k, m.Sum(nil))
	}
	// The NameID key of the key-encryption key of 32 bytes 0x01, as the server derived it before.
	if got, want := hex.EncodeToString(k), "b40e1c9e4e30b9e5f45bbf9f12dfa294a26059b61dfeb39cd1542ac6a6211e54"; got != want {
		t.Errorf("LegacyKey = %s, want %s", got, want)
	}
}
