package gatehouse

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// Application error codes. Each maps to one HTTP status in the web package's status table.
const (
	ECONFLICT     = "conflict"     // a unique value is already taken, or a replayed ID
	EINTERNAL     = "internal"     // anything unexpected; the message is never shown
	EINVALID      = "invalid"      // bad input; Field names the field to fix when there is one
	ENOTFOUND     = "not_found"    // no such object in this directory
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials are good, the action is not allowed
	ETOOLARGE     = "too_large"    // a body, file or value is over its limit
	ERATELIMIT    = "rate_limited" // too many attempts; try again later
	EUNAVAILABLE  = "unavailable"  // a dependency is down or the server is shutting down
	EPASSWORD     = "password_change_required"
)

// Error is the application error. Code is one of the E* constants, Message is safe to show to the person who made
// the request, Field names the input field at fault (if any), and Err is the cause, which is logged but never shown.
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := e.Code
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

// Errorf returns an *Error with the given code and a message formatted by Messagef.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: Messagef(format, args...)}
}

// FieldErrorf returns an EINVALID error that names the field to fix, with a message formatted by Messagef.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: Messagef(format, args...)}
}

// MaxQuoted is the most bytes of a value that a message quotes.
const MaxQuoted = 64

// Messagef formats a user-safe message as fmt.Sprintf does, except that %q of a string (or of a value of a string
// type) quotes at most its first MaxQuoted bytes (see Quote): %q is how a message quotes a value someone sent, and a message
// never carries back a whole 10 KB input.
func Messagef(format string, args ...any) string {
	quoted := make([]any, len(args))
	for i, a := range args {
		quoted[i] = a
		switch a.(type) {
		case fmt.Formatter, fmt.Stringer, error:
			continue // formats itself
		}
		if v := reflect.ValueOf(a); v.Kind() == reflect.String {
			quoted[i] = quotable(v.String())
		}
	}
	return fmt.Sprintf(format, quoted...)
}

// Quote returns s in double quotes with Go escapes, as %q writes it. A value longer than MaxQuoted bytes is cut at
// a character boundary and followed by how long it was in all: "aaaa"… (10240 bytes).
func Quote(s string) string {
	if len(s) <= MaxQuoted {
		return strconv.Quote(s)
	}
	cut := MaxQuoted
	for cut > MaxQuoted-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// quotable is a value of a message: Quote for %q, as itself for every other verb.
type quotable string

func (q quotable) Format(f fmt.State, verb rune) {
	if verb == 'q' && !f.Flag('#') && !f.Flag('+') {
		_, _ = io.WriteString(f, Quote(string(q)))
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), string(q))
}

// Internal wraps cause as an EINTERNAL error; its message is never shown to users.
func Internal(cause error) *Error {
	return &Error{Code: EINTERNAL, Message: "Internal error.", Err: cause}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the user-safe message of the first *Error in err's chain, or "Internal error." for any other
// error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "Internal error."
}

// ErrorField returns the field named by the first *Error in err's chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
