package idp

import (
	"context"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// Observer is told what the service does that monitoring counts; package metrics implements it for Prometheus.
// Calls come from the goroutine doing the work and must not block.
type Observer interface {
	// SignIn is called for each sign-in log entry as it is written (password, code and SAML sign-on alike), with
	// the context of the request it answers and the entry's labels from bounded sets.
	SignIn(ctx context.Context, l SignInLabels)
}

// SignInLabels describe a sign-in for metrics, each from a bounded set so that no request can add label values.
type SignInLabels struct {
	// Result is gatehouse.ResultSuccess or gatehouse.ResultFailure.
	Result string
	// App is the ID of the app signed in to when the app exists, AppNone when the entry names no app (a password
	// or a code, or a SAML request refused before its app was known, such as one from an unknown Issuer), and
	// AppOther for an app ID that names no app.
	App string
	// Code is the failure's code when it is one of KnownCodes, "" for a success and CodeOther otherwise.
	Code string
	// SignOn reports whether the entry answers a SAML sign-on to an app (as opposed to a password or a code).
	SignOn bool
}

// Label values of SignInLabels outside the IDs and codes that exist.
const (
	AppNone   = "none"
	AppOther  = "other"
	CodeOther = "other"
)

// KnownCodes are the codes a sign-in log entry may carry: the Gatehouse error codes of docs/errors.md and the
// application error codes of package gatehouse.
var KnownCodes = []string{
	saml.CodeMalformedRequest, saml.CodeRequestTooLarge, saml.CodeForbiddenDTD, saml.CodeUnsupportedVersion,
	saml.CodeRequestExpired, saml.CodeWrongDestination, saml.CodeRequestReplayed, saml.CodeSubjectNotAllowed,
	saml.CodeRelayStateInvalid, saml.CodeBadSignature, saml.CodeUnsignedRequest, saml.CodeWeakSignatureAlgorithm,
	saml.CodeUnknownIssuer, saml.CodeReplyURLMismatch, saml.CodeBadACSIndex, saml.CodeUnsupportedBinding,
	saml.CodeNoReplyURL, CodeNoLogoutURL, saml.CodeNoPassive, saml.CodeInvalidNameIDPolicy, saml.CodeNoAuthnContext,
	saml.CodeRequestDenied, CodeNotAssigned, CodeAppDisabled, CodeUserDisabled, CodeSignInExpired, CodeNoNameIDValue,
	CodeNoCertificate, CodeAppNotFound, CodeNoEncryptionCertificate, CodeBadCredentials, CodeLockedOut, CodeBadMFACode,
	CodeMFACodeReused, CodeBadPasskey, CodePasskeyCloned, saml.CodeBadMetadata, saml.CodeDuplicateAttribute,
	saml.CodeXMLComment,
	CodeUnknownClient, CodeRedirectURIMismatch, CodeBadAuthorizationRequest, CodePKCERequired, CodeLoginRequired,
	CodeBadIDTokenHint, CodeNoInitiateLoginURI, CodeUnsupportedResponseType, CodeNoOpenIDScope, CodeInvalidCode,
	CodeCodeReused, CodeWrongClient, CodePKCEFailed, CodeRedirectURIChanged, CodeRefreshReused,
	CodeInvalidRefreshToken, CodeClientAuthFailed, CodeBadLogoutRequest,
	gatehouse.ECONFLICT, gatehouse.EINTERNAL, gatehouse.EINVALID, gatehouse.ENOTFOUND, gatehouse.EUNAUTHORIZED,
	gatehouse.EFORBIDDEN, gatehouse.ETOOLARGE, gatehouse.ERATELIMIT, gatehouse.EUNAVAILABLE, gatehouse.EPASSWORD,
}

var knownCodes = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range KnownCodes {
		m[c] = true
	}
	return m
}()

// signInLabels returns the labels of a sign-in log entry. An app counts as existing when the entry names it: the
// service sets AppName only from the stored app.
func signInLabels(e *gatehouse.SignInEvent) SignInLabels {
	l := SignInLabels{Result: e.Result, App: AppNone, SignOn: e.AppID != ""}
	if l.Result != gatehouse.ResultSuccess {
		l.Result = gatehouse.ResultFailure
	}
	switch {
	case e.AppID == "":
	case e.AppName != "" && gatehouse.ValidID(e.AppID):
		l.App = e.AppID
	default:
		l.App = AppOther
	}
	switch {
	case e.Code == "":
	case knownCodes[e.Code]:
		l.Code = e.Code
	default:
		l.Code = CodeOther
	}
	return l
}

// SetObserver makes o observe the service. Call it before the service is in use.
func (s *Service) SetObserver(o Observer) { s.observer = o }

// observeSignIn tells the observer, if any, of a sign-in log entry.
func (s *Service) observeSignIn(ctx context.Context, e *gatehouse.SignInEvent) {
	if s.observer != nil {
		s.observer.SignIn(ctx, signInLabels(e))
	}
}
