package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// statusOf maps application error codes to HTTP status codes: the one table of the web layer.
var statusOf = map[string]int{
	gatehouse.ECONFLICT:     http.StatusConflict,
	gatehouse.EINTERNAL:     http.StatusInternalServerError,
	gatehouse.EINVALID:      http.StatusBadRequest,
	gatehouse.ENOTFOUND:     http.StatusNotFound,
	gatehouse.EUNAUTHORIZED: http.StatusUnauthorized,
	gatehouse.EFORBIDDEN:    http.StatusForbidden,
	gatehouse.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	gatehouse.ERATELIMIT:    http.StatusTooManyRequests,
	gatehouse.EUNAVAILABLE:  http.StatusServiceUnavailable,
	gatehouse.EPASSWORD:     http.StatusForbidden,
}

// samlStatus maps Gatehouse SAML error codes to HTTP status codes; a code not listed is a 400.
var samlStatus = map[string]int{
	saml.CodeRequestTooLarge: http.StatusRequestEntityTooLarge,
}

// handlerFunc is an HTTP handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// errorBody is the JSON error of the REST API.
type errorBody struct {
	Code          string `json:"code"`
	Message       string `json:"message"`
	Field         string `json:"field,omitempty"`
	CorrelationID string `json:"correlationId"`
}

// apiError writes err as the REST API's JSON error and logs internal errors with their cause.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg, field := gatehouse.ErrorCode(err), gatehouse.ErrorMessage(err), gatehouse.ErrorField(err)
	var se *saml.Error
	if errors.As(err, &se) {
		code, msg, field = se.Code, se.Message, se.Field
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		code, msg = gatehouse.ETOOLARGE, "The request body is too large."
	}
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusBadRequest
	}
	s.logError(r, status, err)
	if code == gatehouse.ERATELIMIT {
		w.Header().Set("Retry-After", "60")
	}
	writeJSON(w, status, errorBody{Code: code, Message: msg, Field: field, CorrelationID: correlationID(r)})
}

// logError logs server errors with their cause, and client errors at debug level.
func (s *Server) logError(r *http.Request, status int, err error) {
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	s.Logger.Log(r.Context(), level, "request failed", "method", r.Method, "path", r.URL.Path, "status", status,
		"err", err, "correlation_id", correlationID(r))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// errorPage is what the error page shows.
type errorPage struct {
	Status int
	Title  string
	// Explanation says in plain words what happened, for the person who sees the page.
	Explanation   string
	Message       string
	Code          string
	Field         string
	Received      string
	Expected      string
	Hint          string
	CorrelationID string
	Time          string
	DirectoryID   string
	// Admin reports whether the signed-in user is an admin of the directory, who is shown how to fix the error.
	Admin bool
}

// pageError renders err as an HTML error page. SAML errors show a plain explanation, their Gatehouse code, what
// was received and expected, and for admins how to fix it; other errors show their user-safe message. SAML
// requests refused before the service could read them are written to the sign-in log here, so that every failed
// sign-on is in the log.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	p := errorPage{CorrelationID: correlationID(r), Time: time.Now().UTC().Format(time.RFC3339), DirectoryID: r.PathValue("dir")}
	if p.DirectoryID != "" {
		if _, u := s.signedIn(r, p.DirectoryID); u != nil {
			r = withUser(r, u)
			p.Admin = u.Role.IsAdmin()
		}
	}
	var se *saml.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &se):
		p.Status = http.StatusBadRequest
		if st, ok := samlStatus[se.Code]; ok {
			p.Status = st
		}
		if strings.HasPrefix(se.Code, "GH5") {
			p.Status = http.StatusForbidden
		}
		p.Title, p.Message, p.Code = "Sign-in failed", se.Message, se.Code
		p.Explanation = explain(se.Code)
		p.Field, p.Received, p.Expected = se.Field, se.Received, se.Expected
		if p.Admin {
			p.Hint = s.hintFor(r, se)
		}
		// A pending sign-in that expired before the user came back is refused before CompleteSSO could log it.
		expired := r.Pattern == "GET /d/{dir}/sso/continue" && se.Code == idp.CodeSignInExpired
		if isSAMLEndpoint(r) && beforeService(se.Code) || expired {
			s.Service.LogRequestFailure(r.Context(), p.DirectoryID, se)
		}
	case errors.As(err, &mbe):
		p.Status, p.Title, p.Message, p.Code = http.StatusRequestEntityTooLarge, "Request too large", "The request is larger than Gatehouse accepts.", gatehouse.ETOOLARGE
		if isSAMLEndpoint(r) {
			p.Code = saml.CodeRequestTooLarge
			p.Explanation = explain(p.Code)
			s.Service.LogRequestFailure(r.Context(), p.DirectoryID, &saml.Error{Code: saml.CodeRequestTooLarge, Field: "SAMLRequest",
				Message: "The POST body is larger than the " + strconv.Itoa(maxSAMLForm>>10) + " KiB allowed."})
		}
	default:
		code := gatehouse.ErrorCode(err)
		p.Status = statusOf[code]
		p.Title, p.Message, p.Code = http.StatusText(p.Status), gatehouse.ErrorMessage(err), code
		if code == gatehouse.ERATELIMIT {
			w.Header().Set("Retry-After", "60")
		}
	}
	s.logError(r, p.Status, err)
	s.render(w, r, p.Status, "error.html", p)
}

// isSAMLEndpoint reports whether r was sent to a directory's SSO endpoint.
func isSAMLEndpoint(r *http.Request) bool {
	return r.Pattern == "GET /d/{dir}/saml2" || r.Pattern == "POST /d/{dir}/saml2"
}

// beforeService reports whether a SAML error code is one that decoding gives, before the service sees the
// request and logs the outcome itself.
func beforeService(code string) bool {
	switch code {
	case saml.CodeMalformedRequest, saml.CodeRequestTooLarge, saml.CodeForbiddenDTD, saml.CodeDuplicateAttribute, saml.CodeXMLComment:
		return true
	}
	return false
}

// explanations say in plain words, for anyone, what a SAML error code means.
var explanations = map[string]string{
	saml.CodeMalformedRequest:    "The app sent a sign-in request that Gatehouse cannot read.",
	saml.CodeRequestTooLarge:     "The app sent a sign-in request that is far larger than a normal one.",
	saml.CodeForbiddenDTD:        "The app sent a sign-in request with content that is not allowed, so it was refused unread.",
	saml.CodeDuplicateAttribute:  "The app sent a sign-in request that gives one of its values twice, so it was refused unread.",
	saml.CodeXMLComment:          "The app sent a sign-in request with a comment in it, which is not allowed, so it was refused unread.",
	saml.CodeUnsupportedVersion:  "The app uses a SAML version that Gatehouse does not support.",
	saml.CodeRequestExpired:      "The app's sign-in request is too old or dated in the future; a server clock is probably wrong.",
	saml.CodeWrongDestination:    "The app sent its sign-in request to another address than the one it names.",
	saml.CodeRequestReplayed:     "This sign-in request was already used. Go back to the app and sign in again.",
	saml.CodeSubjectNotAllowed:   "The app asked to sign in a particular user, which Gatehouse does not allow.",
	saml.CodeRelayStateInvalid:   "The app sent a return address that is too long.",
	saml.CodeUnknownIssuer:       "The app that sent you here is not set up in Gatehouse under the name it gave.",
	saml.CodeReplyURLMismatch:    "The app asked Gatehouse to send you back to an address that is not registered for it.",
	saml.CodeBadACSIndex:         "The app asked to be answered at an address it has not registered.",
	saml.CodeUnsupportedBinding:  "The app asked for the answer in a way Gatehouse does not send it.",
	saml.CodeNoReplyURL:          "The app has no address set up to receive sign-ins.",
	saml.CodeNoPassive:           "The app wanted you signed in without asking you, and you were not signed in.",
	saml.CodeInvalidNameIDPolicy: "The app asked for a kind of user identifier it is not set up for.",
	saml.CodeNoAuthnContext:      "The app asked for a way of signing in that Gatehouse does not offer.",
	saml.CodeRequestDenied:       "Gatehouse refused the sign-in.",
	idp.CodeNotAssigned:          "You have not been given access to this app.",
	idp.CodeAppDisabled:          "This app is turned off for sign-in.",
	idp.CodeUserDisabled:         "Your account is disabled.",
	idp.CodeSignInExpired:        "This sign-in took too long or was already finished. Go back to the app and start again.",
	idp.CodeNoNameIDValue:        "Your account lacks a value the app needs to recognise you.",
	idp.CodeNoCertificate:        "The app has no signing certificate, so Gatehouse cannot vouch for you to it.",
	idp.CodeAppNotFound:          "The link points to an app that does not exist (any more).",
}

func explain(code string) string {
	if e, ok := explanations[code]; ok {
		return e
	}
	return "Gatehouse could not complete the sign-in."
}

// hintFor says, for admins, how to fix a SAML error, naming the setting and the values on both sides.
func (s *Server) hintFor(r *http.Request, e *saml.Error) string {
	switch e.Code {
	case saml.CodeUnknownIssuer:
		if app := s.appForReplyURL(r); app != nil {
			return fmt.Sprintf("The app sent Issuer %q; the app configured for this reply URL, %s, has Identifier (Entity ID) %q. "+
				"Make them equal: change the Identifier in %s's Basic SAML configuration, or the entity ID the app sends.",
				e.Received, app.Name, app.SAML.EntityID, app.Name)
		}
		return fmt.Sprintf("The app sent Issuer %q, and no app in this directory has that Identifier (Entity ID). "+
			"Set the Identifier in the app's Basic SAML configuration to exactly this value.", e.Received)
	case saml.CodeReplyURLMismatch:
		h := fmt.Sprintf("The app asked for the answer at %q, which is not one of its Reply URLs", e.Received)
		if e.Expected != "" {
			h += " (" + e.Expected + ")"
		}
		return h + ". Add it to Reply URLs in Basic SAML configuration (it must match byte for byte), or make the app send a registered one."
	case saml.CodeWrongDestination:
		return fmt.Sprintf("The app sent Destination %q; this directory's Login URL is %q. Set the app's IdP sign-in URL to the Login URL shown under \"Set up\".", e.Received, e.Expected)
	case saml.CodeRequestExpired:
		return "Compare the app server's clock with this server's (both should use NTP). The app sent IssueInstant " + e.Received + "."
	case idp.CodeNotAssigned:
		return "Assign " + e.Received + " (or a group of theirs) to the app under Users and groups, or turn off Assignment required in the app's properties."
	case idp.CodeAppDisabled:
		return "Turn on \"Enabled for users to sign in\" in the app's properties."
	case idp.CodeNoCertificate:
		return "Create a SAML signing certificate for the app and make it active, on the app's Single sign-on page."
	case idp.CodeNoNameIDValue:
		return "Fill in " + e.Received + " on the user, or choose another NameID source under Attributes & claims."
	}
	if e.Field == "" {
		return ""
	}
	h := "Check the setting \"" + e.Field + "\"."
	if e.Received != "" {
		h += " Received: " + e.Received + "."
	}
	if e.Expected != "" {
		h += " Expected: " + e.Expected + "."
	}
	return h
}

// appForReplyURL returns the app of the request's directory that registers the AssertionConsumerServiceURL of the
// failed SAML request, decoding the request again (this runs only for admins, on an error page).
func (s *Server) appForReplyURL(r *http.Request) *gatehouse.App {
	var msg *saml.Message
	var err error
	switch r.Method {
	case http.MethodGet:
		msg, err = saml.DecodeRedirect(r.URL.RawQuery, s.Service.Limits)
	case http.MethodPost:
		msg, err = saml.DecodePost(r.PostForm.Get("SAMLRequest"), r.PostForm.Get("RelayState"), s.Service.Limits)
	default:
		return nil
	}
	if err != nil || msg.Request.ACSURL == "" {
		return nil
	}
	apps, err := s.Service.Store.FindApps(r.Context(), r.PathValue("dir"), "")
	if err != nil {
		return nil
	}
	for _, a := range apps {
		if slices.Contains(a.SAML.ReplyURLs, msg.Request.ACSURL) {
			return a
		}
	}
	return nil
}
