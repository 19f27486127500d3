package demoapp

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// browserCookie binds outstanding AuthnRequests to the browser that started them.
const browserCookie = "demo_saml_browser"

// requestTTL is how long an AuthnRequest waits for its answer.
const requestTTL = 10 * time.Minute

// maxACSBody bounds the ACS form: a SAMLResponse and a RelayState.
const maxACSBody = 1 << 20

// maxPendingPerBrowser is how many unanswered AuthnRequests a browser keeps.
const maxPendingPerBrowser = 10

// maxRelayState is the longest RelayState sent; a longer return path is kept server-side only.
const maxRelayState = 80

// serviceProvider returns a crewjam/saml service provider configured from s for this request: the uploaded
// certificate is the only one trusted, the Issuer URL is the only accepted issuer, the entity ID is the audience
// and the ACS URL the only destination and recipient; accepted assertion IDs are recorded in SQLite.
func (a *App) serviceProvider(s *settings) *saml.ServiceProvider {
	entity, _ := url.Parse(a.EntityID())
	acs, _ := url.Parse(a.ACSURL())
	sp := &saml.ServiceProvider{
		EntityID:                         a.EntityID(),
		MetadataURL:                      *entity,
		AcsURL:                           *acs,
		AuthnNameIDFormat:                saml.UnspecifiedNameIDFormat,
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		AllowIDPInitiated:                true,
		ReplayCache:                      replayCache{a},
		Clock:                            dsig.NewFakeClockAt(a.now()),
		MetadataValidDuration:            7 * 24 * time.Hour,
	}
	if s != nil && s.Cert != nil {
		cert := base64.StdEncoding.EncodeToString(s.Cert.Raw)
		sp.IDPCertificate = &cert
		sp.IDPMetadata = &saml.EntityDescriptor{
			EntityID: s.IssuerURL,
			IDPSSODescriptors: []saml.IDPSSODescriptor{{
				SingleSignOnServices: []saml.Endpoint{{Binding: saml.HTTPRedirectBinding, Location: s.AuthURL}},
			}},
		}
	}
	return sp
}

// metadata serves the app's SAML SP metadata at its entity ID.
func (a *App) metadata(w http.ResponseWriter, r *http.Request) error {
	md := a.serviceProvider(nil).Metadata()
	out, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		return fmt.Errorf("demoapp: marshal metadata: %w", err)
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Content-Disposition", `inline; filename="gatehouse-demo-metadata.xml"`)
	w.Write([]byte(xml.Header))
	_, err = w.Write(out)
	return err
}

// browserID returns the browser's binding token, setting a new cookie when it has none.
func (a *App) browserID(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(browserCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return c.Value
	}
	token := a.randomToken(32)
	c := &http.Cookie{Name: browserCookie, Value: token, Path: "/saml/", HttpOnly: true, MaxAge: int(24 * time.Hour / time.Second),
		SameSite: http.SameSiteLaxMode}
	if a.secure {
		// The IdP posts the response from another site; only a SameSite=None cookie comes along.
		c.Secure, c.SameSite = true, http.SameSiteNoneMode
	}
	http.SetCookie(w, c)
	return token
}

// samlLogin starts SP-initiated sign-on: it remembers a fresh AuthnRequest ID for this browser and redirects to
// the IdP's authentication URL with the HTTP-Redirect binding.
func (a *App) samlLogin(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	s, err := a.loadSettings(ctx)
	if err != nil {
		return err
	}
	if !s.Configured() {
		return errorf(ESSOOFF, "Single sign-on is not set up for this organization yet. The owner sets it up in Settings → Access security.")
	}
	next := safeNext(r.URL.Query().Get("next"))
	sp := a.serviceProvider(s)
	req, err := sp.MakeAuthenticationRequest(s.AuthURL, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return fmt.Errorf("demoapp: make AuthnRequest: %w", err)
	}
	browser := a.browserID(w, r)
	now := a.now()
	if _, err := a.db.ExecContext(ctx, `DELETE FROM authn_requests WHERE expires_at < ?`, now.Unix()); err != nil {
		return fmt.Errorf("demoapp: purge requests: %w", err)
	}
	if _, err := a.db.ExecContext(ctx, `INSERT INTO authn_requests (id, browser, next_path, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		req.ID, tokenHash(browser), next, now.Unix(), now.Add(requestTTL).Unix()); err != nil {
		return fmt.Errorf("demoapp: remember request: %w", err)
	}
	// A browser keeps its latest few requests (several tabs); older ones are forgotten.
	if _, err := a.db.ExecContext(ctx, `DELETE FROM authn_requests WHERE browser = ? AND id NOT IN
		(SELECT id FROM authn_requests WHERE browser = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)`,
		tokenHash(browser), tokenHash(browser), maxPendingPerBrowser); err != nil {
		return fmt.Errorf("demoapp: trim requests: %w", err)
	}
	relay := next
	if len(relay) > maxRelayState {
		relay = ""
	}
	u, err := req.Redirect(relay, sp)
	if err != nil {
		return fmt.Errorf("demoapp: redirect URL: %w", err)
	}
	a.log.Info("sign-on started", "request_id", req.ID, "idp", s.AuthURL)
	http.Redirect(w, r, u.String(), http.StatusFound)
	return nil
}

// pendingRequests returns the IDs of this browser's AuthnRequests that have not expired, and their return paths.
func (a *App) pendingRequests(ctx context.Context, r *http.Request) (map[string]string, error) {
	c, err := r.Cookie(browserCookie)
	if err != nil || c.Value == "" || len(c.Value) > 64 {
		return nil, nil
	}
	rows, err := a.db.QueryContext(ctx, `SELECT id, next_path FROM authn_requests WHERE browser = ? AND expires_at >= ? ORDER BY created_at DESC LIMIT 20`,
		tokenHash(c.Value), a.now().Unix())
	if err != nil {
		return nil, fmt.Errorf("demoapp: pending requests: %w", err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var id, next string
		if err := rows.Scan(&id, &next); err != nil {
			return nil, fmt.Errorf("demoapp: pending requests: %w", err)
		}
		m[id] = next
	}
	return m, rows.Err()
}

// acs is the assertion consumer service: it validates the posted Response against the settings, lets in the team
// member it names, and sends them on to the page they wanted.
func (a *App) acs(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxACSBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &Error{Code: ETOOLARGE, Check: "size", Message: "The SAML response is larger than 1 MiB.", Err: err}
		}
		return &Error{Code: EINVALID, Check: "form", Message: "The posted form could not be read.", Err: err}
	}
	s, err := a.loadSettings(ctx)
	if err != nil {
		return err
	}
	if !s.Configured() {
		return errorf(ESSOOFF, "Single sign-on is not set up for this organization yet. The owner sets it up in Settings → Access security.")
	}
	encoded := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, r.PostForm.Get("SAMLResponse"))
	if encoded == "" {
		return &Error{Code: ESSO, Check: "SAMLResponse", Message: "No SAMLResponse was posted. Start sign-in again from the app or from My Apps."}
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return &Error{Code: ESSO, Check: "encoding", Message: "The SAMLResponse is not valid Base64.", Err: err}
	}
	pending, err := a.pendingRequests(ctx, r)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(pending))
	for id := range pending {
		ids = append(ids, id)
	}
	if n := countAssertions(raw); n > 1 {
		return &Error{Code: ESSO, Check: "assertion count",
			Message: fmt.Sprintf("The response carries %d assertions; exactly one signed assertion is accepted. "+
				"An extra assertion was added to it after it was signed.", n)}
	}
	sp := a.serviceProvider(s)
	assertion, err := sp.ParseXMLResponse(raw, ids, sp.AcsURL)
	if err != nil {
		_, cerr := r.Cookie(browserCookie)
		return a.explain(ctx, err, raw, s, ids, cerr == nil)
	}

	email, first, last := claims(assertion)
	if email == "" {
		return &Error{Code: ESSO, Check: "email claim",
			Message: "The assertion has no “email” claim and no NameID. In Gatehouse, add the email claim (no namespace) to the app."}
	}
	u, err := a.findUserByEmail(ctx, email)
	if errors.Is(err, errNoRows) {
		return &Error{Code: ENOTMEMBER, Email: email, Check: "membership",
			Message: "The identity provider signed you in, but nobody with this e-mail was invited to the team."}
	}
	if err != nil {
		return err
	}
	if _, err := a.db.ExecContext(ctx, `UPDATE users SET
			first_name = CASE WHEN ? <> '' THEN ? ELSE first_name END,
			last_name  = CASE WHEN ? <> '' THEN ? ELSE last_name END,
			status = 'active' WHERE id = ?`, first, first, last, last, u.ID); err != nil {
		return fmt.Errorf("demoapp: activate member: %w", err)
	}

	next := ""
	inResponseTo := assertionInResponseTo(assertion)
	if inResponseTo == "" {
		// Only the Response names the request; the library checked it against this browser's pending ones.
		if id := inspect(raw).InResponseTo; id != "" && pending[id] != "" {
			inResponseTo = id
		}
	}
	if inResponseTo != "" {
		next = pending[inResponseTo]
		if _, err := a.db.ExecContext(ctx, `DELETE FROM authn_requests WHERE id = ?`, inResponseTo); err != nil {
			return fmt.Errorf("demoapp: forget request: %w", err)
		}
	}
	if next == "" {
		next = safeNext(r.PostForm.Get("RelayState"))
	}
	if err := a.startSession(ctx, w, r, u, "sso"); err != nil {
		return err
	}
	a.log.Info("signed in with SSO", "email", u.Email, "assertion_id", assertion.ID, "in_response_to", inResponseTo)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	return nil
}

// countAssertions returns how many Assertion and EncryptedAssertion elements raw holds anywhere, in any namespace:
// in samlp:Extensions, inside another assertion, in a signature's ds:Object. A Response from an identity provider
// carries one; any other is a copy added to wrap a signature (XML signature wrapping, XSW1 to XSW8), whichever
// one the library would have read. Text that is not well-formed XML counts as none and is left to the library.
func countAssertions(raw []byte) int {
	d := xml.NewDecoder(bytes.NewReader(raw))
	n := 0
	for {
		tok, err := d.RawToken()
		if err != nil {
			return n
		}
		if t, ok := tok.(xml.StartElement); ok && (t.Name.Local == "Assertion" || t.Name.Local == "EncryptedAssertion") {
			n++
		}
	}
}

// claims returns the e-mail (the "email" attribute, or the NameID), first and last name of an assertion.
func claims(as *saml.Assertion) (email, first, last string) {
	for _, st := range as.AttributeStatements {
		for _, attr := range st.Attributes {
			if len(attr.Values) == 0 {
				continue
			}
			v := strings.TrimSpace(attr.Values[0].Value)
			switch attr.Name {
			case "email":
				if email == "" {
					email = v
				}
			case "firstName":
				first = v
			case "lastName":
				last = v
			}
		}
	}
	if email == "" && as.Subject != nil && as.Subject.NameID != nil {
		email = strings.TrimSpace(as.Subject.NameID.Value)
	}
	return clip(email, 254), clip(first, 100), clip(last, 100)
}

func assertionInResponseTo(as *saml.Assertion) string {
	if as.Subject == nil {
		return ""
	}
	for _, sc := range as.Subject.SubjectConfirmations {
		if sc.SubjectConfirmationData != nil && sc.SubjectConfirmationData.InResponseTo != "" {
			return sc.SubjectConfirmationData.InResponseTo
		}
	}
	return ""
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// seen holds values read, without trust, from a rejected response, to explain the rejection.
type seen struct {
	Issuer, Destination, InResponseTo, Audience, Recipient, AssertionID, StatusCode, StatusMessage string
	NotBefore, NotOnOrAfter, IssueInstant                                                          string
	Assertions                                                                                     int
	Signatures                                                                                     int
	Cert                                                                                           *x509.Certificate
}

// inspect reads what it can of raw for error messages. Nothing it returns is trusted.
func inspect(raw []byte) seen {
	var v seen
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return v
	}
	root := doc.Root()
	v.Destination = root.SelectAttrValue("Destination", "")
	v.InResponseTo = root.SelectAttrValue("InResponseTo", "")
	v.IssueInstant = root.SelectAttrValue("IssueInstant", "")
	if el := root.FindElement("./Issuer"); el != nil {
		v.Issuer = el.Text()
	}
	if el := root.FindElement("./Status/StatusCode"); el != nil {
		v.StatusCode = el.SelectAttrValue("Value", "")
		if sub := el.FindElement("./StatusCode"); sub != nil {
			v.StatusCode += " / " + sub.SelectAttrValue("Value", "")
		}
	}
	if el := root.FindElement("./Status/StatusMessage"); el != nil {
		v.StatusMessage = el.Text()
	}
	v.Assertions = len(root.FindElements("//Assertion"))
	v.Signatures = len(root.FindElements("//Signature"))
	if as := root.FindElement("./Assertion"); as != nil {
		v.AssertionID = as.SelectAttrValue("ID", "")
		if v.Issuer == "" {
			if el := as.FindElement("./Issuer"); el != nil {
				v.Issuer = el.Text()
			}
		}
		if el := as.FindElement("./Conditions/AudienceRestriction/Audience"); el != nil {
			v.Audience = el.Text()
		}
		if el := as.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData"); el != nil {
			v.Recipient = el.SelectAttrValue("Recipient", "")
			if v.InResponseTo == "" {
				v.InResponseTo = el.SelectAttrValue("InResponseTo", "")
			}
		}
		if el := as.FindElement("./Conditions"); el != nil {
			v.NotBefore = el.SelectAttrValue("NotBefore", "")
			v.NotOnOrAfter = el.SelectAttrValue("NotOnOrAfter", "")
		}
	}
	if el := root.FindElement("//Signature/KeyInfo/X509Data/X509Certificate"); el != nil {
		if der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(el.Text()), "")); err == nil {
			v.Cert, _ = x509.ParseCertificate(der)
		}
	}
	for _, p := range []*string{&v.Issuer, &v.Destination, &v.InResponseTo, &v.Audience, &v.Recipient, &v.AssertionID,
		&v.StatusCode, &v.StatusMessage, &v.NotBefore, &v.NotOnOrAfter, &v.IssueInstant} {
		*p = clip(strings.TrimSpace(*p), 200)
	}
	return v
}

// explain turns a rejection by the SAML library into an ESSO error that says which check failed, using values
// read from the rejected response. The library's own error is kept as the logged cause.
func (a *App) explain(ctx context.Context, err error, raw []byte, s *settings, ids []string, hasCookie bool) error {
	v := inspect(raw)
	cause := err
	var ivr *saml.InvalidResponseError
	if errors.As(err, &ivr) && ivr.PrivateErr != nil {
		cause = ivr.PrivateErr // InvalidResponseError's own message is only "Authentication failed"
	}
	e := &Error{Code: ESSO, Err: cause}
	expected := s.Thumbprint()
	var bad saml.ErrBadStatus
	switch {
	case errors.Is(err, saml.ErrUntrustedCertificate):
		e.Check = "signature certificate"
		if v.Cert != nil {
			e.Message = fmt.Sprintf("The response was signed with a certificate that is not the one uploaded in Settings → Access security "+
				"(thumbprint %s, expected %s). Download the app's current signing certificate from Gatehouse and upload it here.",
				thumbprint(v.Cert), expected)
		} else {
			e.Message = fmt.Sprintf("The response's signature does not verify with the certificate uploaded in Settings → Access security "+
				"(thumbprint %s).", expected)
		}
	case errors.Is(err, saml.ErrCertificateNotValidNow):
		e.Check = "signature certificate"
		e.Message = fmt.Sprintf("The certificate uploaded in Settings → Access security (thumbprint %s) is expired or not yet valid.", expected)
	case errors.Is(err, saml.ErrInvalidSignature):
		e.Check = "signature"
		e.Message = fmt.Sprintf("The response's signature is not valid: the response was changed after it was signed, or it was not "+
			"signed with the certificate uploaded in Settings → Access security (thumbprint %s).", expected)
	case errors.Is(err, saml.ErrAssertionReplayed):
		e.Check = "replay"
		e.Message = fmt.Sprintf("This assertion (ID %s) was already used to sign in. Each assertion is accepted only once; start sign-in again.",
			v.AssertionID)
	case errors.As(err, &bad):
		e.Check = "status"
		e.Message = fmt.Sprintf("The identity provider did not sign you in (status %s).", v.StatusCode)
		if v.StatusMessage != "" {
			e.Message += " It said: " + v.StatusMessage
		}
	case errors.Is(err, saml.ErrIssuerMismatch):
		e.Check = "issuer"
		e.Message = fmt.Sprintf("The response's Issuer is %q, but Settings → Access security expects the Issuer URL %q.", v.Issuer, s.IssuerURL)
	case errors.Is(err, saml.ErrAudienceMismatch):
		e.Check = "audience"
		e.Message = fmt.Sprintf("The assertion is meant for audience %q, but this app's entity ID is %q. Set the app's Identifier "+
			"(Entity ID) in Gatehouse to %s.", v.Audience, a.EntityID(), a.EntityID())
	case errors.Is(err, saml.ErrDestinationMismatch):
		e.Check = "destination"
		got := v.Destination
		if got == a.ACSURL() || got == "" {
			got = v.Recipient
			e.Check = "recipient"
		}
		e.Message = fmt.Sprintf("The response was addressed to %q, but this app's reply URL (ACS) is %q. Set the Reply URL in Gatehouse to %s.",
			got, a.ACSURL(), a.ACSURL())
	case errors.Is(err, saml.ErrRequestIDMismatch):
		e.Check = "InResponseTo"
		var n int
		a.db.QueryRowContext(ctx, `SELECT count(*) FROM authn_requests WHERE id = ? AND expires_at >= ?`, v.InResponseTo, a.now().Unix()).Scan(&n)
		switch {
		case n > 0 && !hasCookie:
			e.Message = fmt.Sprintf("The response answers sign-in request %s, but this browser did not send back the app's sign-in "+
				"cookie. Over plain http this happens when the app and the identity provider use different host names "+
				"(e.g. localhost and 127.0.0.1): open both under the same host name, or use https.", v.InResponseTo)
		case n > 0:
			e.Message = fmt.Sprintf("The response answers sign-in request %s, which was started in another browser. "+
				"Start sign-in again in this one.", v.InResponseTo)
		case len(ids) == 0:
			e.Message = fmt.Sprintf("The response answers a sign-in request (%s) that this browser did not start here, or that has expired. "+
				"Start sign-in again.", v.InResponseTo)
		default:
			e.Message = fmt.Sprintf("The response answers request %s, which is not the sign-in this browser started. Start sign-in again.",
				v.InResponseTo)
		}
	case errors.Is(err, saml.ErrExpired):
		e.Check = "time window"
		window := "valid until " + v.NotOnOrAfter
		if v.NotOnOrAfter == "" {
			window = "issued " + orUnknown(v.IssueInstant)
		}
		e.Message = fmt.Sprintf("The response has expired (%s; it is now %s). Start sign-in again, and check that the "+
			"clocks of both machines are right.", window, a.now().UTC().Format(time.RFC3339))
	case errors.Is(err, saml.ErrNotYetValid):
		e.Check = "time window"
		e.Message = fmt.Sprintf("The assertion is not valid yet (valid from %s; it is now %s). Check that the clocks of both machines are right.",
			orUnknown(v.NotBefore), a.now().UTC().Format(time.RFC3339))
	case errors.Is(err, saml.ErrDecryptionFailed):
		e.Check = "encryption"
		e.Message = "The assertion is encrypted, but this app takes only signed, unencrypted assertions. Turn off token encryption for the app in the identity provider."
	case v.Assertions > 1:
		e.Check = "assertion count"
		e.Message = fmt.Sprintf("The response carries %d assertions; exactly one signed assertion is accepted. "+
			"An extra assertion was added to it after it was signed.", v.Assertions)
	case v.Signatures == 0 && bytes.Contains(raw, []byte("Assertion")):
		e.Check = "signature"
		e.Message = "Neither the response nor its assertion is signed. In Gatehouse, choose a signing option that signs the assertion."
	case errors.Is(err, saml.ErrMalformedMessage):
		e.Check = "format"
		e.Message = "The response is not a well-formed SAML 2.0 response."
	case errors.Is(err, saml.ErrMissingElement):
		e.Check = "format"
		e.Message = "The response lacks a part every sign-in needs (an assertion with a subject, conditions and an authentication statement)."
	default:
		e.Check = "validation"
		e.Message = "The response failed validation."
	}
	return e
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
