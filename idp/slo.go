package idp

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// Codes of single logout (with the GH3xxx codes of where an answer goes).
const (
	// CodeNoLogoutURL: the app that sent a LogoutRequest has no logout URL registered to receive the LogoutResponse.
	CodeNoLogoutURL = "GH3005"
)

// maxSessionApps bounds how many apps of one session get a LogoutRequest.
const maxSessionApps = 50

// LogoutMessage is one message of front-channel single logout for the browser to carry to an app: by the
// HTTP-Redirect binding (URL, signed in its query), or by the HTTP-POST binding (PostURL, Param, Message, signed
// inside).
type LogoutMessage struct {
	AppID   string
	AppName string
	// URL is the whole HTTP-Redirect binding URL; empty for the HTTP-POST binding.
	URL string
	// PostURL, Param ("SAMLRequest" or "SAMLResponse") and Message are the HTTP-POST binding's form.
	PostURL    string
	Param      string
	Message    []byte
	RelayState string
}

// Target returns the URL the message is sent to (without the Redirect binding's query).
func (m *LogoutMessage) Target() string {
	if m.URL != "" {
		u, _, _ := strings.Cut(m.URL, "?")
		return u
	}
	return m.PostURL
}

// Logout is the work of single logout left to the browser: a LogoutRequest for each other app the session signed
// in to that has a logout URL, each independent of the others, and the LogoutResponse for the app that asked (nil
// for IdP-initiated logout).
type Logout struct {
	Requests []LogoutMessage
	Response *LogoutMessage
	// Done, when set, is where the browser goes when the requests are done and there is no Response: an OpenID
	// Connect app's registered post-logout redirect URI. Empty means the sign-in page.
	Done string
}

// spLogout answers a LogoutRequest from an app (SP-initiated single logout). The request must be fresh, from a
// known app, signed when the app requires signed requests (and verified whenever it is signed and the app has
// certificates), and not replayed. The session it names is ended: the browser's (at.token) when its user matches the
// NameID and SessionIndex, or else the one whose SessionIndex and NameID the request names. The LogoutResponse goes
// only to the app's registered logout URL (CodeNoLogoutURL when there is none). Refusals are logged in the process
// log, not the sign-in log.
func (s *Service) spLogout(ctx context.Context, at *attempt, msg *saml.Message) (*Answer, error) {
	out, err := s.logoutRequestOf(ctx, at, msg)
	if err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	a := &Answer{Logout: out, ClearSession: true}
	if sess, _, err := s.SessionUser(ctx, at.token); err == nil && sess.DirectoryID == at.dirID {
		a.ClearSession = false // the request named another session than the browser's
	}
	return a, nil
}

// logoutRequestOf checks a LogoutRequest, ends the session it names and returns the work of single logout.
func (s *Service) logoutRequestOf(ctx context.Context, at *attempt, msg *saml.Message) (*Logout, error) {
	dirID, token := at.dirID, at.token
	r := msg.Logout
	idp := s.identity(dirID)
	if err := idp.ValidateLogoutRequest(r); err != nil {
		return nil, err
	}
	if err := saml.CheckRelayState(msg.RelayState, s.limits.MaxRelayState); err != nil {
		return nil, err
	}
	app, err := s.store.FindAppByEntityID(ctx, dirID, r.Issuer)
	if err == nil {
		at.app = app
	}
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil, &saml.Error{Code: saml.CodeUnknownIssuer, Field: "Identifier (Entity ID)", Received: r.Issuer, Status: saml.StatusRequester,
			Message: "No app in directory " + dirID + " has the Identifier (Entity ID) that this LogoutRequest's Issuer names."}
	} else if err != nil {
		return nil, err
	}
	if err := verifySignature(app, msg, r.Signed); err != nil {
		return nil, err
	}
	// The bindings require LogoutRequests to be signed. An unsigned one from an app that has registered a signing
	// certificate is refused; from one that has none, it may end only the session of the browser that carries it,
	// never one found by the SessionIndex and NameID that every app of the session knows.
	signed := r.Signed
	if msg.Binding == saml.BindingHTTPRedirect {
		signed = msg.SigAlg != ""
	}
	if !signed && len(spCertificates(app)) > 0 {
		return nil, &saml.Error{Code: saml.CodeUnsignedRequest, Field: "SP signing certificate", Status: saml.StatusRequester,
			SubStatus: saml.StatusRequestDenied,
			Message:   "The app " + app.Name + " sent an unsigned LogoutRequest, but it has a signing certificate registered in Gatehouse: single logout messages must be signed. Configure the SP to sign its logout requests."}
	}
	dest := app.SAML.LogoutResponseURL
	if dest == "" {
		dest = app.SAML.LogoutURL
	}
	if dest == "" {
		return nil, &saml.Error{Code: CodeNoLogoutURL, Field: "Logout URL", Status: saml.StatusRequester,
			Message: "The app " + app.Name + " sent a LogoutRequest, but has no Logout URL registered in Gatehouse to receive the answer. Add the SP's single logout URL to the app (or import its metadata)."}
	}
	now := s.now()
	key := "logout-request:" + dirID + ":" + app.ID + ":" + r.ID
	if err := s.store.UseOnce(ctx, key, now, now.Add(replayWindow)); gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
		return nil, &saml.Error{Code: saml.CodeRequestReplayed, Field: "ID", Received: r.ID, Status: saml.StatusRequester,
			Message: "This LogoutRequest ID was already used."}
	} else if err != nil {
		return nil, err
	}
	sess, u := s.logoutSession(ctx, dirID, app, r, token, signed)
	out := &Logout{}
	if sess != nil {
		if out.Requests, err = s.endSession(ctx, sess, u, app.ID); err != nil {
			return nil, err
		}
	}
	signer, err := s.signer(ctx, dirID, app.ID)
	if err != nil {
		return nil, err
	}
	sp := serviceProvider(app)
	post := app.SAML.LogoutBinding == gatehouse.BindingHTTPPost
	resp, err := idp.LogoutResponse(sp, dest, r.ID, saml.StatusSuccess, signer, post)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	m := &LogoutMessage{AppID: app.ID, AppName: app.Name, RelayState: msg.RelayState}
	if post {
		m.PostURL, m.Param, m.Message = dest, "SAMLResponse", resp
	} else if m.URL, err = saml.RedirectURL(dest, "SAMLResponse", resp, msg.RelayState, signer, app.SAML.SigningAlgorithm); err != nil {
		return nil, gatehouse.Internal(err)
	}
	out.Response = m
	s.logger.Info("single logout", "directory", dirID, "app", app.ID, "session_ended", sess != nil, "other_apps", len(out.Requests))
	return out, nil
}

// logoutSession finds the session a LogoutRequest names: the browser's (token) when the request's NameID is the
// user's at app and its SessionIndex (if any) is the session's, or else a session named by a SessionIndex whose
// user has the request's NameID. It returns nil when there is none.
//
// An unsigned request (signed false) may only end the browser's own session.
func (s *Service) logoutSession(ctx context.Context, dirID string, app *gatehouse.App, r *saml.LogoutRequest, token string, signed bool) (*gatehouse.Session, *gatehouse.User) {
	matches := func(sess *gatehouse.Session, u *gatehouse.User) bool {
		if sess == nil || u == nil || sess.DirectoryID != dirID {
			return false
		}
		if len(r.SessionIndexes) > 0 && !slices.Contains(r.SessionIndexes, sessionIndex(sess)) {
			return false
		}
		for _, f := range gatehouse.NameIDFormats {
			if v := s.nameID(app, f, sess, u); v != "" && v == r.NameID {
				return true
			}
		}
		return false
	}
	if token != "" {
		if sess, u, _, err := s.SessionState(ctx, token); err == nil && matches(sess, u) {
			return sess, u
		}
	}
	if !signed {
		return nil, nil
	}
	for _, si := range r.SessionIndexes {
		id, ok := strings.CutPrefix(si, "_")
		if !ok || len(id) != 64 {
			continue
		}
		sess, err := s.store.FindSession(ctx, id, s.now())
		if err != nil {
			continue
		}
		u, err := s.store.FindUser(ctx, sess.DirectoryID, sess.UserID)
		if err == nil && matches(sess, u) {
			return sess, u
		}
	}
	return nil, nil
}

// IdPLogout ends the browser's session (token) and returns a LogoutRequest for each app the session signed in to
// that has a logout URL (IdP-initiated single logout, from the sign-out button). A missing or ended session is not
// an error: there is nothing to propagate.
func (s *Service) IdPLogout(ctx context.Context, dirID, token string) (*Logout, error) {
	out := &Logout{}
	if token == "" {
		return out, nil
	}
	sess, u, _, err := s.SessionState(ctx, token)
	if err != nil || sess.DirectoryID != dirID {
		return out, s.SignOut(ctx, token)
	}
	if out.Requests, err = s.endSession(ctx, sess, u, ""); err != nil {
		return nil, err
	}
	s.logger.Info("single logout", "directory", dirID, "user", u.ID, "apps", len(out.Requests))
	return out, nil
}

// endSession deletes a session and returns a LogoutRequest for each app the session signed in to, but except,
// that has a logout URL; the session's OpenID Connect apps are signed out by the back channel (oidcLogout). An app whose request cannot be built is left out and logged: one app must not keep the
// others signed in.
func (s *Service) endSession(ctx context.Context, sess *gatehouse.Session, u *gatehouse.User, except string) ([]LogoutMessage, error) {
	apps, err := s.SessionApps(ctx, sess)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteSession(ctx, sess.ID); err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		return nil, err
	}
	s.oidcLogout(ctx, sess, u, apps, except)
	var out []LogoutMessage
	for _, app := range apps {
		if app.ID == except || app.SAML.LogoutURL == "" {
			continue
		}
		m, err := s.logoutRequest(ctx, app, sess, u)
		if err != nil {
			s.logger.Warn("single logout: build a LogoutRequest", "directory", app.DirectoryID, "app", app.ID, "err", err)
			continue
		}
		out = append(out, *m)
	}
	return out, nil
}

// SessionApps returns the apps a session signed in to, from the sign-in log: the successful sign-ons answered for
// this session, most recent first, each app once. Another session of the same user has its own list.
func (s *Service) SessionApps(ctx context.Context, sess *gatehouse.Session) ([]*gatehouse.App, error) {
	events, _, err := s.store.FindSignInEvents(ctx, sess.DirectoryID, gatehouse.SignInFilter{
		SessionID: sess.ID, Result: gatehouse.ResultSuccess, Limit: 500,
	})
	if err != nil {
		return nil, err
	}
	var apps []*gatehouse.App
	seen := map[string]bool{}
	for _, e := range events {
		if e.AppID == "" || seen[e.AppID] || e.Time.Before(sess.CreatedAt) || len(apps) >= maxSessionApps {
			continue
		}
		seen[e.AppID] = true
		a, err := s.store.FindApp(ctx, sess.DirectoryID, e.AppID)
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		apps = append(apps, a)
	}
	return apps, nil
}

// logoutRequest builds the signed LogoutRequest that tells app the user's session has ended.
func (s *Service) logoutRequest(ctx context.Context, app *gatehouse.App, sess *gatehouse.Session, u *gatehouse.User) (*LogoutMessage, error) {
	signer, err := s.signer(ctx, app.DirectoryID, app.ID)
	if err != nil {
		return nil, err
	}
	nameID := s.nameID(app, app.SAML.NameIDFormat, sess, u)
	post := app.SAML.LogoutBinding == gatehouse.BindingHTTPPost
	_, xml, err := s.identity(app.DirectoryID).LogoutRequest(&saml.LogoutParams{
		SP: serviceProvider(app), Destination: app.SAML.LogoutURL, NameID: nameID,
		NameIDFormat: app.SAML.NameIDFormat, SessionIndex: sessionIndex(sess),
	}, signer, post)
	if err != nil {
		return nil, err
	}
	m := &LogoutMessage{AppID: app.ID, AppName: app.Name}
	if post {
		m.PostURL, m.Param, m.Message = app.SAML.LogoutURL, "SAMLRequest", xml
		return m, nil
	}
	if m.URL, err = saml.RedirectURL(app.SAML.LogoutURL, "SAMLRequest", xml, "", signer, app.SAML.SigningAlgorithm); err != nil {
		return nil, err
	}
	return m, nil
}

// logoutResponse records an app's LogoutResponse to an IdP-initiated LogoutRequest, which arrives in the app's
// frame of the logout page. Its signature is verified as a request's would be; the outcome goes to the process
// log only, since the session has already ended, and the answer is a short page for the frame.
func (s *Service) logoutResponse(ctx context.Context, at *attempt, msg *saml.Message) *Answer {
	ok := &Answer{Notice: &Notice{Status: http.StatusOK, Text: "Signed out."}}
	r, dirID := msg.LogoutResponse, at.dirID
	app, err := s.store.FindAppByEntityID(ctx, dirID, r.Issuer)
	if err != nil {
		s.logger.Warn("logout response from an unknown issuer", "directory", dirID, "issuer", truncate(r.Issuer, 256))
		return ok
	}
	if err := verifySignature(app, msg, r.Signed); err != nil {
		s.logger.Warn("logout response refused", "directory", dirID, "app", app.ID, "code", codeOf(err), "reason", reasonOf(err))
		return &Answer{Notice: &Notice{Status: http.StatusBadRequest, Text: "The app's logout response was refused."}}
	}
	if r.Status != saml.StatusSuccess {
		s.logger.Warn("logout response: the app did not sign out", "directory", dirID, "app", app.ID, "status", r.Status)
		return ok
	}
	s.logger.Info("logout response", "directory", dirID, "app", app.ID, "status", r.Status)
	return ok
}
