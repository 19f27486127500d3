package idp

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// Gatehouse error codes of the sign-on policy (the GH5xxx range; the protocol's codes are in package saml).
const (
	// CodeNotAssigned: assignment is required and the user is not assigned to the app, directly or by a group.
	CodeNotAssigned = "GH5001"
	// CodeAppDisabled: the app is disabled for sign-in.
	CodeAppDisabled = "GH5002"
	// CodeUserDisabled: the user is disabled.
	CodeUserDisabled = "GH5003"
	// CodeSignInExpired: the pending sign-in was already used or has expired.
	CodeSignInExpired = "GH5004"
	// CodeNoNameIDValue: the user has no value for the app's NameID source.
	CodeNoNameIDValue = "GH5005"
	// CodeNoCertificate: the app has no active signing certificate.
	CodeNoCertificate = "GH5006"
	// CodeAppNotFound: the app of a user access URL does not exist.
	CodeAppNotFound = "GH5007"
	// CodeNoEncryptionCertificate: the app encrypts assertions but has no usable SP encryption certificate.
	CodeNoEncryptionCertificate = "GH5008"
)

// replayWindow is how long an AuthnRequest ID is remembered: longer than a request stays valid (issued at most 5
// minutes ago or 3 minutes ahead).
const replayWindow = 10 * time.Minute

// identity returns the IdP identity of a directory.
func (s *Service) identity(dirID string) *saml.IdentityProvider {
	entityID, sso, _ := s.Endpoints(dirID)
	return &saml.IdentityProvider{
		EntityID: entityID, SSOURL: sso, SLOURL: sso, Now: s.clock, Rand: s.rand, Lifetime: s.assertionLifetime,
	}
}

// serviceProvider maps an app to what the saml package needs to know of it. Assertions are encrypted when the app
// turns encryption on and has an encryption certificate.
func serviceProvider(a *gatehouse.App) *saml.ServiceProvider {
	sp := &saml.ServiceProvider{
		EntityID: a.SAML.EntityID, ACSURLs: a.SAML.ReplyURLs, NameIDFormat: a.SAML.NameIDFormat,
		SigningOption: a.SAML.SigningOption, SigningAlgorithm: a.SAML.SigningAlgorithm, ACSIndexes: a.SAML.ACSIndexes,
	}
	if a.SAML.EncryptAssertions && a.SAML.EncryptionCertificate != "" {
		if c, err := saml.ParseCertificate(a.SAML.EncryptionCertificate); err == nil {
			sp.EncryptionCert, sp.EncryptionMethods = c, a.SAML.EncryptionMethods
		}
	}
	return sp
}

// validateRequest checks the AuthnRequest of msg, sent to at's directory (SECURITY-CASES 1–18), and returns the
// pending sign-in that answers it; at.app is its app once known. A request that can be answered only with an error
// status at the app's registered reply URL (a NameIDPolicy or an authentication context the app cannot get) returns
// that status too. The request's replay-cache key is set on at, to be recorded with the attempt's sign-in log entry
// (or with the pending sign-in, which is not stored here): whatever the outcome, a request ID is used once.
func (s *Service) validateRequest(ctx context.Context, at *attempt, msg *saml.Message) (*gatehouse.SignInRequest, *saml.Error, error) {
	req, dirID := msg.Request, at.dirID
	// The app is looked up first so that a refusal of the request names it, but the request's own checks come
	// first in what is refused.
	var app *gatehouse.App
	var appErr error = gatehouse.Errorf(gatehouse.ENOTFOUND, "No Issuer.")
	if req.Issuer != "" {
		app, appErr = s.cachedAppByEntityID(ctx, dirID, req.Issuer)
		if appErr == nil {
			at.app = app
		}
	}
	if err := s.identity(dirID).ValidateRequest(req); err != nil {
		return nil, nil, err
	}
	if err := saml.CheckRelayState(msg.RelayState, s.limits.MaxRelayState); err != nil {
		return nil, nil, err
	}
	if gatehouse.ErrorCode(appErr) == gatehouse.ENOTFOUND {
		return nil, nil, &saml.Error{
			Code: saml.CodeUnknownIssuer, Field: "Identifier (Entity ID)", Received: req.Issuer,
			Status: saml.StatusRequester,
			Message: "No app in directory " + dirID + " has the Identifier (Entity ID) that this request's Issuer names. " +
				"In Gatehouse, set the app's Identifier to exactly this value, or make the app send the Identifier configured in Gatehouse.",
		}
	} else if appErr != nil {
		return nil, nil, appErr
	}
	if err := verifySignature(app, msg, req.Signed); err != nil {
		return nil, nil, err
	}
	sp := serviceProvider(app)
	acs, err := sp.ResolveACS(req)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	at.requestID, at.replayKey = req.ID, "authn-request:"+dirID+":"+app.ID+":"+req.ID
	at.replayExpires = now.Add(replayWindow)
	pr := &gatehouse.SignInRequest{
		ID: s.newID(), DirectoryID: dirID, AppID: app.ID, RequestID: req.ID, ACSURL: acs, RelayState: msg.RelayState,
		ForceAuthn: req.ForceAuthn, CreatedAt: now, ExpiresAt: now.Add(s.signInRequestTTL),
	}
	if err := sp.CheckNameIDPolicy(req); err != nil {
		return pr, err.(*saml.Error), nil
	}
	// The class to state is chosen now, as if the user signs in with a password only, or with a second factor when
	// the request needs one (see authnContextOf).
	class, err := saml.ChooseAuthnContext(req.RequestedAuthnContext, saml.PasswordAuthnContexts)
	if err != nil {
		if class, err = saml.ChooseAuthnContext(req.RequestedAuthnContext, saml.MFAAuthnContexts); err != nil {
			return pr, err.(*saml.Error), nil
		}
	}
	pr.AuthnContext = class
	if req.NameIDPolicy != nil && req.NameIDPolicy.Format != saml.NameIDUnspecified {
		pr.NameIDFormat = req.NameIDPolicy.Format
	}
	return pr, nil, nil
}

// spCertificates returns the app's registered SP signing certificates. Each was checked when it was registered.
func spCertificates(app *gatehouse.App) []*x509.Certificate {
	var out []*x509.Certificate
	for _, b := range app.SAML.SigningCertificates {
		if c, err := saml.ParseCertificate(b); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// verifySignature checks the signature of a request from app (SECURITY-CASES 15–17): by the HTTP-Redirect binding
// over the query string as received, by the HTTP-POST binding the enveloped signature of xmlSigned messages, in
// both cases only with the app's registered certificates. An unsigned request is refused when the app requires
// signed requests; a signed one is verified whenever the app has certificates, and otherwise taken as unsigned.
func verifySignature(app *gatehouse.App, msg *saml.Message, xmlSigned bool) error {
	signed := xmlSigned
	if msg.Binding == saml.BindingHTTPRedirect {
		signed = msg.SigAlg != ""
	}
	if !signed && app.SAML.RequireSignedRequests {
		return &saml.Error{Code: saml.CodeUnsignedRequest, Field: "Require signed requests", Status: saml.StatusRequester,
			SubStatus: saml.StatusRequestDenied,
			Message:   "The app " + app.Name + " requires signed requests, and this request is not signed. Configure the SP to sign its requests, or turn off \"require signed requests\" for the app."}
	}
	if !signed {
		return nil // the certificates are parsed only for a signed request
	}
	certs := spCertificates(app)
	switch {
	case len(certs) == 0:
		return nil
	case msg.Binding == saml.BindingHTTPRedirect:
		return saml.VerifyRedirect(msg, certs, app.SAML.AllowSHA1Requests)
	default:
		return saml.VerifyPost(msg.Raw(), certs, app.SAML.AllowSHA1Requests)
	}
}

// authnContextOf returns the authentication context class to state for a pending sign-in and a session, or a
// CodeNoAuthnContext error when the request needs a second factor the session did not use. Without a request for
// one, a password sign-in states Password, as the seed system does, and a multi-factor one (a password with a
// code or a passkey, or a passkey alone) the REFEDS MFA profile (docs/interop.md has the table).
func authnContextOf(pr *gatehouse.SignInRequest, sess *gatehouse.Session) (string, error) {
	if pr.AuthnContext == "" {
		if sess.MFA {
			return saml.AuthnContextREFEDSMFA, nil
		}
		return saml.AuthnContextPassword, nil
	}
	i := -1
	for j, c := range saml.AuthnContextClasses {
		if c.Class == pr.AuthnContext {
			i = j
		}
	}
	if i < 0 {
		return "", gatehouse.Internal(fmt.Errorf("idp: pending sign-in %s names an unknown authentication context %q", pr.ID, pr.AuthnContext))
	}
	c := saml.AuthnContextClasses[i]
	if c.Strength >= 3 && !sess.MFA {
		return "", &saml.Error{Code: saml.CodeNoAuthnContext, Field: "RequestedAuthnContext", Received: c.Class,
			Status: saml.StatusRequester, SubStatus: saml.StatusNoAuthnContext,
			Message: "The app asks for a sign-in with a second factor, and this sign-in used a password only. Set up two-step verification and sign in again."}
	}
	return c.Class, nil
}

// errReplayed is the refusal of an AuthnRequest whose ID was used before (SECURITY-CASES 18).
func errReplayed(requestID string) error {
	return &saml.Error{
		Code: saml.CodeRequestReplayed, Field: "ID", Received: requestID, Status: saml.StatusRequester,
		Message: "This AuthnRequest ID was already used. Each sign-in must start with a new request from the app.",
	}
}

func errSignInExpired() error {
	return &saml.Error{
		Code: CodeSignInExpired, Status: saml.StatusRequester,
		Message: "This sign-in has expired or was already completed. Go back to the app and sign in again.",
	}
}

// checkAccess applies the app's and the user's sign-in policy.
func (s *Service) checkAccess(ctx context.Context, app *gatehouse.App, u *gatehouse.User) error {
	if u.Disabled {
		return &saml.Error{Code: CodeUserDisabled, Status: saml.StatusResponder, SubStatus: saml.StatusRequestDenied, Received: u.UserName,
			Message: "Your account is disabled. Ask your administrator to enable it."}
	}
	if !app.Enabled {
		return errAppDisabled(app)
	}
	if !app.AssignmentRequired {
		return nil
	}
	ok, err := s.cachedIsAssigned(ctx, app.DirectoryID, app.ID, u.ID)
	if err != nil {
		return err
	}
	if !ok {
		return &saml.Error{Code: CodeNotAssigned, Status: saml.StatusResponder, SubStatus: saml.StatusRequestDenied, Received: u.UserName, Field: "Users and groups",
			Message: "You (" + u.UserName + ") have not been given access to " + app.Name + ". Ask an administrator to assign you to the app, directly or through a group."}
	}
	return nil
}

// responseParams is responseParamsContext for callers without a request context (the assertion preview).
func (s *Service) responseParams(app *gatehouse.App, pr *gatehouse.SignInRequest, sess *gatehouse.Session, u *gatehouse.User) (*saml.ResponseParams, error) {
	return s.responseParamsContext(context.Background(), app, pr, sess, u)
}

// responseParamsContext builds the assertion's subject and claims.
func (s *Service) responseParamsContext(ctx context.Context, app *gatehouse.App, pr *gatehouse.SignInRequest, sess *gatehouse.Session, u *gatehouse.User) (*saml.ResponseParams, error) {
	format := app.SAML.NameIDFormat
	if pr.NameIDFormat != "" {
		format = pr.NameIDFormat
	}
	nameID := s.nameID(app, format, sess, u)
	if nameID == "" {
		return nil, &saml.Error{Code: CodeNoNameIDValue, Status: saml.StatusResponder, Field: "NameID source",
			Received: app.SAML.NameIDSource,
			Message:  "The user " + u.UserName + " has no value for " + app.SAML.NameIDSource + ", the app's NameID source. Fill it in on the user, or choose another source in Attributes & claims."}
	}
	sp := serviceProvider(app)
	if app.SAML.EncryptAssertions && sp.EncryptionCert == nil {
		return nil, &saml.Error{Code: CodeNoEncryptionCertificate, Status: saml.StatusResponder, Field: "encryptionCertificate",
			Message: "The app " + app.Name + " encrypts assertions, but its SP encryption certificate cannot be used. Import the SP's metadata again or upload its encryption certificate."}
	}
	attrs, err := s.Claims(ctx, app, u)
	if err != nil {
		return nil, err
	}
	return &saml.ResponseParams{
		SP: sp, ACSURL: pr.ACSURL, InResponseTo: pr.RequestID,
		NameID: nameID, NameIDFormat: format, Attributes: attrs,
		AuthnInstant: sess.AuthnInstant, SessionIndex: sessionIndex(sess), SessionNotOnOrAfter: sess.ExpiresAt,
	}, nil
}

// nameID returns the NameID of a user at an app in a format: persistent is pairwise per app and stable, transient
// is pairwise per app and per session (so that a LogoutRequest can name it again), e-mail is the NameID source
// when it looks like an address and the user's mail otherwise, and any other format is the NameID source.
func (s *Service) nameID(app *gatehouse.App, format string, sess *gatehouse.Session, u *gatehouse.User) string {
	switch format {
	case gatehouse.NameIDPersistent:
		return s.pairwiseID(app.DirectoryID, app.ID, u.ID)
	case gatehouse.NameIDTransient:
		m := hmac.New(sha256.New, s.nameIDKey)
		fmt.Fprintf(m, "transient\x00%s\x00%s", sess.ID, app.ID)
		return "_" + hex.EncodeToString(m.Sum(nil)[:20])
	case gatehouse.NameIDEmail:
		// An SP that asks for an e-mail address gets one even when the app's source is not e-mail shaped.
		v := AttributeValue(u, app.SAML.NameIDSource)
		if !strings.Contains(v, "@") {
			v = cmp.Or(u.Mail, u.UserName)
		}
		return v
	}
	return AttributeValue(u, app.SAML.NameIDSource)
}

// sessionIndex returns the SessionIndex of a session's assertions: the session's store ID (the hash of the
// cookie's secret, which cannot be turned back into the cookie), so that a LogoutRequest without the cookie still
// names the session.
func sessionIndex(sess *gatehouse.Session) string { return "_" + sess.ID }

// errorPost builds an error Response for the app's registered reply URL.
func (s *Service) errorPost(ctx context.Context, app *gatehouse.App, pr *gatehouse.SignInRequest, e *saml.Error) (*Post, error) {
	signer, err := s.signer(ctx, app.DirectoryID, app.ID)
	if err != nil {
		return nil, err
	}
	resp, err := s.identity(app.DirectoryID).ErrorResponse(serviceProvider(app), pr.ACSURL, pr.RequestID, e, signer)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	return &Post{ACSURL: pr.ACSURL, Response: resp, RelayState: pr.RelayState, AppName: app.Name}, nil
}

// signer returns the signer of an app's active certificate, decrypting its key once per certificate.
func (s *Service) signer(ctx context.Context, dirID, appID string) (*saml.Signer, error) {
	c, err := s.activeCertificate(ctx, dirID, appID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil, &saml.Error{Code: CodeNoCertificate, Status: saml.StatusResponder, Field: "SAML signing certificate",
			Message: "The app has no active signing certificate. An administrator can create one and make it active."}
	} else if err != nil {
		return nil, err
	}
	return s.signers.get(c.ID, func() (*saml.Signer, error) {
		key, err := s.sealer.OpenSigner(c.EncryptedKey, c.ID)
		if err != nil {
			return nil, gatehouse.Internal(err)
		}
		cert, err := x509.ParseCertificate(c.DER)
		if err != nil {
			return nil, gatehouse.Internal(err)
		}
		sg, err := saml.NewSigner(key, cert)
		if err != nil {
			return nil, gatehouse.Internal(err)
		}
		return sg, nil
	})
}

// codeOf and reasonOf return the code and the reason of an error for the process log.
func codeOf(err error) string {
	var se *saml.Error
	var oe *oidcError
	if errors.As(err, &se) {
		return se.Code
	}
	if errors.As(err, &oe) {
		return oe.Code
	}
	return gatehouse.ErrorCode(err)
}

func reasonOf(err error) string {
	var se *saml.Error
	if errors.As(err, &se) {
		r := se.Message
		if se.Received != "" {
			r += " Received: " + se.Received + "."
		}
		if se.Expected != "" {
			r += " Expected: " + se.Expected + "."
		}
		return r
	}
	return gatehouse.ErrorMessage(err)
}
