package saml

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDecodeRedirect(t *testing.T) {
	index := 1
	tests := []struct {
		name  string
		query func(t *testing.T) string
		want  *Message
	}{
		{
			name: "sp-initiated",
			query: func(t *testing.T) string {
				return redirectQuery(t, requestXML(), "https://mixpanel.com/report?a=1&b=<2>")
			},
			want: &Message{
				Binding:    BindingHTTPRedirect,
				RelayState: "https://mixpanel.com/report?a=1&b=<2>",
				Request: &AuthnRequest{
					ID: testRequestID, Version: "2.0",
					IssueInstant:    time.Date(2027, 3, 4, 5, 5, 37, 0, time.UTC),
					RawIssueInstant: "2027-03-04T05:05:37Z",
					Destination:     testSSOURL, Issuer: testSPEntityID, ACSURL: testACSURL, ProtocolBinding: BindingHTTPPost,
					NameIDPolicy:          &NameIDPolicy{Format: NameIDEmail, AllowCreate: true},
					RequestedAuthnContext: &RequestedAuthnContext{Comparison: "exact", ClassRefs: []string{AuthnContextPasswordProtectedTransport}},
				},
			},
		},
		{
			name: "minimal-with-index-passive-force",
			query: func(t *testing.T) string {
				return redirectQuery(t, `<?xml version="1.0" encoding="UTF-8"?>
<AuthnRequest xmlns="urn:oasis:names:tc:SAML:2.0:protocol" ID="a1" Version="2.0" IssueInstant="2027-03-04T05:06:00.123+01:00" AssertionConsumerServiceIndex="1" IsPassive="1" ForceAuthn="true">
  <Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">
    sp
  </Issuer>
</AuthnRequest>`, "")
			},
			want: &Message{
				Binding: BindingHTTPRedirect,
				Request: &AuthnRequest{
					ID: "a1", Version: "2.0",
					IssueInstant:    time.Date(2027, 3, 4, 4, 6, 0, 123e6, time.UTC),
					RawIssueInstant: "2027-03-04T05:06:00.123+01:00",
					Issuer:          "sp", ACSIndex: &index, IsPassive: true, ForceAuthn: true,
				},
			},
		},
		{
			name: "signed",
			query: func(t *testing.T) string {
				return "SAMLRequest=" + url.QueryEscape(deflateBase64(t, requestXML())) + "&RelayState=r%2Fs&SigAlg=" +
					url.QueryEscape(dsigRSASHA256) + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("sig"))) + "&other=x"
			},
			want: &Message{
				Binding:    BindingHTTPRedirect,
				RelayState: "r/s",
				SigAlg:     dsigRSASHA256,
				Signature:  []byte("sig"),
				Request: &AuthnRequest{
					ID: testRequestID, Version: "2.0",
					IssueInstant:    time.Date(2027, 3, 4, 5, 5, 37, 0, time.UTC),
					RawIssueInstant: "2027-03-04T05:05:37Z",
					Destination:     testSSOURL, Issuer: testSPEntityID, ACSURL: testACSURL, ProtocolBinding: BindingHTTPPost,
					NameIDPolicy:          &NameIDPolicy{Format: NameIDEmail, AllowCreate: true},
					RequestedAuthnContext: &RequestedAuthnContext{Comparison: "exact", ClassRefs: []string{AuthnContextPasswordProtectedTransport}},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.query(t)
			got, err := DecodeRedirect(q, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(AuthnRequest{}, "Raw"), cmpopts.IgnoreFields(Message{}, "SignedQuery")); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if tt.want.SigAlg != "" {
				// The signed octets are the parameters as received, in the order of the bindings specification.
				want := q[:strings.Index(q, "&Signature=")]
				if diff := cmp.Diff(want, string(got.SignedQuery)); diff != "" {
					t.Errorf("SignedQuery mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

const dsigRSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

func TestDecodePostByteOrderMark(t *testing.T) {
	xml := "\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?>" + requestXML()
	m, err := DecodePost(base64.StdEncoding.EncodeToString([]byte(xml)), "", DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testRequestID, m.Request.ID); diff != "" {
		t.Errorf("ID mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodePost(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString([]byte(requestXML()))
	wrapped := ""
	for len(enc) > 76 {
		wrapped += enc[:76] + "\r\n"
		enc = enc[76:]
	}
	wrapped += enc
	got, err := DecodePost(wrapped, "<b>relay</b>", DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := &Message{Binding: BindingHTTPPost, RelayState: "<b>relay</b>", Request: &AuthnRequest{
		ID: testRequestID, Version: "2.0",
		IssueInstant:    time.Date(2027, 3, 4, 5, 5, 37, 0, time.UTC),
		RawIssueInstant: "2027-03-04T05:05:37Z",
		Destination:     testSSOURL, Issuer: testSPEntityID, ACSURL: testACSURL, ProtocolBinding: BindingHTTPPost,
		NameIDPolicy:          &NameIDPolicy{Format: NameIDEmail, AllowCreate: true},
		RequestedAuthnContext: &RequestedAuthnContext{Comparison: "exact", ClassRefs: []string{AuthnContextPasswordProtectedTransport}},
		Raw:                   []byte(requestXML()),
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// deflateBomb returns base64 of raw DEFLATE data that inflates to n zero bytes after a request's first bytes.
func deflateBomb(t *testing.T, n int) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x" Version="2.0">`))
	zeros := make([]byte, 1<<20)
	for i := 0; i < n; i += len(zeros) {
		w.Write(zeros)
	}
	w.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// TestDecodeRejects holds the malformed and hostile requests of SECURITY-CASES 6 to 12 and 22, one case each.
func TestDecodeRejects(t *testing.T) {
	roomy := Limits{MaxEncoded: 8 << 20, MaxInflated: 4 << 20}
	deep := strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000)
	many := strings.Repeat("<a/>", 100000)
	type decoder func(t *testing.T) error
	redirect := func(xml string, lim Limits) decoder {
		return func(t *testing.T) error { _, err := DecodeRedirect(redirectQuery(t, xml, ""), lim); return err }
	}
	rawRedirect := func(query string) decoder {
		return func(t *testing.T) error { _, err := DecodeRedirect(query, DefaultLimits); return err }
	}
	post := func(xml string) decoder {
		return func(t *testing.T) error {
			_, err := DecodePost(base64.StdEncoding.EncodeToString([]byte(xml)), "", DefaultLimits)
			return err
		}
	}
	tests := []struct {
		name   string
		decode decoder
		code   string
		field  string
	}{
		// Case 7: a DEFLATE bomb is cut off at MaxInflated.
		{"deflate-bomb-100MiB", func(t *testing.T) error {
			_, err := DecodeRedirect("SAMLRequest="+url.QueryEscape(deflateBomb(t, 100<<20)), roomy)
			return err
		}, CodeRequestTooLarge, "SAMLRequest"},
		{"deflate-bomb-default-limits", func(t *testing.T) error {
			_, err := DecodeRedirect("SAMLRequest="+url.QueryEscape(deflateBomb(t, 100<<20)), DefaultLimits)
			return err
		}, CodeRequestTooLarge, "SAMLRequest"},
		{"inflated-over-limit", redirect(requestXML(), Limits{MaxInflated: 100}), CodeRequestTooLarge, "SAMLRequest"},
		// Case 8: oversized requests.
		{"encoded-over-limit", redirect(requestXML(), Limits{MaxEncoded: 100}), CodeRequestTooLarge, "SAMLRequest"},
		{"post-encoded-over-limit", func(t *testing.T) error {
			_, err := DecodePost(strings.Repeat("A", 70<<10), "", DefaultLimits)
			return err
		}, CodeRequestTooLarge, "SAMLRequest"},
		{"query-over-limit", rawRedirect("SAMLRequest=x&junk=" + strings.Repeat("A", 80<<10)), CodeRequestTooLarge, "SAMLRequest"},
		// Case 9: malformed base64 and DEFLATE.
		{"bad-base64-characters", rawRedirect("SAMLRequest=%21%21%21%21"), CodeMalformedRequest, "SAMLRequest"},
		{"truncated-base64", rawRedirect("SAMLRequest=" + url.QueryEscape(deflateBase64(t, requestXML())[:101])), CodeMalformedRequest, "SAMLRequest"},
		{"truncated-deflate", rawRedirect("SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(mustDecode(t, deflateBase64(t, requestXML()))[:60]))), CodeMalformedRequest, "SAMLRequest"},
		{"not-deflate", rawRedirect("SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(requestXML())))), CodeMalformedRequest, "SAMLRequest"},
		{"bad-percent-encoding", rawRedirect("SAMLRequest=%zz"), CodeMalformedRequest, "SAMLRequest"},
		{"post-bad-base64", func(t *testing.T) error { _, err := DecodePost("<xml>", "", DefaultLimits); return err }, CodeMalformedRequest, "SAMLRequest"},
		{"missing-SAMLRequest", rawRedirect("RelayState=x"), CodeMalformedRequest, "SAMLRequest"},
		{"empty-SAMLRequest", rawRedirect("SAMLRequest="), CodeMalformedRequest, "SAMLRequest"},
		{"duplicate-SAMLRequest", rawRedirect("SAMLRequest=a&SAMLRequest=b"), CodeMalformedRequest, "SAMLRequest"},
		{"signature-without-sigalg", rawRedirect("SAMLRequest=" + url.QueryEscape(deflateBase64(t, requestXML())) + "&Signature=c2ln"), CodeMalformedRequest, "Signature"},
		{"bad-signature-base64", rawRedirect("SAMLRequest=" + url.QueryEscape(deflateBase64(t, requestXML())) + "&SigAlg=x&Signature=%21"), CodeMalformedRequest, "Signature"},
		// Case 10: invalid UTF-8.
		{"invalid-utf8", redirect(requestXML(testSPEntityID+"<", "sp\xff\xfe<"), DefaultLimits), CodeMalformedRequest, "SAMLRequest"},
		{"latin1-declared", post(`<?xml version="1.0" encoding="ISO-8859-1"?>` + requestXML()), CodeMalformedRequest, "SAMLRequest"},
		// Case 6: DTDs, entities and processing instructions, refused before the content is read.
		{"xxe-external-entity", post(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + requestXML(testSPEntityID+"<", "&xxe;<")), CodeForbiddenDTD, "SAMLRequest"},
		{"internal-entity-billion-laughs", post(`<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` + requestXML(testSPEntityID+"<", "&b;<")), CodeForbiddenDTD, "SAMLRequest"},
		{"doctype-public", redirect(`<!DOCTYPE AuthnRequest PUBLIC "-//x//EN" "http://127.0.0.1/x.dtd">`+requestXML(), DefaultLimits), CodeForbiddenDTD, "SAMLRequest"},
		{"processing-instruction", post(`<?xml-stylesheet href="x.xsl"?>` + requestXML()), CodeForbiddenDTD, "SAMLRequest"},
		{"processing-instruction-inside", post(requestXML("<saml:Issuer>", `<?php echo 1?><saml:Issuer>`)), CodeForbiddenDTD, "SAMLRequest"},
		{"undeclared-entity", post(requestXML(testSPEntityID+"<", "&xxe;<")), CodeMalformedRequest, "SAMLRequest"},
		// Case 11: deep nesting, many elements, huge attributes.
		{"nesting-10000-levels", redirect(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">`+deep+`</samlp:AuthnRequest>`, DefaultLimits), CodeRequestTooLarge, "SAMLRequest"},
		{"elements-100000", redirect(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">`+many+`</samlp:AuthnRequest>`, roomy), CodeRequestTooLarge, "SAMLRequest"},
		{"elements-100000-default-limits", redirect(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">`+many+`</samlp:AuthnRequest>`, DefaultLimits), CodeRequestTooLarge, "SAMLRequest"},
		{"huge-attribute", redirect(requestXML(`ForceAuthn="false"`, `ProviderName="`+strings.Repeat("x", 9000)+`"`), DefaultLimits), CodeRequestTooLarge, "SAMLRequest"},
		{"huge-issuer-text", redirect(requestXML(testSPEntityID+"<", strings.Repeat("x", 9000)+"<"), DefaultLimits), CodeRequestTooLarge, "SAMLRequest"},
		// Case 12: wrong root element or namespace, Version other than 2.0, missing ID.
		{"wrong-namespace", redirect(requestXML(`xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"`, `xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol"`), DefaultLimits), CodeMalformedRequest, "SAMLRequest"},
		{"no-namespace", post(`<AuthnRequest ID="a" Version="2.0"/>`), CodeMalformedRequest, "SAMLRequest"},
		{"wrong-root", post(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="a" Version="2.0"/>`), CodeMalformedRequest, "SAMLRequest"},
		{"version-1.1", redirect(requestXML(`Version="2.0"`, `Version="1.1"`), DefaultLimits), CodeUnsupportedVersion, "Version"},
		{"version-missing", redirect(requestXML(`Version="2.0"`, ``), DefaultLimits), CodeUnsupportedVersion, "Version"},
		{"missing-ID", redirect(requestXML(`ID="`+testRequestID+`"`, ``), DefaultLimits), CodeMalformedRequest, "ID"},
		{"two-roots", post(requestXML() + requestXML()), CodeMalformedRequest, "SAMLRequest"},
		{"not-xml", post("hello"), CodeMalformedRequest, "SAMLRequest"},
		{"unclosed", post(strings.TrimSuffix(requestXML(), "</samlp:AuthnRequest>")), CodeMalformedRequest, "SAMLRequest"},
		{"two-issuers", post(requestXML("<samlp:NameIDPolicy", "<saml:Issuer>x</saml:Issuer><samlp:NameIDPolicy")), CodeMalformedRequest, "Issuer"},
		{"bad-boolean", post(requestXML(`IsPassive="false"`, `IsPassive="yes"`)), CodeMalformedRequest, "IsPassive"},
		{"bad-index", post(requestXML(`IsPassive="false"`, `AssertionConsumerServiceIndex="one"`)), CodeBadACSIndex, "AssertionConsumerServiceIndex"},
		// Case 22: RelayState over the limit.
		{"relay-state-81-bytes", func(t *testing.T) error {
			_, err := DecodeRedirect(redirectQuery(t, requestXML(), strings.Repeat("r", 81)), DefaultLimits)
			return err
		}, CodeRelayStateInvalid, "RelayState"},
		{"post-relay-state-81-bytes", func(t *testing.T) error {
			_, err := DecodePost(base64.StdEncoding.EncodeToString([]byte(requestXML())), strings.Repeat("r", 81), DefaultLimits)
			return err
		}, CodeRelayStateInvalid, "RelayState"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, tt.decode(t), tt.code, tt.field)
		})
	}
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeflateBombMemory checks that inflating a 100 MiB bomb allocates little more than the inflation limit.
func TestDeflateBombMemory(t *testing.T) {
	query := "SAMLRequest=" + url.QueryEscape(deflateBomb(t, 100<<20))
	lim := Limits{MaxEncoded: 8 << 20}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := DecodeRedirect(query, lim)
	runtime.ReadMemStats(&after)
	checkError(t, err, CodeRequestTooLarge, "SAMLRequest")
	// The query and its decoded forms, a 256 KiB output buffer and a flate reader; never the 100 MiB.
	if got, max := after.TotalAlloc-before.TotalAlloc, uint64(len(query))*3+4<<20; got > max {
		t.Errorf("decoding the bomb allocated %d bytes, more than %d", got, max)
	}
}

func TestDecodePostSigned(t *testing.T) {
	const sig = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature>`
	tests := []struct {
		name string
		xml  string
		want bool
	}{
		{"unsigned", requestXML(), false},
		{"enveloped", requestXML("</saml:Issuer>", "</saml:Issuer>"+sig), true},
		{"nested-elsewhere", requestXML("</saml:Issuer>", "</saml:Issuer><samlp:Extensions>"+sig+"</samlp:Extensions>"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodePost(base64.StdEncoding.EncodeToString([]byte(tt.xml)), "", DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, m.Request.Signed); diff != "" {
				t.Errorf("Signed mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
