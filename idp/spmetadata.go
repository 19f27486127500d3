package idp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// Limits of fetching SP metadata from a URL.
const (
	// MetadataFetchTimeout bounds one fetch, connection and body included.
	MetadataFetchTimeout = 10 * time.Second
	// MetadataRefreshInterval is how often a metadata URL is fetched again by RefreshMetadata.
	MetadataRefreshInterval = 6 * time.Hour
	maxMetadataRedirects    = 3
)

// MetadataInput is SP metadata given to import: the XML itself, or a URL the server fetches it from (http or https
// only, at most 1 MiB, within MetadataFetchTimeout, following at most 3 redirects and only to http or https).
type MetadataInput struct {
	Metadata string `json:"metadata"`
	URL      string `json:"url"`
}

// MetadataImport is what importing SP metadata did: the app with its new settings, what changed, and what the
// metadata makes possible that the import did not turn on.
type MetadataImport struct {
	*gatehouse.App
	// Changes says, setting by setting, what the metadata changed; empty when it changed nothing.
	Changes []SettingNote `json:"changes"`
	// Suggestions are settings the admin may want to change now (see Suggestions).
	Suggestions []SettingNote `json:"suggestions,omitempty"`
}

// SettingNote is a sentence about one SAML setting, named by its JSON name.
type SettingNote struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ImportMetadata updates an app's SAML settings from its SP's metadata (see ApplyMetadata) and says what changed,
// and what the admin may want to turn on (an encryption certificate the metadata publishes). With a URL, the URL is
// kept and refreshed periodically by RefreshMetadata. Errors: EINVALID naming "metadata" or "url" for metadata that
// is refused (SECURITY-CASES 38), ETOOLARGE over 1 MiB, ECONFLICT when another app has the entity ID.
func (s *Service) ImportMetadata(ctx context.Context, actor *gatehouse.User, dirID, appID string, in MetadataInput) (*MetadataImport, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	md, err := s.readMetadata(ctx, in)
	if err != nil {
		return nil, err
	}
	var out *MetadataImport
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		a, err := tx.FindAppForUpdate(ctx, dirID, appID)
		if err != nil {
			return err
		}
		if a.IsOIDC() {
			return gatehouse.FieldErrorf("metadata", "%s is an OpenID Connect app; SAML metadata does not apply to it.", a.Name)
		}
		before := *a
		ApplyMetadata(&a.SAML, md)
		a.SAML.MetadataURL = in.URL
		a.SAML.MetadataStatus = nil
		if in.URL != "" {
			a.SAML.MetadataStatus = &gatehouse.MetadataStatus{LastAttemptAt: s.now(), LastSuccessAt: s.now()}
		}
		if err := a.Validate(); err != nil {
			return err
		}
		a.UpdatedAt = s.now()
		if err := tx.UpdateApp(ctx, a); err != nil {
			return entityConflict(err, a.SAML.EntityID)
		}
		out = &MetadataImport{App: a, Changes: metadataChanges(before.SAML, a.SAML), Suggestions: Suggestions(a.SAML)}
		return s.audit(ctx, tx, actor, dirID, "app.import-metadata", "app", a.ID, before, a)
	})
	return out, err
}

// metadataChanges describes, setting by setting, how applying SP metadata changed before into after.
func metadataChanges(before, after gatehouse.SAMLSettings) []SettingNote {
	notes := []SettingNote{}
	note := func(field, format string, args ...any) {
		notes = append(notes, SettingNote{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	orNone := func(s string) string {
		if s == "" {
			return "none"
		}
		return s
	}
	if before.EntityID != after.EntityID {
		note("entityId", "The Identifier changed from %s to %s.", orNone(before.EntityID), after.EntityID)
	}
	if !slices.Equal(before.ReplyURLs, after.ReplyURLs) || !slices.Equal(before.ACSIndexes, after.ACSIndexes) {
		note("replyUrls", "The reply URLs are now %s (the SP's HTTP-POST AssertionConsumerServices, the default first).", strings.Join(after.ReplyURLs, ", "))
	}
	if before.LogoutURL != after.LogoutURL || before.LogoutBinding != after.LogoutBinding || before.LogoutResponseURL != after.LogoutResponseURL {
		note("logoutUrl", "The logout URL changed from %s to %s.", orNone(before.LogoutURL), orNone(after.LogoutURL))
	}
	if !slices.Equal(before.SigningCertificates, after.SigningCertificates) {
		note("signingCertificates", "The SP's signing certificates changed: %d registered now, %d before.", len(after.SigningCertificates), len(before.SigningCertificates))
	}
	switch {
	case !before.RequireSignedRequests && after.RequireSignedRequests:
		note("requireSignedRequests", `Signed requests are now required: the SP's metadata says AuthnRequestsSigned="true".`)
	case before.RequireSignedRequests && !after.RequireSignedRequests && len(after.SigningCertificates) == 0:
		note("requireSignedRequests", "Signed requests are no longer required: the SP's metadata has no signing certificate to verify them with.")
	case before.RequireSignedRequests && !after.RequireSignedRequests:
		note("requireSignedRequests", `Signed requests are no longer required: the SP's metadata does not say AuthnRequestsSigned="true".`)
	}
	if before.SigningOption != after.SigningOption {
		note("signingOption", `The signing option changed from %s to %s: the SP's metadata says WantAssertionsSigned="true".`, before.SigningOption, after.SigningOption)
	}
	switch {
	case before.EncryptionCertificate == "" && after.EncryptionCertificate != "":
		note("encryptionCertificate", "The SP's encryption certificate is registered.")
	case before.EncryptionCertificate != "" && after.EncryptionCertificate == "":
		note("encryptionCertificate", "The SP's encryption certificate was removed: the metadata publishes none.")
	case before.EncryptionCertificate != after.EncryptionCertificate:
		note("encryptionCertificate", "The SP's encryption certificate was replaced.")
	}
	if before.EncryptAssertions && !after.EncryptAssertions {
		note("encryptAssertions", "Assertions are no longer encrypted: the SP's metadata publishes no encryption certificate.")
	}
	if !slices.Equal(before.EncryptionMethods, after.EncryptionMethods) && after.EncryptionCertificate != "" {
		note("encryptionMethods", "The encryption methods are now %s.", orNone(strings.Join(after.EncryptionMethods, ", ")))
	}
	return notes
}

// Suggestions returns the settings an app's admin may want to change now that its SP's metadata is known: turning
// on encryption when the SP has an encryption certificate registered and assertions are not encrypted.
func Suggestions(st gatehouse.SAMLSettings) []SettingNote {
	var out []SettingNote
	if st.EncryptionCertificate != "" && !st.EncryptAssertions {
		out = append(out, SettingNote{Field: "encryptAssertions", Message: "The SP publishes an encryption certificate, and assertions are not encrypted: turn on encryptAssertions to encrypt them for it."})
	}
	return out
}

// readMetadata returns the parsed metadata of in, fetching it when in names a URL.
func (s *Service) readMetadata(ctx context.Context, in MetadataInput) (*saml.SPMetadata, error) {
	var data []byte
	switch {
	case in.Metadata != "" && in.URL != "":
		return nil, gatehouse.FieldErrorf("metadata", "Give either the metadata or its URL, not both.")
	case in.Metadata != "":
		data = []byte(in.Metadata)
	case in.URL != "":
		var err error
		if data, err = FetchMetadata(ctx, in.URL); err != nil {
			return nil, err
		}
	default:
		return nil, gatehouse.FieldErrorf("metadata", "Give the SP's metadata XML or the URL it is published at.")
	}
	md, err := saml.ParseSPMetadata(data)
	if err != nil {
		return nil, metadataError(err)
	}
	return md, nil
}

// metadataError turns a refusal of the saml package into an application error that names the problem.
func metadataError(err error) error {
	var se *saml.Error
	if !errors.As(err, &se) {
		return gatehouse.Internal(err)
	}
	msg := se.Message
	if se.Received != "" {
		msg += " Received: " + se.Received + "."
	}
	code := gatehouse.EINVALID
	if se.Code == saml.CodeRequestTooLarge {
		code = gatehouse.ETOOLARGE
	}
	// The saml error is not kept as the cause: the API answers with the application code, and the message says all.
	return &gatehouse.Error{Code: code, Field: "metadata", Message: "The SP metadata was refused (" + se.Code + "): " + msg}
}

// FetchMetadata gets SP metadata from an http or https URL: at most saml.MaxMetadataSize bytes, within
// MetadataFetchTimeout, following at most 3 redirects, each to an http or https URL. Errors are EINVALID naming
// "url", or ETOOLARGE.
func FetchMetadata(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, gatehouse.FieldErrorf("url", "The metadata URL %q must be an absolute http or https URL.", rawURL)
	}
	client := &http.Client{
		Timeout: MetadataFetchTimeout,
		CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if len(via) >= maxMetadataRedirects {
				return fmt.Errorf("more than %d redirects", maxMetadataRedirects)
			}
			if r.URL.Scheme != "http" && r.URL.Scheme != "https" {
				return fmt.Errorf("a redirect to %s:, which is not http or https", r.URL.Scheme)
			}
			return nil
		},
	}
	ctx, cancel := context.WithTimeout(ctx, MetadataFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, gatehouse.FieldErrorf("url", "The metadata URL %q cannot be requested.", rawURL)
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := client.Do(req)
	if err != nil {
		return nil, &gatehouse.Error{Code: gatehouse.EINVALID, Field: "url", Err: err,
			Message: gatehouse.Messagef("The metadata could not be fetched from %q: %s.", rawURL, fetchReason(err))}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, gatehouse.FieldErrorf("url", "Fetching the metadata from %q answered HTTP %d, not 200.", rawURL, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, saml.MaxMetadataSize+1))
	if err != nil {
		return nil, &gatehouse.Error{Code: gatehouse.EINVALID, Field: "url", Err: err,
			Message: gatehouse.Messagef("The metadata could not be read from %q: %s.", rawURL, fetchReason(err))}
	}
	if len(data) > saml.MaxMetadataSize {
		return nil, &gatehouse.Error{Code: gatehouse.ETOOLARGE, Field: "url", Message: gatehouse.Messagef("The metadata at %q is larger than 1 MiB.", rawURL)}
	}
	return data, nil
}

// fetchReason says in a few words why a fetch failed.
func fetchReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "it took longer than " + MetadataFetchTimeout.String()
		}
		err = ue.Err
	}
	return err.Error()
}

// ApplyMetadata sets the settings an SP's metadata describes: the Identifier; the HTTP-POST ACS URLs as reply URLs
// (the default first) with their indexes; the logout URL, binding and response URL (HTTP-Redirect preferred); the
// SP's signing certificates, with RequireSignedRequests set to what the SP says with AuthnRequestsSigned (on or off,
// and off without a signing certificate); both the response and the assertion signed when the SP wants signed
// assertions and the setting signed only the response; and the encryption certificate with its methods
// (EncryptAssertions is turned off when there is none, and left as it is otherwise: Suggestions offers it). The
// NameID format stays what the admin chose: an SP's list of formats is what it accepts, and one that asks for another
// format says so in its requests' NameIDPolicy.
func ApplyMetadata(st *gatehouse.SAMLSettings, md *saml.SPMetadata) {
	st.EntityID = md.EntityID
	st.ReplyURLs, st.ACSIndexes = nil, nil
	for _, e := range md.ACS {
		if !slices.Contains(st.ReplyURLs, e.Location) {
			st.ReplyURLs = append(st.ReplyURLs, e.Location)
			st.ACSIndexes = append(st.ACSIndexes, e.Index)
		}
	}
	st.LogoutURL, st.LogoutBinding, st.LogoutResponseURL = "", "", ""
	for _, binding := range []string{saml.BindingHTTPRedirect, saml.BindingHTTPPost} {
		if i := slices.IndexFunc(md.SLO, func(e saml.Endpoint) bool { return e.Binding == binding }); i >= 0 {
			st.LogoutURL, st.LogoutBinding, st.LogoutResponseURL = md.SLO[i].Location, binding, md.SLO[i].ResponseLocation
			break
		}
	}
	st.SigningCertificates = nil
	for _, c := range md.SigningCerts {
		st.SigningCertificates = append(st.SigningCertificates, base64.StdEncoding.EncodeToString(c.Raw))
	}
	st.RequireSignedRequests = md.AuthnRequestsSigned && len(st.SigningCertificates) > 0
	if md.WantAssertionsSigned && st.SigningOption == gatehouse.SignResponse {
		st.SigningOption = gatehouse.SignBoth
	}
	st.EncryptionCertificate, st.EncryptionMethods = "", md.EncryptionMethods
	if len(md.EncryptionCerts) > 0 {
		st.EncryptionCertificate = base64.StdEncoding.EncodeToString(md.EncryptionCerts[0].Raw)
	} else {
		st.EncryptAssertions = false
	}
}

// RefreshMetadata fetches again the metadata of every app that has a metadata URL and was not tried within every
// (MetadataRefreshInterval when zero; every app with a URL when negative), applies what changed, and records the outcome in the app's MetadataStatus.
// A failure leaves the last good settings in force; it is logged and shown with the app. It returns the number of
// apps tried.
func (s *Service) RefreshMetadata(ctx context.Context, every time.Duration) (int, error) {
	if every == 0 {
		every = MetadataRefreshInterval
	}
	dirs, err := s.store.FindDirectories(ctx)
	if err != nil {
		return 0, err
	}
	tried := 0
	for _, d := range dirs {
		apps, err := s.store.FindApps(ctx, d.ID, "")
		if err != nil {
			return tried, err
		}
		for _, a := range apps {
			if ctx.Err() != nil {
				return tried, ctx.Err()
			}
			st := a.SAML.MetadataStatus
			if a.SAML.MetadataURL == "" || (every > 0 && st != nil && s.now().Sub(st.LastAttemptAt) < every) {
				continue
			}
			tried++
			s.refreshApp(ctx, a)
		}
	}
	return tried, nil
}

// refreshApp fetches one app's metadata and stores the outcome.
func (s *Service) refreshApp(ctx context.Context, a *gatehouse.App) {
	md, ferr := s.readMetadata(ctx, MetadataInput{URL: a.SAML.MetadataURL})
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		fresh, err := tx.FindAppForUpdate(ctx, a.DirectoryID, a.ID)
		if err != nil {
			return err
		}
		if fresh.SAML.MetadataURL != a.SAML.MetadataURL {
			return nil // changed meanwhile
		}
		before := *fresh
		st := gatehouse.MetadataStatus{LastAttemptAt: s.now()}
		if fresh.SAML.MetadataStatus != nil {
			st.LastSuccessAt = fresh.SAML.MetadataStatus.LastSuccessAt
		}
		if ferr == nil {
			next := fresh.SAML
			next.Claims = slices.Clone(next.Claims)
			ApplyMetadata(&next, md)
			cand := *fresh
			cand.SAML = next
			if verr := cand.Validate(); verr != nil {
				ferr = verr
			} else {
				changed := !sameSettings(fresh.SAML, next)
				fresh.SAML = next
				st.LastSuccessAt = s.now()
				fresh.SAML.MetadataStatus = &st
				if err := tx.UpdateApp(ctx, fresh); err != nil {
					if gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
						return err
					}
					ferr = entityConflict(err, next.EntityID)
					fresh.SAML = before.SAML
				} else {
					if changed {
						return s.audit(ctx, tx, nil, fresh.DirectoryID, "app.refresh-metadata", "app", fresh.ID, before, fresh)
					}
					return nil
				}
			}
		}
		st.LastError = truncate(gatehouse.ErrorMessage(ferr), 2000)
		fresh.SAML.MetadataStatus = &st
		return tx.UpdateApp(ctx, fresh)
	})
	if ferr != nil {
		s.logger.Warn("refresh SP metadata", "directory", a.DirectoryID, "app", a.ID, "url", a.SAML.MetadataURL, "err", ferr)
	}
	if err != nil {
		s.logger.Error("store refreshed SP metadata", "directory", a.DirectoryID, "app", a.ID, "err", err)
	}
}

// sameSettings reports whether metadata refresh left the settings it manages unchanged.
func sameSettings(a, b gatehouse.SAMLSettings) bool {
	return a.EntityID == b.EntityID && slices.Equal(a.ReplyURLs, b.ReplyURLs) && slices.Equal(a.ACSIndexes, b.ACSIndexes) &&
		a.LogoutURL == b.LogoutURL && a.LogoutBinding == b.LogoutBinding && a.LogoutResponseURL == b.LogoutResponseURL &&
		a.NameIDFormat == b.NameIDFormat && slices.Equal(a.SigningCertificates, b.SigningCertificates) &&
		a.RequireSignedRequests == b.RequireSignedRequests && a.SigningOption == b.SigningOption &&
		a.EncryptionCertificate == b.EncryptionCertificate && slices.Equal(a.EncryptionMethods, b.EncryptionMethods) &&
		a.EncryptAssertions == b.EncryptAssertions && strings.EqualFold(a.MetadataURL, b.MetadataURL)
}
