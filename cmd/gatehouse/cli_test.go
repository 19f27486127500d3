package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"B.Simon", "B.Simon"},
		{"Zoë <b>", "Zoë <b>"},
		{"\x1b]0;owned\x07", `\x1b]0;owned\a`},
		{"a\tb\nc", `a\tb\nc`},
		{"bad \xff byte", `bad \xff byte`},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"gh_abc-DEF_123.x", "gh_abc-DEF_123.x"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$(rm -rf /)", "'$(rm -rf /)'"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestParse checks that flags may follow positional arguments and that -- ends the flags.
func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantPos []string
		wantVal string
	}{
		{"flags first", []string{"--value", "v", "a", "b"}, []string{"a", "b"}, "v"},
		{"flags between", []string{"a", "--value=v", "b"}, []string{"a", "b"}, "v"},
		{"flags last", []string{"a", "b", "-value", "v"}, []string{"a", "b"}, "v"},
		{"double dash", []string{"a", "--", "--value", "-x"}, []string{"a", "--value", "-x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &cli{cmd: &command{name: "test", args: "A B"}}
			fs := c.newFlagSet()
			v := fs.String("value", "", "a value")
			pos, err := c.parse(fs, tt.args, 0, -1)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantPos, pos); diff != "" {
				t.Errorf("positional mismatch (-want +got):\n%s", diff)
			}
			if *v != tt.wantVal {
				t.Errorf("--value = %q, want %q", *v, tt.wantVal)
			}
		})
	}
}
