package demoapp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// Error codes. Each maps to one HTTP status in statusFor.
const (
	EINVALID      = "invalid"       // bad input in a form or request
	EUNAUTHORIZED = "unauthorized"  // no session; the person is sent to the sign-in page
	EFORBIDDEN    = "forbidden"     // signed in, but the action is not theirs to take
	ENOTFOUND     = "not_found"     // no such page or object
	ETOOLARGE     = "too_large"     // a body or file over its limit
	ESSO          = "sso_failed"    // a SAML response failed a check
	ENOTMEMBER    = "not_a_member"  // the IdP vouched for someone who is not on the team
	ESSOOFF       = "sso_not_setup" // single sign-on is not configured yet
	EINTERNAL     = "internal"      // anything unexpected; the message is never shown
)

// Error is the application's error. Code is one of the E* constants; Title and Message are safe to show to the
// person who made the request; Check names the SAML check that failed, when there is one, and Received and Expected
// the values it compared (thumbprints, URLs), which the error page shows side by side; Err is the cause, which is
// logged but never shown.
type Error struct {
	Code     string
	Title    string
	Message  string
	Check    string
	Received string
	Expected string
	Err      error

	// Email is the e-mail the IdP sent, for ENOTMEMBER.
	Email string
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := e.Code
	if e.Check != "" {
		s += " (" + e.Check + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// errorf returns an *Error with a formatted, user-safe message.
func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// statusFor is the one table from error codes to HTTP status.
func statusFor(code string) int {
	switch code {
	case EINVALID, ESSO, ESSOOFF:
		return http.StatusBadRequest
	case EUNAUTHORIZED:
		return http.StatusUnauthorized
	case EFORBIDDEN, ENOTMEMBER:
		return http.StatusForbidden
	case ENOTFOUND:
		return http.StatusNotFound
	case ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// wrap turns h into an http.Handler that renders h's error as a page with a reference id, and logs the cause.
func (a *App) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.renderError(w, r, err)
		}
	})
}

// renderError writes err as an error page. Anything but an *Error is an internal error whose cause is only logged.
func (a *App) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &e):
	case errors.As(err, &mbe):
		e = &Error{Code: ETOOLARGE, Message: fmt.Sprintf("The request is larger than %d bytes.", mbe.Limit), Err: err}
	default:
		e = &Error{Code: EINTERNAL, Err: err}
	}
	if e.Code == EUNAUTHORIZED && r.Method == http.MethodGet {
		http.Redirect(w, r, "/signin?next="+queryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	ref := a.newRef()
	level := slog.LevelWarn
	if e.Code == EINTERNAL {
		level = slog.LevelError
	}
	a.log.Log(r.Context(), level, "request failed", "ref", ref, "code", e.Code, "check", e.Check,
		"method", r.Method, "path", r.URL.Path, "err", err)
	title, msg := e.Title, e.Message
	if e.Code == EINTERNAL {
		title, msg = "Something went wrong", "An internal error occurred. Please try again."
	}
	if title == "" {
		title = defaultTitle(e.Code)
	}
	page := "error"
	data := map[string]any{
		"Title": title, "Message": msg, "Check": e.Check, "Ref": ref, "Code": e.Code, "Received": e.Received, "Expected": e.Expected,
		"Time": a.now().UTC().Format("2006-01-02 15:04:05 UTC"), "Email": e.Email,
	}
	if e.Code == ENOTMEMBER {
		page = "notmember"
		if owner, err := a.findOwner(r.Context()); err == nil {
			data["Owner"] = owner.Email
		}
	}
	a.render(w, r, statusFor(e.Code), page, data)
}

func defaultTitle(code string) string {
	switch code {
	case EINVALID:
		return "That did not work"
	case EUNAUTHORIZED:
		return "Please sign in"
	case EFORBIDDEN:
		return "Not allowed"
	case ENOTFOUND:
		return "Page not found"
	case ETOOLARGE:
		return "Too large"
	case ESSO:
		return "Single sign-on failed"
	case ENOTMEMBER:
		return "You are not a member of this organization"
	case ESSOOFF:
		return "Single sign-on is not set up"
	default:
		return "Something went wrong"
	}
}
