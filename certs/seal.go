package certs

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
)

// KEKSize is the size in bytes of the key-encryption key.
const KEKSize = 32

// Versions of sealed keys: AES-256-GCM, a 12-byte random nonce, the version byte and the caller's associated data
// authenticated alongside the PKCS#8 key. Version 1 used the key-encryption key itself as the AES key; version 2
// uses a key derived from it for this purpose alone (DeriveKey), so that the key-encryption key is only ever the
// input of key derivation. SealKey writes version 2; OpenKey opens both.
const (
	sealV1 = 1
	sealV2 = 2
)

// sealPurpose is the purpose of the key that seals version 2 keys.
const sealPurpose = "gatehouse certificate private keys v2"

const nonceSize = 12

// ErrOpen is returned (wrapped) by OpenKey when a sealed key does not open: a different key-encryption key, a
// different associated data string, or damaged bytes.
var ErrOpen = errors.New("certs: the private key does not open with this key-encryption key (wrong --key or " +
	"key file, or the sealed key belongs to another certificate)")

// Sealer encrypts private keys at rest with a key-encryption key kept outside the database. It is safe for
// concurrent use.
type Sealer struct {
	v1, v2 cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key-encryption key.
func NewSealer(kek []byte) (*Sealer, error) {
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("certs: the key-encryption key is %d bytes; it must be %d", len(kek), KEKSize)
	}
	v1, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	key, err := DeriveKey(kek, sealPurpose)
	if err != nil {
		return nil, err
	}
	v2, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return &Sealer{v1: v1, v2: v2}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("certs: new sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("certs: new sealer: %w", err)
	}
	return aead, nil
}

func additionalData(version byte, aad string) []byte {
	return append([]byte{version}, aad...)
}

// SealKey returns key in PKCS#8, encrypted and authenticated together with aad (for example the certificate ID),
// prefixed with a version byte and a random nonce. OpenKey needs the same aad.
func (s *Sealer) SealKey(key *rsa.PrivateKey, aad string) ([]byte, error) {
	if key == nil {
		return nil, errors.New("certs: seal key: no key")
	}
	return s.SealSigner(key, aad)
}

// SealSigner is SealKey for an RSA or an ECDSA private key.
func (s *Sealer) SealSigner(key crypto.Signer, aad string) ([]byte, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k == nil {
			return nil, errors.New("certs: seal key: no key")
		}
	case *ecdsa.PrivateKey:
		if k == nil {
			return nil, errors.New("certs: seal key: no key")
		}
	default:
		return nil, fmt.Errorf("certs: seal key: a %T is neither an RSA nor an ECDSA key", key)
	}
	plain, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("certs: seal key: %w", err)
	}
	defer clear(plain)
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plain)+s.v2.Overhead())
	out[0] = sealV2
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, fmt.Errorf("certs: seal key: %w", err)
	}
	return s.v2.Seal(out, out[1:1+nonceSize], plain, additionalData(sealV2, aad)), nil
}

// OpenKey decrypts a key sealed by SealKey with the same aad. A wrong key-encryption key, a different aad or
// damaged bytes give an error wrapping ErrOpen.
func (s *Sealer) OpenKey(sealed []byte, aad string) (*rsa.PrivateKey, error) {
	k, err := s.OpenSigner(sealed, aad)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("certs: open key: a %T is not an RSA key", k)
	}
	return rk, nil
}

// OpenSigner is OpenKey for a key sealed by SealSigner: an RSA or an ECDSA private key.
func (s *Sealer) OpenSigner(sealed []byte, aad string) (crypto.Signer, error) {
	if len(sealed) == 0 {
		return nil, errors.New("certs: open key: the sealed key is empty")
	}
	var aead cipher.AEAD
	switch sealed[0] {
	case sealV1:
		aead = s.v1
	case sealV2:
		aead = s.v2
	default:
		return nil, fmt.Errorf("certs: open key: unknown sealing version %d", sealed[0])
	}
	if len(sealed) < 1+nonceSize+aead.Overhead() {
		return nil, fmt.Errorf("certs: open key: the sealed key is truncated (%d bytes): %w", len(sealed), ErrOpen)
	}
	nonce, ct := sealed[1:1+nonceSize], sealed[1+nonceSize:]
	plain, err := aead.Open(nil, nonce, ct, additionalData(sealed[0], aad))
	if err != nil {
		return nil, fmt.Errorf("certs: open key: %w", ErrOpen)
	}
	defer clear(plain)
	k, err := x509.ParsePKCS8PrivateKey(plain)
	if err != nil {
		return nil, fmt.Errorf("certs: open key: parse PKCS#8: %w", err)
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("certs: open key: a %T is neither an RSA nor an ECDSA key", k)
}

// Seal returns a secret (such as an app's provisioning token) encrypted and authenticated together with aad, in
// the format SealKey writes. Open needs the same aad.
func (s *Sealer) Seal(plain []byte, aad string) ([]byte, error) {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plain)+s.v2.Overhead())
	out[0] = sealV2
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, fmt.Errorf("certs: seal: %w", err)
	}
	return s.v2.Seal(out, out[1:1+nonceSize], plain, additionalData(sealV2, aad)), nil
}

// Open decrypts a secret sealed by Seal with the same aad. A wrong key-encryption key, a different aad or damaged
// bytes give an error wrapping ErrOpen.
func (s *Sealer) Open(sealed []byte, aad string) ([]byte, error) {
	var aead cipher.AEAD
	if len(sealed) > 0 {
		switch sealed[0] {
		case sealV1:
			aead = s.v1
		case sealV2:
			aead = s.v2
		}
	}
	if aead == nil || len(sealed) < 1+nonceSize+aead.Overhead() {
		return nil, fmt.Errorf("certs: open: the sealed secret is damaged or of an unknown version: %w", ErrOpen)
	}
	plain, err := aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], additionalData(sealed[0], aad))
	if err != nil {
		return nil, fmt.Errorf("certs: open: %w", ErrOpen)
	}
	return plain, nil
}
