package saml

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWritePostFormGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePostForm(&buf, testACSURL, []byte("<Response/>"), "https://mixpanel.com/a?b=1&c=2", "n0nce"); err != nil {
		t.Fatal(err)
	}
	golden(t, "postform.html", buf.Bytes())
}

// TestWritePostFormEscapes holds SECURITY-CASES 22 and 37: markup in every value is escaped.
func TestWritePostFormEscapes(t *testing.T) {
	const markup = `"><script>alert(1)</script><x a='`
	response := []byte("<saml2p:Response>" + markup + "</saml2p:Response>")
	var buf bytes.Buffer
	if err := WritePostForm(&buf, testACSURL+"?q="+markup, response, markup, markup); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	got := map[string]int{
		"<script":                      strings.Count(page, "<script"),
		"<script>alert":                strings.Count(page, "<script>alert"),
		`"><`:                          strings.Count(page, `"><script`),
		"escaped values":               strings.Count(page, "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;x a=&#39;"),
		"<noscript>":                   strings.Count(page, "<noscript>"),
		`<button type="submit">`:       strings.Count(page, `<button type="submit">`),
		"base64 response":              strings.Count(page, `name="SAMLResponse" value="`+base64.StdEncoding.EncodeToString(response)+`"`),
		`name="RelayState"`:            strings.Count(page, `name="RelayState"`),
		`<script nonce="&#34;&gt;&lt;`: strings.Count(page, `<script nonce="&#34;&gt;&lt;`),
	}
	want := map[string]int{
		"<script": 1, "<script>alert": 0, `"><`: 0, "escaped values": 3, "<noscript>": 1, `<button type="submit">`: 1,
		"base64 response": 1, `name="RelayState"`: 1, `<script nonce="&#34;&gt;&lt;`: 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s\n%s", diff, page)
	}
}

func TestWritePostFormRejects(t *testing.T) {
	tests := []struct {
		name       string
		acsURL     string
		relayState string
	}{
		{"javascript-acs", "javascript:alert(1)", ""},
		{"relative-acs", "/acs", ""},
		{"relay-state-over-ceiling", testACSURL, strings.Repeat("r", MaxRelayStateCeiling+1)},
		{"relay-state-control-characters", testACSURL, "a\nLocation: x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePostForm(&buf, tt.acsURL, []byte("<r/>"), tt.relayState, "n"); err == nil {
				t.Error("WritePostForm accepted it")
			}
			if buf.Len() != 0 {
				t.Errorf("WritePostForm wrote %d bytes", buf.Len())
			}
		})
	}
}

func TestWritePostFormNoRelayState(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePostForm(&buf, testACSURL, []byte("<r/>"), "", "n"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "RelayState") {
		t.Error("the form carries an empty RelayState")
	}
}

// TestCheckRelayState holds SECURITY-CASE 22: RelayState is bounded (80 bytes by default, configurable).
func TestCheckRelayState(t *testing.T) {
	tests := []struct {
		name  string
		s     string
		max   int
		code  string
		field string
	}{
		{"empty", "", 80, "", ""},
		{"80-bytes", strings.Repeat("r", 80), 80, "", ""},
		{"81-bytes", strings.Repeat("r", 81), 80, CodeRelayStateInvalid, "RelayState"},
		{"raised-cap", strings.Repeat("r", 500), 1024, "", ""},
		{"markup-is-allowed-and-escaped-later", `<script>alert(1)</script>`, 80, "", ""},
		{"invalid-utf8", "a\xffb", 80, CodeRelayStateInvalid, "RelayState"},
		{"newline", "a\r\nb", 80, CodeRelayStateInvalid, "RelayState"},
		{"nul", "a\x00b", 80, CodeRelayStateInvalid, "RelayState"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, CheckRelayState(tt.s, tt.max), tt.code, tt.field)
		})
	}
}
