package idp

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// AppInput is what an admin gives to add an app from the gallery.
type AppInput struct {
	// GalleryID names the template; "custom" adds a custom SAML app, "custom-oidc" a custom OpenID Connect app.
	GalleryID string `json:"galleryId"`
	// Name defaults to the template's name.
	Name string `json:"name"`
	// Parameters fill the template's placeholders, e.g. {"org_id": "12345"} for Mixpanel.
	Parameters map[string]string `json:"parameters"`
	// Metadata (the XML) or MetadataURL configures the app from its SP's metadata (see ImportMetadata).
	Metadata    string `json:"metadata,omitempty"`
	MetadataURL string `json:"metadataUrl,omitempty"`
}

// AddApp adds an app from the gallery with the template's SAML settings and a new signing certificate, or, for an
// OpenID Connect template, its OpenID Connect settings and a client ID. Settings whose placeholders were not given
// are left empty for the admin to fill in; their names are returned.
func (s *Service) AddApp(ctx context.Context, actor *gatehouse.User, dirID string, in AppInput) (*gatehouse.App, []string, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, nil, err
	}
	if in.GalleryID == "" {
		in.GalleryID = "custom"
	}
	t, err := s.gallery.Find(in.GalleryID)
	if err != nil {
		return nil, nil, err
	}
	if t.Protocol == gatehouse.ProtocolOIDC {
		return s.addOIDCApp(ctx, actor, dirID, t, in)
	}
	settings, missing, err := t.Settings(in.Parameters)
	if err != nil {
		return nil, nil, err
	}
	var md *saml.SPMetadata
	if in.Metadata != "" || in.MetadataURL != "" {
		if md, err = s.readMetadata(ctx, MetadataInput{Metadata: in.Metadata, URL: in.MetadataURL}); err != nil {
			return nil, nil, err
		}
		ApplyMetadata(&settings, md)
		missing = nil
		if in.MetadataURL != "" {
			settings.MetadataURL = in.MetadataURL
			settings.MetadataStatus = &gatehouse.MetadataStatus{LastAttemptAt: s.now(), LastSuccessAt: s.now()}
		}
		if strings.TrimSpace(in.Name) == "" && t.ID == "custom" {
			in.Name = truncate(md.EntityID, 256)
		}
	}
	a := &gatehouse.App{
		ID: s.newID(), DirectoryID: dirID, Name: strings.TrimSpace(in.Name), GalleryID: t.ID,
		Enabled: true, AssignmentRequired: true, Visible: true, SAML: settings,
		CreatedAt: s.now(), UpdatedAt: s.now(),
	}
	if a.Name == "" {
		a.Name = t.Name
	}
	if err := a.Validate(); err != nil {
		return nil, nil, err
	}
	cert, err := s.newCertificateOf(dirID, a.ID, "Gatehouse SSO Certificate", a.SAML.KeyType())
	if err != nil {
		return nil, nil, err
	}
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateApp(ctx, a, cert); err != nil {
			return entityConflict(err, a.SAML.EntityID)
		}
		return s.audit(ctx, tx, actor, dirID, "app.create", "app", a.ID, nil, a)
	})
	if err != nil {
		return nil, nil, err
	}
	return a, missing, nil
}

// readSPCertificates reads the SP certificates that next adds to prev — PEM, DER in base64 or bare base64, as the
// API, the portal and the CLI take them — with certs.Parse, stores each as base64 DER, and refuses one that is not
// an RSA certificate of at least 2048 bits or has expired (SECURITY-CASES 40), naming the field and the problem.
// Certificates already registered (from metadata, which may keep an expired one) are not checked again.
func (s *Service) readSPCertificates(prev, next *gatehouse.SAMLSettings) error {
	read := func(field, text string) (string, error) {
		c, err := certs.Parse([]byte(text))
		if err != nil {
			return "", certs.InField(err, field)
		}
		b64 := base64.StdEncoding.EncodeToString(c.Raw)
		if field == "encryptionCertificate" && b64 == prev.EncryptionCertificate || field == "signingCertificates" && slices.Contains(prev.SigningCertificates, b64) {
			return b64, nil
		}
		return b64, certs.InField(certs.Check(c, s.now()), field)
	}
	signing := make([]string, 0, len(next.SigningCertificates))
	for _, text := range next.SigningCertificates {
		if slices.Contains(prev.SigningCertificates, text) {
			signing = append(signing, text)
			continue
		}
		b64, err := read("signingCertificates", text)
		if err != nil {
			return err
		}
		signing = append(signing, b64)
	}
	if len(next.SigningCertificates) > 0 {
		next.SigningCertificates = signing
	}
	if text := next.EncryptionCertificate; text != "" && text != prev.EncryptionCertificate {
		b64, err := read("encryptionCertificate", text)
		if err != nil {
			return err
		}
		next.EncryptionCertificate = b64
	}
	return nil
}

func entityConflict(err error, entityID string) error {
	if gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
		return &gatehouse.Error{Code: gatehouse.ECONFLICT, Field: "entityId",
			Message: gatehouse.Messagef("Another app in this directory already has the Identifier %q; each app needs its own.", entityID)}
	}
	return err
}

// newCertificate generates an RSA-2048 signing certificate whose private key is sealed with the instance key.
func (s *Service) newCertificate(dirID, appID, commonName string) (*gatehouse.Certificate, error) {
	return s.newCertificateOf(dirID, appID, commonName, gatehouse.KeyRSA2048)
}

// newCertificateOf generates a signing certificate with a key of keyType (one of gatehouse.SigningKeyTypes) whose
// private key is sealed with the instance key.
func (s *Service) newCertificateOf(dirID, appID, commonName, keyType string) (*gatehouse.Certificate, error) {
	der, key, err := certs.GenerateKey(commonName, keyType, s.now(), s.certValidity, s.rand)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	id := s.newID()
	sealed, err := s.sealer.SealSigner(key, id)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	return &gatehouse.Certificate{
		ID: id, DirectoryID: dirID, AppID: appID, DER: der, EncryptedKey: sealed,
		Thumbprint: certs.Thumbprint(der), NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		Active: true, CreatedAt: s.now(),
	}, nil
}

// FindApps returns the directory's apps whose name contains query.
func (s *Service) FindApps(ctx context.Context, actor *gatehouse.User, dirID, query string) ([]*gatehouse.App, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	return s.store.FindApps(ctx, dirID, query)
}

// FindApp returns an app.
func (s *Service) FindApp(ctx context.Context, actor *gatehouse.User, dirID, id string) (*gatehouse.App, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	return s.store.FindApp(ctx, dirID, id)
}

// AppPatch lists the app fields to change; nil fields stay as they are. SAML, when set, replaces the SAML settings
// whole, for callers that configure all of them at once; to change some settings, use UpdateSAML.
type AppPatch struct {
	Name               *string                 `json:"name"`
	Enabled            *bool                   `json:"enabled"`
	AssignmentRequired *bool                   `json:"assignmentRequired"`
	Visible            *bool                   `json:"visible"`
	Notes              *string                 `json:"notes"`
	SAML               *gatehouse.SAMLSettings `json:"saml"`
}

// UpdateApp changes the fields of an app that p sets, and no other: the app is read and written in one transaction
// that keeps others from changing it meanwhile, so changes made at the same time to other fields are kept.
func (s *Service) UpdateApp(ctx context.Context, actor *gatehouse.User, dirID, id string, p AppPatch) (*gatehouse.App, error) {
	return s.changeApp(ctx, actor, dirID, id, "app.update", func(a *gatehouse.App) error {
		if p.SAML != nil && a.IsOIDC() {
			return gatehouse.FieldErrorf("saml", "%s is an OpenID Connect app; it has no SAML settings.", a.Name)
		}
		if p.SAML != nil && p.SAML.KeyType() != a.SAML.KeyType() {
			// A new key type needs its certificate, which UpdateSAML makes.
			return gatehouse.FieldErrorf("signingKeyType", "Change the signing key type on its own (PATCH …/saml with signingKeyType), which makes the certificate it needs.")
		}
		setIf(&a.Name, p.Name)
		setIf(&a.Enabled, p.Enabled)
		setIf(&a.AssignmentRequired, p.AssignmentRequired)
		setIf(&a.Visible, p.Visible)
		setIf(&a.Notes, p.Notes)
		setIf(&a.SAML, p.SAML)
		return nil
	})
}

// DeleteApp deletes an app with its certificates and assignments.
func (s *Service) DeleteApp(ctx context.Context, actor *gatehouse.User, dirID, id string) error {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx gatehouse.Store) error {
		a, err := tx.FindAppForUpdate(ctx, dirID, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteApp(ctx, dirID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "app.delete", "app", id, a, nil)
	})
}

// Setup is the "Set up <app>" section: the values the app's admin pastes into the app.
type Setup struct {
	// LoginURL is the Single Sign-On Service URL (both bindings).
	LoginURL string `json:"loginUrl"`
	// Identifier is the IdP's entity ID, the Issuer of every response.
	Identifier string `json:"identifier"`
	LogoutURL  string `json:"logoutUrl"`
	// MetadataURL is the app federation metadata URL.
	MetadataURL string `json:"metadataUrl"`
	// UserAccessURL starts IdP-initiated sign-on to the app; users can bookmark it.
	UserAccessURL string                 `json:"userAccessUrl"`
	Certificate   *gatehouse.Certificate `json:"certificate"`
	// OIDC is what an OpenID Connect app is configured with instead; nil for a SAML app.
	OIDC *OIDCSetup `json:"oidc,omitempty"`
}

// Endpoints returns a directory's public SAML endpoints.
func (s *Service) Endpoints(dirID string) (entityID, ssoURL, metadataURL string) {
	base := s.publicURL + "/d/" + url.PathEscape(dirID)
	return base, base + "/saml2", base + "/federationmetadata/2007-06/federationmetadata.xml"
}

// AppMetadataURL returns an app's federation metadata URL.
func (s *Service) AppMetadataURL(dirID, appID string) string {
	_, _, md := s.Endpoints(dirID)
	return md + "?appid=" + url.QueryEscape(appID)
}

// UserAccessURL returns the URL that starts IdP-initiated sign-on to an app.
func (s *Service) UserAccessURL(dirID, appID string) string {
	return s.publicURL + "/d/" + url.PathEscape(dirID) + "/apps/" + url.PathEscape(appID) + "/signin"
}

// Setup returns the values to configure in the app.
func (s *Service) Setup(ctx context.Context, actor *gatehouse.User, dirID, appID string) (*Setup, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	a, err := s.store.FindApp(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	if a.IsOIDC() && a.OIDC != nil {
		return &Setup{UserAccessURL: s.UserAccessURL(dirID, a.ID), OIDC: s.oidcSetup(a)}, nil
	}
	entityID, sso, _ := s.Endpoints(dirID)
	st := &Setup{
		LoginURL: sso, Identifier: entityID, LogoutURL: sso,
		MetadataURL: s.AppMetadataURL(dirID, a.ID), UserAccessURL: s.UserAccessURL(dirID, a.ID),
	}
	st.Certificate, err = s.activeCertificate(ctx, dirID, a.ID)
	if err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		return nil, err
	}
	return st, nil
}

// activeCertificate returns the active certificate of an app (or of the directory when appID is "").
func (s *Service) activeCertificate(ctx context.Context, dirID, appID string) (*gatehouse.Certificate, error) {
	cs, err := s.cachedCertificates(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Active {
			return c, nil
		}
	}
	return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "The app has no active signing certificate; create one and make it active.")
}

// FindCertificates returns an app's signing certificates, newest first.
func (s *Service) FindCertificates(ctx context.Context, actor *gatehouse.User, dirID, appID string) ([]*gatehouse.Certificate, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	if _, err := s.store.FindApp(ctx, dirID, appID); err != nil {
		return nil, err
	}
	return s.store.FindCertificates(ctx, dirID, appID)
}

// Certificate download formats.
const (
	FormatBase64   = "base64"
	FormatRaw      = "raw"
	FormatPEM      = "pem"
	FormatMetadata = "metadata"
)

// File is a download.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// CertificateFile returns an app's certificate in one of the download formats. certID "active" names the active
// certificate. The private key is never part of any format.
func (s *Service) CertificateFile(ctx context.Context, actor *gatehouse.User, dirID, appID, certID, format string) (*File, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	a, err := s.store.FindApp(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	var c *gatehouse.Certificate
	if certID == "active" {
		c, err = s.activeCertificate(ctx, dirID, appID)
	} else {
		c, err = s.store.FindCertificate(ctx, dirID, certID)
		if err == nil && c.AppID != appID {
			err = gatehouse.Errorf(gatehouse.ENOTFOUND, "The app has no certificate %s.", certID)
		}
	}
	if err != nil {
		return nil, err
	}
	name := certs.FileName(a.Name, format)
	switch format {
	case FormatBase64:
		return &File{Name: name, ContentType: "application/pkix-cert", Data: certs.EncodeBase64(c.DER)}, nil
	case FormatRaw:
		return &File{Name: name, ContentType: "application/pkix-cert", Data: c.DER}, nil
	case FormatPEM:
		return &File{Name: name, ContentType: "application/x-pem-file", Data: certs.EncodePEM(c.DER)}, nil
	case FormatMetadata:
		md, err := s.AppMetadata(ctx, dirID, appID)
		if err != nil {
			return nil, err
		}
		return &File{Name: name, ContentType: "application/samlmetadata+xml", Data: md}, nil
	}
	return nil, gatehouse.FieldErrorf("format", "Format %q is unknown; choose base64, raw, pem or metadata.", format)
}

// GalleryTemplates returns the gallery templates that match query.
func (s *Service) GalleryTemplates(query string) []*gallery.Template { return s.gallery.Search(query) }

// GalleryTemplate returns the gallery template with an ID, or ENOTFOUND.
func (s *Service) GalleryTemplate(id string) (*gallery.Template, error) { return s.gallery.Find(id) }
