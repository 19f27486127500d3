package demoapp

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
)

// maxCertSize is the largest certificate upload accepted.
const maxCertSize = certs.MaxUpload

// minRSABits is the smallest RSA key accepted in an IdP certificate.
const minRSABits = 2048

// parseIdPCertificate reads the IdP's signing certificate from an upload or pasted text — PEM, Base64 (a .cer file
// as Gatehouse and Entra download it) or raw DER — with certs.Parse, Gatehouse's one reader of certificates, and
// checks it for a SAML IdP (checkIdPCertificate). Anything else is an EINVALID or ETOOLARGE *Error saying what it
// is instead: federation metadata XML, a private key, several certificates, garbage, an expired or not yet valid
// certificate, an RSA key under 2048 bits or an unsupported key type.
func parseIdPCertificate(data []byte, now time.Time) (*x509.Certificate, error) {
	cert, err := certs.Parse(data)
	if err != nil {
		code := EINVALID
		if gatehouse.ErrorCode(err) == gatehouse.ETOOLARGE {
			code = ETOOLARGE
		}
		return nil, &Error{Code: code, Check: "certificate", Message: gatehouse.ErrorMessage(err)}
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
