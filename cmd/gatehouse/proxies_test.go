package main

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  bool
	}{
		{"", "[]", false},
		{"10.0.0.0/8", "[10.0.0.0/8]", false},
		{" 10.1.2.3/8 , 192.0.2.7,::1 ", "[10.0.0.0/8 192.0.2.7/32 ::1/128]", false},
		{"::ffff:192.0.2.7", "[192.0.2.7/32]", false},
		{"10.0.0.0/8,proxy.example", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parsePrefixes(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("parsePrefixes(%q) error = %v, want error %v", tt.in, err, tt.err)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, fmt.Sprint(got)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
