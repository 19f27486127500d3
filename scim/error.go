package scim

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrorSchema is the schema URN of SCIM error responses.
const ErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"

// The scimType values of RFC 7644 section 3.12.
const (
	TypeInvalidFilter = "invalidFilter"
	TypeTooMany       = "tooMany"
	TypeUniqueness    = "uniqueness"
	TypeMutability    = "mutability"
	TypeInvalidSyntax = "invalidSyntax"
	TypeInvalidPath   = "invalidPath"
	TypeNoTarget      = "noTarget"
	TypeInvalidValue  = "invalidValue"
	TypeInvalidVers   = "invalidVers"
	TypeSensitive     = "sensitive"
)

// Error is a SCIM failure: the HTTP status, the scimType (empty where RFC 7644 has none) and a detail safe to show to
// the client. Err is the cause, logged but never sent.
type Error struct {
	Status int
	Type   string
	Detail string
	Err    error
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := fmt.Sprintf("scim: %d", e.Status)
	if e.Type != "" {
		s += " " + e.Type
	}
	s += ": " + e.Detail
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Body returns the error as the SCIM error response.
func (e *Error) Body() map[string]any {
	b := map[string]any{"schemas": []string{ErrorSchema}, "status": fmt.Sprint(e.Status), "detail": e.Detail}
	if e.Type != "" {
		b["scimType"] = e.Type
	}
	return b
}

func errorf(status int, typ, format string, args ...any) *Error {
	return &Error{Status: status, Type: typ, Detail: fmt.Sprintf(format, args...)}
}

func badRequest(typ, format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, typ, format, args...)
}

// Errors of the protocol that callers outside the package raise.
var (
	// ErrPreconditionFailed answers an If-Match that does not name the resource's current version.
	ErrPreconditionFailed = errorf(http.StatusPreconditionFailed, "", "The resource has changed since the version in If-Match; read it again and retry.")
)

// Mutability returns the error for an attempt to change an attribute the client may not change.
func Mutability(format string, args ...any) *Error {
	return badRequest(TypeMutability, format, args...)
}

// InvalidValue returns the error for a value the attribute cannot take.
func InvalidValue(format string, args ...any) *Error {
	return badRequest(TypeInvalidValue, format, args...)
}

// InvalidSyntax returns the error for a request that is not well-formed.
func InvalidSyntax(format string, args ...any) *Error {
	return badRequest(TypeInvalidSyntax, format, args...)
}

// quote returns s quoted, shortened to a prefix when it is long, for error details.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		return fmt.Sprintf("%q…", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
