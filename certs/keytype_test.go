package certs_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
)

// TestGenerateKey makes a certificate of each signing key type, checks its key, signature algorithm and dates, and
// that KeyType names it as the setting does.
func TestGenerateKey(t *testing.T) {
	for _, c := range []struct {
		keyType string
		alg     x509.SignatureAlgorithm
	}{
		{gatehouse.KeyRSA2048, x509.SHA256WithRSA},
		{gatehouse.KeyECDSAP256, x509.ECDSAWithSHA256},
	} {
		t.Run(c.keyType, func(t *testing.T) {
			der, key, err := certs.GenerateKey("Gatehouse SSO Certificate", c.keyType, now, threeYears, nil)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			if pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(key.Public()) {
				t.Error("the certificate does not hold the key's public half")
			}
			if got := certs.KeyType(key.Public()); got != c.keyType {
				t.Errorf("KeyType(key) = %q, want %q", got, c.keyType)
			}
			if got := certs.DERKeyType(der); got != c.keyType {
				t.Errorf("DERKeyType = %q, want %q", got, c.keyType)
			}
			if cert.SignatureAlgorithm != c.alg || cert.KeyUsage != x509.KeyUsageDigitalSignature || !cert.NotBefore.Equal(now.Add(-certs.Backdate)) {
				t.Errorf("certificate: algorithm %v, key usage %v, not before %v", cert.SignatureAlgorithm, cert.KeyUsage, cert.NotBefore)
			}
			if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
				t.Errorf("the self-signature does not verify: %v", err)
			}
		})
	}
	if _, _, err := certs.GenerateKey("x", "ecdsa-p384", now, threeYears, nil); err == nil {
		t.Error("an unknown key type made a certificate")
	}
}

func TestKeyType(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsa3072, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key  any
		want string
	}{
		{p384.Public(), "ecdsa-p384"},
		{rsa3072.Public(), "rsa-3072"},
		{"not a key", "unknown"},
	} {
		if got := certs.KeyType(c.key); got != c.want {
			t.Errorf("KeyType(%T) = %q, want %q", c.key, got, c.want)
		}
	}
	if got := certs.DERKeyType([]byte("garbage")); got != "unknown" {
		t.Errorf("DERKeyType(garbage) = %q", got)
	}
}
