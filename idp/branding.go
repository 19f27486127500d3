package idp

import (
	"bytes"
	"context"
	"image"
	_ "image/jpeg" // registers JPEG for image.DecodeConfig
	_ "image/png"  // registers PNG for image.DecodeConfig

	"github.com/gatehouse-idp/gatehouse"
)

// Limits of a directory logo.
const (
	// MaxLogoBytes is the largest logo file accepted.
	MaxLogoBytes = 256 << 10
	// MaxLogoPixels is the largest width or height of a logo.
	MaxLogoPixels = 2048
)

// checkLogo returns the content type of a PNG or JPEG logo, or EINVALID / ETOOLARGE naming what is wrong. The type
// comes from the bytes, never from what the uploader claimed, and the image header must decode.
func checkLogo(data []byte) (string, error) {
	if len(data) == 0 {
		return "", gatehouse.FieldErrorf("logo", "The logo file is empty.")
	}
	if len(data) > MaxLogoBytes {
		return "", &gatehouse.Error{Code: gatehouse.ETOOLARGE, Field: "logo",
			Message: "The logo is larger than 256 KiB; make it smaller (a 256×256 pixel PNG is plenty)."}
	}
	var typ string
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		typ = "image/png"
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		typ = "image/jpeg"
	default:
		return "", gatehouse.FieldErrorf("logo", "The logo must be a PNG or JPEG image.")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", gatehouse.FieldErrorf("logo", "The logo is not a readable %s image.", typ)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxLogoPixels || cfg.Height > MaxLogoPixels {
		return "", gatehouse.FieldErrorf("logo", "The logo is %d×%d pixels; it must be at most %d×%d.", cfg.Width, cfg.Height, MaxLogoPixels, MaxLogoPixels)
	}
	return typ, nil
}

// SetDirectoryLogo replaces the logo shown on a directory's sign-in page with a PNG or JPEG image of at most
// MaxLogoBytes and MaxLogoPixels each way. Global admins of the directory may.
func (s *Service) SetDirectoryLogo(ctx context.Context, actor *gatehouse.User, dirID string, data []byte) (*gatehouse.Directory, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageDirectory); err != nil {
		return nil, err
	}
	typ, err := checkLogo(data)
	if err != nil {
		return nil, err
	}
	return s.updateLogo(ctx, actor, dirID, "directory.set-logo", data, typ)
}

// DeleteDirectoryLogo removes a directory's logo; the sign-in page then shows the directory's name alone.
func (s *Service) DeleteDirectoryLogo(ctx context.Context, actor *gatehouse.User, dirID string) (*gatehouse.Directory, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageDirectory); err != nil {
		return nil, err
	}
	return s.updateLogo(ctx, actor, dirID, "directory.delete-logo", nil, "")
}

func (s *Service) updateLogo(ctx context.Context, actor *gatehouse.User, dirID, action string, data []byte, typ string) (*gatehouse.Directory, error) {
	var out *gatehouse.Directory
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		d, err := tx.FindDirectory(ctx, dirID)
		if err != nil {
			return err
		}
		before := *d
		d.Logo, d.LogoType, d.UpdatedAt = data, typ, s.now()
		if err := tx.UpdateDirectory(ctx, d); err != nil {
			return err
		}
		out = d
		return s.audit(ctx, tx, actor, dirID, action, "directory", dirID, before, d)
	})
	return out, err
}

// Branding is what a directory's public pages show of it.
type Branding struct {
	Directory *gatehouse.Directory
	// LogoURL is the path of the directory's logo, or "" when it has none.
	LogoURL string
}

// DirectoryBranding returns the branding of a directory's sign-in pages. It needs no signed-in user: the sign-in
// page is public.
func (s *Service) DirectoryBranding(ctx context.Context, dirID string) (*Branding, error) {
	d, err := s.store.FindDirectory(ctx, dirID)
	if err != nil {
		return nil, err
	}
	b := &Branding{Directory: d}
	if len(d.Logo) > 0 && d.LogoType != "" {
		b.LogoURL = "/d/" + d.ID + "/logo"
	}
	return b, nil
}

// AppLogo returns an app's logo and its content type for a user who may see the app in My Apps; any other user,
// and an app without a logo, get ENOTFOUND.
func (s *Service) AppLogo(ctx context.Context, u *gatehouse.User, appID string) ([]byte, string, error) {
	tiles, err := s.MyApps(ctx, u)
	if err != nil {
		return nil, "", err
	}
	for _, t := range tiles {
		if t.App.ID == appID && len(t.App.Logo) > 0 && t.App.LogoType != "" {
			return t.App.Logo, t.App.LogoType, nil
		}
	}
	return nil, "", gatehouse.Errorf(gatehouse.ENOTFOUND, "There is no such logo.")
}
