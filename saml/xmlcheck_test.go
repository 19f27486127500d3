package saml

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
)

// strictParsers are the parsers of every XML document the package reads from outside, each given a document whose
// root is what it expects with the replacements applied.
var strictParsers = []struct {
	name  string
	parse func(t *testing.T, c change) error
}{
	{"AuthnRequest by HTTP-Redirect", func(t *testing.T, c change) error {
		_, err := DecodeRedirect(redirectQuery(t, c.apply(requestXML(c.replacements...)), ""), DefaultLimits)
		return err
	}},
	{"AuthnRequest by HTTP-POST", func(t *testing.T, c change) error {
		_, err := DecodePost(base64.StdEncoding.EncodeToString([]byte(c.apply(requestXML(c.replacements...)))), "", DefaultLimits)
		return err
	}},
	{"LogoutRequest by HTTP-Redirect", func(t *testing.T, c change) error {
		_, err := DecodeRedirectAny(redirectQuery(t, c.apply(strictLogoutRequest(c.replacements...)), ""), DefaultLimits)
		return err
	}},
	{"LogoutResponse by HTTP-POST", func(t *testing.T, c change) error {
		_, err := DecodePostAny("", base64.StdEncoding.EncodeToString([]byte(c.apply(strictLogoutResponse(c.replacements...)))), "", DefaultLimits)
		return err
	}},
}

// change is what a test does to a message: text before and after it, and replacements inside it.
type change struct {
	before, after string
	replacements  []string
}

func (c change) apply(xml string) string { return c.before + xml + c.after }

// replace returns a change that replaces old with new.
func replace(old, new string) change { return change{replacements: []string{old, new}} }

// strictLogoutRequest and strictLogoutResponse are logout messages shaped like requestXML, so that one set of
// replacements applies to every message: the root carries ID, Destination and both namespace declarations, and an
// Issuer follows it.
func strictLogoutRequest(r ...string) string {
	return strings.NewReplacer(r...).Replace(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
		`ID="` + testRequestID + `" Version="2.0" IssueInstant="2027-03-04T05:05:37Z" Destination="` + testSSOURL + `">` +
		`<saml:Issuer>` + testSPEntityID + `</saml:Issuer><saml:NameID>_abc</saml:NameID></samlp:LogoutRequest>`)
}

func strictLogoutResponse(r ...string) string {
	return strings.NewReplacer(r...).Replace(`<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
		`ID="` + testRequestID + `" Version="2.0" IssueInstant="2027-03-04T05:05:37Z" Destination="` + testSSOURL + `">` +
		`<saml:Issuer>` + testSPEntityID + `</saml:Issuer><samlp:Status><samlp:StatusCode Value="` + StatusSuccess + `"/></samlp:Status></samlp:LogoutResponse>`)
}

// TestStrictXML refuses, in every protocol message and by both bindings, what XML parsers disagree on or what costs
// without bound: an attribute given twice on one element, a comment or processing instruction anywhere, and more
// namespace declarations than DefaultLimits.MaxNamespaces. Each is refused with its GH1xxx code before the message
// is read.
func TestStrictXML(t *testing.T) {
	tests := []struct {
		name   string
		change change
		code   string
	}{
		{"duplicate ID", replace(`ID="`+testRequestID+`"`, `ID="`+testRequestID+`" ID="_other"`), CodeDuplicateAttribute},
		{"duplicate Destination", replace(`Destination="`+testSSOURL+`"`, `Destination="`+testSSOURL+`" Destination="https://evil.example/saml2"`), CodeDuplicateAttribute},
		{"duplicate Version", replace(`Version="2.0"`, `Version="2.0" Version="2.0"`), CodeDuplicateAttribute},
		{"duplicate attribute through two prefixes of one namespace", replace(`Version="2.0"`, `Version="2.0" xmlns:a="urn:x" xmlns:b="urn:x" a:z="1" b:z="2"`), CodeDuplicateAttribute},
		{"namespace prefix declared twice", replace(`xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"`, `xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:saml="urn:x"`), CodeDuplicateAttribute},
		{"duplicate attribute on a child", replace(`<saml:Issuer>`, `<saml:Issuer a="1" a="2">`), CodeDuplicateAttribute},
		{"duplicate among 20 attributes", replace(`<saml:Issuer>`, `<saml:Issuer a0="" a1="" a2="" a3="" a4="" a5="" a6="" a7="" a8="" a9="" b0="" b1="" b2="" b3="" b4="" b5="" b6="" b7="" b8="" a4="">`), CodeDuplicateAttribute},
		{"comment inside the Issuer", replace(`<saml:Issuer>`+testSPEntityID, `<saml:Issuer>https://mixpanel<!---->.com/security/sso/v2/authorize/`), CodeXMLComment},
		{"comment before the root", change{before: `<?xml version="1.0"?><!-- an SP comment -->`}, CodeXMLComment},
		{"comment between elements", replace(`</saml:Issuer>`, `</saml:Issuer><!-- x -->`), CodeXMLComment},
		{"comment after the root", change{after: "\n<!-- x -->"}, CodeXMLComment},
		{"processing instruction inside the Issuer", replace(`<saml:Issuer>`, `<saml:Issuer><?x y?>`), CodeForbiddenDTD},
		{"processing instruction after the XML declaration", change{before: `<?xml version="1.0"?><?xml-stylesheet href="x"?>`}, CodeForbiddenDTD},
		{"processing instruction after the root", change{after: `<?x y?>`}, CodeForbiddenDTD},
		{"101 namespace declarations over 101 elements", replace(`</saml:Issuer>`, `</saml:Issuer>`+strings.Repeat(`<x:e xmlns:x="urn:x"/>`, 101)), CodeRequestTooLarge},
	}
	for _, p := range strictParsers {
		t.Run(p.name, func(t *testing.T) {
			if err := p.parse(t, change{}); err != nil {
				t.Fatalf("the message without changes is refused: %v", err)
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					field := "SAMLRequest"
					if strings.HasPrefix(p.name, "LogoutResponse") {
						field = "SAMLResponse"
					}
					checkError(t, p.parse(t, tt.change), tt.code, field)
				})
			}
		})
	}
}

// TestStrictXMLAccepts keeps what real SPs send: the XML declaration, a byte order mark, namespace declarations on
// several elements up to the limit, and attributes that share a local name in different namespaces.
func TestStrictXMLAccepts(t *testing.T) {
	tests := []struct {
		name   string
		change change
	}{
		{"XML declaration and a byte order mark", change{before: "\ufeff<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", after: "\n"}},
		{"same local name in two namespaces", replace(`Version="2.0"`, `Version="2.0" xmlns:a="urn:a" xmlns:b="urn:b" a:z="1" b:z="2" z="3"`)},
		{"namespaces up to the limit", replace(`</saml:Issuer>`, `</saml:Issuer>`+strings.Repeat(`<x:e xmlns:x="urn:x"/>`, DefaultLimits.MaxNamespaces-2))},
		{"a prefix declared again on a child", replace(`<saml:Issuer>`, `<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">`)},
		{"20 different attributes", replace(`<saml:Issuer>`, `<saml:Issuer a0="" a1="" a2="" a3="" a4="" a5="" a6="" a7="" a8="" a9="" b0="" b1="" b2="" b3="" b4="" b5="" b6="" b7="" b8="" b9="">`)},
	}
	for _, p := range strictParsers {
		for _, tt := range tests {
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				if err := p.parse(t, tt.change); err != nil {
					t.Errorf("refused: %v", err)
				}
			})
		}
	}
}

// TestStrictXMLSameLimits checks that every parser applies the same Limits through the same scanner: a message just
// over each limit is refused by each parser with the same code and message.
func TestStrictXMLSameLimits(t *testing.T) {
	lim := DefaultLimits
	tests := []struct {
		name    string
		change  change
		code    string
		message string
	}{
		{"depth", replace(`</saml:Issuer>`, `</saml:Issuer>`+strings.Repeat("<x>", lim.MaxDepth)+strings.Repeat("</x>", lim.MaxDepth)),
			CodeRequestTooLarge, "nests elements more than 64 levels deep"},
		{"elements", replace(`</saml:Issuer>`, `</saml:Issuer>`+strings.Repeat("<x/>", lim.MaxElements)), CodeRequestTooLarge, "has more than 2000 elements"},
		{"attribute length", replace(`<saml:Issuer>`, `<saml:Issuer a="`+strings.Repeat("a", lim.MaxAttrLen+1)+`">`), CodeRequestTooLarge, "8193 bytes long"},
		{"text length", replace(`</saml:Issuer>`, `</saml:Issuer><x>`+strings.Repeat("a", lim.MaxAttrLen+1)+`</x>`), CodeRequestTooLarge, "more than 8192 bytes long"},
		{"namespaces", replace(`</saml:Issuer>`, `</saml:Issuer>`+strings.Repeat(`<x:e xmlns:x="urn:x"/>`, lim.MaxNamespaces)), CodeRequestTooLarge, "declares more than 100 namespaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range strictParsers {
				err := p.parse(t, tt.change)
				code, _ := errorCode(err)
				if code != tt.code || err == nil || !strings.Contains(err.Error(), tt.message) {
					t.Errorf("%s: %v, want %s saying %q", p.name, err, tt.code, tt.message)
				}
			}
		})
	}
}

// TestStrictXMLNamespaceFlood sends 10,000 namespace declarations on one element by the HTTP-Redirect binding, where
// DEFLATE makes them small enough to pass the size limits: they are refused by the namespace limit.
func TestStrictXMLNamespaceFlood(t *testing.T) {
	var decls strings.Builder
	for i := range 10000 {
		decls.WriteString(` xmlns:n` + strconv.Itoa(i) + `="urn:x"`)
	}
	for _, xml := range []string{requestXML(`Version="2.0"`, `Version="2.0"`+decls.String()), strictLogoutRequest(`Version="2.0"`, `Version="2.0"`+decls.String())} {
		_, err := DecodeRedirectAny(redirectQuery(t, xml, ""), DefaultLimits)
		checkError(t, err, CodeRequestTooLarge, "SAMLRequest")
		if err == nil || !strings.Contains(err.Error(), "declares more than 100 namespaces") {
			t.Errorf("error %v does not name the namespace limit", err)
		}
	}
}

// BenchmarkDecode measures decoding an AuthnRequest, every token checked by the scanner: by the HTTP-Redirect
// binding (inflate and parse) and by the HTTP-POST binding (parse).
func BenchmarkDecode(b *testing.B) {
	query := redirectQuery(b, requestXML(), "https://mixpanel.com/report/42")
	form := base64.StdEncoding.EncodeToString([]byte(requestXML()))
	b.Run("redirect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeRedirect(query, DefaultLimits); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("post", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodePost(form, "", DefaultLimits); err != nil {
				b.Fatal(err)
			}
		}
	})
}
