package idp

import (
	"context"
	"encoding/base64"
	"slices"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
)

// What an SP certificate registered for an app is used for.
const (
	// SPCertSigning verifies the app's signed requests; an app may have up to gatehouse.MaxSPCertificates.
	SPCertSigning = "signing"
	// SPCertEncryption is the one certificate assertions are encrypted for.
	SPCertEncryption = "encryption"
)

// SPCertificate is one of the certificates of an app's SP, as the portal lists them.
type SPCertificate struct {
	Use        string    `json:"use"`
	Thumbprint string    `json:"thumbprint"`
	Subject    string    `json:"subject"`
	NotAfter   time.Time `json:"notAfter"`
	// Expired reports whether NotAfter has passed; metadata may keep an expired certificate, which still verifies.
	Expired bool `json:"expired"`
}

// SPCertificates lists the SP certificates registered for an app: the signing ones in order, then the encryption
// one.
func (s *Service) SPCertificates(a *gatehouse.App) []SPCertificate {
	var out []SPCertificate
	add := func(use, b64 string) {
		der, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return
		}
		c, err := certs.Parse(der)
		if err != nil {
			return
		}
		subject := c.Subject.CommonName
		if subject == "" {
			subject = c.Subject.String()
		}
		out = append(out, SPCertificate{Use: use, Thumbprint: certs.Thumbprint(c.Raw), Subject: subject,
			NotAfter: c.NotAfter.UTC(), Expired: s.now().After(c.NotAfter)})
	}
	for _, b64 := range a.SAML.SigningCertificates {
		add(SPCertSigning, b64)
	}
	if a.SAML.EncryptionCertificate != "" {
		add(SPCertEncryption, a.SAML.EncryptionCertificate)
	}
	return out
}

// AddSPCertificate registers a certificate of the app's SP, given as PEM, DER or Base64 and read with certs.Parse:
// a signing certificate joins the app's list, an encryption certificate replaces the one registered. The
// certificate must be RSA of at least 2048 bits and valid now; errors name the field "certificate" and say what is
// wrong. The app is read and written in one transaction.
func (s *Service) AddSPCertificate(ctx context.Context, actor *gatehouse.User, dirID, appID, use string, data []byte) (*gatehouse.App, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	if use != SPCertSigning && use != SPCertEncryption {
		return nil, gatehouse.FieldErrorf("use", "Use %q is unknown; choose signing or encryption.", use)
	}
	c, err := certs.ParseUploaded(data, s.now())
	if err != nil {
		return nil, err
	}
	b64 := base64.StdEncoding.EncodeToString(c.Raw)
	return s.changeSPCertificates(ctx, actor, dirID, appID, func(st *gatehouse.SAMLSettings) error {
		switch {
		case use == SPCertEncryption:
			st.EncryptionCertificate = b64
		case slices.Contains(st.SigningCertificates, b64):
			return &gatehouse.Error{Code: gatehouse.ECONFLICT, Field: certs.Field, Message: "This signing certificate is registered already."}
		case len(st.SigningCertificates) >= gatehouse.MaxSPCertificates:
			return gatehouse.FieldErrorf(certs.Field, "The app has %d signing certificates, the most allowed; remove one first.", gatehouse.MaxSPCertificates)
		default:
			st.SigningCertificates = append(slices.Clip(st.SigningCertificates), b64)
		}
		return nil
	})
}

// RemoveSPCertificate removes the app's SP certificate with that use and thumbprint. An app that requires signed
// requests keeps at least one signing certificate, and one that encrypts assertions its encryption certificate:
// the error says which setting to turn off first.
func (s *Service) RemoveSPCertificate(ctx context.Context, actor *gatehouse.User, dirID, appID, use, thumbprint string) (*gatehouse.App, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	return s.changeSPCertificates(ctx, actor, dirID, appID, func(st *gatehouse.SAMLSettings) error {
		matches := func(b64 string) bool {
			der, err := base64.StdEncoding.DecodeString(b64)
			return err == nil && certs.Thumbprint(der) == thumbprint
		}
		switch {
		case use == SPCertEncryption && st.EncryptionCertificate != "" && matches(st.EncryptionCertificate):
			st.EncryptionCertificate = ""
		case use == SPCertSigning && slices.ContainsFunc(st.SigningCertificates, matches):
			st.SigningCertificates = slices.DeleteFunc(slices.Clone(st.SigningCertificates), matches)
		default:
			return gatehouse.Errorf(gatehouse.ENOTFOUND, "The app has no %s certificate with thumbprint %q.", use, thumbprint)
		}
		return nil
	})
}

// changeSPCertificates applies change to an app's SAML settings and stores them, in one transaction.
func (s *Service) changeSPCertificates(ctx context.Context, actor *gatehouse.User, dirID, appID string, change func(*gatehouse.SAMLSettings) error) (*gatehouse.App, error) {
	var out *gatehouse.App
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		a, err := tx.FindApp(ctx, dirID, appID)
		if err != nil {
			return err
		}
		before := *a
		if err := change(&a.SAML); err != nil {
			return err
		}
		if err := a.Validate(); err != nil {
			return err
		}
		a.UpdatedAt = s.now()
		if err := tx.UpdateApp(ctx, a); err != nil {
			return err
		}
		out = a
		return s.audit(ctx, tx, actor, dirID, "app.update", "app", appID, before, a)
	})
	return out, err
}
