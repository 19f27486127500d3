package idp_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

func encodeImage(t *testing.T, w, h int, asJPEG bool) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	var b bytes.Buffer
	var err error
	if asJPEG {
		err = jpeg.Encode(&b, img, nil)
	} else {
		err = png.Encode(&b, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSetDirectoryLogo(t *testing.T) {
	w := newAuthWorld(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		actor    *gatehouse.User
		data     []byte
		code     string
		wantType string
	}{
		{"PNG", w.admin, encodeImage(t, 120, 40, false), "", "image/png"},
		{"JPEG", w.admin, encodeImage(t, 120, 40, true), "", "image/jpeg"},
		{"a plain user", w.user, encodeImage(t, 120, 40, false), gatehouse.EFORBIDDEN, ""},
		{"SVG is not accepted", w.admin, []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), gatehouse.EINVALID, ""},
		{"truncated PNG", w.admin, encodeImage(t, 120, 40, false)[:20], gatehouse.EINVALID, ""},
		{"too wide", w.admin, encodeImage(t, idp.MaxLogoPixels+1, 1, false), gatehouse.EINVALID, ""},
		{"too large", w.admin, append(encodeImage(t, 1, 1, false), make([]byte, idp.MaxLogoBytes)...), gatehouse.ETOOLARGE, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := w.svc.SetDirectoryLogo(ctx, tt.actor, "default", tt.data)
			if got := gatehouse.ErrorCode(err); got != tt.code {
				t.Fatalf("code %q, want %q (%v)", got, tt.code, err)
			}
			if err == nil && d.LogoType != tt.wantType {
				t.Errorf("LogoType %q, want %q", d.LogoType, tt.wantType)
			}
		})
	}
	b, err := w.svc.DirectoryBranding(ctx, "default")
	if err != nil || b.LogoURL != "/d/default/logo" {
		t.Errorf("branding %+v (%v), want the logo URL", b, err)
	}
	if _, err := w.svc.DeleteDirectoryLogo(ctx, w.admin, "default"); err != nil {
		t.Fatal(err)
	}
	if b, _ := w.svc.DirectoryBranding(ctx, "default"); b.LogoURL != "" {
		t.Errorf("logo URL %q after delete", b.LogoURL)
	}
}
