package idp

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"testing"
)

// TestSealedSecretVersions opens a TOTP secret sealed by an earlier Gatehouse (version 1, keyed with HMAC-SHA256 of
// the purpose; sealed with NameIDKey 32 bytes 0x07 and nonce bytes 0x09 for "totp-secret:default:u1"), checks that
// new secrets are sealed with version 2 (an HKDF-derived key) and open, and that neither opens as the other version.
func TestSealedSecretVersions(t *testing.T) {
	s := &Service{nameIDKey: bytes.Repeat([]byte{7}, 32), rand: rand.Reader}
	const aad = "totp-secret:default:u1"
	v1, err := hex.DecodeString("0109090909090909090909090993d965ee119a3ca3eb9d435d580fe2655cb42171236e864e59921e8a01c7fbfb")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.openSecret(v1, aad)
	if err != nil || string(plain) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("version 1 secret: %q, %v; want JBSWY3DPEHPK3PXP", plain, err)
	}
	v2, err := s.sealSecret([]byte("JBSWY3DPEHPK3PXP"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if v2[0] != sealV2 {
		t.Errorf("a new secret is sealed with version %d, want %d", v2[0], sealV2)
	}
	if plain, err := s.openSecret(v2, aad); err != nil || string(plain) != "JBSWY3DPEHPK3PXP" {
		t.Errorf("version 2 secret: %q, %v; want JBSWY3DPEHPK3PXP", plain, err)
	}
	relabel := func(b []byte, v byte) []byte { return append([]byte{v}, b[1:]...) }
	for name, sealed := range map[string][]byte{
		"version 1 labelled 2":  relabel(v1, sealV2),
		"version 2 labelled 1":  relabel(v2, sealV1),
		"unknown version":       relabel(v2, 3),
		"another user's secret": v2,
		"empty":                 nil,
	} {
		a := aad
		if name == "another user's secret" {
			a = "totp-secret:default:u2"
		}
		if _, err := s.openSecret(sealed, a); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}
