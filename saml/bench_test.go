package saml

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"io"
	"strings"
	"testing"
	"time"
)

// BenchmarkSSO measures one complete SP-initiated sign-on for a signed-in user: decode a realistic Redirect-binding
// AuthnRequest, validate it, resolve the ACS URL, build and sign the Response with the default claims, and write
// the auto-POST form. raw-rsa-sha256 times the RSA-2048 signature alone, the floor of every signed Response; the
// ecdsa-p256 sub-benchmarks sign the same sign-on with an ECDSA P-256 key, and raw-ecdsa-p256-sha256 times that
// key's signature alone.
func BenchmarkSSO(b *testing.B) {
	signer := testSigner(b)
	query := redirectQuery(b, requestXML(), "https://mixpanel.com/report/42")
	idp := testIdP(b)
	idp.Now = func() time.Time { return testNow }
	idp.Rand = rand.Reader
	ecdsaSigner := testECDSASigner(b)
	for _, option := range []string{SignAssertion, SignBoth} {
		sp := testSP(option, SHA256)
		b.Run("sign-"+option, func(b *testing.B) { benchSignOn(b, idp, sp, signer, query) })
		// The same sign-on signed with an ECDSA P-256 key (ECDSA-SHA256) instead of RSA-2048.
		b.Run("ecdsa-p256-sign-"+option, func(b *testing.B) { benchSignOn(b, idp, sp, ecdsaSigner, query) })
	}
	b.Run("raw-ecdsa-p256-sha256", func(b *testing.B) {
		b.ReportAllocs()
		key := ecdsaSigner.Key
		for b.Loop() {
			digest := sha256.Sum256([]byte(query))
			if _, err := key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-rsa-sha256", func(b *testing.B) {
		b.ReportAllocs()
		key := signer.Key.(*rsa.PrivateKey)
		for b.Loop() {
			digest := sha256.Sum256([]byte(query))
			if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchSignOn runs one SP-initiated sign-on per iteration, signed by signer.
func benchSignOn(b *testing.B, idp *IdentityProvider, sp *ServiceProvider, signer *Signer, query string) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := DecodeRedirect(query, DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		if err := idp.ValidateRequest(m.Request); err != nil {
			b.Fatal(err)
		}
		acs, err := sp.ResolveACS(m.Request)
		if err != nil {
			b.Fatal(err)
		}
		out, err := idp.Respond(&ResponseParams{
			SP:           sp,
			ACSURL:       acs,
			InResponseTo: m.Request.ID,
			NameID:       "britta.simon@contoso.example",
			Attributes:   benchAttributes,
			AuthnInstant: testNow,
			SessionIndex: "_session-7c1f",
		}, signer)
		if err != nil {
			b.Fatal(err)
		}
		if err := WritePostForm(io.Discard, acs, out, m.RelayState, "n0nce"); err != nil {
			b.Fatal(err)
		}
	}
}

var benchAttributes = defaultAttributes()

// BenchmarkVerify measures checking an SP's signed AuthnRequest: by the Redirect binding (one RSA-2048
// verification over the query string) and by the POST binding (parse, canonicalize, digest and verify with
// goxmldsig).
func BenchmarkVerify(b *testing.B) {
	s := testSigner(b)
	certs := []*x509.Certificate{testCert(b)}
	u, err := RedirectURL("https://idp.example/", "SAMLRequest", []byte(requestXML()), "r", s, SHA256)
	if err != nil {
		b.Fatal(err)
	}
	q := u[strings.Index(u, "?")+1:]
	b.Run("redirect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, err := DecodeRedirectAny(q, DefaultLimits)
			if err != nil {
				b.Fatal(err)
			}
			if err := VerifyRedirect(m, certs, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	signed, err := testIdP(b).LogoutResponse(testSP("", ""), "https://sp.example/slo", "_x", "", s, true)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("post", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := VerifyPost(signed, certs, false); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRespondEncrypted measures a signed Response whose assertion is encrypted for the SP (AES-256-GCM with
// RSA-OAEP), against the same Response unencrypted in BenchmarkSSO.
func BenchmarkRespondEncrypted(b *testing.B) {
	s := testSigner(b)
	idp := testIdP(b)
	idp.Rand = rand.Reader
	sp := testSP(SignAssertion, SHA256)
	sp.EncryptionCert = testCert(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := idp.Respond(&ResponseParams{SP: sp, ACSURL: testACSURL, InResponseTo: testRequestID,
			NameID: "b.simon@contoso.com", Attributes: defaultAttributes()}, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSPMetadata measures reading a Shibboleth-shaped SP metadata document.
func BenchmarkParseSPMetadata(b *testing.B) {
	md := []byte(spMetadataXML(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSPMetadata(md); err != nil {
			b.Fatal(err)
		}
	}
}
