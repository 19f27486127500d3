package gatehouse_test

import (
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
)

// An error message quotes at most a short prefix of a value someone sent: a 10 KB user name does not come back
// whole.
func TestMessagesQuoteShortPrefixes(t *testing.T) {
	long := strings.Repeat("a", 10240) + "@contoso.com"
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"short value whole", gatehouse.FieldErrorf("userName", "Got %q.", "b.simon@contoso.com"), `Got "b.simon@contoso.com".`},
		{"long value cut", gatehouse.FieldErrorf("userName", "Got %q.", long),
			`Got "` + strings.Repeat("a", gatehouse.MaxQuoted) + `"… (10252 bytes).`},
		{"cut at a character boundary", gatehouse.Errorf(gatehouse.EINVALID, "%q", strings.Repeat("é", 100)),
			`"` + strings.Repeat("é", gatehouse.MaxQuoted/2) + `"… (200 bytes)`},
		{"string types too", gatehouse.FieldErrorf("role", "Role %q is unknown.", gatehouse.Role(long)),
			`Role "` + strings.Repeat("a", gatehouse.MaxQuoted) + `"… (10252 bytes) is unknown.`},
		{"escapes", gatehouse.Errorf(gatehouse.EINVALID, "%q", "a\x00b\"c"), `"a\x00b\"c"`},
		{"other verbs untouched", gatehouse.Errorf(gatehouse.EINVALID, "%s is at most %d characters.", "displayName", 256),
			"displayName is at most 256 characters."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gatehouse.ErrorMessage(tt.err); got != tt.want {
				t.Errorf("message\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
