package idp_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/web"
)

func TestOverview(t *testing.T) {
	tests := []struct {
		name     string
		validity time.Duration
		expiring int
	}{
		{"certificates valid for years", 3 * 365 * 24 * time.Hour, 0},
		// The directory's certificate and the app's both expire within the warning window.
		{"certificates expiring in a month", 30 * 24 * time.Hour, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.Start(t, testserver.Options{Configure: func(c *idp.Config, _ *web.Server) { c.CertValidity = tt.validity }})
			ctx := context.Background()
			admin := previewAdmin(t, srv)
			svc := srv.Service
			if _, _, err := svc.CreateUser(ctx, admin, "default", idp.UserInput{UserName: "b@contoso.com", DisplayName: "B"}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.CreateGroup(ctx, admin, "default", idp.GroupInput{Name: "G"}); err != nil {
				t.Fatal(err)
			}
			a, _, err := svc.AddApp(ctx, admin, "default", idp.AppInput{GalleryID: "custom", Name: "A"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Authenticate(ctx, "default", "b@contoso.com", "wrong password here"); err == nil {
				t.Fatal("a wrong password signed in")
			}
			o, err := svc.Overview(ctx, admin, "default")
			if err != nil {
				t.Fatal(err)
			}
			if o.Users != 2 || o.Groups != 1 || o.Apps != 1 || o.SignInsToday < 1 || o.FailedToday < 1 {
				t.Errorf("overview %+v", o)
			}
			if len(o.Expiring) != tt.expiring {
				t.Fatalf("%d certificates expiring, want %d", len(o.Expiring), tt.expiring)
			}
			for _, c := range o.Expiring {
				if c.AppID == a.ID && c.AppName != "A" {
					t.Errorf("the app's certificate is named %q", c.AppName)
				}
			}
			user, _, err := svc.CreateUser(ctx, admin, "default", idp.UserInput{UserName: "u@contoso.com", DisplayName: "U"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Overview(ctx, user, "default"); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
				t.Errorf("a plain user read the overview: %v", err)
			}
		})
	}
}

func TestSetAppLogo(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	admin := previewAdmin(t, srv)
	svc := srv.Service
	a, _, err := svc.AddApp(ctx, admin, "default", idp.AppInput{GalleryID: "custom", Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	userAdmin, _, err := svc.CreateUser(ctx, admin, "default", idp.UserInput{UserName: "ua@contoso.com", DisplayName: "UA", Role: gatehouse.RoleUserAdmin})
	if err != nil {
		t.Fatal(err)
	}
	img := func(w, h int, enc func(*bytes.Buffer, image.Image) error) []byte {
		var b bytes.Buffer
		if err := enc(&b, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	pngEnc := func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) }
	jpegEnc := func(b *bytes.Buffer, i image.Image) error { return jpeg.Encode(b, i, nil) }
	tests := []struct {
		name     string
		actor    *gatehouse.User
		data     []byte
		code     string
		wantType string
	}{
		{"png", admin, img(32, 32, pngEnc), "", "image/png"},
		{"jpeg", admin, img(32, 32, jpegEnc), "", "image/jpeg"},
		{"remove", admin, nil, "", ""},
		{"svg", admin, []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), gatehouse.EINVALID, ""},
		{"gif", admin, []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), gatehouse.EINVALID, ""},
		{"too wide", admin, img(3000, 1, pngEnc), gatehouse.EINVALID, ""},
		{"too large", admin, append(img(1, 1, pngEnc), make([]byte, idp.MaxAppLogoBytes)...), gatehouse.ETOOLARGE, ""},
		{"a user admin", userAdmin, img(32, 32, pngEnc), gatehouse.EFORBIDDEN, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.SetAppLogo(ctx, tt.actor, "default", a.ID, tt.data)
			if code := gatehouse.ErrorCode(err); code != tt.code {
				t.Fatalf("code %q (%v), want %q", code, err, tt.code)
			}
			if err != nil {
				if tt.code == gatehouse.EINVALID || tt.code == gatehouse.ETOOLARGE {
					if f := gatehouse.ErrorField(err); f != "logo" {
						t.Errorf("field %q, want logo", f)
					}
				}
				return
			}
			if got.LogoType != tt.wantType || len(got.Logo) != len(tt.data) {
				t.Errorf("logo type %q, %d bytes; want %q, %d bytes", got.LogoType, len(got.Logo), tt.wantType, len(tt.data))
			}
		})
	}
}
