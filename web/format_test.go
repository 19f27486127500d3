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
	tests := []struct {
		field, in string
		want      template.HTML
	}{
		{"role", `"global-admin"`, "Global administrator"},
		{"displayName", `"global-admin"`, `&#34;global-admin&#34;`},
		{"expiresAt", `"2026-12-06T03:16:30Z"`, `<time datetime="2026-12-06T03:16:30Z">2026-12-06 03:16 UTC</time>`},
		{"name", `"Mixpanel"`, `&#34;Mixpanel&#34;`},
		{"enabled", `true`, `true`},
		{"saml", `{"a":"<b>"}`, `<code>{&#34;a&#34;:&#34;&lt;b&gt;&#34;}</code>`},
		{"times", `["2026-12-06T03:16:30Z"]`, `<code>[&#34;2026-12-06T03:16:30Z&#34;]</code>`},
	}
	for _, tt := range tests {
		if got := auditValue(tt.field, tt.in); got != tt.want {
			t.Errorf("auditValue(%s, %s) = %q, want %q", tt.field, tt.in, got, tt.want)
		}
	}
}
