package saml

import (
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// IdentityProvider is one directory's IdP identity and protocol policy. Its methods do not modify it and may be
// called concurrently.
type IdentityProvider struct {
	// EntityID is the IdP's identifier, e.g. http://127.0.0.1:8080/d/default.
	EntityID string
	// SSOURL is the SSO endpoint for both bindings, e.g. http://127.0.0.1:8080/d/default/saml2.
	SSOURL string
	// SLOURL is the logout endpoint; it may equal SSOURL, as in Entra ID.
	SLOURL string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand is the source of the random bits in IDs; nil means crypto/rand.Reader.
	Rand io.Reader
	// Lifetime is how long an assertion stays valid after it is issued; 0 means 5 minutes.
	Lifetime time.Duration
	// Skew is how far NotBefore is backdated to tolerate SP clocks running behind; 0 means 1 minute.
	Skew time.Duration
	// MaxRequestAge is how old an AuthnRequest's IssueInstant may be; 0 means 5 minutes.
	MaxRequestAge time.Duration
	// MaxFutureSkew is how far in the future an AuthnRequest's IssueInstant may be; 0 means 3 minutes.
	MaxFutureSkew time.Duration
	// MetadataValidity is how long published metadata stays valid (validUntil); 0 means 7 days.
	MetadataValidity time.Duration
	// MetadataCacheDuration is how long an SP may cache the metadata (cacheDuration); 0 means 1 hour.
	MetadataCacheDuration time.Duration
	// WantAuthnRequestsSigned reports whether the metadata tells SPs that AuthnRequests must be signed: set it when
	// the metadata is an app's and the app refuses unsigned requests.
	WantAuthnRequestsSigned bool
}

func (idp *IdentityProvider) now() time.Time {
	if idp.Now != nil {
		return idp.Now().UTC()
	}
	return time.Now().UTC()
}

func (idp *IdentityProvider) rand() io.Reader {
	if idp.Rand != nil {
		return idp.Rand
	}
	return rand.Reader
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// ValidateRequest checks that r has Version 2.0, an ID and an Issuer, that its IssueInstant is neither older than
// MaxRequestAge nor further ahead than MaxFutureSkew, that its Destination (when present) is SSOURL, that it names
// no Subject, that its ProtocolBinding (when present) is HTTP-POST, and that it does not name both an ACS URL and
// an ACS index. It returns the first failure as an *Error.
func (idp *IdentityProvider) ValidateRequest(r *AuthnRequest) error {
	if r.Version != "2.0" {
		return versionError(r.Version)
	}
	if r.ID == "" {
		return requesterError(CodeMalformedRequest, "ID", "The AuthnRequest has no ID attribute.")
	}
	if r.Issuer == "" {
		return &Error{Code: CodeUnknownIssuer, Field: "Issuer", Status: StatusRequester,
			Message: "The AuthnRequest has no Issuer; the SP must send its entity ID (the app's Identifier) as the Issuer."}
	}
	now := idp.now()
	if r.IssueInstant.IsZero() {
		return &Error{Code: CodeRequestExpired, Field: "IssueInstant", Received: r.RawIssueInstant, Status: StatusRequester,
			Message: "The AuthnRequest's IssueInstant is missing or is not a date and time such as 2026-01-02T15:04:05Z."}
	}
	if age := now.Sub(r.IssueInstant); age > durationOr(idp.MaxRequestAge, 5*time.Minute) {
		return &Error{Code: CodeRequestExpired, Field: "IssueInstant", Received: r.RawIssueInstant, Expected: "after " + now.Add(-durationOr(idp.MaxRequestAge, 5*time.Minute)).Format(time.RFC3339),
			Status:  StatusRequester,
			Message: "The AuthnRequest was issued " + age.Round(time.Second).String() + " ago, longer ago than allowed; start the sign-in again and check the SP's clock."}
	}
	if ahead := r.IssueInstant.Sub(now); ahead > durationOr(idp.MaxFutureSkew, 3*time.Minute) {
		return &Error{Code: CodeRequestExpired, Field: "IssueInstant", Received: r.RawIssueInstant, Expected: "before " + now.Add(durationOr(idp.MaxFutureSkew, 3*time.Minute)).Format(time.RFC3339),
			Status:  StatusRequester,
			Message: "The AuthnRequest's IssueInstant is " + ahead.Round(time.Second).String() + " in the future; check the SP's clock."}
	}
	if r.Destination != "" && r.Destination != idp.SSOURL {
		return &Error{Code: CodeWrongDestination, Field: "Destination", Received: r.Destination, Expected: idp.SSOURL,
			Status:  StatusRequester,
			Message: "The AuthnRequest's Destination is not this IdP's SSO URL; set the SP's IdP sign-on URL to " + idp.SSOURL + "."}
	}
	if r.HasSubject {
		return requesterError(CodeSubjectNotAllowed, "Subject", "The AuthnRequest names a Subject; this IdP signs in whoever is at the browser, so remove the Subject from the request.")
	}
	if r.ProtocolBinding != "" && r.ProtocolBinding != BindingHTTPPost {
		return &Error{Code: CodeUnsupportedBinding, Field: "ProtocolBinding", Received: r.ProtocolBinding, Expected: BindingHTTPPost,
			Status: StatusRequester, SubStatus: StatusRequestUnsupported,
			Message: "The AuthnRequest asks for the Response by a binding this IdP does not offer; only HTTP-POST is supported."}
	}
	if err := checkACSIndex(r); err != nil {
		return err
	}
	return nil
}

// checkACSIndex rejects an ACS index sent with an ACS URL, and a negative index.
func checkACSIndex(r *AuthnRequest) error {
	if r.ACSIndex == nil {
		return nil
	}
	if r.ACSURL != "" {
		return &Error{Code: CodeBadACSIndex, Field: "AssertionConsumerServiceIndex", Received: strconv.Itoa(*r.ACSIndex),
			Status:  StatusRequester,
			Message: "The AuthnRequest names both an AssertionConsumerServiceIndex and an AssertionConsumerServiceURL; send only one."}
	}
	if *r.ACSIndex < 0 {
		return &Error{Code: CodeBadACSIndex, Field: "AssertionConsumerServiceIndex", Received: strconv.Itoa(*r.ACSIndex),
			Status: StatusRequester, Message: "The AuthnRequest's AssertionConsumerServiceIndex is negative."}
	}
	return nil
}

// ServiceProvider is what the saml package needs to know about an app.
type ServiceProvider struct {
	// EntityID is the app's Identifier: the Audience of its assertions.
	EntityID string
	// ACSURLs are the registered reply URLs; the first is the default, and ACSURLs[i] answers
	// AssertionConsumerServiceIndex i.
	ACSURLs []string
	// NameIDFormat is the format of the NameID the app receives.
	NameIDFormat string
	// SigningOption is SignAssertion (the default when empty), SignResponse or SignBoth.
	SigningOption string
	// SigningAlgorithm is SHA256 (the default when empty) or SHA1.
	SigningAlgorithm string
	// ACSIndexes, when it has one entry per ACS URL, holds the AssertionConsumerServiceIndex of each (from the SP's
	// metadata); otherwise ACSURLs[i] answers index i.
	ACSIndexes []int
	// EncryptionCert, when set, is the certificate assertions are encrypted for; EncryptionMethods are the data
	// encryption algorithms the SP lists (see EncryptionAlgorithm).
	EncryptionCert    *x509.Certificate
	EncryptionMethods []string
}

// ResolveACS returns the ACS URL to answer r at: the request's URL when it equals a registered one byte for byte,
// the registered URL at the request's index, or the first registered URL when the request names neither. It
// returns CodeNoReplyURL when the app has none, CodeBadACSIndex for an index that is negative, unknown or sent with
// a URL, and CodeReplyURLMismatch for a URL that is not registered.
func (sp *ServiceProvider) ResolveACS(r *AuthnRequest) (string, error) {
	if len(sp.ACSURLs) == 0 {
		return "", &Error{Code: CodeNoReplyURL, Field: "replyURLs", Status: StatusResponder,
			Message: "The app has no reply URL (ACS URL) configured; add the SP's ACS URL to the app's SAML settings."}
	}
	if err := checkACSIndex(r); err != nil {
		return "", err
	}
	switch {
	case r.ACSURL != "":
		if slices.Contains(sp.ACSURLs, r.ACSURL) {
			return r.ACSURL, nil
		}
		return "", &Error{Code: CodeReplyURLMismatch, Field: "AssertionConsumerServiceURL", Received: r.ACSURL,
			Expected: strings.Join(sp.ACSURLs, ", "), Status: StatusRequester,
			Message: "The reply URL in the request does not match any reply URL registered for the app, character for character; add it to the app's reply URLs or correct the SP's ACS URL."}
	case r.ACSIndex != nil && len(sp.ACSIndexes) == len(sp.ACSURLs):
		if i := slices.Index(sp.ACSIndexes, *r.ACSIndex); i >= 0 {
			return sp.ACSURLs[i], nil
		}
		return "", &Error{Code: CodeBadACSIndex, Field: "AssertionConsumerServiceIndex", Received: strconv.Itoa(*r.ACSIndex),
			Expected: strings.Trim(strings.Join(strings.Fields(fmt.Sprint(sp.ACSIndexes)), ", "), "[]"), Status: StatusRequester,
			Message: "The AuthnRequest's AssertionConsumerServiceIndex names no registered reply URL."}
	case r.ACSIndex != nil:
		if *r.ACSIndex >= len(sp.ACSURLs) {
			return "", &Error{Code: CodeBadACSIndex, Field: "AssertionConsumerServiceIndex", Received: strconv.Itoa(*r.ACSIndex),
				Expected: "0 to " + strconv.Itoa(len(sp.ACSURLs)-1), Status: StatusRequester,
				Message: "The AuthnRequest's AssertionConsumerServiceIndex names no registered reply URL."}
		}
		return sp.ACSURLs[*r.ACSIndex], nil
	}
	return sp.ACSURLs[0], nil
}

// CheckNameIDPolicy returns a CodeInvalidNameIDPolicy error when r asks for a NameID format the identity provider
// cannot give this app: any format other than the app's own, unspecified, e-mail address, persistent and transient,
// which an identity provider can always derive.
func (sp *ServiceProvider) CheckNameIDPolicy(r *AuthnRequest) error {
	if r.NameIDPolicy == nil {
		return nil
	}
	switch f := r.NameIDPolicy.Format; f {
	case "", NameIDUnspecified, NameIDEmail, NameIDPersistent, NameIDTransient, sp.NameIDFormat:
		return nil
	}
	f := r.NameIDPolicy.Format
	return &Error{Code: CodeInvalidNameIDPolicy, Field: "NameIDPolicy", Received: f, Expected: sp.NameIDFormat,
		Status: StatusRequester, SubStatus: StatusInvalidNameIDPolicy,
		Message: "The AuthnRequest asks for a NameID format the app is not configured to give; change the app's NameID format or the SP's request."}
}

// Authentication context classes of multi-factor sign-in, which a sign-in with a second factor satisfies.
const (
	AuthnContextMobileTwoFactor = "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract"
	AuthnContextTimeSyncToken   = "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken"
	AuthnContextREFEDSMFA       = "https://refeds.org/profile/mfa"
	AuthnContextMicrosoftMFA    = "http://schemas.microsoft.com/claims/multipleauthn"
)

// AuthnContextClasses are the authentication context classes the IdP knows, each with its strength: 0 for
// unspecified, 1 for a password, 2 for a password over TLS, 3 for a second factor.
var AuthnContextClasses = []struct {
	Class    string
	Strength int
}{
	{AuthnContextUnspecified, 0},
	{AuthnContextPassword, 1},
	{AuthnContextPasswordProtectedTransport, 2},
	{AuthnContextMobileTwoFactor, 3},
	{AuthnContextTimeSyncToken, 3},
	{AuthnContextREFEDSMFA, 3},
	{AuthnContextMicrosoftMFA, 3},
}

// PasswordAuthnContexts and MFAAuthnContexts are what a sign-in with a password, and with a password and a second
// factor, satisfies.
var (
	PasswordAuthnContexts = []string{AuthnContextPassword, AuthnContextPasswordProtectedTransport, AuthnContextUnspecified}
	MFAAuthnContexts      = []string{AuthnContextPassword, AuthnContextPasswordProtectedTransport, AuthnContextUnspecified,
		AuthnContextMobileTwoFactor, AuthnContextTimeSyncToken, AuthnContextREFEDSMFA, AuthnContextMicrosoftMFA}
)

// strength returns the strength of a known class and false for an unknown one.
func strength(class string) (int, bool) {
	for _, c := range AuthnContextClasses {
		if c.Class == class {
			return c.Strength, true
		}
	}
	return 0, false
}

// ChooseAuthnContext returns the authentication context class to state in the assertion for a sign-in that
// satisfies offered, when the request asks for one: with comparison "exact" (the default) the first requested class
// offered; with "minimum", "better" or "maximum" the requested class itself when offered, else the strongest offered
// class at least as strong as, stronger than, or at most as strong as a requested one (by the strengths of
// AuthnContextClasses; unknown classes match only exactly). It returns "" when the request asks for nothing, and a
// CodeNoAuthnContext error when the request cannot be met.
func ChooseAuthnContext(c *RequestedAuthnContext, offered []string) (string, error) {
	if c == nil || len(c.ClassRefs) == 0 {
		return "", nil
	}
	cmp := c.Comparison
	if cmp == "" {
		cmp = "exact"
	}
	if cmp != "exact" && cmp != "minimum" && cmp != "better" && cmp != "maximum" {
		return "", &Error{Code: CodeNoAuthnContext, Field: "RequestedAuthnContext", Received: c.Comparison,
			Expected: "exact, minimum, better or maximum", Status: StatusRequester, SubStatus: StatusNoAuthnContext,
			Message: "The AuthnRequest's RequestedAuthnContext has an unknown Comparison."}
	}
	for _, ref := range c.ClassRefs {
		if cmp != "better" && slices.Contains(offered, ref) {
			return ref, nil
		}
	}
	if cmp != "exact" {
		best, bestStrength := "", -1
		for _, ref := range c.ClassRefs {
			want, ok := strength(ref)
			if !ok {
				continue
			}
			for _, o := range offered {
				have, ok := strength(o)
				if !ok {
					continue
				}
				fits := cmp == "minimum" && have >= want || cmp == "better" && have > want || cmp == "maximum" && have <= want
				if fits && have > bestStrength {
					best, bestStrength = o, have
				}
			}
		}
		if best != "" {
			return best, nil
		}
	}
	return "", &Error{Code: CodeNoAuthnContext, Field: "RequestedAuthnContext", Received: cmp + " " + strings.Join(c.ClassRefs, ", "),
		Expected: strings.Join(offered, ", "), Status: StatusRequester, SubStatus: StatusNoAuthnContext,
		Message: "The AuthnRequest asks for a way of signing in this IdP does not offer."}
}

// CheckAuthnContext returns a CodeNoAuthnContext error when r requests authentication context classes and no
// sign-in that satisfies offered meets the request (see ChooseAuthnContext).
func CheckAuthnContext(r *AuthnRequest, offered []string) error {
	_, err := ChooseAuthnContext(r.RequestedAuthnContext, offered)
	return err
}
