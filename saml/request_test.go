package saml

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// validRequest returns the decoded realistic AuthnRequest, issued 30 seconds before testNow.
func validRequest(t *testing.T) *AuthnRequest {
	t.Helper()
	m, err := DecodeRedirect(redirectQuery(t, requestXML(), ""), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return m.Request
}

// TestValidateRequest holds SECURITY-CASES 2, 3, 4, 12, 13 and 14, one case each.
func TestValidateRequest(t *testing.T) {
	idx := func(i int) *int { return &i }
	tests := []struct {
		name  string
		edit  func(r *AuthnRequest)
		code  string
		field string
	}{
		{"valid", func(r *AuthnRequest) {}, "", ""},
		{"valid-no-destination-no-binding", func(r *AuthnRequest) { r.Destination, r.ProtocolBinding = "", "" }, "", ""},
		{"valid-4m59s-old", func(r *AuthnRequest) { r.IssueInstant = testNow.Add(-4*time.Minute - 59*time.Second) }, "", ""},
		{"valid-2m59s-ahead", func(r *AuthnRequest) { r.IssueInstant = testNow.Add(2*time.Minute + 59*time.Second) }, "", ""},
		{"version-1.1", func(r *AuthnRequest) { r.Version = "1.1" }, CodeUnsupportedVersion, "Version"},
		{"missing-ID", func(r *AuthnRequest) { r.ID = "" }, CodeMalformedRequest, "ID"},
		{"issue-instant-stale", func(r *AuthnRequest) { r.IssueInstant = testNow.Add(-5*time.Minute - time.Second) }, CodeRequestExpired, "IssueInstant"},
		{"issue-instant-future", func(r *AuthnRequest) { r.IssueInstant = testNow.Add(3*time.Minute + time.Second) }, CodeRequestExpired, "IssueInstant"},
		{"issue-instant-unparseable", func(r *AuthnRequest) { r.IssueInstant, r.RawIssueInstant = time.Time{}, "yesterday" }, CodeRequestExpired, "IssueInstant"},
		{"issue-instant-missing", func(r *AuthnRequest) { r.IssueInstant, r.RawIssueInstant = time.Time{}, "" }, CodeRequestExpired, "IssueInstant"},
		{"wrong-destination", func(r *AuthnRequest) { r.Destination = "http://127.0.0.1:8080/d/other/saml2" }, CodeWrongDestination, "Destination"},
		{"destination-trailing-slash", func(r *AuthnRequest) { r.Destination = testSSOURL + "/" }, CodeWrongDestination, "Destination"},
		{"subject-present", func(r *AuthnRequest) { r.HasSubject = true }, CodeSubjectNotAllowed, "Subject"},
		{"protocol-binding-artifact", func(r *AuthnRequest) { r.ProtocolBinding = BindingHTTPArtifact }, CodeUnsupportedBinding, "ProtocolBinding"},
		{"protocol-binding-redirect", func(r *AuthnRequest) { r.ProtocolBinding = BindingHTTPRedirect }, CodeUnsupportedBinding, "ProtocolBinding"},
		{"index-and-url", func(r *AuthnRequest) { r.ACSIndex = idx(0) }, CodeBadACSIndex, "AssertionConsumerServiceIndex"},
		{"negative-index", func(r *AuthnRequest) { r.ACSURL, r.ACSIndex = "", idx(-1) }, CodeBadACSIndex, "AssertionConsumerServiceIndex"},
		{"issuer-missing", func(r *AuthnRequest) { r.Issuer = "" }, CodeUnknownIssuer, "Issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest(t)
			tt.edit(r)
			checkError(t, testIdP(t).ValidateRequest(r), tt.code, tt.field)
		})
	}
}

// TestValidateDecodedRequest runs requests through both steps, as the SSO endpoint does.
func TestValidateDecodedRequest(t *testing.T) {
	tests := []struct {
		name  string
		xml   string
		code  string
		field string
	}{
		{"empty-issuer", requestXML("<saml:Issuer>"+testSPEntityID+"</saml:Issuer>", "<saml:Issuer> </saml:Issuer>"), CodeUnknownIssuer, "Issuer"},
		{"no-issuer", requestXML("<saml:Issuer>"+testSPEntityID+"</saml:Issuer>", ""), CodeUnknownIssuer, "Issuer"},
		{"subject", requestXML("<samlp:NameIDPolicy", "<saml:Subject><saml:NameID>eve</saml:NameID></saml:Subject><samlp:NameIDPolicy"), CodeSubjectNotAllowed, "Subject"},
		{"unparseable-instant", requestXML(`IssueInstant="2027-03-04T05:05:37Z"`, `IssueInstant="04/03/2027 05:05"`), CodeRequestExpired, "IssueInstant"},
		{"instant-without-zone-is-utc", requestXML(`IssueInstant="2027-03-04T05:05:37Z"`, `IssueInstant="2027-03-04T05:05:37"`), "", ""},
		{"artifact-binding", requestXML(BindingHTTPPost, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"), CodeUnsupportedBinding, "ProtocolBinding"},
		{"index-and-url", requestXML(`IsPassive="false"`, `AssertionConsumerServiceIndex="0"`), CodeBadACSIndex, "AssertionConsumerServiceIndex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeRedirect(redirectQuery(t, tt.xml, ""), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			checkError(t, testIdP(t).ValidateRequest(m.Request), tt.code, tt.field)
		})
	}
}

// TestResolveACS holds SECURITY-CASES 1 and 2: the request's URL is used only when it is registered byte for byte.
func TestResolveACS(t *testing.T) {
	idx := func(i int) *int { return &i }
	sp := testSP(SignAssertion, SHA256)
	tests := []struct {
		name    string
		acsURLs []string
		url     string
		index   *int
		want    string
		wantErr *Error
	}{
		{name: "exact-match", url: testACSURL, want: testACSURL},
		{name: "second-registered", url: "https://sso.mixpanel.com/sso/saml2/alt", want: "https://sso.mixpanel.com/sso/saml2/alt"},
		{name: "default", want: testACSURL},
		{name: "index-0", index: idx(0), want: testACSURL},
		{name: "index-1", index: idx(1), want: "https://sso.mixpanel.com/sso/saml2/alt"},
		{name: "unregistered", url: "https://evil.example/acs", wantErr: mismatch("https://evil.example/acs")},
		{name: "prefix-of-registered", url: "https://sso.mixpanel.com/sso/saml", wantErr: mismatch("https://sso.mixpanel.com/sso/saml")},
		{name: "registered-as-prefix", url: testACSURL + ".evil.example", wantErr: mismatch(testACSURL + ".evil.example")},
		{name: "case-variant", url: "https://SSO.mixpanel.com/sso/saml2", wantErr: mismatch("https://SSO.mixpanel.com/sso/saml2")},
		{name: "trailing-slash", url: testACSURL + "/", wantErr: mismatch(testACSURL + "/")},
		{name: "query-added", url: testACSURL + "?x=1", wantErr: mismatch(testACSURL + "?x=1")},
		{name: "percent-encoded-variant", url: "https://sso.mixpanel.com/sso/saml%32", wantErr: mismatch("https://sso.mixpanel.com/sso/saml%32")},
		{name: "unknown-index", index: idx(2), wantErr: &Error{Code: CodeBadACSIndex, Field: "AssertionConsumerServiceIndex", Received: "2", Expected: "0 to 1"}},
		{name: "negative-index", index: idx(-1), wantErr: &Error{Code: CodeBadACSIndex, Field: "AssertionConsumerServiceIndex", Received: "-1"}},
		{name: "index-and-url", url: testACSURL, index: idx(0), wantErr: &Error{Code: CodeBadACSIndex, Field: "AssertionConsumerServiceIndex", Received: "0"}},
		{name: "no-reply-url", acsURLs: []string{}, wantErr: &Error{Code: CodeNoReplyURL, Field: "replyURLs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := *sp
			if tt.acsURLs != nil {
				sp.ACSURLs = tt.acsURLs
			}
			got, err := sp.ResolveACS(&AuthnRequest{ACSURL: tt.url, ACSIndex: tt.index})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("URL mismatch (-want +got):\n%s", diff)
			}
			var gotErr *Error
			if err != nil {
				e := *err.(*Error)
				gotErr = &Error{Code: e.Code, Field: e.Field, Received: e.Received, Expected: e.Expected}
			}
			if diff := cmp.Diff(tt.wantErr, gotErr); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func mismatch(received string) *Error {
	return &Error{Code: CodeReplyURLMismatch, Field: "AssertionConsumerServiceURL", Received: received,
		Expected: testACSURL + ", https://sso.mixpanel.com/sso/saml2/alt"}
}

// TestCheckNameIDPolicy holds SECURITY-CASE 21.
func TestCheckNameIDPolicy(t *testing.T) {
	tests := []struct {
		name   string
		policy *NameIDPolicy
		code   string
	}{
		{"none", nil, ""},
		{"no-format", &NameIDPolicy{AllowCreate: true}, ""},
		{"unspecified", &NameIDPolicy{Format: NameIDUnspecified}, ""},
		{"app-format", &NameIDPolicy{Format: NameIDEmail}, ""},
		{"persistent", &NameIDPolicy{Format: NameIDPersistent}, ""},
		{"transient", &NameIDPolicy{Format: NameIDTransient}, ""},
		{"x509-not-offered", &NameIDPolicy{Format: "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"}, CodeInvalidNameIDPolicy},
		{"unknown-format", &NameIDPolicy{Format: "urn:example:kerberos"}, CodeInvalidNameIDPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := testSP("", "").CheckNameIDPolicy(&AuthnRequest{NameIDPolicy: tt.policy})
			code, _ := errorCode(err)
			if diff := cmp.Diff(tt.code, code); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if err != nil && err.(*Error).SubStatus != StatusInvalidNameIDPolicy {
				t.Errorf("SubStatus = %q, want InvalidNameIDPolicy", err.(*Error).SubStatus)
			}
		})
	}
}

func TestCheckAuthnContext(t *testing.T) {
	offered := []string{AuthnContextPassword, AuthnContextPasswordProtectedTransport}
	tests := []struct {
		name string
		ctx  *RequestedAuthnContext
		code string
	}{
		{"none", nil, ""},
		{"exact-offered", &RequestedAuthnContext{Comparison: "exact", ClassRefs: []string{AuthnContextPasswordProtectedTransport}}, ""},
		{"one-of-several", &RequestedAuthnContext{Comparison: "exact", ClassRefs: []string{"urn:example:mfa", AuthnContextPassword}}, ""},
		{"mfa-only", &RequestedAuthnContext{Comparison: "exact", ClassRefs: []string{"urn:oasis:names:tc:SAML:2.0:ac:classes:X509"}}, CodeNoAuthnContext},
		{"better-than-password", &RequestedAuthnContext{Comparison: "better", ClassRefs: []string{AuthnContextPassword}}, ""},
		{"better-than-tls", &RequestedAuthnContext{Comparison: "better", ClassRefs: []string{AuthnContextPasswordProtectedTransport}}, CodeNoAuthnContext},
		{"minimum-mfa", &RequestedAuthnContext{Comparison: "minimum", ClassRefs: []string{AuthnContextREFEDSMFA}}, CodeNoAuthnContext},
		{"unknown-comparison", &RequestedAuthnContext{Comparison: "sideways", ClassRefs: []string{AuthnContextPassword}}, CodeNoAuthnContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _ := errorCode(CheckAuthnContext(&AuthnRequest{RequestedAuthnContext: tt.ctx}, offered))
			if diff := cmp.Diff(tt.code, code); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestChooseAuthnContext checks the class stated for what a sign-in offered: a sign-in with a second factor meets
// requests for stronger classes, exactly or as a minimum.
func TestChooseAuthnContext(t *testing.T) {
	tests := []struct {
		name    string
		ctx     *RequestedAuthnContext
		offered []string
		want    string
		code    string
	}{
		{"nothing asked", nil, PasswordAuthnContexts, "", ""},
		{"exact password", &RequestedAuthnContext{Comparison: "exact", ClassRefs: []string{AuthnContextPassword}}, PasswordAuthnContexts, AuthnContextPassword, ""},
		{"exact MFA without", &RequestedAuthnContext{Comparison: "exact", ClassRefs: []string{AuthnContextMobileTwoFactor}}, PasswordAuthnContexts, "", CodeNoAuthnContext},
		{"exact MFA with", &RequestedAuthnContext{Comparison: "exact", ClassRefs: []string{AuthnContextMobileTwoFactor}}, MFAAuthnContexts, AuthnContextMobileTwoFactor, ""},
		{"REFEDS MFA with", &RequestedAuthnContext{Comparison: "exact", ClassRefs: []string{AuthnContextREFEDSMFA}}, MFAAuthnContexts, AuthnContextREFEDSMFA, ""},
		{"minimum TLS with MFA", &RequestedAuthnContext{Comparison: "minimum", ClassRefs: []string{AuthnContextPasswordProtectedTransport}}, MFAAuthnContexts, AuthnContextPasswordProtectedTransport, ""},
		{"better than TLS with MFA", &RequestedAuthnContext{Comparison: "better", ClassRefs: []string{AuthnContextPasswordProtectedTransport}}, MFAAuthnContexts, AuthnContextMobileTwoFactor, ""},
		{"maximum password", &RequestedAuthnContext{Comparison: "maximum", ClassRefs: []string{AuthnContextPassword}}, PasswordAuthnContexts, AuthnContextPassword, ""},
		{"unknown class", &RequestedAuthnContext{Comparison: "minimum", ClassRefs: []string{"urn:example:retina"}}, MFAAuthnContexts, "", CodeNoAuthnContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ChooseAuthnContext(tt.ctx, tt.offered)
			code, _ := errorCode(err)
			if got != tt.want || code != tt.code {
				t.Errorf("ChooseAuthnContext() = %q, %q; want %q, %q", got, code, tt.want, tt.code)
			}
		})
	}
}
