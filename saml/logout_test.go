package saml

import (
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// logoutXML returns a LogoutRequest of the test SP, with replacements applied.
func logoutXML(replacements ...string) string {
	s := `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
		`ID="_lr1" Version="2.0" IssueInstant="2027-03-04T05:05:37Z" Destination="` + testSSOURL + `">` +
		`<saml:Issuer>` + testSPEntityID + `</saml:Issuer>` +
		`<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">_abc</saml:NameID>` +
		`<samlp:SessionIndex>_s1</samlp:SessionIndex></samlp:LogoutRequest>`
	return strings.NewReplacer(replacements...).Replace(s)
}

func TestDecodeLogoutRequest(t *testing.T) {
	m, err := DecodeRedirectAny(redirectQuery(t, logoutXML(), "rs"), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := &LogoutRequest{ID: "_lr1", Version: "2.0", IssueInstant: time.Date(2027, 3, 4, 5, 5, 37, 0, time.UTC), RawIssueInstant: "2027-03-04T05:05:37Z",
		Destination: testSSOURL, Issuer: testSPEntityID, NameID: "_abc", NameIDFormat: NameIDTransient, SessionIndexes: []string{"_s1"}, Raw: []byte(logoutXML())}
	if diff := cmp.Diff(want, m.Logout); diff != "" || m.Request != nil || m.RelayState != "rs" {
		t.Errorf("LogoutRequest mismatch (-want +got):\n%s", diff)
	}
	if err := testIdP(t).ValidateLogoutRequest(m.Logout); err != nil {
		t.Errorf("ValidateLogoutRequest() = %v", err)
	}
	// An AuthnRequest at the same endpoint is still an AuthnRequest.
	if m, err := DecodeRedirectAny(redirectQuery(t, requestXML(), ""), DefaultLimits); err != nil || m.Request == nil || m.Logout != nil {
		t.Errorf("AuthnRequest through DecodeRedirectAny: %+v, %v", m, err)
	}
	// A LogoutResponse comes as SAMLResponse.
	resp := `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" Version="2.0" InResponseTo="_x"><saml:Issuer>` + testSPEntityID + `</saml:Issuer><samlp:Status><samlp:StatusCode Value="` + StatusSuccess + `"/></samlp:Status></samlp:LogoutResponse>`
	m, err = DecodePostAny("", base64.StdEncoding.EncodeToString([]byte(resp)), "", DefaultLimits)
	if err != nil || m.LogoutResponse == nil || m.LogoutResponse.Status != StatusSuccess || m.LogoutResponse.InResponseTo != "_x" {
		t.Errorf("LogoutResponse: %+v, %v", m, err)
	}
}

func TestDecodeLogoutRejects(t *testing.T) {
	idp := testIdP(t)
	tests := []struct {
		name, xml, code, field string
	}{
		{"doctype", `<!DOCTYPE x [<!ENTITY e "e">]>` + logoutXML(), CodeForbiddenDTD, "SAMLRequest"},
		{"no NameID", logoutXML(`<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">_abc</saml:NameID>`, ""), CodeMalformedRequest, "NameID"},
		{"encrypted ID", logoutXML(`<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">_abc</saml:NameID>`, `<saml:EncryptedID/>`), CodeMalformedRequest, "EncryptedID"},
		{"two issuers", logoutXML(`</saml:Issuer>`, `</saml:Issuer><saml:Issuer>x</saml:Issuer>`), CodeMalformedRequest, "Issuer"},
		{"version", logoutXML(`Version="2.0"`, `Version="1.1"`), CodeUnsupportedVersion, "Version"},
		{"no ID", logoutXML(`ID="_lr1" `, ""), CodeMalformedRequest, "ID"},
		{"deep", logoutXML(`<samlp:SessionIndex>`, strings.Repeat("<a>", 100)+strings.Repeat("</a>", 100)+`<samlp:SessionIndex>`), CodeRequestTooLarge, "SAMLRequest"},
		{"bad NotOnOrAfter", logoutXML(`Version="2.0"`, `Version="2.0" NotOnOrAfter="soon"`), CodeRequestExpired, "NotOnOrAfter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRedirectAny(redirectQuery(t, tt.xml, ""), DefaultLimits)
			checkError(t, err, tt.code, tt.field)
		})
	}
	validation := []struct {
		name, xml, code, field string
	}{
		{"old", logoutXML(`2027-03-04T05:05:37Z`, `2027-03-04T04:00:00Z`), CodeRequestExpired, "IssueInstant"},
		{"expired", logoutXML(`Version="2.0"`, `Version="2.0" NotOnOrAfter="2027-03-04T05:00:00Z"`), CodeRequestExpired, "NotOnOrAfter"},
		{"destination", logoutXML(`Destination="`+testSSOURL+`"`, `Destination="https://evil.example/"`), CodeWrongDestination, "Destination"},
		{"no issuer", logoutXML(`<saml:Issuer>`+testSPEntityID+`</saml:Issuer>`, ""), CodeUnknownIssuer, "Issuer"},
	}
	for _, tt := range validation {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeRedirectAny(redirectQuery(t, tt.xml, ""), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			checkError(t, idp.ValidateLogoutRequest(m.Logout), tt.code, tt.field)
		})
	}
}

// TestLogoutMessagesRoundTrip builds the IdP's LogoutRequest and LogoutResponse, carries them by the Redirect
// binding and reads them back with the signature verified.
func TestLogoutMessagesRoundTrip(t *testing.T) {
	idp, s := testIdP(t), testSigner(t)
	sp := testSP(SignAssertion, SHA256)
	_, xml, err := idp.LogoutRequest(&LogoutParams{SP: sp, Destination: "https://sp.example/slo", NameID: "n<&>", NameIDFormat: NameIDPersistent, SessionIndex: "_s"}, s, false)
	if err != nil {
		t.Fatal(err)
	}
	u, err := RedirectURL("https://sp.example/slo?x=1", "SAMLRequest", xml, "r s", s, SHA256)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := url.Parse(u)
	m, err := DecodeRedirectAny(p.RawQuery, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyRedirect(m, []*x509.Certificate{testCert(t)}, false); err != nil {
		t.Errorf("VerifyRedirect() = %v", err)
	}
	if m.Logout.NameID != "n<&>" || m.Logout.SessionIndexes[0] != "_s" || m.RelayState != "r s" {
		t.Errorf("read back %+v", m.Logout)
	}
	resp, err := idp.LogoutResponse(sp, "https://sp.example/slo", "_id", "", s, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyPost(resp, []*x509.Certificate{testCert(t)}, false); err != nil {
		t.Errorf("VerifyPost(LogoutResponse) = %v", err)
	}
}
