package saml

import (
	"errors"
	"fmt"
)

// Gatehouse SAML error codes. The web layer shows them on error pages and docs/errors.md lists them. GH1xxx codes
// are about the AuthnRequest message itself, GH2xxx about its issuer, GH3xxx about where the Response goes, GH4xxx
// are answered with a SAML error Response, and GH5xxx (user not assigned, app disabled, user disabled) belong to
// the caller.
const (
	// CodeMalformedRequest means the SAMLRequest is not valid base64, not DEFLATE data, not UTF-8, not well-formed
	// XML, not a samlp:AuthnRequest in the SAML 2.0 protocol namespace, or lacks a required attribute such as ID.
	CodeMalformedRequest = "GH1001"
	// CodeRequestTooLarge means the encoded or inflated request is over its size limit, or the XML is nested too
	// deeply, has too many elements or namespace declarations, or has an attribute value or a text that is too long.
	CodeRequestTooLarge = "GH1002"
	// CodeForbiddenDTD means the request carries a DOCTYPE, an entity declaration or a processing instruction
	// other than the XML declaration; such requests are refused before their content is read.
	CodeForbiddenDTD = "GH1003"
	// CodeUnsupportedVersion means the request's Version attribute is not "2.0".
	CodeUnsupportedVersion = "GH1004"
	// CodeRequestExpired means the request's IssueInstant is older than the allowed age, further in the future
	// than the allowed clock skew, or not a valid date and time.
	CodeRequestExpired = "GH1005"
	// CodeWrongDestination means the request's Destination is present and is not this IdP's SSO URL.
	CodeWrongDestination = "GH1006"
	// CodeRequestReplayed means a request with the same ID was already answered. The caller that owns the replay
	// cache raises it.
	CodeRequestReplayed = "GH1007"
	// CodeSubjectNotAllowed means the request names a Subject, which this IdP does not accept.
	CodeSubjectNotAllowed = "GH1008"
	// CodeRelayStateInvalid means the RelayState is longer than allowed or is not valid UTF-8 text.
	CodeRelayStateInvalid = "GH1009"
	// CodeDuplicateAttribute means an element of the message carries the same attribute twice (ID,
	// AssertionConsumerServiceURL, Destination, a namespace prefix, ...). XML forbids it, and parsers that keep the
	// first and parsers that keep the last would read two different messages, so it is refused unread.
	CodeDuplicateAttribute = "GH1013"
	// CodeXMLComment means a protocol message carries an XML comment. Canonicalization drops comments before a
	// signature is computed, so a comment inside a value (an Issuer of https://sp<!---->.example) lets what was
	// signed and what some parsers read differ; no SP needs comments in a message, so they are refused unread. In SP
	// metadata comments are allowed between elements, and refused only inside an element's text.
	CodeXMLComment = "GH1014"
	// CodeUnknownIssuer means the request's Issuer is empty or missing, or (raised by the caller) no app in the
	// directory has that Identifier.
	CodeUnknownIssuer = "GH2001"
	// CodeReplyURLMismatch means the request's AssertionConsumerServiceURL is not one of the app's registered
	// reply URLs, byte for byte.
	CodeReplyURLMismatch = "GH3001"
	// CodeBadACSIndex means the request's AssertionConsumerServiceIndex is negative or unknown, or is sent
	// together with an AssertionConsumerServiceURL.
	CodeBadACSIndex = "GH3002"
	// CodeUnsupportedBinding means the request asks for the Response by a binding other than HTTP-POST.
	CodeUnsupportedBinding = "GH3003"
	// CodeNoReplyURL means the app has no reply URL configured, so there is nowhere to send a Response.
	CodeNoReplyURL = "GH3004"
	// CodeNoPassive means the request is passive (IsPassive) and the user has no session; the caller decides and
	// answers with a NoPassive status Response.
	CodeNoPassive = "GH4001"
	// CodeInvalidNameIDPolicy means the request's NameIDPolicy asks for a NameID format the app cannot give.
	CodeInvalidNameIDPolicy = "GH4002"
	// CodeNoAuthnContext means the request's RequestedAuthnContext names no authentication context this IdP can
	// satisfy.
	CodeNoAuthnContext = "GH4003"
	// CodeRequestDenied means the IdP refuses to answer the request for a reason of policy that the caller names
	// in the message.
	CodeRequestDenied = "GH4004"
)

// Error is a SAML protocol failure. Code is a stable Gatehouse error code (one of the Code constants); Message says
// in plain words what is wrong; Field names the request field or app setting to fix; Received and Expected show the
// values involved (Expected may list several, joined by ", "); Status and SubStatus are the SAML status codes to
// use if an error Response is sent to a registered ACS; Err is the cause, which is logged but never shown.
type Error struct {
	Code      string
	Message   string
	Field     string
	Received  string
	Expected  string
	Status    string
	SubStatus string
	Err       error
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := "saml: " + e.Code
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

// requesterError returns an *Error with status Requester for a request the SP got wrong.
func requesterError(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...), Status: StatusRequester}
}

// NoPassiveError returns the error to answer a passive request for a user who has no session.
func NoPassiveError() *Error {
	return &Error{
		Code:      CodeNoPassive,
		Field:     "IsPassive",
		Message:   "The request is passive (IsPassive=\"true\") but the user is not signed in, so the IdP cannot answer without showing a sign-in page.",
		Status:    StatusResponder,
		SubStatus: StatusNoPassive,
	}
}

// RequestDeniedError returns the error to answer a request the IdP refuses for the reason in message.
func RequestDeniedError(message string) *Error {
	return &Error{Code: CodeRequestDenied, Message: message, Status: StatusResponder, SubStatus: StatusRequestDenied}
}

// errorsAs is errors.As for *Error, kept here so files need not import errors for one call.
func errorsAs(err error, target **Error) bool { return errors.As(err, target) }
