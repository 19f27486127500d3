package certs

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// DerivedKeySize is the size in bytes of the keys DeriveKey returns.
const DerivedKeySize = 32

// DeriveKey returns the key for purpose derived from secret (the key-encryption key, or a key derived from it) with
// HKDF-SHA256 (RFC 5869) and purpose as the info string. Keys derived for different purposes are independent: none
// tells anything about secret or about another.
func DeriveKey(secret []byte, purpose string) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, secret, nil, purpose, DerivedKeySize)
	if err != nil {
		return nil, fmt.Errorf("certs: derive the %q key: %w", purpose, err)
	}
	return k, nil
}

// LegacyKey returns the key for purpose as Gatehouse derived keys before DeriveKey: HMAC-SHA256 keyed with secret
// over purpose, which is what HKDF's Extract step computes with secret as the salt and purpose as the input. It is
// kept for the keys whose value must never change, because what they made is stored elsewhere: the persistent
// NameID key (service providers keep the NameIDs it makes as their users' identifiers) and the key that opens TOTP
// secrets sealed before DeriveKey.
func LegacyKey(secret []byte, purpose string) ([]byte, error) {
	k, err := hkdf.Extract(sha256.New, []byte(purpose), secret)
	if err != nil {
		return nil, fmt.Errorf("certs: derive the %q key: %w", purpose, err)
	}
	return k, nil
}
