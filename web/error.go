package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
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
	Status        int
	Title         string
	Message       string
	Code          string
	Field         string
	Received      string
	Expected      string
	Hint          string
	CorrelationID string
	Time          string
	DirectoryID   string
}

// pageError renders err as an HTML error page. SAML errors show their Gatehouse code, what was received and
// expected and which setting to fix; other errors show their user-safe message.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	p := errorPage{CorrelationID: correlationID(r), Time: time.Now().UTC().Format(time.RFC3339), DirectoryID: r.PathValue("dir")}
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
		p.Field, p.Received, p.Expected = se.Field, se.Received, se.Expected
		p.Hint = hintFor(se)
	case errors.As(err, &mbe):
		p.Status, p.Title, p.Message, p.Code = http.StatusRequestEntityTooLarge, "Request too large", "The request is larger than Gatehouse accepts.", gatehouse.ETOOLARGE
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

// hintFor says, for admins, how to fix a SAML error.
func hintFor(e *saml.Error) string {
	if e.Field == "" {
		return ""
	}
	switch e.Code {
	case saml.CodeReplyURLMismatch:
		return "Add the received URL to the app's Reply URLs in Basic SAML configuration (it must match byte for byte), or make the app send one of the registered URLs."
	case saml.CodeUnknownIssuer:
		return "Open the app in Gatehouse and set Identifier (Entity ID) in Basic SAML configuration to the received value."
	}
	return "Check the setting \"" + e.Field + "\"."
}
