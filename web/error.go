package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// statusOf returns the HTTP status of an error code, from the one table of them (idp.HTTPStatus).
func statusOf(code string) int { return idp.HTTPStatus(code) }

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
	var f *idp.Failure
	var se *saml.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &f):
		// A refused sign-on says no more in JSON than on its page to someone who is not an admin.
		code, msg, field = f.Code, f.Message, ""
	case errors.As(err, &se):
		code, msg, field = se.Code, se.Message, se.Field
	case errors.As(err, &mbe):
		code, msg = gatehouse.ETOOLARGE, "The request body is too large."
	}
	status := statusOf(code)
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

// errorPage is what the error page shows. Received, Expected, Field and Hint are set only for an admin of the
// directory (idp.ViewFailure decides).
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
	// FixURL is the portal page of the setting to change and LogURL the failure's sign-in log entry, for admins.
	FixURL string
	LogURL string
	// ReceivedParts and ExpectedParts are Received and the expected value closest to it, cut where they differ;
	// OtherExpected are the other expected values (an app's other reply URLs).
	ReceivedParts, ExpectedParts []diffPart
	OtherExpected                []string
}

// markDifference fills p's parts: when several values were expected (a list separated by ", "), Received is
// compared with the one that shares the most of its beginning and end.
func (p *errorPage) markDifference() {
	if p.Received == "" || p.Expected == "" {
		return
	}
	candidates := strings.Split(p.Expected, ", ")
	best, bestShared := 0, -1
	for i, c := range candidates {
		shared := 0
		for _, part := range diffParts(p.Received, c) {
			if part.Same {
				shared += len(part.Text)
			}
		}
		if shared > bestShared {
			best, bestShared = i, shared
		}
	}
	p.ReceivedParts = diffParts(p.Received, candidates[best])
	p.ExpectedParts = diffParts(candidates[best], p.Received)
	p.OtherExpected = append(candidates[:best:best], candidates[best+1:]...)
}

// pageError renders err as an HTML error page. A refused sign-on (*idp.Failure) shows what idp.ViewFailure lets the
// viewer see: its plain explanation, message and code for everyone, and for an admin of the directory the values
// received and expected, how to fix it and links to the setting and the sign-in log entry. Other errors show their
// user-safe message.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	p := errorPage{CorrelationID: correlationID(r), Time: time.Now().UTC().Format(time.RFC3339), DirectoryID: r.PathValue("dir")}
	if p.DirectoryID != "" {
		if _, u := s.signedIn(r, p.DirectoryID); u != nil {
			r = withUser(r, u)
		}
	}
	var f *idp.Failure
	var se *saml.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &f):
		v := s.Service.ViewFailure(r.Context(), f, s.sessionToken(r))
		p.Status, p.Title, p.Explanation, p.Message, p.Code = v.Status, v.Title, v.Explanation, v.Message, v.Code
		if v.Admin {
			p.Admin = true
			p.Field, p.Received, p.Expected, p.Hint = v.Field, v.Received, v.Expected, v.Hint
			p.FixURL = settingURL(v.DirectoryID, v.Setting, v.AppID, v.UserID, v.Code)
			p.markDifference()
			if v.EventID != "" {
				p.LogURL = "/admin/d/" + url.PathEscape(v.DirectoryID) + "/sign-ins/" + url.PathEscape(v.EventID)
			}
		}
	case errors.As(err, &se):
		// A SAML error that did not come through a sign-on endpoint: its code and message only.
		p.Status, p.Title, p.Message, p.Code = statusOf(se.Code), "Sign-in failed", se.Message, se.Code
	case errors.As(err, &mbe):
		p.Status, p.Title, p.Message, p.Code = http.StatusRequestEntityTooLarge, "Request too large", "The request is larger than Gatehouse accepts.", gatehouse.ETOOLARGE
	default:
		code := gatehouse.ErrorCode(err)
		p.Status = statusOf(code)
		p.Title, p.Message, p.Code = http.StatusText(p.Status), gatehouse.ErrorMessage(err), code
		if code == gatehouse.ERATELIMIT {
			w.Header().Set("Retry-After", "60")
		}
	}
	s.logError(r, p.Status, err)
	s.render(w, r, p.Status, "error.html", p)
}

// settingURL returns the portal page of an idp setting (idp.SettingBasic, ...) for the app or user it belongs to,
// opened at the exact field the failure's code says to change (with that field's form open on the Single sign-on
// page), or "" when there is no such page or the owner is not known.
func settingURL(dirID, setting, appID, userID, code string) string {
	base := "/admin/d/" + url.PathEscape(dirID)
	app := base + "/apps/" + url.PathEscape(appID)
	switch {
	case setting == idp.SettingApps:
		return base + "/apps"
	case setting == idp.SettingDirectory:
		return base + "/settings#requireMfa"
	case setting == idp.SettingUser && userID != "":
		if code == idp.CodeUserDisabled {
			return base + "/users/" + url.PathEscape(userID) + "#enable-user"
		}
		return base + "/users/" + url.PathEscape(userID) + "#claim-gaps"
	case appID == "":
		return ""
	case setting == idp.SettingBasic:
		switch code {
		case saml.CodeUnknownIssuer:
			return app + "/sso?edit=basic#entityId"
		case saml.CodeReplyURLMismatch, saml.CodeNoReplyURL:
			return app + "/sso?edit=basic#replyUrls"
		case idp.CodeNoLogoutURL:
			return app + "/sso?edit=basic#logoutUrl"
		case saml.CodeUnsignedRequest, saml.CodeWeakSignatureAlgorithm:
			return app + "/sso?edit=protocol#requireSignedRequests"
		case saml.CodeBadSignature, saml.CodeBadACSIndex, idp.CodeNoEncryptionCertificate:
			return app + "/sso?edit=metadata#basic"
		}
		return app + "/sso?edit=basic#basic"
	case setting == idp.SettingClaims:
		if code == saml.CodeInvalidNameIDPolicy {
			return app + "/sso?edit=nameid#nameIdFormat"
		}
		return app + "/sso#claims"
	case setting == idp.SettingCertificate:
		return app + "/sso#certificate"
	case setting == idp.SettingSetup:
		return app + "/sso#setup"
	case setting == idp.SettingAssignments:
		return app + "/users#assign-search"
	case setting == idp.SettingProperties:
		return app + "/properties#enabled"
	case setting == idp.SettingOIDC:
		return app + "/sso#oidc"
	}
	return ""
}
