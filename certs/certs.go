package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// KeyBits is the size of generated RSA keys.
const KeyBits = 2048

// Backdate is how far before the creation time a generated certificate becomes valid, so that a service provider
// whose clock runs a little behind accepts it at once.
const Backdate = 5 * time.Minute

// Generate returns a new self-signed certificate (DER) for signing SAML messages, valid from now-Backdate until
// now+validity, and its RSA-2048 private key. Its subject is commonName, its serial number carries at least 128
// random bits and its only key usage is digital signature. A nil rnd means crypto/rand.
func Generate(commonName string, now time.Time, validity time.Duration, rnd io.Reader) (der []byte, key *rsa.PrivateKey, err error) {
	der, signer, err := GenerateKey(commonName, gatehouse.KeyRSA2048, now, validity, rnd)
	if err != nil {
		return nil, nil, err
	}
	return der, signer.(*rsa.PrivateKey), nil
}

// GenerateKey is Generate for a key of keyType: gatehouse.KeyRSA2048 (an RSA-2048 key, the certificate signed
// with SHA256WithRSA) or gatehouse.KeyECDSAP256 (an ECDSA key on P-256, the certificate signed with
// ECDSAWithSHA256). The key is an *rsa.PrivateKey or an *ecdsa.PrivateKey.
func GenerateKey(commonName, keyType string, now time.Time, validity time.Duration, rnd io.Reader) (der []byte, key crypto.Signer, err error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	if validity <= 0 {
		return nil, nil, fmt.Errorf("certs: generate: validity %v is not positive", validity)
	}
	serial, err := randomSerial(rnd)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: generate serial: %w", err)
	}
	var alg x509.SignatureAlgorithm
	switch keyType {
	case gatehouse.KeyRSA2048:
		key, err = rsa.GenerateKey(rnd, KeyBits)
		alg = x509.SHA256WithRSA
	case gatehouse.KeyECDSAP256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rnd)
		alg = x509.ECDSAWithSHA256
	default:
		return nil, nil, fmt.Errorf("certs: generate: key type %q is unknown", keyType)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("certs: generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-Backdate).UTC().Truncate(time.Second),
		NotAfter:              now.Add(validity).UTC().Truncate(time.Second),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		SignatureAlgorithm:    alg,
	}
	der, err = x509.CreateCertificate(rnd, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: create certificate: %w", err)
	}
	return der, key, nil
}

// KeyType names the key type of a certificate's public key as gatehouse.SigningKeyTypes do ("rsa-2048",
// "ecdsa-p256"), and other keys in the same manner ("rsa-3072", "ecdsa-p384", "ed25519"); "unknown" for anything
// else.
func KeyType(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("rsa-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ecdsa-p" + strings.TrimPrefix(k.Curve.Params().Name, "P-")
	case ed25519.PublicKey:
		return "ed25519"
	}
	return "unknown"
}

// DERKeyType is KeyType for a certificate in DER; "unknown" when it does not parse.
func DERKeyType(der []byte) string {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return "unknown"
	}
	return KeyType(c.PublicKey)
}

// randomSerial returns a positive serial number of 135 random bits (17 bytes with the sign bit cleared).
func randomSerial(rnd io.Reader) (*big.Int, error) {
	b := make([]byte, 17)
	for range 8 {
		if _, err := io.ReadFull(rnd, b); err != nil {
			return nil, err
		}
		b[0] &= 0x7f
		if n := new(big.Int).SetBytes(b); n.Sign() > 0 {
			return n, nil
		}
	}
	return nil, errors.New("random source returns only zeros")
}

// Thumbprint returns the upper-case hexadecimal SHA-1 digest of a DER certificate, as the seed system shows it.
func Thumbprint(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// EncodeBase64 returns the "Certificate (Base64)" download: the certificate between BEGIN and END CERTIFICATE
// lines, in base64 lines of 64 characters, with CRLF line endings as Windows tools write .cer files.
func EncodeBase64(der []byte) []byte {
	var b bytes.Buffer
	b.WriteString("-----BEGIN CERTIFICATE-----\r\n")
	s := base64.StdEncoding.EncodeToString(der)
	for len(s) > 64 {
		b.WriteString(s[:64])
		b.WriteString("\r\n")
		s = s[64:]
	}
	if s != "" {
		b.WriteString(s)
		b.WriteString("\r\n")
	}
	b.WriteString("-----END CERTIFICATE-----\r\n")
	return b.Bytes()
}

// EncodePEM returns the PEM download: one CERTIFICATE block with LF line endings.
func EncodePEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Download formats understood by FileName.
const (
	FormatBase64   = "base64"
	FormatRaw      = "raw"
	FormatPEM      = "pem"
	FormatMetadata = "metadata"
)

// maxFileNameBase caps the part of a file name taken from the app name.
const maxFileNameBase = 100

// FileName suggests a download file name for an app's certificate in format (FormatBase64 and FormatRaw give .cer,
// FormatPEM .pem, FormatMetadata .xml, anything else .cer). The name uses only letters A-Z and a-z, digits, '.',
// '_', ' ' and '-'; path separators, NUL, other characters and leading dots are dropped, so the result is never a
// path. An app name with nothing usable left gives "certificate".
func FileName(appName, format string) string {
	var b strings.Builder
	space, dot := false, false
	for _, r := range appName {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			if dot && b.Len() > 0 {
				b.WriteByte('.')
			}
			space, dot = false, false
			b.WriteRune(r)
		case r == '.':
			dot = true
		case r == ' ' || r == '\t':
			space = true
		}
		if b.Len() >= maxFileNameBase {
			break
		}
	}
	base := b.String()
	if len(base) > maxFileNameBase {
		base = base[:maxFileNameBase]
	}
	if base == "" {
		base = "certificate"
	}
	ext := ".cer"
	switch format {
	case FormatPEM:
		ext = ".pem"
	case FormatMetadata:
		ext = ".xml"
	}
	return base + ext
}
