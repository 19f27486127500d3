package demoapp

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxSettingsForm bounds the Access security form: a 64 KiB certificate, pasted or uploaded, and the URLs.
const maxSettingsForm = 3 * maxCertSize

func (a *App) settingsPage(w http.ResponseWriter, r *http.Request) error {
	u, err := a.requireOwner(r)
	if err != nil {
		return err
	}
	s, err := a.loadSettings(r.Context())
	if err != nil {
		return err
	}
	a.render(w, r, http.StatusOK, "settings", map[string]any{
		"Title": "Settings", "User": u, "S": s, "SP": a.spValues(), "Saved": r.URL.Query().Get("saved") == "1",
		"Nav": "settings",
	})
	return nil
}

// spValue is one of the app's own SAML values, to copy into the IdP.
type spValue struct {
	ID, Label, Value, Help string
}

func (a *App) spValues() []spValue {
	return []spValue{
		{"sp-entity-id", "Identifier (Entity ID)", a.EntityID(), "Also serves this app's SAML metadata."},
		{"sp-acs-url", "Reply URL (postback URL, ACS)", a.ACSURL(), "Responses are accepted here by HTTP-POST."},
		{"sp-sign-on-url", "Sign-on URL", a.SignOnURL(), "Starts sign-on from this app."},
	}
}

// accessForm holds what the person typed, to show it again next to an error.
type accessForm struct {
	MetadataURL string
	AuthURL     string
	IssuerURL   string
	CertText    string
	RequireSSO  bool
}

func (a *App) accessPage(w http.ResponseWriter, r *http.Request) error {
	u, err := a.requireOwner(r)
	if err != nil {
		return err
	}
	s, err := a.loadSettings(r.Context())
	if err != nil {
		return err
	}
	f := accessForm{MetadataURL: s.MetadataURL, AuthURL: s.AuthURL, IssuerURL: s.IssuerURL, RequireSSO: s.RequireSSO}
	a.renderAccess(w, r, http.StatusOK, u, s, f, nil)
	return nil
}

func (a *App) renderAccess(w http.ResponseWriter, r *http.Request, status int, u *User, s *settings, f accessForm, formErr *Error) {
	data := map[string]any{"Title": "Access security", "User": u, "S": s, "F": f, "SP": a.spValues(), "Nav": "settings",
		"Gatehouse": a.gatehouse}
	if formErr != nil {
		data["Error"] = formErr.Message
		data["ErrorField"] = formErr.Check
	}
	a.render(w, r, status, "access", data)
}

func (a *App) saveAccess(w http.ResponseWriter, r *http.Request) error {
	u, err := a.requireOwner(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	s, err := a.loadSettings(ctx)
	if err != nil {
		return err
	}
	fail := func(f accessForm, e *Error) error {
		a.log.Info("access security settings refused", "field", e.Check, "reason", e.Message)
		a.renderAccess(w, r, statusFor(e.Code), u, s, f, e)
		return nil
	}

	r.Body = http.MaxBytesReader(w, r.Body, maxSettingsForm)
	if err := r.ParseMultipartForm(maxSettingsForm); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fail(accessForm{AuthURL: s.AuthURL, IssuerURL: s.IssuerURL, RequireSSO: s.RequireSSO},
				&Error{Code: ETOOLARGE, Check: "certificate", Message: "The upload is larger than 64 KiB. Upload the IdP's signing certificate (Base64 .cer or PEM)."})
		}
		return &Error{Code: EINVALID, Message: "The form could not be read.", Err: err}
	}
	if r.PostForm == nil {
		if err := r.ParseForm(); err != nil {
			return &Error{Code: EINVALID, Message: "The form could not be read.", Err: err}
		}
	}
	f := accessForm{
		MetadataURL: strings.TrimSpace(r.PostFormValue("metadata-url")),
		AuthURL:     strings.TrimSpace(r.PostFormValue("auth-url")),
		IssuerURL:   strings.TrimSpace(r.PostFormValue("issuer-url")),
		CertText:    r.PostFormValue("cert-text"),
		RequireSSO:  r.PostFormValue("require-sso") == "on",
	}

	// The certificate: an uploaded file wins over pasted text; neither keeps the current one.
	var certData []byte
	if file, _, err := r.FormFile("cert-file"); err == nil {
		certData, err = io.ReadAll(io.LimitReader(file, maxCertSize+1))
		file.Close()
		if err != nil {
			return &Error{Code: EINVALID, Message: "The certificate file could not be read.", Err: err}
		}
		if len(certData) == 0 {
			certData = nil
		}
	} else if !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart) {
		return &Error{Code: EINVALID, Message: "The certificate file could not be read.", Err: err}
	}
	if certData == nil && strings.TrimSpace(f.CertText) != "" {
		certData = []byte(f.CertText)
	}
	next := *s
	if certData != nil {
		cert, err := parseIdPCertificate(certData, a.now())
		if err != nil {
			var e *Error
			errors.As(err, &e)
			f.CertText = ""
			return fail(f, e)
		}
		next.Cert = cert
	}
	if f.AuthURL != "" {
		if msg := checkHTTPURL(f.AuthURL); msg != "" {
			return fail(f, &Error{Code: EINVALID, Check: "auth-url",
				Message: "Authentication URL: " + msg + " Paste the IdP's Login URL, e.g. " + a.gatehouse + "/d/default/saml2."})
		}
	}
	if len(f.IssuerURL) > 1024 || strings.ContainsAny(f.IssuerURL, " \t\r\n<>\"") {
		return fail(f, &Error{Code: EINVALID, Check: "issuer-url",
			Message: "Issuer URL: paste the IdP's Identifier exactly, without spaces, e.g. " + a.gatehouse + "/d/default."})
	}
	next.AuthURL, next.IssuerURL, next.RequireSSO, next.MetadataURL = f.AuthURL, f.IssuerURL, f.RequireSSO, ""
	if f.MetadataURL != "" {
		// The metadata fills in the certificate and both URLs, over whatever else the form held.
		md, err := a.fetchIdPMetadata(ctx, f.MetadataURL)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				return err
			}
			return fail(f, e)
		}
		next.Cert, next.AuthURL, next.IssuerURL, next.MetadataURL = md.Cert, md.SSOURL, md.EntityID, f.MetadataURL
	}
	if next.RequireSSO && !next.Configured() {
		return fail(f, &Error{Code: EINVALID, Check: "require-sso",
			Message: "Upload the certificate and set the authentication URL and Issuer URL before requiring SSO."})
	}
	if err := a.saveSettings(ctx, &next); err != nil {
		return err
	}
	a.log.Info("access security settings saved", "by", u.Email, "auth_url", next.AuthURL, "issuer", next.IssuerURL,
		"thumbprint", next.Thumbprint(), "require_sso", next.RequireSSO)
	http.Redirect(w, r, "/settings?saved=1", http.StatusSeeOther)
	return nil
}

// checkHTTPURL returns why s is not an absolute http(s) URL, or "".
func checkHTTPURL(s string) string {
	if len(s) > 2048 {
		return "the URL is too long."
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "enter an absolute http:// or https:// URL."
	}
	if u.Fragment != "" {
		return "the URL must not have a #fragment."
	}
	return ""
}
