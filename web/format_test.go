package web

import (
	"html/template"
	"testing"
	"time"
)

func TestFmtTime(t *testing.T) {
	at := time.Date(2026, 12, 6, 4, 16, 30, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		in   any
		want template.HTML
	}{
		{"time", at, `<time datetime="2026-12-06T03:16:30Z">2026-12-06 03:16 UTC</time>`},
		{"pointer", &at, `<time datetime="2026-12-06T03:16:30Z">2026-12-06 03:16 UTC</time>`},
		{"nil pointer", (*time.Time)(nil), "–"},
		{"zero", time.Time{}, "–"},
		{"RFC 3339 string", "2026-12-06T03:16:30.5Z", `<time datetime="2026-12-06T03:16:30Z">2026-12-06 03:16 UTC</time>`},
		{"a value that is no time", "Sign <assertion>", "Sign &lt;assertion&gt;"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmtTime(tt.in); got != tt.want {
				t.Errorf("fmtTime(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAuditValue(t *testing.T) {
	tests := map[string]template.HTML{
		`"2026-12-06T03:16:30Z"`:   `<time datetime="2026-12-06T03:16:30Z">2026-12-06 03:16 UTC</time>`,
		`"Mixpanel"`:               `&#34;Mixpanel&#34;`,
		`true`:                     `true`,
		`{"a":"<b>"}`:              `<code>{&#34;a&#34;:&#34;&lt;b&gt;&#34;}</code>`,
		`["2026-12-06T03:16:30Z"]`: `<code>[&#34;2026-12-06T03:16:30Z&#34;]</code>`,
	}
	for in, want := range tests {
		if got := auditValue(in); got != want {
			t.Errorf("auditValue(%s) = %q, want %q", in, got, want)
		}
	}
}
