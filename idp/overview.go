package idp

import (
	"bytes"
	"context"
	"image"
	_ "image/jpeg" // decode uploaded JPEG logos
	_ "image/png"  // decode uploaded PNG logos
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// Overview is what the admin portal's overview page shows of a directory.
type Overview struct {
	// Users counts the directory's users no further than gatehouse.UserCountLimit; MoreUsers reports whether it
	// has more than that.
	Users        int
	MoreUsers    bool
	Groups       int
	Apps         int
	SignInsToday int
	// FailedToday counts today's failed sign-ins.
	FailedToday int
	// Expiring lists the active signing certificates that expire within ExpiryWarning, soonest first.
	Expiring []*ExpiringCertificate
	// Quarantined lists the apps whose provisioning is in quarantine, with the reason.
	Quarantined []*QuarantinedApp
}

// ExpiringCertificate is an active certificate that expires soon, with the name of the app it signs for ("" for
// the directory's own certificate).
type ExpiringCertificate struct {
	*gatehouse.Certificate
	AppName string
}

// ExpiryWarning is how long before its expiry a certificate is listed as expiring soon.
const ExpiryWarning = 60 * 24 * time.Hour

// Overview counts a directory's users, groups, apps and today's sign-ins (since midnight UTC), and lists its
// certificates that expire soon. Any admin of the directory may read it.
func (s *Service) Overview(ctx context.Context, actor *gatehouse.User, dirID string) (*Overview, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	var o Overview
	var err error
	if _, o.Users, err = s.store.FindUsers(ctx, dirID, gatehouse.UserFilter{Limit: 1}); err != nil {
		return nil, err
	}
	o.Users, o.MoreUsers = min(o.Users, gatehouse.UserCountLimit), o.Users > gatehouse.UserCountLimit
	groups, err := s.store.FindGroups(ctx, dirID, "")
	if err != nil {
		return nil, err
	}
	o.Groups = len(groups)
	apps, err := s.store.FindApps(ctx, dirID, "")
	if err != nil {
		return nil, err
	}
	o.Apps = len(apps)
	now := s.now()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if _, o.SignInsToday, err = s.store.FindSignInEvents(ctx, dirID, gatehouse.SignInFilter{Since: midnight, Limit: 1}); err != nil {
		return nil, err
	}
	if _, o.FailedToday, err = s.store.FindSignInEvents(ctx, dirID, gatehouse.SignInFilter{Since: midnight, Result: gatehouse.ResultFailure, Limit: 1}); err != nil {
		return nil, err
	}
	cs, err := s.store.FindExpiringCertificates(ctx, dirID, now.Add(ExpiryWarning))
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, a := range apps {
		names[a.ID] = a.Name
	}
	for _, c := range cs {
		o.Expiring = append(o.Expiring, &ExpiringCertificate{Certificate: c, AppName: names[c.AppID]})
	}
	if o.Quarantined, err = s.quarantinedApps(ctx, dirID, names); err != nil {
		return nil, err
	}
	return &o, nil
}

// MaxAppLogoBytes caps an uploaded app logo.
const MaxAppLogoBytes = 256 << 10

// maxAppLogoPixels caps a logo's width and height, so a small file cannot describe a huge image.
const maxAppLogoPixels = 2048

// SetAppLogo replaces an app's logo with an uploaded PNG or JPEG image, or removes it when data is empty (My Apps
// then shows an initials tile). The image type is taken from the content, never from a file name; an image over
// MaxAppLogoBytes is ETOOLARGE, and anything that is not a PNG or JPEG of at most 2048×2048 pixels is EINVALID with
// the field "logo".
func (s *Service) SetAppLogo(ctx context.Context, actor *gatehouse.User, dirID, appID string, data []byte) (*gatehouse.App, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	var typ string
	if len(data) > 0 {
		if len(data) > MaxAppLogoBytes {
			return nil, &gatehouse.Error{Code: gatehouse.ETOOLARGE, Field: "logo",
				Message: "The logo is larger than 256 KiB; choose a smaller PNG or JPEG image."}
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		switch {
		case err != nil || (format != "png" && format != "jpeg"):
			return nil, gatehouse.FieldErrorf("logo", "The logo must be a PNG or JPEG image.")
		case cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxAppLogoPixels || cfg.Height > maxAppLogoPixels:
			return nil, gatehouse.FieldErrorf("logo", "The logo is %d×%d pixels; at most %d×%d are allowed.", cfg.Width, cfg.Height, maxAppLogoPixels, maxAppLogoPixels)
		}
		typ = "image/" + format
	}
	var out *gatehouse.App
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		a, err := tx.FindAppForUpdate(ctx, dirID, appID)
		if err != nil {
			return err
		}
		before := map[string]any{"logoType": a.LogoType, "logoBytes": len(a.Logo)}
		a.Logo, a.LogoType, a.UpdatedAt = data, typ, s.now()
		if len(data) == 0 {
			a.Logo = nil
		}
		if err := tx.UpdateApp(ctx, a); err != nil {
			return err
		}
		out = a
		return s.audit(ctx, tx, actor, dirID, "app.logo", "app", appID, before, map[string]any{"logoType": a.LogoType, "logoBytes": len(a.Logo)})
	})
	return out, err
}
