package username_test

import (
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/username"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		in   string
		// want is a part of the message, "" when the name is accepted.
		want string
	}{
		// Names in use before the rule stay valid.
		{"plain", "b.simon@contoso.com", ""},
		{"admin of the examples", "admin@gatehouse.local", ""},
		{"Entra's special characters", "o'brien_-!#^~x@contoso.com", ""},
		{"sub-address", "b.simon+test@contoso.com", ""},
		{"upper case", "B.Simon@Contoso.COM", ""},
		{"single-label domain", "admin@localhost", ""},
		{"digits and hyphens in the domain", "x@sso-2.contoso.com", ""},

		// An internationalised domain in its proper form, as a U-label or an A-label.
		{"IDN U-label", "anna@bücher.example", ""},
		{"IDN A-label", "anna@xn--bcher-kva.example", ""},
		{"Cyrillic domain", "ivan@пример.рф", ""},
		{"Japanese domain", "taro@日本語ドメイン.jp", ""},
		{"IDN with upper case", "anna@Bücher.example", "Write the domain as bücher.example."},
		{"IDN decomposed", "anna@bu\u0308cher.example", "Write the domain as bücher.example."},
		{"bad A-label", "anna@xn--zzzzzzz-9999.example", "not a valid internationalised (xn--) label"},

		// Look-alikes.
		{"Cyrillic а in the domain", "admin@gatehouse.locаl", `"locаl" mixes Latin and Cyrillic letters`},
		{"Cyrillic а in the domain as an A-label", "admin@gatehouse.xn--locl-73d", `mixes Latin and Cyrillic letters`},
		{"Cyrillic а before the @", "аdmin@gatehouse.local", `'а' (U+0430, Cyrillic script)`},
		{"zero-width space", "ad\u200bmin@gatehouse.local", "U+200B, an invisible character"},
		{"zero-width space in the domain", "admin@gate\u200bhouse.local", "U+200B, an invisible character"},
		{"zero-width joiner", "admin@gatehouse.lo\u200dcal", "U+200D, an invisible character"},
		{"soft hyphen", "ad\u00admin@gatehouse.local", "U+00AD, an invisible character"},
		{"combining mark before the @", "admi\u0301n@gatehouse.local", "combining mark (U+0301)"},
		{"combining mark in the domain", "admin@gatehouse.loca\u0332l", "combining mark (U+0332)"},
		{"combining mark that composes", "admin@gatehouse.loc\u0301al", "Write the domain as gatehouse.loćal."},
		{"right-to-left override", "admin\u202e@gatehouse.local", "U+202E, a text-direction control"},
		{"left-to-right mark", "admin@\u200egatehouse.local", "U+200E, a text-direction control"},
		{"isolate", "admin@gatehouse.local\u2066", "U+2066, a text-direction control"},

		// Shape.
		{"empty", "", "Enter a user name"},
		{"no @", "admin", "one @"},
		{"two @", "a@b@contoso.com", "one @"},
		{"nothing before the @", "@contoso.com", "nothing before the @"},
		{"no domain", "admin@", "no domain"},
		{"space", "b simon@contoso.com", "U+0020, an invisible character or space"},
		{"ampersand", "b&simon@contoso.com", `'&' (U+0026)`},
		{"quoted local part", `"b"@contoso.com`, `'"' (U+0022)`},
		{"leading dot", ".admin@contoso.com", "start or end with a dot"},
		{"dot before the @", "admin.@contoso.com", "start or end with a dot"},
		{"two dots", "b..simon@contoso.com", "two dots"},
		{"local part too long", strings.Repeat("a", 65) + "@contoso.com", "at most 64 characters"},
		{"empty label", "admin@contoso..com", "empty label"},
		{"trailing dot", "admin@contoso.com.", "empty label"},
		{"hyphen at a label's start", "admin@-contoso.com", "not a host name label"},
		{"underscore in the domain", "admin@con_toso.com", `'_' (U+005F)`},
		{"too long", strings.Repeat("a", 60) + "@" + strings.Repeat("b", 200) + ".com", "at most 254 bytes"},
		{"not UTF-8", "admin\xff@contoso.com", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := username.Check(tt.in)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			if gatehouse.ErrorCode(err) != gatehouse.EINVALID || gatehouse.ErrorField(err) != "userName" {
				t.Fatalf("Check(%q) = %v, want an invalid userName", tt.in, err)
			}
			if msg := gatehouse.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("Check(%q) message %q, want it to contain %q", tt.in, msg, tt.want)
			}
		})
	}
}
