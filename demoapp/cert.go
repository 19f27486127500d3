package demoapp

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// maxCertSize is the largest certificate upload accepted.
const maxCertSize = 64 << 10

// minRSABits is the smallest RSA key accepted in an IdP certificate.
const minRSABits = 2048

// parseIdPCertificate reads the IdP's signing certificate from an upload or pasted text: PEM, Base64 (a .cer file
// as Gatehouse and Entra download it) or raw DER. It returns an EINVALID or ETOOLARGE *Error saying what is wrong
// with anything else: federation metadata XML, a private key, garbage, an expired or not yet valid certificate,
// an RSA key under 2048 bits or an unsupported key type.
func parseIdPCertificate(data []byte, now time.Time) (*x509.Certificate, error) {
	if len(data) > maxCertSize {
		return nil, &Error{Code: ETOOLARGE, Check: "certificate",
			Message: fmt.Sprintf("The certificate file is larger than %d KiB. Upload the IdP's signing certificate (Base64 .cer or PEM).", maxCertSize>>10)}
	}
	invalid := func(format string, args ...any) error {
		return &Error{Code: EINVALID, Check: "certificate", Message: fmt.Sprintf(format, args...)}
	}
	if cert, err := x509.ParseCertificate(data); err == nil {
		return checkIdPCertificate(cert, now) // a raw DER .cer file, whose bytes must not be trimmed
	}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return nil, invalid("The certificate is empty. Choose the .cer or .pem file, or paste its text.")
	}
	if trimmed[0] == '<' {
		return nil, invalid("This is an XML file (federation metadata), not a certificate. " +
			"In Gatehouse, download “Certificate (Base64)” or “PEM” from the app's SAML signing certificate and upload that, " +
			"or enter the App Federation Metadata URL instead.")
	}

	var der []byte
	if bytes.Contains(trimmed, []byte("-----BEGIN")) {
		rest := trimmed
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if strings.Contains(block.Type, "PRIVATE KEY") {
				return nil, invalid("This is a private key. Never upload a private key: upload the IdP's certificate " +
					"(the public part, “-----BEGIN CERTIFICATE-----”).")
			}
			if block.Type == "CERTIFICATE" && der == nil {
				der = block.Bytes
			}
		}
		if der == nil {
			return nil, invalid("The PEM text holds no certificate (no “-----BEGIN CERTIFICATE-----” block).")
		}
	} else if c, err := x509.ParseCertificate(trimmed); err == nil {
		der = c.Raw // a raw DER .cer file
	} else {
		if !utf8.Valid(trimmed) {
			return nil, invalid("This file is not a certificate. Upload the IdP's signing certificate (Base64 .cer or PEM).")
		}
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, string(trimmed))
		b, err := base64.StdEncoding.DecodeString(clean)
		if err != nil {
			return nil, invalid("This is not a certificate: it is neither PEM, Base64 nor DER. " +
				"Upload the IdP's signing certificate (Base64 .cer or PEM).")
		}
		der = b
	}

	cert, err := x509.ParseCertificate(der)
	if err != nil {
		if _, kerr := x509.ParsePKCS8PrivateKey(der); kerr == nil {
			return nil, invalid("This is a private key. Never upload a private key: upload the IdP's certificate.")
		}
		if _, kerr := x509.ParsePKCS1PrivateKey(der); kerr == nil {
			return nil, invalid("This is a private key. Never upload a private key: upload the IdP's certificate.")
		}
		return nil, invalid("This is not a valid X.509 certificate (%s).", shortReason(err))
	}
	return checkIdPCertificate(cert, now)
}

// checkIdPCertificate refuses a certificate that is expired, not yet valid, or has a key too weak or of a type
// that cannot verify SAML signatures.
func checkIdPCertificate(cert *x509.Certificate, now time.Time) (*x509.Certificate, error) {
	invalid := func(format string, args ...any) error {
		return &Error{Code: EINVALID, Check: "certificate", Message: fmt.Sprintf(format, args...)}
	}
	if now.After(cert.NotAfter) {
		return nil, invalid("This certificate expired on %s. Upload the IdP's current signing certificate.",
			cert.NotAfter.UTC().Format("2 Jan 2006 15:04 UTC"))
	}
	if now.Before(cert.NotBefore) {
		return nil, invalid("This certificate is not valid until %s. Check the clocks, or upload the active certificate.",
			cert.NotBefore.UTC().Format("2 Jan 2006 15:04 UTC"))
	}
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return nil, invalid("This certificate's RSA key has %d bits; at least %d are required.", bits, minRSABits)
		}
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize < 256 {
			return nil, invalid("This certificate's ECDSA key is too small (%d bits).", k.Curve.Params().BitSize)
		}
	default:
		return nil, invalid("This certificate's key type (%T) cannot verify SAML signatures; use an RSA or ECDSA certificate.", k)
	}
	return cert, nil
}

// shortReason returns the first line of err's message, capped, for showing in a form error.
func shortReason(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// thumbprint returns the SHA-1 thumbprint of cert in upper-case hex, as Gatehouse and Entra show it.
func thumbprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}
