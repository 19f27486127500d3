package idp_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

var requestSeq int

// authnRequest returns an AuthnRequest from issuer with a new ID.
func authnRequest(issuer, extra string) string {
	requestSeq++
	return fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_req%d_%d" Version="2.0" IssueInstant="%s"%s><saml:Issuer>%s</saml:Issuer></samlp:AuthnRequest>`,
		requestSeq, time.Now().UnixNano(), time.Now().UTC().Format(time.RFC3339), extra, issuer)
}

// redirectQuery returns the HTTP-Redirect query string of msg, signed by k with algorithm (nil k: unsigned).
func redirectQuery(t testing.TB, param, msg, relayState string, k *spKey, algorithm string) string {
	t.Helper()
	var s *saml.Signer
	if k != nil {
		var err error
		if s, err = saml.NewSigner(k.Key, k.Cert); err != nil {
			t.Fatal(err)
		}
	}
	u, err := saml.RedirectURL("https://idp.test/", param, []byte(msg), relayState, s, algorithm)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := url.Parse(u)
	return parsed.RawQuery
}

// signedQuery returns an HTTP-Redirect query of msg signed by k with any RSA hash and SigAlg URI.
func signedQuery(t testing.TB, msg string, k *spKey, h crypto.Hash, sigAlg string) string {
	t.Helper()
	q := redirectQuery(t, "SAMLRequest", msg, "", nil, "") + "&SigAlg=" + url.QueryEscape(sigAlg)
	hh := h.New()
	hh.Write([]byte(q))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.Key, h, hh.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
}

// signXML returns msg with an enveloped signature by k over its root (or over the element with id, when set).
func signXML(t testing.TB, msg string, k *spKey, method string) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(msg); err != nil {
		t.Fatal(err)
	}
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{k.Cert.Raw}, PrivateKey: k.Key}))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if method != "" {
		if err := ctx.SetSignatureMethod(method); err != nil {
			t.Fatal(err)
		}
	}
	signed, err := ctx.SignEnveloped(doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	doc.SetRoot(signed)
	out, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// samlIn is a SAML message as a binding carries it to the SAML endpoint: the HTTP-Redirect query string, or the
// HTTP-POST form.
type samlIn struct {
	query string
	form  url.Values
}

// viaRedirect carries an HTTP-Redirect query string.
func viaRedirect(query string) samlIn { return samlIn{query: query} }

// viaPost carries msg as the SAMLRequest of an HTTP-POST form.
func viaPost(msg string) samlIn {
	return samlIn{form: url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(msg))}}}
}

// send sends m to the default directory's SAML endpoint from a browser with the session cookie token.
func send(svc *idp.Service, m samlIn, token string) (*idp.Answer, error) {
	if m.form != nil {
		return svc.SAMLPost(context.Background(), "default", m.form, nil, token)
	}
	return svc.SAMLRedirect(context.Background(), "default", m.query, token)
}

func postMessage(t testing.TB, msg string) *saml.Message {
	t.Helper()
	m, err := saml.DecodePost(base64.StdEncoding.EncodeToString([]byte(msg)), "", saml.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// codeOf returns the Gatehouse code of a refusal or a SAML error, or "" for nil.
func codeOf(err error) string {
	var f *idp.Failure
	var se *saml.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &f):
		return f.Code
	case errors.As(err, &se):
		return se.Code
	}
	return "other: " + err.Error()
}

// signedApp adds an app configured from metadata with the SP's signing key k; it requires signed requests.
func signedApp(t *testing.T, svc *idp.Service, root *gatehouse.User, entityID string, k *spKey) *gatehouse.App {
	t.Helper()
	a, _, err := svc.AddApp(context.Background(), root, "default", idp.AppInput{GalleryID: "custom",
		Metadata: spMetadata(entityID, "https://sp.example.test", k, nil, "")})
	if err != nil {
		t.Fatal(err)
	}
	if !a.SAML.RequireSignedRequests {
		t.Fatal("AuthnRequestsSigned in the metadata did not turn on RequireSignedRequests")
	}
	return a
}

// TestSignedAuthnRequests verifies signed AuthnRequests on both bindings with the app's registered certificate
// (SECURITY-CASES 15, 16 and 17).
func TestSignedAuthnRequests(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	sp, other := newSPKey(t, "sp"), newSPKey(t, "attacker")
	const issuer = "https://sp.example.test/signed"
	app := signedApp(t, svc, root, issuer, sp)

	tamperedRelay := strings.Replace(redirectQuery(t, "SAMLRequest", authnRequest(issuer, ""), "a", sp, saml.SHA256), "RelayState=a", "RelayState=b", 1)
	wrapped := signXML(t, `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_evil" Version="2.0" IssueInstant="`+
		time.Now().UTC().Format(time.RFC3339)+`"><saml:Issuer>`+issuer+`</saml:Issuer><samlp:Extensions><x ID="_inner" xmlns="urn:x"/></samlp:Extensions></samlp:AuthnRequest>`, sp, "")
	wrapped = strings.Replace(wrapped, `URI="#_evil"`, `URI="#_inner"`, 1)

	tests := []struct {
		name string
		msg  func() samlIn
		want string
	}{
		{"redirect RSA-SHA256", func() samlIn {
			return viaRedirect(redirectQuery(t, "SAMLRequest", authnRequest(issuer, ""), "state", sp, saml.SHA256))
		}, ""},
		{"redirect RSA-SHA512", func() samlIn {
			return viaRedirect(signedQuery(t, authnRequest(issuer, ""), sp, crypto.SHA512, saml.SigAlgRSASHA512))
		}, ""},
		{"SecurityCase15 redirect unsigned", func() samlIn {
			return viaRedirect(redirectQuery(t, "SAMLRequest", authnRequest(issuer, ""), "", nil, ""))
		}, saml.CodeUnsignedRequest},
		{"SecurityCase15 redirect forged signature", func() samlIn {
			return viaRedirect(redirectQuery(t, "SAMLRequest", authnRequest(issuer, ""), "", other, saml.SHA256))
		}, saml.CodeBadSignature},
		{"SecurityCase15 redirect query changed after signing", func() samlIn { return viaRedirect(tamperedRelay) }, saml.CodeBadSignature},
		{"SecurityCase17 redirect RSA-SHA1 not allowed", func() samlIn {
			return viaRedirect(redirectQuery(t, "SAMLRequest", authnRequest(issuer, ""), "", sp, saml.SHA1))
		}, saml.CodeWeakSignatureAlgorithm},
		{"SecurityCase17 redirect HMAC", func() samlIn {
			return viaRedirect(signedQuery(t, authnRequest(issuer, ""), sp, crypto.SHA256, "http://www.w3.org/2000/09/xmldsig#hmac-sha1"))
		}, saml.CodeWeakSignatureAlgorithm},
		{"SecurityCase17 redirect DSA", func() samlIn {
			return viaRedirect(signedQuery(t, authnRequest(issuer, ""), sp, crypto.SHA256, "http://www.w3.org/2000/09/xmldsig#dsa-sha1"))
		}, saml.CodeWeakSignatureAlgorithm},
		{"post signed", func() samlIn { return viaPost(signXML(t, authnRequest(issuer, ""), sp, "")) }, ""},
		{"post RSA-SHA384", func() samlIn {
			return viaPost(signXML(t, authnRequest(issuer, ""), sp, dsig.RSASHA384SignatureMethod))
		}, ""},
		{"SecurityCase15 post unsigned", func() samlIn { return viaPost(authnRequest(issuer, "")) }, saml.CodeUnsignedRequest},
		{"SecurityCase16 post signed by a key not registered", func() samlIn {
			return viaPost(signXML(t, authnRequest(issuer, ""), other, ""))
		}, saml.CodeBadSignature},
		{"SecurityCase16 post signature references another element", func() samlIn { return viaPost(wrapped) }, saml.CodeBadSignature},
		{"SecurityCase16 post content changed after signing", func() samlIn {
			return viaPost(strings.Replace(signXML(t, authnRequest(issuer, ` ForceAuthn="false"`), sp, ""), `ForceAuthn="false"`, `ForceAuthn="true"`, 1))
		}, saml.CodeBadSignature},
		{"SecurityCase17 post RSA-SHA1 not allowed", func() samlIn {
			return viaPost(signXML(t, authnRequest(issuer, ""), sp, dsig.RSASHA1SignatureMethod))
		}, saml.CodeWeakSignatureAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := send(svc, tt.msg(), "")
			if got := codeOf(err); got != tt.want {
				t.Fatalf("SAML endpoint: %v, want code %q", err, tt.want)
			}
		})
	}

	// SHA-1 is accepted once the app allows it.
	s := app.SAML
	s.AllowSHA1Requests = true
	if _, err := svc.UpdateApp(ctx, root, "default", app.ID, idp.AppPatch{SAML: &s}); err != nil {
		t.Fatal(err)
	}
	if _, err := send(svc, viaRedirect(redirectQuery(t, "SAMLRequest", authnRequest(issuer, ""), "", sp, saml.SHA1)), ""); err != nil {
		t.Errorf("RSA-SHA1 with SHA-1 allowed: %v", err)
	}
	if _, err := send(svc, viaPost(signXML(t, authnRequest(issuer, ""), sp, dsig.RSASHA1SignatureMethod)), ""); err != nil {
		t.Errorf("POST RSA-SHA1 with SHA-1 allowed: %v", err)
	}
	// Without "require signed requests", an unsigned request passes but a badly signed one still fails.
	s.RequireSignedRequests = false
	if _, err := svc.UpdateApp(ctx, root, "default", app.ID, idp.AppPatch{SAML: &s}); err != nil {
		t.Fatal(err)
	}
	if _, err := send(svc, viaPost(authnRequest(issuer, "")), ""); err != nil {
		t.Errorf("unsigned request, signatures optional: %v", err)
	}
	if _, err := send(svc, viaPost(signXML(t, authnRequest(issuer, ""), other, "")), ""); codeOf(err) != saml.CodeBadSignature {
		t.Errorf("badly signed request, signatures optional: %v", err)
	}
}
