package textdiff_test

import (
	"testing"

	"github.com/gatehouse-idp/gatehouse/internal/textdiff"
	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want []textdiff.Part
	}{
		{"equal", "https://app.example/", "https://app.example/", []textdiff.Part{{"https://app.example/", true}}},
		{"another path", "https://app.example/wrong", "https://app.example/", []textdiff.Part{{"https://app.example/", true}, {"wrong", false}}},
		{"thumbprint off in the middle", "AB12CD34", "AB99CD34", []textdiff.Part{{"AB", true}, {"12", false}, {"CD34", true}}},
		{"nothing shared", "abc", "xyz", []textdiff.Part{{"abc", false}}},
		{"a is a prefix of b", "https://a", "https://a/b", []textdiff.Part{{"https://a", true}}},
		{"empty a", "", "x", nil},
		{"prefix and suffix overlap", "aXa", "aa", []textdiff.Part{{"a", true}, {"X", false}, {"a", true}}},
		{"runes, not bytes", "héllo", "hèllo", []textdiff.Part{{"h", true}, {"é", false}, {"llo", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, textdiff.Split(tt.a, tt.b)); diff != "" {
				t.Errorf("Split(%q, %q) mismatch (-want +got):\n%s", tt.a, tt.b, diff)
			}
		})
	}
}
