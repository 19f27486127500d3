package idp_test

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// TestSecurityCasesOfMetadataApps runs the protocol's bad-input cases through what metadata import, signed
// requests, encryption and single logout added: ACS indexes from metadata, LogoutRequests, encrypted Responses.
func TestSecurityCasesOfMetadataApps(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	k, enc := newSPKey(t, "sp"), newSPKey(t, "enc")
	app := sloApp(t, svc, root, "cases", saml.BindingHTTPRedirect, k)
	start := func(attrs string) error {
		q := redirectQuery(t, "SAMLRequest", authnRequest(app.SAML.EntityID, attrs), "", k, saml.SHA256)
		_, err := svc.SAMLRedirect(ctx, "default", q, "")
		return err
	}
	t.Run("SecurityCase1 ACS URL not registered", func(t *testing.T) {
		if err := start(` AssertionConsumerServiceURL="https://cases.example.test/acs3"`); codeOf(err) != saml.CodeReplyURLMismatch {
			t.Errorf("got %v", err)
		}
	})
	t.Run("SecurityCase2 ACS index", func(t *testing.T) {
		for _, tt := range []struct{ attrs, want string }{
			{` AssertionConsumerServiceIndex="2"`, ""},
			{` AssertionConsumerServiceIndex="1"`, ""},
			{` AssertionConsumerServiceIndex="0"`, saml.CodeBadACSIndex}, // the Artifact endpoint
			{` AssertionConsumerServiceIndex="-1"`, saml.CodeBadACSIndex},
			{` AssertionConsumerServiceIndex="1" AssertionConsumerServiceURL="https://cases.example.test/acs1"`, saml.CodeBadACSIndex},
		} {
			if err := start(tt.attrs); codeOf(err) != tt.want {
				t.Errorf("%s: got %v, want %q", tt.attrs, err, tt.want)
			}
		}
	})
	lr := func(repl ...string) string {
		return strings.NewReplacer(repl...).Replace(logoutRequest(app.SAML.EntityID, "x", "", ""))
	}
	decodeErr := func(q string) error {
		_, err := saml.DecodeRedirectAny(q, saml.DefaultLimits)
		return err
	}
	t.Run("SecurityCase6 DTD in a LogoutRequest", func(t *testing.T) {
		q := redirectQuery(t, "SAMLRequest", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>`+lr(), "", nil, "")
		if err := decodeErr(q); codeOf(err) != saml.CodeForbiddenDTD {
			t.Errorf("got %v", err)
		}
	})
	t.Run("SecurityCase7 DEFLATE bomb as a LogoutRequest", func(t *testing.T) {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.BestCompression)
		w.Write([]byte(lr()[:60]))
		w.Write(bytes.Repeat([]byte(" "), 64<<20))
		w.Close()
		q := "SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes()))
		if err := decodeErr(q); codeOf(err) != saml.CodeRequestTooLarge {
			t.Errorf("got %v", err)
		}
	})
	t.Run("SecurityCase9 malformed base64 LogoutRequest", func(t *testing.T) {
		if err := decodeErr("SAMLRequest=%%%"); codeOf(err) != saml.CodeMalformedRequest {
			t.Errorf("got %v", err)
		}
	})
	t.Run("SecurityCase12 LogoutRequest version", func(t *testing.T) {
		if err := decodeErr(redirectQuery(t, "SAMLRequest", lr(`Version="2.0"`, `Version="1.0"`), "", nil, "")); codeOf(err) != saml.CodeUnsupportedVersion {
			t.Errorf("got %v", err)
		}
	})
	refuse := func(t *testing.T, q, want string) {
		t.Helper()
		_, err := svc.SAMLRedirect(ctx, "default", q, "")
		if codeOf(err) != want {
			t.Errorf("got %v, want %s", err, want)
		}
	}
	t.Run("SecurityCase13 LogoutRequest destination", func(t *testing.T) {
		refuse(t, redirectQuery(t, "SAMLRequest", lr("http://127.0.0.1:8080/d/default/saml2", "https://evil.example/saml2"), "", k, saml.SHA256), saml.CodeWrongDestination)
	})
	t.Run("SecurityCase14 LogoutRequest too old", func(t *testing.T) {
		old := time.Now().Add(-10 * time.Minute).UTC().Format(time.RFC3339)
		x := regexp.MustCompile(`IssueInstant="[^"]*"`).ReplaceAllString(lr(), `IssueInstant="`+old+`"`)
		refuse(t, redirectQuery(t, "SAMLRequest", x, "", k, saml.SHA256), saml.CodeRequestExpired)
	})
	t.Run("SecurityCase18 LogoutRequest replayed", func(t *testing.T) {
		q := redirectQuery(t, "SAMLRequest", lr(), "", k, saml.SHA256)
		refuse(t, q, "")
		refuse(t, q, saml.CodeRequestReplayed)
	})
	t.Run("SecurityCase22 LogoutRequest RelayState over the limit", func(t *testing.T) {
		refuse(t, redirectQuery(t, "SAMLRequest", lr(), strings.Repeat("r", 81), k, saml.SHA256), saml.CodeRelayStateInvalid)
	})
	t.Run("SecurityCase24 encrypted Response properties", func(t *testing.T) {
		a := openApp(t, svc, root, "https://cases24.example.test/sp", enc, "")
		doc := spInitiated(t, svc, a, newSession(t, svc, root, false), "", "")
		resp := doc.Root()
		if resp.SelectAttrValue("Destination", "") != a.SAML.ReplyURLs[0] || !regexp.MustCompile(`^_[0-9a-f]{32}$`).MatchString(resp.SelectAttrValue("ID", "")) ||
			resp.SelectAttrValue("InResponseTo", "") == "" {
			t.Errorf("Response attributes %v", resp.Attr)
		}
		plain, err := xmlenc.Decrypt(enc.Key, doc.FindElement("//EncryptedAssertion/EncryptedData"))
		if err != nil {
			t.Fatal(err)
		}
		as := etree.NewDocument()
		as.ReadFromBytes(plain)
		scd := as.FindElement("//SubjectConfirmationData")
		cond := as.FindElement("//Conditions")
		if as.FindElement("//Audience").Text() != a.SAML.EntityID || scd.SelectAttrValue("Recipient", "") != a.SAML.ReplyURLs[0] ||
			scd.SelectAttrValue("InResponseTo", "") != resp.SelectAttrValue("InResponseTo", "") {
			t.Errorf("assertion audience, recipient or InResponseTo wrong:\n%s", plain)
		}
		nb, _ := time.Parse(time.RFC3339, cond.SelectAttrValue("NotBefore", ""))
		na, _ := time.Parse(time.RFC3339, cond.SelectAttrValue("NotOnOrAfter", ""))
		if d := na.Sub(nb); d <= 5*time.Minute || d > 7*time.Minute || !nb.Before(time.Now()) {
			t.Errorf("validity %s to %s", nb, na)
		}
		if !strings.Contains(string(plain), "rsa-sha256") {
			t.Error("the assertion is not signed with RSA-SHA256")
		}
	})
}
