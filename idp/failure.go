package idp

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// Failure is a refused request to a sign-on endpoint (SAMLRedirect, SAMLPost, ContinueSignOn, OpenApp): the one
// error type those methods return. It carries what the person at the browser may see (Status, Code, Title,
// Explanation, Message), what only an admin of the directory may see (Field, Received, Expected, Hint, Setting)
// and the sign-in log entry the refusal was written to. ViewFailure decides who sees what.
type Failure struct {
	// Status is the HTTP status of the error page.
	Status int
	// Code is the Gatehouse error code (GH1xxx to GH6xxx), or a gatehouse.Error code (not_found, internal, ...).
	Code string
	// Title heads the error page; Explanation says in plain words what the code means, for anyone.
	Title       string
	Explanation string
	// Message says what went wrong; it is safe to show anyone.
	Message string
	// Field names the request field or setting involved; Received and Expected are the values on both sides. They
	// may name an app's registered reply URLs and identifiers, so only admins of the directory see them.
	Field, Received, Expected string
	// Hint says an admin how to fix the failure, naming the setting to change, which Setting names for a link.
	Hint    string
	Setting string
	// DirectoryID, AppID and UserID name what the failure is about, as far as it is known.
	DirectoryID, AppID, UserID string
	// Event is the sign-in log entry written for the failure, or nil when none was (a directory that does not
	// exist, a refused logout message).
	Event *gatehouse.SignInEvent
	// Err is the cause, for the process log; it is never shown.
	Err error
}

// Error implements the error interface.
func (f *Failure) Error() string {
	s := "idp: " + f.Code + ": " + f.Message
	if f.Err != nil {
		s += ": " + f.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (f *Failure) Unwrap() error { return f.Err }

// Names of the settings that a Failure's Setting and a sign-in log entry's Setting give for the link to the place
// an admin fixes a failure. They are stored in the sign-in log, so they never change.
const (
	// SettingApps is the list of the directory's apps (to add the app an Issuer names).
	SettingApps = "apps"
	// SettingBasic is an app's Basic SAML configuration: Identifier, Reply URLs, Logout URL, SP metadata and the
	// SP's certificates.
	SettingBasic = "app.basic"
	// SettingClaims is an app's Attributes & claims: the NameID format and source.
	SettingClaims = "app.claims"
	// SettingCertificate is an app's SAML signing certificate.
	SettingCertificate = "app.certificate"
	// SettingSetup is the "Set up" section of an app: the values to configure in the app.
	SettingSetup = "app.setup"
	// SettingAssignments is an app's Users and groups.
	SettingAssignments = "app.users"
	// SettingProperties is an app's properties: enabled, assignment required, visible.
	SettingProperties = "app.properties"
	// SettingUser is the user's page: enabled, attributes, two-step verification.
	SettingUser = "user"
	// SettingDirectory is the directory's settings: required two-step verification.
	SettingDirectory = "directory"
)

// statusOf maps error codes to HTTP status: the one table of them. Gatehouse codes of the sign-on policy (GH5xxx)
// are 403, a request over a size limit 413, and any other GH code 400.
var statusOf = map[string]int{
	gatehouse.ECONFLICT:      http.StatusConflict,
	gatehouse.EINTERNAL:      http.StatusInternalServerError,
	gatehouse.EINVALID:       http.StatusBadRequest,
	gatehouse.ENOTFOUND:      http.StatusNotFound,
	gatehouse.EUNAUTHORIZED:  http.StatusUnauthorized,
	gatehouse.EFORBIDDEN:     http.StatusForbidden,
	gatehouse.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	gatehouse.ERATELIMIT:     http.StatusTooManyRequests,
	gatehouse.EUNAVAILABLE:   http.StatusServiceUnavailable,
	gatehouse.EPASSWORD:      http.StatusForbidden,
	saml.CodeRequestTooLarge: http.StatusRequestEntityTooLarge,
}

// HTTPStatus returns the HTTP status of an error code: a gatehouse.Error code or a Gatehouse GH code.
func HTTPStatus(code string) int {
	if st, ok := statusOf[code]; ok {
		return st
	}
	switch {
	case strings.HasPrefix(code, "GH5"):
		return http.StatusForbidden
	case strings.HasPrefix(code, "GH"):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// explanations say in plain words, for anyone, what a Gatehouse code means.
var explanations = map[string]string{
	saml.CodeMalformedRequest:       "The app sent a sign-in request that Gatehouse cannot read.",
	saml.CodeRequestTooLarge:        "The app sent a sign-in request that is far larger than a normal one.",
	saml.CodeDuplicateAttribute:     "The app sent a sign-in request that gives one of its values twice, so it was refused unread.",
	saml.CodeXMLComment:             "The app sent a sign-in request with a comment in it, which is not allowed, so it was refused unread.",
	saml.CodeForbiddenDTD:           "The app sent a sign-in request with content that is not allowed, so it was refused unread.",
	saml.CodeUnsupportedVersion:     "The app uses a SAML version that Gatehouse does not support.",
	saml.CodeRequestExpired:         "The app's sign-in request is too old or dated in the future; a server clock is probably wrong.",
	saml.CodeWrongDestination:       "The app sent its sign-in request to another address than the one it names.",
	saml.CodeRequestReplayed:        "This sign-in request was already used. Go back to the app and sign in again.",
	saml.CodeSubjectNotAllowed:      "The app asked to sign in a particular user, which Gatehouse does not allow.",
	saml.CodeRelayStateInvalid:      "The app sent a return address that is too long.",
	saml.CodeBadSignature:           "The app's sign-in request is signed, but not by a key Gatehouse knows for the app.",
	saml.CodeUnsignedRequest:        "The app must sign its sign-in requests, and this one is not signed.",
	saml.CodeWeakSignatureAlgorithm: "The app signed its request in a way Gatehouse does not accept.",
	saml.CodeUnknownIssuer:          "The app that sent you here is not set up in Gatehouse under the name it gave.",
	saml.CodeReplyURLMismatch:       "The app asked Gatehouse to send you back to an address that is not registered for it.",
	saml.CodeBadACSIndex:            "The app asked to be answered at an address it has not registered.",
	saml.CodeUnsupportedBinding:     "The app asked for the answer in a way Gatehouse does not send it.",
	saml.CodeNoReplyURL:             "The app has no address set up to receive sign-ins.",
	CodeNoLogoutURL:                 "The app has no address set up to receive the answer to its sign-out.",
	saml.CodeNoPassive:              "The app wanted you signed in without asking you, and you were not signed in.",
	saml.CodeInvalidNameIDPolicy:    "The app asked for a kind of user identifier it is not set up for.",
	saml.CodeNoAuthnContext:         "The app asked for a way of signing in that Gatehouse does not offer.",
	saml.CodeRequestDenied:          "Gatehouse refused the sign-in.",
	CodeNotAssigned:                 "You have not been given access to this app.",
	CodeAppDisabled:                 "This app is turned off for sign-in.",
	CodeUserDisabled:                "Your account is disabled.",
	CodeSignInExpired:               "This sign-in took too long or was already finished. Go back to the app and start again.",
	CodeNoNameIDValue:               "Your account lacks a value the app needs to recognise you.",
	CodeNoCertificate:               "The app has no signing certificate, so Gatehouse cannot vouch for you to it.",
	CodeAppNotFound:                 "The link points to an app that does not exist (any more).",
	CodeNoEncryptionCertificate:     "The app wants its sign-ins encrypted, and Gatehouse has no usable key of the app to encrypt them with.",
	CodeUnknownClient:               "The app that sent you here is not set up in Gatehouse under the client ID it gave.",
	CodeRedirectURIMismatch:         "The app asked Gatehouse to send you back to an address that is not registered for it.",
	CodeBadAuthorizationRequest:     "The app sent a sign-in request that Gatehouse cannot accept.",
	CodePKCERequired:                "The app's sign-in request lacks the protection (PKCE) it must carry.",
	CodeLoginRequired:               "The app wanted you signed in without asking you, and you were not signed in.",
	CodeBadIDTokenHint:              "The app named the user to sign in with a token Gatehouse cannot trust.",
	CodeNoInitiateLoginURI:          "This app can only be opened from the app itself, not from here.",
	CodeUnsupportedResponseType:     "The app asked for a kind of sign-in that Gatehouse does not offer.",
	CodeNoOpenIDScope:               "The app's sign-in request does not ask for OpenID Connect.",
	CodeInvalidCode:                 "The app used a sign-in code that has expired or does not exist.",
	CodeCodeReused:                  "The app used a sign-in code twice, so everything it gave was withdrawn.",
	CodeWrongClient:                 "An app used a sign-in code or token that belongs to another app.",
	CodePKCEFailed:                  "The app could not prove that it started this sign-in.",
	CodeRedirectURIChanged:          "The app finished the sign-in with another address than it started it with.",
	CodeRefreshReused:               "The app used an old token again, so the sign-in was withdrawn.",
	CodeInvalidRefreshToken:         "The app's token has expired or was withdrawn; sign in again.",
	CodeClientAuthFailed:            "The app could not prove who it is to Gatehouse.",
	CodeBadLogoutRequest:            "The app's sign-out request names an address or a token Gatehouse cannot trust.",
}

// newFailure returns the Failure of err with what err itself says: its code, status, message and values.
func newFailure(err error) *Failure {
	f := &Failure{Err: err}
	var se *saml.Error
	var oe *oidcError
	if errors.As(err, &se) {
		f.Code, f.Message, f.Field, f.Received, f.Expected = se.Code, se.Message, se.Field, se.Received, se.Expected
	} else if errors.As(err, &oe) {
		f.Code, f.Message, f.Field, f.Received, f.Expected = oe.Code, oe.Message, oe.Field, oe.Received, oe.Expected
	} else {
		f.Code, f.Message, f.Field = gatehouse.ErrorCode(err), gatehouse.ErrorMessage(err), gatehouse.ErrorField(err)
	}
	f.Status = HTTPStatus(f.Code)
	if strings.HasPrefix(f.Code, "GH") {
		f.Title = "Sign-in failed"
		f.Explanation = explanations[f.Code]
		if f.Explanation == "" {
			f.Explanation = "Gatehouse could not complete the sign-in."
		}
	} else {
		f.Title = http.StatusText(f.Status)
	}
	return f
}

// reason returns the sign-in log's reason for f: its message with the values received and expected.
func (f *Failure) reason() string {
	r := f.Message
	if f.Received != "" {
		r += " Received: " + f.Received + "."
	}
	if f.Expected != "" {
		r += " Expected: " + f.Expected + "."
	}
	return r
}

// refuse turns err into the Failure of attempt at: the hint for admins is computed now, while the request and the
// app are at hand, and the failure is written to the sign-in log (to the process log only for a logout message).
// An err that is already a *Failure is returned as it is.
func (s *Service) refuse(ctx context.Context, at *attempt, err error) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	f = newFailure(err)
	f.DirectoryID = at.dirID
	if at.logout && strings.HasPrefix(f.Code, "GH") {
		f.Title = "Sign-out failed"
	}
	s.hint(ctx, at, f)
	if at.app != nil {
		f.AppID = at.app.ID
	}
	u := at.user()
	if u != nil {
		f.UserID = u.ID
	}
	if at.logout {
		attrs := []any{"directory", at.dirID, "code", f.Code, "reason", f.reason(), "correlation_id", RequestInfoFrom(ctx).CorrelationID}
		if f.AppID != "" {
			attrs = append(attrs, "app", f.AppID)
		}
		s.logger.WarnContext(ctx, "single logout refused", attrs...)
		return f
	}
	if !at.directoryKnown {
		if _, derr := s.store.FindDirectory(ctx, at.dirID); derr != nil {
			return f // a directory that does not exist has no log
		}
	}
	e := &gatehouse.SignInEvent{Result: gatehouse.ResultFailure, Protocol: cmp.Or(at.protocol, gatehouse.ProtocolSAML), Code: f.Code,
		Reason: f.reason(), Hint: f.Hint, Setting: f.Setting}
	if f.Code == gatehouse.EINTERNAL {
		e.Reason = "Internal error."
	}
	if at.app != nil {
		e.AppID, e.AppName = at.app.ID, at.app.Name
	}
	if u != nil {
		e.UserID, e.UserName = u.ID, u.UserName
	}
	if replayed, err := s.logAttempt(ctx, at, e); replayed {
		// The request was a replay: that is its refusal, whatever else is wrong with it.
		return s.refuse(ctx, at, errReplayed(at.requestID))
	} else if err == nil {
		f.Event = e
	}
	return f
}

// FailureView is what an error page shows of a Failure to the person looking at it.
type FailureView struct {
	Status                           int
	Title, Explanation, Message      string
	Code, CorrelationID, DirectoryID string
	// Admin reports whether the viewer administers the failure's directory; only then are the fields below set.
	Admin                     bool
	Field, Received, Expected string
	Hint, Setting             string
	AppID, UserID, EventID    string
}

// ViewFailure returns what the browser with session token sees of f. Everyone sees the title, the plain
// explanation, the message, the code and the correlation ID; a signed-in admin of f's directory (or an instance
// admin) also sees the setting, the values received and expected, the how-to-fix hint and the sign-in log entry,
// which may name the app's registered reply URLs and identifiers (SECURITY-CASES 4, STYLE 16).
func (s *Service) ViewFailure(ctx context.Context, f *Failure, token string) *FailureView {
	v := &FailureView{Status: f.Status, Title: f.Title, Explanation: f.Explanation, Message: f.Message, Code: f.Code,
		CorrelationID: RequestInfoFrom(ctx).CorrelationID, DirectoryID: f.DirectoryID}
	if f.Event != nil && f.Event.CorrelationID != "" {
		v.CorrelationID = f.Event.CorrelationID
	}
	if f.DirectoryID == "" || token == "" {
		return v
	}
	_, u, err := s.SessionUser(ctx, token)
	if err != nil || s.Authorize(ctx, u, f.DirectoryID, ReadDirectory) != nil {
		return v
	}
	v.Admin = true
	v.Field, v.Received, v.Expected, v.Hint, v.Setting = f.Field, f.Received, f.Expected, f.Hint, f.Setting
	v.AppID, v.UserID = f.AppID, f.UserID
	if f.Event != nil {
		v.EventID = f.Event.ID
	}
	return v
}

// quote returns s as a Go string literal, cut to a prefix of at most 200 bytes (on a rune boundary) so that a hint
// stays readable whatever was sent.
func quote(s string) string {
	const max = 200
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}
