package idp_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// spTestHash are argon2id parameters small enough for tests.
var spTestHash = password.Params{Time: 1, MemoryKiB: 1024, Threads: 1, KeyLen: 32, SaltLen: 16}

// newSPService returns a service on a fresh SQLite database with the default directory, and its admin; opts change
// the service's configuration before it is built.
func newSPService(t *testing.T, opts ...func(*idp.Config)) (*idp.Service, *gatehouse.User) {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	kek := make([]byte, 32)
	rand.Read(kek)
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	cfg := idp.Config{Store: store, Gallery: gallery.MustLoad(), Hasher: password.NewHasher(spTestHash, 2), Sealer: sealer,
		PublicURL: "http://127.0.0.1:8080", NameIDKey: kek}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := idp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := svc.Bootstrap(ctx, "admin@contoso.com", "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	root, err := store.FindUserByName(ctx, "default", "admin@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	return svc, root
}

// spKey is an SP's key pair.
type spKey struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

func (k *spKey) b64() string { return base64.StdEncoding.EncodeToString(k.Cert.Raw) }

// newSPKey generates an SP key pair with a certificate valid from a year ago for ten years.
func newSPKey(t testing.TB, cn string) *spKey {
	t.Helper()
	der, key, err := certs.Generate(cn, time.Now().Add(-365*24*time.Hour), 10*365*24*time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &spKey{Key: key, Cert: c}
}

// spMetadata returns SP metadata for entityID at base with the signing and encryption keys (nil leaves one out).
func spMetadata(entityID, base string, signing, encryption *spKey, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="%s">
  <md:SPSSODescriptor AuthnRequestsSigned="%v" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`, entityID, signing != nil)
	if signing != nil {
		fmt.Fprintf(&b, `
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`, signing.b64())
	}
	if encryption != nil {
		fmt.Fprintf(&b, `
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/></md:KeyDescriptor>`, encryption.b64())
	}
	fmt.Fprintf(&b, `
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="%[1]s/soap"/>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%[1]s/slo"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="%[1]s/artifact" index="0"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="%[1]s/acs1" index="1"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="%[1]s/acs2" index="2" isDefault="true"/>%[2]s
  </md:SPSSODescriptor>
</md:EntityDescriptor>`, base, extra)
	return b.String()
}

// weakCertificate returns a base64 certificate with a 1024-bit RSA key.
func weakCertificate(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// expiredCertificate returns a base64 certificate with a 2048-bit key that expired yesterday.
func expiredCertificate(t *testing.T) string {
	t.Helper()
	der, _, err := certs.Generate("expired", time.Now().Add(-48*time.Hour), 24*time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// tlsCert returns k as a tls.Certificate for goxmldsig's key store.
func tlsCert(k *spKey) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{k.Cert.Raw}, PrivateKey: k.Key}
}

// withPassword replaces u's temporary password temp by a password of u's own, as the user does at the first
// sign-in: a user with a temporary password is sent to change it before any sign-on.
func withPassword(t testing.TB, svc *idp.Service, u *gatehouse.User, temp string) *gatehouse.User {
	t.Helper()
	if err := svc.ChangePassword(context.Background(), u, temp, "Own-Password-"+u.ID); err != nil {
		t.Fatal(err)
	}
	return u
}
