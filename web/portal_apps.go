package web

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// appBase is what every page of one app shows above its tab: the app's name, logo and tabs.
type appBase struct {
	Base string
	App  *gatehouse.App
	Tab  string
}

// findApp returns the app named in the URL, read through the service so the admin's rights apply.
func (s *Server) findApp(r *http.Request, v *portalView) (*gatehouse.App, error) {
	return s.Service.FindApp(r.Context(), v.Me, v.Dir.ID, r.PathValue("id"))
}

func (v *portalView) appURL(a *gatehouse.App, page string) string {
	return v.Base + "/apps/" + url.PathEscape(a.ID) + "/" + page
}

// portalAppPage serves the pages under apps/{id}/{page}. One pattern serves them because "apps/gallery/{galleryId}"
// and "apps/{id}/sso" would overlap in the mux.
func (s *Server) portalAppPage(w http.ResponseWriter, r *http.Request, v *portalView) error {
	pages := map[string]portalHandler{
		"GET sso": s.portalSSO, "GET preview": s.portalPreview, "GET users": s.portalAssignments, "POST users": s.portalAssign,
		"GET properties": s.portalProperties, "POST properties": s.portalSaveProperties, "GET logo": s.portalLogo,
		"GET delete": s.portalConfirmDeleteApp, "POST delete": s.portalDeleteApp,
		"GET provisioning": s.portalProvisioning, "POST provisioning": s.portalSaveProvisioning,
	}
	if r.PathValue("id") == "gallery" {
		r.SetPathValue("galleryId", r.PathValue("page"))
		pages = map[string]portalHandler{"GET": s.portalGalleryApp, "POST": s.portalAddApp}
		r.SetPathValue("page", "")
	}
	h, ok := pages[strings.TrimSpace(r.Method+" "+r.PathValue("page"))]
	if !ok {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "There is no page %s in the admin portal.", r.URL.Path)
	}
	return h(w, r, v)
}

// portalApp sends an app's own URL to its Single sign-on page.
func (s *Server) portalApp(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	return redirect(w, r, v.appURL(a, "sso"))
}

func (s *Server) portalApps(w http.ResponseWriter, r *http.Request, v *portalView) error {
	q := r.URL.Query().Get("q")
	apps, err := s.Service.FindApps(r.Context(), v.Me, v.Dir.ID, q)
	if err != nil {
		return err
	}
	v.Nav = "apps"
	s.show(w, r, v, "apps.html", struct {
		Query string
		Apps  []*gatehouse.App
	}{q, apps})
	return nil
}

// galleryTile is a gallery template with the text the as-you-type filter searches.
type galleryTile struct {
	*gallery.Template
	Text string
}

func (s *Server) portalGallery(w http.ResponseWriter, r *http.Request, v *portalView) error {
	q := r.URL.Query().Get("q")
	var tiles []galleryTile
	for _, t := range s.Service.GalleryTemplates(q) {
		text := strings.ToLower(strings.Join(append([]string{t.ID, t.Name, t.Publisher, t.Description}, t.Categories...), " "))
		tiles = append(tiles, galleryTile{Template: t, Text: text})
	}
	v.Nav = "apps"
	s.show(w, r, v, "gallery.html", struct {
		Query string
		Tiles []galleryTile
	}{q, tiles})
	return nil
}

// addAppPage is the form that adds an app from a gallery template.
type addAppPage struct {
	Template *gallery.Template
	Name     string
	Params   map[string]string
}

func (s *Server) portalGalleryApp(w http.ResponseWriter, r *http.Request, v *portalView) error {
	t, err := s.Service.GalleryTemplate(r.PathValue("galleryId"))
	if err != nil {
		return err
	}
	v.Nav = "apps"
	s.show(w, r, v, "gallery_add.html", addAppPage{Template: t, Name: t.Name, Params: map[string]string{}})
	return nil
}

func (s *Server) portalAddApp(w http.ResponseWriter, r *http.Request, v *portalView) error {
	t, err := s.Service.GalleryTemplate(r.PathValue("galleryId"))
	if err != nil {
		return err
	}
	in := idp.AppInput{GalleryID: t.ID, Name: r.PostForm.Get("name"), Parameters: map[string]string{}}
	for _, p := range t.Parameters {
		in.Parameters[p.Name] = strings.TrimSpace(r.PostForm.Get("param-" + p.Name))
	}
	a, missing, err := s.Service.AddApp(r.Context(), v.Me, v.Dir.ID, in)
	if err != nil {
		fields := []string{"name"}
		for _, p := range t.Parameters {
			fields = append(fields, "parameters."+p.Name)
		}
		if !v.formError(err, fields...) {
			return err
		}
		v.Nav = "apps"
		s.show(w, r, v, "gallery_add.html", addAppPage{Template: t, Name: in.Name, Params: in.Parameters})
		return nil
	}
	if a.OIDC != nil {
		// An OpenID Connect app opens on its settings, with what is still to fill in marked.
		to, next := v.appURL(a, "sso"), "Check the settings below"
		if len(missing) > 0 {
			to += "?missing=" + url.QueryEscape(strings.Join(missing, ","))
			next = "Complete the settings marked below"
		}
		s.notify(w, r, notice{Message: a.Name + " was added as an OpenID Connect app with client ID " + a.OIDC.ClientID + ". " +
			next + ", create a client secret, then assign users."})
		return redirect(w, r, to)
	}
	// The new app opens with its basic SAML configuration in edit, the first thing to check.
	to := v.appURL(a, "sso") + "?edit=basic"
	msg := a.Name + " was added with its own signing certificate. Check the basic SAML configuration and save it, then assign users."
	if len(missing) > 0 {
		to += "&missing=" + url.QueryEscape(strings.Join(missing, ","))
		msg = a.Name + " was added with its own signing certificate. Complete the settings marked below and save them, then assign users."
	}
	s.notify(w, r, notice{Message: msg})
	return redirect(w, r, to+"#basic")
}

// ssoPage is the app's Single sign-on page.
type ssoPage struct {
	appBase
	// Basic holds the Basic SAML configuration form's values: the stored ones, or what was typed. Shown holds the
	// stored ones, which the form sends back so that only the fields changed are saved.
	Basic, Shown basicForm
	Setup        *idp.Setup
	// CertStatus is "Active", "Expiring soon" or "Expired".
	CertStatus    string
	CertStatusBad bool
	Template      *gallery.Template
	// Edit names the one form the page shows open (ssoForms); every other card shows its settings read-only.
	Edit string
	// Missing lists the settings of the Basic SAML configuration still to fill in: those a new app's template
	// could not fill, and a missing Identifier or Reply URL.
	Missing []string
	// TestURL starts a sign-in as the admin: the Sign-on URL when set (SP-initiated), else the user access URL.
	TestURL string
	TestSP  bool
	// Assigned reports whether the signed-in admin may sign in to the app now.
	Assigned bool
	// Certificates are all the app's signing certificates, newest first, with their rollover state: the active
	// one, a next one published ahead of rollover, and replaced ones.
	Certificates []idp.CertificateInfo
	// HasNext reports whether a next certificate waits to be made active.
	HasNext bool
	// ActiveKeyType is the active certificate's key type ("rsa-2048", "ecdsa-p256"), which decides the signature
	// method; SigningKeyTypes are the key types an admin can choose.
	ActiveKeyType   string
	SigningKeyTypes []string
	// MetadataURL is the metadata form's URL: what was typed, or the URL the settings are refreshed from.
	MetadataURL string
	// SPCertificates are the certificates the app's SP registered: signing ones, then the encryption one.
	SPCertificates []idp.SPCertificate
	// Notifications say who is e-mailed before the certificate expires; NotifyForm is its form's text: the stored
	// list, or what was typed.
	Notifications *idp.NotificationSettings
	NotifyForm    string
	// NewClaim is the add-claim form's claim: what was typed, after an error.
	NewClaim gatehouse.Claim
	// Suggestions are what the admin may want to turn on.
	Suggestions []idp.SettingNote
	// RequiredClaims are the claims the app's gallery template says the app needs.
	RequiredClaims []string
	// TemplateSigning is the signing option of the app's gallery template, the one a new app starts with.
	TemplateSigning string

	NameIDFormats, Attributes, NameFormats, Transforms []string
	SigningOptions, SigningAlgorithms                  []string
}

// basicForm is the Basic SAML configuration form.
type basicForm struct {
	EntityID, ReplyURLs, SignOnURL, RelayState, LogoutURL string
}

func basicOf(st gatehouse.SAMLSettings) basicForm {
	return basicForm{EntityID: st.EntityID, ReplyURLs: strings.Join(st.ReplyURLs, "\n"), SignOnURL: st.SignOnURL, RelayState: st.RelayState, LogoutURL: st.LogoutURL}
}

// ssoForms are the forms of the Single sign-on page, each in its card: the page shows one open (?edit=<form>) and
// every card's settings read-only otherwise.
var ssoForms = map[string]string{
	"basic": "basic", "metadata": "basic", "nameid": "claims", "claim": "claims", "signing": "certificate",
	"protocol": "sp-certificates", "sp-certificate": "sp-certificates",
}

// ssoSaved is the notice each form's card shows after a save.
var ssoSaved = map[string]string{
	"basic": "Saved the basic SAML configuration.", "nameid": "Saved the unique user identifier.",
	"claim": "Added the claim.", "signing": "Saved the signing settings.",
	"protocol": "Saved request signing and encryption.",
}

// ssoFields are the fields of the SSO page's forms that field errors can name.
var ssoFields = []string{"entityId", "replyUrls", "signOnUrl", "relayState", "logoutUrl", "nameIdFormat", "nameIdSource", "signingOption", "signingAlgorithm", "signingKeyType",
	"requireSignedRequests", "encryptAssertions"}

func (s *Server) ssoPage(r *http.Request, v *portalView, a *gatehouse.App) (*ssoPage, error) {
	st, err := s.Service.Setup(r.Context(), v.Me, v.Dir.ID, a.ID)
	if err != nil {
		return nil, err
	}
	p := &ssoPage{
		appBase: appBase{Base: v.Base, App: a, Tab: "sso"}, Basic: basicOf(a.SAML), Shown: basicOf(a.SAML), Setup: st,
		NameIDFormats: gatehouse.NameIDFormats, Attributes: gatehouse.Attributes,
		NameFormats:    []string{"", gatehouse.NameFormatURI, gatehouse.NameFormatBasic, gatehouse.NameFormatUnspecified},
		Transforms:     []string{"", gatehouse.TransformLower, gatehouse.TransformUpper, gatehouse.TransformMailPrefix},
		SigningOptions: []string{gatehouse.SignAssertion, gatehouse.SignResponse, gatehouse.SignBoth}, SigningAlgorithms: []string{gatehouse.SHA256, gatehouse.SHA1},
	}
	if c := st.Certificate; c != nil {
		now := time.Now()
		switch {
		case c.NotAfter.Before(now):
			p.CertStatus, p.CertStatusBad = "Expired", true
		case c.NotAfter.Before(now.Add(idp.ExpiryWarning)):
			p.CertStatus, p.CertStatusBad = "Expiring soon", true
		default:
			p.CertStatus = "Active"
		}
	}
	if t, err := s.Service.GalleryTemplate(a.GalleryID); err == nil {
		p.Template, p.TemplateSigning = t, t.SAML.SigningOption
	}
	p.Suggestions = idp.Suggestions(a.SAML)
	p.MetadataURL = a.SAML.MetadataURL
	p.SPCertificates = s.Service.SPCertificates(a)
	if p.Certificates, err = s.Service.CertificateList(r.Context(), v.Me, v.Dir.ID, a.ID); err != nil {
		return nil, err
	}
	p.HasNext = slices.ContainsFunc(p.Certificates, func(c idp.CertificateInfo) bool { return c.State == idp.CertNext })
	p.SigningKeyTypes = gatehouse.SigningKeyTypes
	for _, c := range p.Certificates {
		if c.State == idp.CertActive {
			p.ActiveKeyType = c.KeyType
		}
	}
	if p.Notifications, err = s.Service.NotificationSettings(r.Context(), v.Me, v.Dir.ID, a.ID); err != nil {
		return nil, err
	}
	p.NotifyForm = notifyForm(p.Notifications)
	p.TestURL, p.TestSP = a.SAML.SignOnURL, a.SAML.SignOnURL != ""
	if !p.TestSP {
		p.TestURL = st.UserAccessURL
	}
	if apps, err := s.Service.FindUserApps(r.Context(), v.Me, v.Me.DirectoryID, v.Me.ID); err == nil {
		p.Assigned = slices.ContainsFunc(apps, func(x *gatehouse.App) bool { return x.ID == a.ID })
	}
	if !a.AssignmentRequired && v.Me.DirectoryID == a.DirectoryID {
		p.Assigned = true
	}
	if t := p.Template; t != nil {
		p.RequiredClaims = t.RequiredClaims
	}
	q := r.URL.Query()
	if _, ok := ssoForms[q.Get("edit")]; ok && v.CanApps {
		p.Edit = q.Get("edit")
	}
	if m := q.Get("missing"); m != "" {
		for _, f := range strings.Split(m, ",") {
			if slices.Contains(ssoFields, f) {
				p.Missing = append(p.Missing, f)
			}
		}
	}
	if a.SAML.EntityID == "" && !slices.Contains(p.Missing, "entityId") {
		p.Missing = append(p.Missing, "entityId")
	}
	if len(a.SAML.ReplyURLs) == 0 && !slices.Contains(p.Missing, "replyUrls") {
		p.Missing = append(p.Missing, "replyUrls")
	}
	return p, nil
}

func (s *Server) portalSSO(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	if a.OIDC != nil {
		return s.portalOIDC(w, r, v, a, nil)
	}
	p, err := s.ssoPage(r, v, a)
	if err != nil {
		return err
	}
	v.Nav = "apps"
	s.show(w, r, v, "app_sso.html", p)
	return nil
}

// savedSSO goes back to the Single sign-on page after a change made with form, at the form's card, which shows
// message beside its title.
func (s *Server) savedSSO(w http.ResponseWriter, r *http.Request, v *portalView, a *gatehouse.App, form, message string, details ...string) error {
	card := ssoForms[form]
	s.notify(w, r, notice{Section: card, Message: message, Details: details})
	return redirect(w, r, v.appURL(a, "sso")+"#"+card)
}

// saveSAML changes an app's SAML settings as p says with form, then goes back to the SSO page at the form's card,
// or shows the page again with the form open and the error at its field.
func (s *Server) saveSAML(w http.ResponseWriter, r *http.Request, v *portalView, form string, p idp.SAMLPatch, typed func(*ssoPage)) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	if !p.Empty() {
		_, err = s.Service.UpdateSAML(r.Context(), v.Me, v.Dir.ID, a.ID, p)
	}
	if err == nil {
		msg := ssoSaved[form]
		if p.Empty() {
			msg = "Nothing changed."
		}
		if p.SigningKeyType != nil {
			msg += " " + s.keyTypeNotice(r, v, a, *p.SigningKeyType)
		}
		return s.savedSSO(w, r, v, a, form, msg)
	}
	if !v.formError(err, append(ssoFields, "claims", "removeClaims")...) {
		return err
	}
	if v.Errors["removeClaims"] != "" {
		v.Errors["claims"] = v.Errors["removeClaims"]
	}
	pg, perr := s.ssoPage(r, v, a)
	if perr != nil {
		return perr
	}
	pg.Edit = form
	if typed != nil {
		typed(pg)
	}
	v.Nav = "apps"
	s.show(w, r, v, "app_sso.html", pg)
	return nil
}

// keyTypeNotice says what choosing keyType did to an app's certificates: a certificate of that type is active (at
// once, when nobody used the app yet) or waits as the next certificate to be made active.
func (s *Server) keyTypeNotice(r *http.Request, v *portalView, a *gatehouse.App, keyType string) string {
	list, err := s.Service.CertificateList(r.Context(), v.Me, v.Dir.ID, a.ID)
	if err != nil {
		return ""
	}
	label := idp.KeyTypeLabel(keyType)
	for _, c := range list {
		switch {
		case c.KeyType != keyType:
		case c.State == idp.CertActive:
			return "An " + label + " certificate signs now; give the app the certificate below (or its metadata)."
		case c.State == idp.CertNext:
			return "A new " + label + " certificate is the next certificate: the metadata publishes it beside the active one, which keeps signing. Give it to the app, then make it active."
		}
	}
	return ""
}

// changed reports whether a form changes a field: whether its value differs from the one the form showed, which
// the form carries as shown-<name>. Line breaks count as one. A form that does not say what it showed changes every
// field it carries.
func changed(f url.Values, name string) bool {
	shown, ok := f["shown-"+name]
	if !ok {
		return true
	}
	return strings.ReplaceAll(f.Get(name), "\r\n", "\n") != strings.ReplaceAll(shown[0], "\r\n", "\n")
}

// formChange returns a pointer to value when the form changes the field name, and nil otherwise.
func formChange[T any](f url.Values, name string, value T) *T {
	if !changed(f, name) {
		return nil
	}
	return &value
}

// lines returns the lines of s that are not blank, trimmed, never nil.
func lines(s string) []string {
	out := []string{}
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

func (s *Server) portalSaveBasic(w http.ResponseWriter, r *http.Request, v *portalView) error {
	f := r.PostForm
	b := basicForm{EntityID: strings.TrimSpace(f.Get("entityId")), ReplyURLs: f.Get("replyUrls"), SignOnURL: strings.TrimSpace(f.Get("signOnUrl")),
		RelayState: f.Get("relayState"), LogoutURL: strings.TrimSpace(f.Get("logoutUrl"))}
	p := idp.SAMLPatch{
		EntityID: formChange(f, "entityId", b.EntityID), SignOnURL: formChange(f, "signOnUrl", b.SignOnURL),
		RelayState: formChange(f, "relayState", b.RelayState), LogoutURL: formChange(f, "logoutUrl", b.LogoutURL),
	}
	if urls := lines(b.ReplyURLs); f["shown-replyUrls"] == nil || !slices.Equal(urls, lines(f.Get("shown-replyUrls"))) {
		p.ReplyURLs = &urls
	}
	return s.saveSAML(w, r, v, "basic", p, func(pg *ssoPage) { pg.Basic = b })
}

func (s *Server) portalSaveNameID(w http.ResponseWriter, r *http.Request, v *portalView) error {
	f := r.PostForm
	return s.saveSAML(w, r, v, "nameid", idp.SAMLPatch{
		NameIDFormat: formChange(f, "nameIdFormat", f.Get("nameIdFormat")), NameIDSource: formChange(f, "nameIdSource", f.Get("nameIdSource")),
	}, nil)
}

// portalSaveSigning saves the signing certificate card's form: what is signed, with which algorithm, and who is
// e-mailed before the certificate expires. The addresses are saved first, so that a mistyped one keeps the form
// open with nothing saved.
func (s *Server) portalSaveSigning(w http.ResponseWriter, r *http.Request, v *portalView) error {
	f := r.PostForm
	p := idp.SAMLPatch{
		SigningOption: formChange(f, "signingOption", f.Get("signingOption")), SigningAlgorithm: formChange(f, "signingAlgorithm", f.Get("signingAlgorithm")),
	}
	if _, sent := f["signingKeyType"]; sent {
		p.SigningKeyType = formChange(f, "signingKeyType", f.Get("signingKeyType"))
	}
	text := f.Get("emails")
	if _, sent := f["emails"]; !sent || !changed(f, "emails") {
		return s.saveSAML(w, r, v, "signing", p, nil)
	}
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	if _, err := s.Service.SetNotificationEmails(r.Context(), v.Me, v.Dir.ID, a.ID, splitEmails(text)); err != nil {
		if !v.formError(err, "emails") {
			return err
		}
		pg, err := s.ssoPage(r, v, a)
		if err != nil {
			return err
		}
		pg.Edit, pg.NotifyForm = "signing", text
		v.Nav = "apps"
		s.show(w, r, v, "app_sso.html", pg)
		return nil
	}
	if p.Empty() {
		return s.savedSSO(w, r, v, a, "signing", ssoSaved["signing"])
	}
	return s.saveSAML(w, r, v, "signing", p, nil)
}

// portalSaveProtocol saves the request-signing and encryption switches. Only a switch the form showed and the admin
// changed is saved, so the one-button form that turns encryption on leaves the other switch alone.
func (s *Server) portalSaveProtocol(w http.ResponseWriter, r *http.Request, v *portalView) error {
	f := r.PostForm
	toggle := func(name string) *bool {
		if _, shown := f["shown-"+name]; !shown || !changed(f, name) {
			return nil
		}
		on := f.Get(name) == "on"
		return &on
	}
	return s.saveSAML(w, r, v, "protocol", idp.SAMLPatch{
		RequireSignedRequests: toggle("requireSignedRequests"), EncryptAssertions: toggle("encryptAssertions"),
	}, nil)
}

// claimFromForm reads a claim's form into c, keeping c's settings that the form does not show (join and
// regular-expression transforms, multiple constant values, fallbacks).
func claimFromForm(form url.Values, prefix string, c *gatehouse.Claim) {
	c.Name = strings.TrimSpace(form.Get(prefix + "name"))
	c.NameFormat = form.Get(prefix + "nameFormat")
	c.Source, c.Value, c.Groups = "", "", ""
	switch src := form.Get(prefix + "source"); {
	case src == "constant":
		c.Value = form.Get(prefix + "value")
	case src == "groups:"+gatehouse.ClaimGroupsAll, src == "groups:"+gatehouse.ClaimGroupsAssigned:
		c.Groups = strings.TrimPrefix(src, "groups:")
	default:
		c.Source = src
	}
	if t := form.Get(prefix + "transform"); t != "keep" {
		c.Transform = t
		if t != gatehouse.TransformJoin {
			c.JoinSource, c.JoinValue, c.Separator = "", "", ""
		}
		if t != gatehouse.TransformRegexReplace {
			c.Pattern, c.Replacement = "", ""
		}
	}
}

func (s *Server) portalAddClaim(w http.ResponseWriter, r *http.Request, v *portalView) error {
	var c gatehouse.Claim
	claimFromForm(r.PostForm, "new-claim-", &c)
	if a, err := s.findApp(r, v); err == nil && a.OIDC != nil {
		return s.saveClaims(w, r, v, []idp.ClaimSet{{Claim: c, New: true}}, nil)
	}
	return s.saveSAML(w, r, v, "claim", idp.SAMLPatch{SetClaims: []idp.ClaimSet{{Claim: c, New: true}}}, func(p *ssoPage) {
		p.NewClaim = c
	})
}

func (s *Server) portalRemoveClaim(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	name := r.PostForm.Get("name")
	if a.OIDC != nil {
		return s.saveClaims(w, r, v, nil, []string{name})
	}
	if _, err := s.Service.UpdateSAML(r.Context(), v.Me, v.Dir.ID, a.ID, idp.SAMLPatch{RemoveClaims: []string{name}}); err != nil {
		if !v.formError(err, "claims", "removeClaims") {
			return err
		}
		return s.showSSO(w, r, v, a)
	}
	return s.savedSSO(w, r, v, a, "claim", "Removed the claim "+name+".")
}

// claimPage edits one claim.
type claimPage struct {
	appBase
	Original string
	Claim    gatehouse.Claim
	// SourceChoice is the value of the source select: an attribute, "constant" or "groups:<which>".
	SourceChoice                        string
	Attributes, NameFormats, Transforms []string
}

func (s *Server) showClaim(w http.ResponseWriter, r *http.Request, v *portalView, a *gatehouse.App, original string, c gatehouse.Claim) {
	p := claimPage{appBase: appBase{Base: v.Base, App: a, Tab: "sso"}, Original: original, Claim: c, SourceChoice: c.Source,
		Attributes: gatehouse.Attributes, NameFormats: []string{"", gatehouse.NameFormatURI, gatehouse.NameFormatBasic, gatehouse.NameFormatUnspecified},
		Transforms: []string{"", gatehouse.TransformLower, gatehouse.TransformUpper, gatehouse.TransformMailPrefix}}
	switch {
	case c.Groups != "":
		p.SourceChoice = "groups:" + c.Groups
	case c.Source == "":
		p.SourceChoice = "constant"
	}
	v.Nav = "apps"
	s.show(w, r, v, "claim.html", p)
}

func (s *Server) portalClaim(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("name")
	claims := appClaims(a)
	i := slices.IndexFunc(claims, func(c gatehouse.Claim) bool { return c.Name == name })
	if i < 0 {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "The app has no claim named %q.", name)
	}
	s.showClaim(w, r, v, a, name, claims[i])
	return nil
}

func (s *Server) portalSaveClaim(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	original := r.PostForm.Get("original")
	claims := appClaims(a)
	i := slices.IndexFunc(claims, func(c gatehouse.Claim) bool { return c.Name == original })
	if i < 0 {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "The app has no claim named %q.", original)
	}
	c := claims[i]
	claimFromForm(r.PostForm, "", &c)
	set := []idp.ClaimSet{{Claim: c, Replaces: original}}
	if a.OIDC != nil {
		_, err = s.Service.UpdateOIDC(r.Context(), v.Me, v.Dir.ID, a.ID, idp.OIDCPatch{SetClaims: set})
	} else {
		_, err = s.Service.UpdateSAML(r.Context(), v.Me, v.Dir.ID, a.ID, idp.SAMLPatch{SetClaims: set})
	}
	if err != nil {
		if !v.formError(err, "claims") {
			return err
		}
		s.showClaim(w, r, v, a, original, c)
		return nil
	}
	return s.savedSSO(w, r, v, a, "claim", "Saved the claim "+c.Name+".")
}

// maxMetadataForm bounds the metadata upload form: the 1 MiB the service accepts, and room for the form itself.
const maxMetadataForm = 1<<20 + 64<<10

// portalImportMetadata fills the Basic SAML configuration from the app's metadata: an uploaded file, or a URL the
// server fetches now and refreshes later.
func (s *Server) portalImportMetadata(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	var in idp.MetadataInput
	if err := parseUploadForm(w, r, maxMetadataForm, "metadata", "The metadata file is larger than 1 MiB."); err != nil {
		v.formError(err, "metadata")
	} else {
		in.URL = strings.TrimSpace(r.FormValue("metadataUrl"))
		if fhs := fileHeaders(r, "metadata"); len(fhs) > 0 && fhs[0].Size > 0 {
			f, ferr := fhs[0].Open()
			if ferr != nil {
				return gatehouse.FieldErrorf("metadata", "The uploaded file could not be read.")
			}
			data, ferr := io.ReadAll(io.LimitReader(f, 1<<20+1))
			f.Close()
			if ferr != nil {
				return gatehouse.FieldErrorf("metadata", "The uploaded file could not be read.")
			}
			in.Metadata, in.URL = string(data), ""
		}
		var imp *idp.MetadataImport
		if in.Metadata == "" && in.URL == "" {
			err = gatehouse.FieldErrorf("metadata", "Choose the app's metadata file, or enter the URL where the app publishes it.")
		} else {
			imp, err = s.Service.ImportMetadata(r.Context(), v.Me, v.Dir.ID, a.ID, in)
		}
		if err == nil {
			changes := make([]string, 0, len(imp.Changes))
			for _, c := range imp.Changes {
				changes = append(changes, c.Message)
			}
			msg := "Imported the app's metadata. What it changed:"
			if len(changes) == 0 {
				msg = "Imported the app's metadata: it changed nothing, the settings were already what it describes."
			}
			return s.savedSSO(w, r, v, imp.App, "metadata", msg, changes...)
		}
		if !v.formError(err, "metadata", "url") {
			return err
		}
		if v.Problem != "" {
			v.Errors["metadata"], v.Problem = v.Problem, ""
		}
	}
	p, err := s.ssoPage(r, v, a)
	if err != nil {
		return err
	}
	p.MetadataURL, p.Edit = in.URL, "metadata"
	v.Nav = "apps"
	s.show(w, r, v, "app_sso.html", p)
	return nil
}

// portalDownload serves a certificate download: the same file as the API's, authenticated by the session.
func (s *Server) portalDownload(w http.ResponseWriter, r *http.Request, v *portalView) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = idp.FormatBase64
	}
	f, err := s.Service.CertificateFile(r.Context(), v.Me, v.Dir.ID, r.PathValue("id"), r.PathValue("certId"), format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(f.Data)
	return err
}

// portalNewCertificate creates the app's next signing certificate, published beside the active one.
func (s *Server) portalNewCertificate(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	if _, err := s.Service.CreateNextCertificate(r.Context(), v.Me, v.Dir.ID, a.ID); err != nil {
		return err
	}
	return s.savedSSO(w, r, v, a, "signing", "Created a new certificate. Give it to the app (or let the app read the metadata), then make it active.")
}

// portalActivateCertificate makes a certificate the one that signs the app's responses.
func (s *Server) portalActivateCertificate(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	if _, err := s.Service.ActivateCertificate(r.Context(), v.Me, v.Dir.ID, a.ID, r.PathValue("certId")); err != nil {
		return err
	}
	return s.savedSSO(w, r, v, a, "signing", "The new certificate is active: it signs every sign-in to "+a.Name+" from now on.")
}

// Assignments.

// assignPage lists an app's assignments with the assign form.
type assignPage struct {
	appBase
	Assignments []*idp.AssignmentView
	Users       []*gatehouse.User
	Groups      []*gatehouse.Group
	Search      string
	Type        string
	// Gaps are the claims the app would leave out for each assigned user, by user ID.
	Gaps map[string][]idp.ClaimGap
}

func (s *Server) showAssignments(w http.ResponseWriter, r *http.Request, v *portalView, a *gatehouse.App, search, typ string) error {
	as, err := s.Service.FindAssignments(r.Context(), v.Me, v.Dir.ID, a.ID)
	if err != nil {
		return err
	}
	us, _, err := s.Service.FindUsers(r.Context(), v.Me, v.Dir.ID, gatehouse.UserFilter{Limit: 200})
	if err != nil {
		return err
	}
	gs, err := s.Service.FindGroups(r.Context(), v.Me, v.Dir.ID, "")
	if err != nil {
		return err
	}
	if typ == "" {
		typ = gatehouse.PrincipalUser
	}
	var ids []string
	for _, x := range as {
		if x.PrincipalType == gatehouse.PrincipalUser {
			ids = append(ids, x.PrincipalID)
		}
	}
	gaps, err := s.Service.ClaimGaps(r.Context(), v.Me, v.Dir.ID, a.ID, ids)
	if err != nil {
		return err
	}
	v.Nav = "apps"
	s.show(w, r, v, "app_users.html", assignPage{appBase: appBase{Base: v.Base, App: a, Tab: "users"}, Assignments: as, Users: us, Groups: gs,
		Search: search, Type: typ, Gaps: gaps})
	return nil
}

// gapWarnings says which claims the app leaves out for the users given, for the notice after they were assigned:
// one line per claim, naming the user (who) or counting the users.
func (s *Server) gapWarnings(r *http.Request, v *portalView, a *gatehouse.App, who string, userIDs []string) ([]string, error) {
	gaps, err := s.Service.ClaimGaps(r.Context(), v.Me, v.Dir.ID, a.ID, userIDs)
	if err != nil {
		return nil, err
	}
	type key struct {
		claim, source    string
		required, nameID bool
	}
	var order []key
	count := map[key]int{}
	for _, id := range userIDs {
		for _, g := range gaps[id] {
			k := key{g.Claim, g.Source, g.Required, g.NameID}
			if count[k] == 0 {
				order = append(order, k)
			}
			count[k]++
		}
	}
	var out []string
	for _, k := range order {
		subject := who
		if len(userIDs) > 1 {
			subject = fmt.Sprintf("%d of its members", count[k])
		}
		var line string
		switch {
		case k.nameID:
			line = fmt.Sprintf("%s: no %s (%s), the app's Unique User Identifier, so sign-in to %s fails.", subject, attributeName(k.source), k.source, a.Name)
		case k.source == "":
			line = fmt.Sprintf("%s needs the claim %s, which the app does not send: add it under Attributes & claims.", a.Name, k.claim)
		default:
			line = fmt.Sprintf("%s: no %s (%s), so %s gets no %s claim", subject, attributeName(k.source), k.source, a.Name, k.claim)
			if k.required {
				line += ", which it requires."
			} else {
				line += "."
			}
		}
		out = append(out, line)
	}
	return out, nil
}

func (s *Server) portalAssignments(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	return s.showAssignments(w, r, v, a, "", "")
}

func (s *Server) portalAssign(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	search, typ := strings.TrimSpace(r.PostForm.Get("principal")), r.PostForm.Get("type")
	var id, name string
	switch typ {
	case gatehouse.PrincipalGroup:
		var g *gatehouse.Group
		if g, err = s.findOneGroup(r, v, search); err == nil {
			id, name = g.ID, g.Name
		}
	default:
		typ = gatehouse.PrincipalUser
		var u *gatehouse.User
		if u, err = s.findOneUser(r, v, search); err == nil {
			id, name = u.ID, u.UserName
		}
	}
	if err == nil {
		_, err = s.Service.Assign(r.Context(), v.Me, v.Dir.ID, a.ID, typ, id)
	}
	if err != nil {
		if !v.formError(err, "user") {
			return err
		}
		if gatehouse.ErrorField(err) == "" {
			v.Errors["user"], v.Problem = v.Problem, ""
		}
		return s.showAssignments(w, r, v, a, search, typ)
	}
	// The users just given access who would miss a claim are named now, while the admin is at it.
	users := []string{id}
	if typ == gatehouse.PrincipalGroup {
		members, err := s.Service.FindGroupMembers(r.Context(), v.Me, v.Dir.ID, id)
		if err != nil {
			return err
		}
		users = users[:0]
		for _, m := range members {
			users = append(users, m.ID)
		}
	}
	warnings, err := s.gapWarnings(r, v, a, name, users)
	if err != nil {
		return err
	}
	msg := "Assigned " + name + " to " + a.Name + "."
	if typ == gatehouse.PrincipalGroup {
		msg = "Assigned the group " + name + " to " + a.Name + ": its members can sign in."
	}
	return s.done(w, r, v.appURL(a, "users"), msg, warnings...)
}

func (s *Server) portalUnassign(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	as, err := s.Service.FindAssignments(r.Context(), v.Me, v.Dir.ID, a.ID)
	if err != nil {
		return err
	}
	name := "the assignment"
	for _, x := range as {
		if x.ID == r.PathValue("assignmentId") {
			name = x.PrincipalName
		}
	}
	if err := s.Service.Unassign(r.Context(), v.Me, v.Dir.ID, a.ID, r.PathValue("assignmentId")); err != nil {
		return err
	}
	return s.done(w, r, v.appURL(a, "users"), "Removed "+name+" from "+a.Name+".")
}

// Properties.

// propertiesPage is the app's properties form.
type propertiesPage struct {
	appBase
	Name                                 string
	Enabled, AssignmentRequired, Visible bool
	Notes                                string
	MaxLogoKiB                           int
}

func (s *Server) showProperties(w http.ResponseWriter, r *http.Request, v *portalView, a *gatehouse.App, p propertiesPage) {
	p.appBase, p.MaxLogoKiB = appBase{Base: v.Base, App: a, Tab: "properties"}, idp.MaxAppLogoBytes>>10
	v.Nav = "apps"
	s.show(w, r, v, "app_properties.html", p)
}

func (s *Server) portalProperties(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	s.showProperties(w, r, v, a, propertiesPage{Name: a.Name, Enabled: a.Enabled, AssignmentRequired: a.AssignmentRequired,
		Visible: a.Visible, Notes: a.Notes})
	return nil
}

// maxLogoForm bounds the properties form, which carries the logo.
const maxLogoForm = idp.MaxAppLogoBytes + 64<<10

func (s *Server) portalSaveProperties(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	if err := parseUploadForm(w, r, maxLogoForm, "logo", "The logo is larger than 256 KiB; choose a smaller PNG or JPEG image."); err != nil {
		v.formError(err, "logo")
		s.showProperties(w, r, v, a, propertiesPage{Name: a.Name, Enabled: a.Enabled, AssignmentRequired: a.AssignmentRequired, Visible: a.Visible, Notes: a.Notes})
		return nil
	}
	f := r.Form
	p := propertiesPage{Name: f.Get("name"), Enabled: f.Get("enabled") == "on", AssignmentRequired: f.Get("assignmentRequired") == "on",
		Visible: f.Get("visible") == "on", Notes: f.Get("notes")}
	// Only the fields changed on the form are sent, so that another admin's change to another field stands.
	patch := idp.AppPatch{Name: formChange(f, "name", p.Name), Enabled: formChange(f, "enabled", p.Enabled),
		AssignmentRequired: formChange(f, "assignmentRequired", p.AssignmentRequired), Visible: formChange(f, "visible", p.Visible),
		Notes: formChange(f, "notes", p.Notes)}
	if patch != (idp.AppPatch{}) {
		_, err = s.Service.UpdateApp(r.Context(), v.Me, v.Dir.ID, a.ID, patch)
	}
	if err == nil && f.Get("removeLogo") == "on" {
		a, err = s.Service.SetAppLogo(r.Context(), v.Me, v.Dir.ID, a.ID, nil)
	} else if err == nil && r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["logo"]; len(fhs) > 0 && fhs[0].Size > 0 {
			var data []byte
			if data, err = readUpload(fhs[0].Open); err == nil {
				a, err = s.Service.SetAppLogo(r.Context(), v.Me, v.Dir.ID, a.ID, data)
			}
		}
	}
	if err != nil {
		if !v.formError(err, "name", "notes", "logo") {
			return err
		}
		if fresh, ferr := s.findApp(r, v); ferr == nil {
			a = fresh
		}
		s.showProperties(w, r, v, a, p)
		return nil
	}
	return s.done(w, r, v.appURL(a, "properties"), "Saved the properties of "+a.Name+".")
}

// portalLogo serves an app's uploaded logo.
func (s *Server) portalLogo(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	if len(a.Logo) == 0 || (a.LogoType != "image/png" && a.LogoType != "image/jpeg") {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "The app has no logo.")
	}
	w.Header().Set("Content-Type", a.LogoType)
	w.Header().Set("Cache-Control", "private, max-age=60")
	_, err = w.Write(a.Logo)
	return err
}

func (s *Server) portalConfirmDeleteApp(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	v.Nav = "apps"
	s.show(w, r, v, "app_delete.html", appBase{Base: v.Base, App: a, Tab: "properties"})
	return nil
}

func (s *Server) portalDeleteApp(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	if err := s.Service.DeleteApp(r.Context(), v.Me, v.Dir.ID, a.ID); err != nil {
		return err
	}
	return s.done(w, r, v.Base+"/apps", "Deleted the app "+a.Name+".")
}

// Preview.

// previewPage shows the assertion a chosen user would receive.
type previewPage struct {
	appBase
	Users   []*gatehouse.User
	UserID  string
	Preview *idp.Preview
	// XML is the Response indented for reading.
	XML string
}

func (s *Server) portalPreview(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	us, _, err := s.Service.FindUsers(r.Context(), v.Me, v.Dir.ID, gatehouse.UserFilter{Limit: 500})
	if err != nil {
		return err
	}
	p := previewPage{appBase: appBase{Base: v.Base, App: a, Tab: "preview"}, Users: us, UserID: r.URL.Query().Get("user")}
	if p.UserID != "" {
		if p.Preview, err = s.Service.PreviewAssertion(r.Context(), v.Me, v.Dir.ID, a.ID, p.UserID); err != nil {
			return err
		}
		p.XML = idp.IndentXML(p.Preview.XML)
	}
	v.Nav = "apps"
	s.show(w, r, v, "preview.html", p)
	return nil
}
