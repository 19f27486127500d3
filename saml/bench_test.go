package saml

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"io"
	"testing"
	"time"
)

// BenchmarkSSO measures one complete SP-initiated sign-on for a signed-in user: decode a realistic Redirect-binding
// AuthnRequest, validate it, resolve the ACS URL, build and sign the Response with the default claims, and write
// the auto-POST form. raw-rsa-sha256 times the RSA-2048 signature alone, the floor of every signed Response.
func BenchmarkSSO(b *testing.B) {
	signer := testSigner(b)
	query := redirectQuery(b, requestXML(), "https://mixpanel.com/report/42")
	idp := testIdP(b)
	idp.Now = func() time.Time { return testNow }
	idp.Rand = rand.Reader
	for _, option := range []string{SignAssertion, SignBoth} {
		sp := testSP(option, SHA256)
		b.Run("sign-"+option, func(b *testing.B) {
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
		})
	}
	b.Run("raw-rsa-sha256", func(b *testing.B) {
		b.ReportAllocs()
		key := signer.Key
		for b.Loop() {
			digest := sha256.Sum256([]byte(query))
			if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var benchAttributes = defaultAttributes()
