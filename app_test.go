package gatehouse

import (
	"strings"
	"testing"
)

func TestSAMLSettingsValidate(t *testing.T) {
	claim := func(c Claim) SAMLSettings {
		s := DefaultSAMLSettings()
		s.Claims = []Claim{c}
		return s
	}
	with := func(f func(*SAMLSettings)) SAMLSettings {
		s := DefaultSAMLSettings()
		f(&s)
		return s
	}
	tests := []struct {
		name  string
		s     SAMLSettings
		field string // "" means valid
	}{
		{"defaults", DefaultSAMLSettings(), ""},
		{"constant claim", claim(Claim{Name: "role", Value: "admin"}), ""},
		{"multi-valued constant", claim(Claim{Name: "roles", Values: []string{"a", "b"}}), ""},
		{"too many constant values", claim(Claim{Name: "roles", Values: make([]string, MaxClaimValues+1)}), "claims"},
		{"group claim", claim(Claim{Name: "groups", Groups: ClaimGroupsAll}), ""},
		{"assigned groups", claim(Claim{Name: "groups", Groups: ClaimGroupsAssigned}), ""},
		{"unknown groups choice", claim(Claim{Name: "groups", Groups: "some"}), "claims"},
		{"group claim with a source", claim(Claim{Name: "groups", Groups: ClaimGroupsAll, Source: AttrMail}), "claims"},
		{"no value at all", claim(Claim{Name: "x"}), "claims"},
		{"join", claim(Claim{Name: "x", Source: AttrGivenName, Transform: TransformJoin, JoinSource: AttrSurname, Separator: " "}), ""},
		{"join without a second part", claim(Claim{Name: "x", Source: AttrGivenName, Transform: TransformJoin}), "claims"},
		{"separator without join", claim(Claim{Name: "x", Source: AttrGivenName, Separator: " "}), "claims"},
		{"join of an unknown source", claim(Claim{Name: "x", Source: AttrGivenName, Transform: TransformJoin, JoinSource: "user.password"}), "claims"},
		{"lower", claim(Claim{Name: "x", Source: AttrMail, Transform: TransformLower}), ""},
		{"upper", claim(Claim{Name: "x", Source: AttrMail, Transform: TransformUpper}), ""},
		{"mail prefix", claim(Claim{Name: "x", Source: AttrMail, Transform: TransformMailPrefix}), ""},
		{"unknown transform", claim(Claim{Name: "x", Source: AttrMail, Transform: "reverse"}), "claims"},
		{"regex replace", claim(Claim{Name: "x", Source: AttrMail, Transform: TransformRegexReplace, Pattern: `@.*$`, Replacement: "@example.com"}), ""},
		{"regex without pattern", claim(Claim{Name: "x", Source: AttrMail, Transform: TransformRegexReplace}), "claims"},
		{"invalid regex", claim(Claim{Name: "x", Source: AttrMail, Transform: TransformRegexReplace, Pattern: `(`}), "claims"},
		{"backreference is not RE2", claim(Claim{Name: "x", Source: AttrMail, Transform: TransformRegexReplace, Pattern: `(a)\1`}), "claims"},
		{"pattern too long", claim(Claim{Name: "x", Source: AttrMail, Transform: TransformRegexReplace, Pattern: strings.Repeat("a", MaxClaimPattern+1)}), "claims"},
		{"pattern without transform", claim(Claim{Name: "x", Source: AttrMail, Pattern: "a"}), "claims"},
		{"fallback source", claim(Claim{Name: "x", Source: AttrMail, FallbackSource: AttrUserName}), ""},
		{"unknown fallback source", claim(Claim{Name: "x", Source: AttrMail, FallbackSource: "user.secret"}), "claims"},
		{"fallback value too long", claim(Claim{Name: "x", Source: AttrMail, FallbackValue: strings.Repeat("a", 1025)}), "claims"},
		{"NUL in a value", claim(Claim{Name: "x", Value: "a\x00b"}), "claims"},
		{"unknown NameFormat", claim(Claim{Name: "x", Value: "a", NameFormat: "urn:x"}), "claims"},
		{"basic NameFormat", claim(Claim{Name: "x", Value: "a", NameFormat: NameFormatBasic}), ""},
		{"markup in a claim name", claim(Claim{Name: "<x>", Value: "a"}), "claims"},
		{"duplicate claims", with(func(s *SAMLSettings) { s.Claims = append(s.Claims, s.Claims[0]) }), "claims"},
		{"ACS indexes", with(func(s *SAMLSettings) { s.ReplyURLs, s.ACSIndexes = []string{"https://a/", "https://b/"}, []int{1, 2} }), ""},
		{"ACS indexes not one per URL", with(func(s *SAMLSettings) { s.ReplyURLs, s.ACSIndexes = []string{"https://a/"}, []int{1, 2} }), "acsIndexes"},
		{"ACS indexes repeated", with(func(s *SAMLSettings) { s.ReplyURLs, s.ACSIndexes = []string{"https://a/", "https://b/"}, []int{1, 1} }), "acsIndexes"},
		{"post logout binding", with(func(s *SAMLSettings) { s.LogoutBinding = BindingHTTPPost }), ""},
		{"unknown logout binding", with(func(s *SAMLSettings) { s.LogoutBinding = "urn:soap" }), "logoutBinding"},
		{"javascript logout response URL", with(func(s *SAMLSettings) { s.LogoutResponseURL = "javascript:alert(1)" }), "logoutResponseUrl"},
		{"metadata URL", with(func(s *SAMLSettings) { s.MetadataURL = "https://sp.example.com/metadata" }), ""},
		{"file metadata URL", with(func(s *SAMLSettings) { s.MetadataURL = "file:///etc/passwd" }), "metadataUrl"},
		{"signed requests without a certificate", with(func(s *SAMLSettings) { s.RequireSignedRequests = true }), "requireSignedRequests"},
		{"signed requests with a certificate", with(func(s *SAMLSettings) {
			s.RequireSignedRequests, s.SigningCertificates = true, []string{"MIIB"}
		}), ""},
		{"certificate not base64", with(func(s *SAMLSettings) { s.SigningCertificates = []string{"!!"} }), "signingCertificates"},
		{"too many certificates", with(func(s *SAMLSettings) { s.SigningCertificates = make([]string, MaxSPCertificates+1) }), "signingCertificates"},
		{"certificate too large", with(func(s *SAMLSettings) { s.EncryptionCertificate = strings.Repeat("A", MaxCertificateLen+4) }), "encryptionCertificate"},
		{"encryption without a certificate", with(func(s *SAMLSettings) { s.EncryptAssertions = true }), "encryptAssertions"},
		{"encryption with a certificate", with(func(s *SAMLSettings) { s.EncryptAssertions, s.EncryptionCertificate = true, "MIIB" }), ""},
		{"encryption method with markup", with(func(s *SAMLSettings) { s.EncryptionMethods = []string{"<x>"} }), "encryptionMethods"},
		{"status error too long", with(func(s *SAMLSettings) { s.MetadataStatus = &MetadataStatus{LastError: strings.Repeat("e", 2049)} }), "metadataStatus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if ErrorCode(err) != EINVALID || ErrorField(err) != tt.field {
				t.Fatalf("Validate() = %v (field %q), want EINVALID naming %q", err, ErrorField(err), tt.field)
			}
		})
	}
}
