package idp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// MaxSAMLForm bounds the body of an HTTP-POST binding message (SECURITY-CASES 8); web reads no more of it.
const MaxSAMLForm = 256 << 10

// Answer is what a sign-on endpoint answers when it does not refuse: exactly one of Post, SignIn, Logout, Notice,
// Redirect and Confirm is set, for web to write.
type Answer struct {
	// Post is a SAML Response for the browser to post to the app's registered reply URL.
	Post *Post
	// SignIn sends the browser to sign in, or to the next step of signing in, before the sign-on goes on.
	SignIn *SignInPrompt
	// Logout is single logout for the browser to carry out: LogoutRequests to the session's other apps, then the
	// LogoutResponse to the app that asked.
	Logout *Logout
	// Notice is a short page, such as the answer to an app's LogoutResponse in its logout frame.
	Notice *Notice
	// Redirect is a URL to send the browser to: an OpenID Connect app's registered redirect URI with the
	// authorization response, or an app's initiate login URI.
	Redirect string
	// Confirm asks the user whether to sign out, for an RP-initiated logout.
	Confirm *LogoutConfirmation
	// ClearSession reports whether the browser's session has ended, so that its cookie goes too.
	ClearSession bool
}

// Post is an answer for an app's assertion consumer service, to be sent by the auto-submitting form.
type Post struct {
	ACSURL     string
	Response   []byte
	RelayState string
	AppName    string
}

// SignInPrompt asks the browser's user to sign in, or to take the next step of signing in, and then to come back
// to the sign-on: to the pending sign-in PendingID (SP-initiated) or to the local path Next (IdP-initiated).
type SignInPrompt struct {
	// Step is what the user must do: StepPassword (sign in, or sign in again), StepMFA, StepChangePassword or
	// StepEnrolMFA.
	Step      Step
	PendingID string
	Next      string
	// Force reports whether the request asked for a fresh sign-in (ForceAuthn): a signed-in user enters the
	// password again.
	Force bool
}

// Notice is a short page with nothing more to do; it may be framed by Gatehouse's own pages.
type Notice struct {
	Status int
	Text   string
}

// attempt is one request to a sign-on endpoint as far as it has been read: what the policy decides on, and what
// a refusal names in its hint and in the sign-in log.
type attempt struct {
	dirID string
	token string
	// directoryKnown reports whether the directory was found.
	directoryKnown bool
	// browser is the browser's session; nil until looked up.
	browser *browser
	// app is the app of the request, once known.
	app *gatehouse.App
	// acsURL is the reply URL an AuthnRequest asks for.
	acsURL string
	// needsMFA reports whether the request asks for an authentication context that needs a second factor.
	needsMFA bool
	// logout reports whether the message is a LogoutRequest or LogoutResponse: refusals of those go to the process
	// log, not the sign-in log.
	logout bool
	// directory is the directory, once found.
	directory *gatehouse.Directory
	// requestID is the ID of the AuthnRequest, once validated, and replayKey its key in the replay cache until
	// replayExpires. The key is recorded with the attempt's sign-in log entry, in one commit, or with the pending
	// sign-in; it is "" when there is none or once it is recorded. replayed reports whether the key was found used.
	requestID, replayKey string
	replayExpires        time.Time
	replayed             bool
	// protocol is the sign-in log's protocol of the attempt: gatehouse.ProtocolSAML when empty.
	protocol string
	// redirectURI is the redirect URI an OpenID Connect authorization request asks for.
	redirectURI string
	// state is what withConfig read at stateAt, nil when it did not run: the session of token and its user, which
	// lookUpBrowser then does not read again.
	state   *gatehouse.SignOnState
	stateAt time.Time
}

// user returns the user of the browser's session in the directory, or nil.
func (at *attempt) user() *gatehouse.User {
	if at.browser == nil {
		return nil
	}
	return at.browser.user
}

// browser is the session of the browser that sent a request, as the sign-on policy sees it.
type browser struct {
	sess *gatehouse.Session
	// user is the session's user, disabled or not; nil without a session in the directory.
	user *gatehouse.User
	// step is what the user must still do before the sign-in is complete.
	step Step
}

// prompt returns what the user must do before pending sign-in pr can be answered, or nil when it can be answered
// now: sign in (no session, or a disabled user's unfinished one), sign in again (ForceAuthn, when the request is
// fresh or the session's password is older than the request), or finish signing in (a second factor, a temporary
// password to change, a second factor to enrol when the directory requires one).
func (b *browser) prompt(pr *gatehouse.SignInRequest, fresh bool) *SignInPrompt {
	switch {
	case b.user == nil || b.user.Disabled && b.step != StepDone:
		return &SignInPrompt{Step: StepPassword, Force: pr.ForceAuthn}
	case pr.ForceAuthn && (fresh || b.sess.AuthnInstant.Before(pr.CreatedAt)):
		return &SignInPrompt{Step: StepPassword, Force: true}
	case b.step != StepDone:
		return &SignInPrompt{Step: b.step}
	}
	return nil
}

// lookUpBrowser reads the session of at's token into at.browser. No session, an ended one and one of another
// directory leave the browser without a user; only a store failure is an error.
func (s *Service) lookUpBrowser(ctx context.Context, at *attempt) error {
	if at.browser != nil {
		return nil
	}
	at.browser = &browser{}
	if at.token == "" {
		return nil
	}
	var sess *gatehouse.Session
	var u *gatehouse.User
	var step Step
	var err error
	switch {
	case at.state == nil:
		sess, u, step, err = s.sessionState(ctx, at.token, at.directory)
	case at.state.Session == nil:
		err = errSessionEnded()
	default:
		sess, u, step, err = s.checkSession(ctx, at.state.Session, at.state.User, at.directory, at.stateAt)
	}
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.EUNAUTHORIZED:
		return nil
	case err != nil:
		return err
	case sess.DirectoryID != at.dirID:
		return nil
	}
	at.browser.sess, at.browser.user, at.browser.step = sess, u, step
	return nil
}

// findDirectory checks that at's directory exists.
func (s *Service) findDirectory(ctx context.Context, at *attempt) error {
	d, err := s.cachedDirectory(ctx, at.dirID)
	if err != nil {
		return err
	}
	at.directory, at.directoryKnown = d, true
	return nil
}

// SAMLRedirect serves the HTTP-Redirect binding of directory dirID's SAML endpoint. rawQuery is the query string
// exactly as received (a signature is verified over its bytes) and token the browser's session cookie, "" when
// there is none. An AuthnRequest is a sign-on, a LogoutRequest single logout and a LogoutResponse the answer to a
// LogoutRequest Gatehouse sent. Every refusal is a *Failure.
func (s *Service) SAMLRedirect(ctx context.Context, dirID, rawQuery, token string) (*Answer, error) {
	return s.samlEndpoint(ctx, dirID, token, func() (*saml.Message, error) {
		if q, _ := url.ParseQuery(rawQuery); q.Get("SAMLRequest") == "" && q.Get("SAMLResponse") == "" {
			return nil, &saml.Error{Code: saml.CodeMalformedRequest, Field: "SAMLRequest", Status: saml.StatusRequester,
				Message: "This is Gatehouse's single sign-on endpoint. It expects a SAML AuthnRequest from an app (a SAMLRequest parameter); open the app and sign in from there, or use My Apps."}
		}
		return saml.DecodeRedirectAny(rawQuery, s.limits)
	})
}

// SAMLPost serves the HTTP-POST binding of directory dirID's SAML endpoint, as SAMLRedirect does the
// HTTP-Redirect binding. form holds the body's values and formErr the error of reading it, if any: a body over
// MaxSAMLForm (an *http.MaxBytesError) is refused with CodeRequestTooLarge.
func (s *Service) SAMLPost(ctx context.Context, dirID string, form url.Values, formErr error, token string) (*Answer, error) {
	return s.samlEndpoint(ctx, dirID, token, func() (*saml.Message, error) {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(formErr, &mbe):
			return nil, &saml.Error{Code: saml.CodeRequestTooLarge, Field: "SAMLRequest", Status: saml.StatusRequester,
				Message: "The POST body is larger than the " + strconv.Itoa(MaxSAMLForm>>10) + " KiB allowed.", Err: formErr}
		case formErr != nil:
			return nil, &saml.Error{Code: saml.CodeMalformedRequest, Status: saml.StatusRequester, Message: "The form could not be read.", Err: formErr}
		case form.Get("SAMLRequest") == "" && form.Get("SAMLResponse") == "":
			return nil, &saml.Error{Code: saml.CodeMalformedRequest, Field: "SAMLRequest", Status: saml.StatusRequester,
				Message: "The POST carried no SAMLRequest."}
		}
		return saml.DecodePostAny(form.Get("SAMLRequest"), form.Get("SAMLResponse"), form.Get("RelayState"), s.limits)
	})
}

// samlEndpoint decodes a message of the SAML endpoint and serves it by its kind.
func (s *Service) samlEndpoint(ctx context.Context, dirID, token string, decode func() (*saml.Message, error)) (*Answer, error) {
	at := &attempt{dirID: dirID, token: token}
	ctx, err := s.withConfig(ctx, at)
	if err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	if err := s.findDirectory(ctx, at); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	msg, err := decode()
	if err != nil {
		if berr := s.lookUpBrowser(ctx, at); berr != nil {
			s.logger.ErrorContext(ctx, "look up the session of a refused SAML message", "err", berr)
		}
		return nil, s.refuse(ctx, at, err)
	}
	switch {
	case msg.Logout != nil:
		at.logout = true
		return s.spLogout(ctx, at, msg)
	case msg.LogoutResponse != nil:
		at.logout = true
		return s.logoutResponse(ctx, at, msg), nil
	}
	return s.spInitiated(ctx, at, msg)
}

// spInitiated serves an AuthnRequest (SP-initiated sign-on on either binding): a valid request is answered at once
// when the browser's user is signed in and need not sign in again, with one write (the request ID's replay record
// and the sign-in log entry, committed together); otherwise it is stored as a pending sign-in and the user is sent to sign in first, or, for a
// passive request, answered with NoPassive (SECURITY-CASES 19).
func (s *Service) spInitiated(ctx context.Context, at *attempt, msg *saml.Message) (*Answer, error) {
	at.acsURL = msg.Request.ACSURL
	if err := s.lookUpBrowser(ctx, at); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	pr, status, err := s.validateRequest(ctx, at, msg)
	switch {
	case err != nil:
		return nil, s.refuse(ctx, at, err)
	case status != nil:
		return s.answerStatus(ctx, at, pr, status)
	}
	prompt := at.browser.prompt(pr, true)
	switch {
	case prompt == nil:
		return s.answer(ctx, at, pr)
	case msg.Request.IsPassive:
		return s.answerStatus(ctx, at, pr, &saml.Error{Code: saml.CodeNoPassive, Status: saml.StatusResponder, SubStatus: saml.StatusNoPassive,
			Message: "The user is not signed in and the request did not allow Gatehouse to ask them to."})
	}
	if err := s.park(ctx, at, pr); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	prompt.PendingID = pr.ID
	return &Answer{SignIn: prompt}, nil
}

// park stores pending sign-in pr and records at's replay key, in one transaction: a replayed request is refused
// and stores nothing.
func (s *Service) park(ctx context.Context, at *attempt, pr *gatehouse.SignInRequest) error {
	replayed := false
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if at.replayKey != "" {
			err := tx.UseOnce(ctx, at.replayKey, pr.CreatedAt, at.replayExpires)
			if replayed = gatehouse.ErrorCode(err) == gatehouse.ECONFLICT; err != nil {
				return err
			}
		}
		return tx.CreateSignInRequest(ctx, pr)
	})
	switch {
	case replayed:
		at.replayKey, at.replayed = "", true
		return errReplayed(at.requestID)
	case err == nil:
		at.replayKey = ""
	}
	return err
}

// ContinueSignOn serves the return to a pending sign-in after the sign-in pages, for the browser with session
// token: the user must still be signed in (or sign in again, for ForceAuthn, or finish signing in), then the
// pending sign-in is consumed and answered under the same policy as at once. Every refusal is a *Failure.
func (s *Service) ContinueSignOn(ctx context.Context, dirID, pendingID, token string) (*Answer, error) {
	at := &attempt{dirID: dirID, token: token}
	ctx, err := s.withConfig(ctx, at)
	if err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	if err := s.lookUpBrowser(ctx, at); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	pr, err := s.store.FindSignInRequest(ctx, dirID, pendingID, s.now())
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		err = errSignInExpired()
	}
	if err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	at.directoryKnown = true
	if pr.Protocol == gatehouse.ProtocolOIDC {
		at.protocol = gatehouse.ProtocolOIDC
	}
	if at.app, err = s.cachedApp(ctx, dirID, pr.AppID); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	if p := at.browser.prompt(pr, false); p != nil {
		p.PendingID = pr.ID
		return &Answer{SignIn: p}, nil
	}
	pr, err = s.store.TakeSignInRequest(ctx, dirID, pendingID, s.now())
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		err = errSignInExpired() // another tab was quicker
	}
	if err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	if pr.Protocol == gatehouse.ProtocolOIDC {
		return s.answerOIDC(ctx, at, pr)
	}
	return s.answer(ctx, at, pr)
}

// OpenApp serves an app's user access URL, which is also where My Apps' tile of an app without a Sign-on URL
// leads: IdP-initiated sign-on (SECURITY-CASES 23) with the app's default relay state, for the browser with
// session token, after it signs in when needed. Every refusal is a *Failure.
func (s *Service) OpenApp(ctx context.Context, dirID, appID, token string) (*Answer, error) {
	at := &attempt{dirID: dirID, token: token}
	ctx, err := s.withConfig(ctx, at)
	if err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	if err := s.findDirectory(ctx, at); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	if err := s.lookUpBrowser(ctx, at); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	pr := &gatehouse.SignInRequest{DirectoryID: dirID, AppID: appID, CreatedAt: s.now()}
	if p := at.browser.prompt(pr, false); p != nil {
		p.Next = userAccessPath(dirID, appID)
		return &Answer{SignIn: p}, nil
	}
	app, err := s.cachedApp(ctx, dirID, appID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		err = &saml.Error{Code: CodeAppNotFound, Status: saml.StatusRequester, Received: appID,
			Message: "There is no such app in this directory. The link may be out of date; open the app from My Apps."}
	}
	if err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	at.app = app
	if app.IsOIDC() {
		at.protocol = gatehouse.ProtocolOIDC
		return s.openOIDCApp(ctx, at, app)
	}
	pr.RelayState = app.SAML.RelayState
	if len(app.SAML.ReplyURLs) > 0 {
		pr.ACSURL = app.SAML.ReplyURLs[0]
	}
	return s.answer(ctx, at, pr)
}

// userAccessPath returns the path of an app's user access URL.
func userAccessPath(dirID, appID string) string {
	return "/d/" + url.PathEscape(dirID) + "/apps/" + url.PathEscape(appID) + "/signin"
}

// answer applies the access policy to pending sign-in pr of at's app and the browser's signed-in user, and
// answers with the signed Response for the registered reply URL, or with an error status there for an
// authentication context the sign-in did not meet. The outcome is in the sign-in log; no assertion leaves
// without its entry, since single logout reads the apps of a session from it.
func (s *Service) answer(ctx context.Context, at *attempt, pr *gatehouse.SignInRequest) (*Answer, error) {
	app, sess, u := at.app, at.browser.sess, at.browser.user
	if err := s.checkAccess(ctx, app, u); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	if pr.ACSURL == "" {
		return nil, s.refuse(ctx, at, &saml.Error{Code: saml.CodeNoReplyURL, Field: "Reply URL", Status: saml.StatusResponder,
			Message: "The app " + app.Name + " has no Reply URL (Assertion Consumer Service URL) configured in Gatehouse, so there is nowhere to send the sign-in."})
	}
	params, err := s.responseParamsContext(ctx, app, pr, sess, u)
	if err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	if params.AuthnContextClassRef, err = authnContextOf(pr, sess); err != nil {
		var se *saml.Error
		if errors.As(err, &se) && se.Code == saml.CodeNoAuthnContext {
			at.needsMFA = true
			return s.answerStatus(ctx, at, pr, se)
		}
		return nil, s.refuse(ctx, at, err)
	}
	signer, err := s.signer(ctx, at.dirID, app.ID)
	if err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	// The success and the replay key are handed to the store before the Response is signed and committed after: the
	// store may hold the commit back while the signature is made, to share it with other sign-ons. No Response
	// leaves before its commit.
	e := &gatehouse.SignInEvent{UserID: u.ID, UserName: u.UserName, AppID: app.ID, AppName: app.Name,
		Result: gatehouse.ResultSuccess, Protocol: gatehouse.ProtocolSAML, SessionID: sess.ID}
	logged := s.startLogAttempt(ctx, at, e)
	resp, signErr := s.identity(at.dirID).Respond(params, signer)
	if replayed, err := logged(); replayed {
		return nil, s.refuse(ctx, at, errReplayed(at.requestID))
	} else if err != nil {
		return nil, newFailure(err) // the log cannot be written, so the failure is not in it either
	}
	if signErr != nil {
		// The success is in the log already; this failure follows it, under the same correlation ID.
		return nil, s.refuse(ctx, at, gatehouse.Internal(signErr))
	}
	return &Answer{Post: &Post{ACSURL: pr.ACSURL, Response: resp, RelayState: pr.RelayState, AppName: app.Name}}, nil
}

// answerStatus answers pending sign-in pr with the error status of se at the app's registered reply URL (a SAML
// error Response), and writes the refusal to the sign-in log.
func (s *Service) answerStatus(ctx context.Context, at *attempt, pr *gatehouse.SignInRequest, se *saml.Error) (*Answer, error) {
	post, err := s.errorPost(ctx, at.app, pr, se)
	if err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	if f := s.refuse(ctx, at, se); at.replayed {
		return nil, f // the request was a replay, which refuse logged instead
	}
	return &Answer{Post: post}, nil
}

// logAttempt writes e, the sign-in log entry of at, together with at's replay key when it has one. It reports
// replayed when the key was used before: nothing is written then, at.replayed is set, and the attempt is a replay,
// to be refused as such.
func (s *Service) logAttempt(ctx context.Context, at *attempt, e *gatehouse.SignInEvent) (replayed bool, err error) {
	return s.startLogAttempt(ctx, at, e)()
}

// startLogAttempt is logAttempt for a caller with work to do before it needs the outcome: it hands the writes to
// the store and returns, and logged returns what logAttempt would have.
func (s *Service) startLogAttempt(ctx context.Context, at *attempt, e *gatehouse.SignInEvent) (logged func() (replayed bool, err error)) {
	key := at.replayKey
	wait := s.startRecordSignOn(ctx, at.dirID, e, key, at.replayExpires)
	return func() (bool, error) {
		err := wait()
		switch {
		case key == "":
			return false, err
		case err == nil:
			at.replayKey = ""
		case gatehouse.ErrorCode(err) == gatehouse.ECONFLICT:
			at.replayKey, at.replayed = "", true
			return true, nil
		}
		return false, err
	}
}
