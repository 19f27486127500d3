package idp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// Gatehouse error codes of OpenID Connect (the GH8xxx range). GH8001–GH8002 are never sent to the app (the request
// cannot be trusted to name where to send them); the other refusals of the authorization endpoint are sent to the
// app's registered redirect URI with an OAuth error code, and those of the token endpoint are its JSON answer.
const (
	// CodeUnknownClient: no OpenID Connect app of the directory has the request's client_id, or it has none.
	CodeUnknownClient = "GH8001"
	// CodeRedirectURIMismatch: the redirect_uri is missing or not one of the app's redirect URIs, byte for byte.
	CodeRedirectURIMismatch = "GH8002"
	// CodeBadAuthorizationRequest: the authorization request is malformed or asks for what Gatehouse does not do.
	CodeBadAuthorizationRequest = "GH8003"
	// CodePKCERequired: the app must use PKCE (it is a public client, or requires it) with S256, and did not.
	CodePKCERequired = "GH8004"
	// CodeLoginRequired: prompt=none, and the user is not signed in or must do something first.
	CodeLoginRequired = "GH8005"
	// CodeBadIDTokenHint: the id_token_hint is not an ID token this directory signed.
	CodeBadIDTokenHint = "GH8006"
	// CodeNoInitiateLoginURI: My Apps cannot start a sign-in to an app without an initiate login URI.
	CodeNoInitiateLoginURI = "GH8007"
	// CodeUnsupportedResponseType: the response_type is not code.
	CodeUnsupportedResponseType = "GH8008"
	// CodeNoOpenIDScope: the scope does not include openid.
	CodeNoOpenIDScope = "GH8009"
	// CodeInvalidCode: the authorization code is unknown or expired.
	CodeInvalidCode = "GH8010"
	// CodeCodeReused: the authorization code was used twice; the tokens of the first use are revoked.
	CodeCodeReused = "GH8011"
	// CodeWrongClient: a code or refresh token of one app was presented by another; it is revoked.
	CodeWrongClient = "GH8012"
	// CodePKCEFailed: the PKCE code verifier is missing or does not match the code challenge.
	CodePKCEFailed = "GH8013"
	// CodeRedirectURIChanged: the token request's redirect_uri is not the authorization request's.
	CodeRedirectURIChanged = "GH8014"
	// CodeRefreshReused: a refresh token was used again after it had been replaced; its grant is revoked.
	CodeRefreshReused = "GH8015"
	// CodeInvalidRefreshToken: the refresh token is unknown, expired or revoked.
	CodeInvalidRefreshToken = "GH8016"
	// CodeClientAuthFailed: the client's ID is unknown or its secret is wrong or expired.
	CodeClientAuthFailed = "GH8017"
	// CodeBadLogoutRequest: an RP-initiated logout names an invalid ID token or an unregistered
	// post_logout_redirect_uri.
	CodeBadLogoutRequest = "GH8020"
)

// SettingOIDC is an OpenID Connect app's settings: client ID and secrets, redirect URIs, grant types, lifetimes
// and claims (on its Single sign-on page).
const SettingOIDC = "app.oidc"

// MaxOIDCForm bounds the body of a POST to the authorization or end-session endpoint; web reads no more of it.
const MaxOIDCForm = 64 << 10

// Limits on what an authorization request may carry.
const (
	maxStateLength  = 2048
	maxNonceLength  = 512
	maxACRValues    = 16
	maxScopeEntries = 64
)

// oauthReply is where and how an authorization response goes: the registered redirect URI, the response mode and
// the state to give back.
type oauthReply struct {
	uri, mode, state string
}

func replyOf(r *gatehouse.OIDCRequest) oauthReply {
	return oauthReply{uri: r.RedirectURI, mode: r.ResponseMode, state: r.State}
}

// oauthErrorResponse is the error of an authorization response (RFC 6749 §4.1.2.1).
type oauthErrorResponse struct {
	Error       string `schema:"error"`
	Description string `schema:"error_description,omitempty"`
	State       string `schema:"state,omitempty"`
}

// OIDCAuthorize serves directory dirID's OpenID Connect authorization endpoint. params are the request's
// parameters as received (the query, or the form of a POST, and formErr the error of reading it) and token the
// browser's session cookie. A request from an unknown client or for a redirect URI the app has not registered,
// byte for byte (SECURITY-CASES 55), is refused with a *Failure for the error page and never redirected. Anything
// else is answered at the registered redirect URI: with an authorization code for a signed-in user who passes the
// sign-on policy, or with an OAuth error code (SECURITY-CASES 56, 60); or the user is sent to sign in first. Every
// outcome is in the sign-in log.
func (s *Service) OIDCAuthorize(ctx context.Context, dirID string, params url.Values, formErr error, token string) (*Answer, error) {
	at := &attempt{dirID: dirID, token: token, protocol: gatehouse.ProtocolOIDC}
	if err := s.findDirectory(ctx, at); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	ctx = s.oidcContext(ctx, dirID)
	if err := s.lookUpBrowser(ctx, at); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(formErr, &mbe):
		return nil, s.refuse(ctx, at, gatehouse.Errorf(gatehouse.ETOOLARGE, "The authorization request is larger than the %d KiB allowed.", MaxOIDCForm>>10))
	case formErr != nil:
		return nil, s.refuse(ctx, at, &oidcError{Code: CodeBadAuthorizationRequest, Message: "The authorization request's form could not be read.", cause: formErr})
	}
	req := new(oidc.AuthRequest)
	if err := s.oidc.provider.Decoder().Decode(req, params); err != nil {
		return nil, s.refuse(ctx, at, &oidcError{Code: CodeBadAuthorizationRequest,
			Message: "The authorization request's parameters cannot be read. This is Gatehouse's OpenID Connect authorization endpoint; open the app and sign in from there.",
			cause:   err})
	}
	at.redirectURI = req.RedirectURI
	app, err := s.oidcApp(ctx, dirID, req.ClientID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil, s.refuse(ctx, at, &oidcError{Code: CodeUnknownClient, Field: "client_id", Received: req.ClientID,
			Message: "No app in directory " + dirID + " has the client ID this request names, so Gatehouse cannot tell where to send you back."})
	} else if err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	at.app = app
	if !slices.Contains(app.OIDC.RedirectURIs, req.RedirectURI) {
		return nil, s.refuse(ctx, at, &oidcError{Code: CodeRedirectURIMismatch, Field: "Redirect URIs",
			Received: req.RedirectURI, Expected: orWord(strings.Join(app.OIDC.RedirectURIs, ", "), "none registered"),
			Message: "The app " + app.Name + " asked Gatehouse to send you back to an address that is not registered for it, so the sign-in stops here."})
	}
	// The redirect URI is the app's own: from here on a refusal is sent there.
	reply := oauthReply{uri: req.RedirectURI, mode: string(req.ResponseMode), state: req.State}
	if req.ResponseMode != "" && req.ResponseMode != oidc.ResponseModeQuery && req.ResponseMode != oidc.ResponseModeFragment {
		reply.mode = ""
	}
	pr, hintMismatch, err := s.acceptAuthorizeRequest(ctx, at, app, req)
	if err != nil {
		return s.oauthRefusal(ctx, at, reply, err)
	}
	none := slices.Contains(pr.OIDC.Prompt, oidc.PromptNone)
	prompt := at.browser.prompt(pr, true)
	switch {
	case none && (prompt != nil || hintMismatch):
		e := &oidcError{OAuth: "login_required", Code: CodeLoginRequired, Field: "prompt", Received: oidc.PromptNone,
			Message: "The user is not signed in, and the app asked Gatehouse not to show a sign-in page (prompt=none)."}
		switch {
		case hintMismatch:
			e.Message = "Another user is signed in than the one the app's id_token_hint names, and the app asked Gatehouse not to show a sign-in page (prompt=none)."
		case prompt.Step != StepPassword || prompt.Force:
			e.OAuth = "interaction_required"
			e.Message = "The user must sign in again or finish signing in, and the app asked Gatehouse not to show a page (prompt=none)."
		}
		return s.oauthRefusal(ctx, at, reply, e)
	case prompt == nil:
		return s.answerOIDC(ctx, at, pr)
	}
	if err := s.store.CreateSignInRequest(ctx, pr); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	prompt.PendingID = pr.ID
	return &Answer{SignIn: prompt}, nil
}

// acceptAuthorizeRequest checks the parameters of an authorization request whose client and redirect URI are
// known, and returns the pending sign-in that answers it (not stored), and whether the id_token_hint names another
// user than the browser's.
func (s *Service) acceptAuthorizeRequest(ctx context.Context, at *attempt, app *gatehouse.App, req *oidc.AuthRequest) (*gatehouse.SignInRequest, bool, error) {
	bad := func(field, received, msg string) error {
		return &oidcError{OAuth: "invalid_request", Code: CodeBadAuthorizationRequest, Field: field, Received: received, Message: msg}
	}
	switch {
	case req.RequestParam != "":
		return nil, false, &oidcError{OAuth: "request_not_supported", Code: CodeBadAuthorizationRequest, Field: "request",
			Message: "Gatehouse does not accept request objects (the request parameter); send the parameters themselves."}
	case req.ResponseMode != "" && req.ResponseMode != oidc.ResponseModeQuery && req.ResponseMode != oidc.ResponseModeFragment:
		return nil, false, bad("response_mode", string(req.ResponseMode), "Gatehouse answers in the query or the fragment of the redirect URI; the response_mode the app asked for is not supported.")
	case req.ResponseType != oidc.ResponseTypeCode:
		return nil, false, &oidcError{OAuth: "unsupported_response_type", Code: CodeUnsupportedResponseType, Field: "response_type",
			Received: string(req.ResponseType), Expected: "code", Message: "Gatehouse supports the authorization code flow only (response_type=code)."}
	case !slices.Contains(req.Scopes, oidc.ScopeOpenID):
		return nil, false, &oidcError{OAuth: "invalid_scope", Code: CodeNoOpenIDScope, Field: "scope", Received: strings.Join(req.Scopes, " "),
			Message: "The request's scope must include openid."}
	case len(req.Scopes) > maxScopeEntries || len(req.ACRValues) > maxACRValues:
		return nil, false, bad("scope", "", "The request asks for too many scopes or authentication context classes.")
	case len(req.State) > maxStateLength || len(req.Nonce) > maxNonceLength:
		return nil, false, bad("state", "", fmt.Sprintf("The state is at most %d bytes and the nonce at most %d.", maxStateLength, maxNonceLength))
	case req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return nil, false, &oidcError{OAuth: "invalid_request", Code: CodePKCERequired, Field: "code_challenge_method",
			Received: string(req.CodeChallengeMethod), Expected: "S256",
			Message: "PKCE must use the S256 method; plain, or no method, is refused."}
	case req.CodeChallenge != "" && !validChallenge(req.CodeChallenge):
		return nil, false, &oidcError{OAuth: "invalid_request", Code: CodePKCERequired, Field: "code_challenge",
			Message: "The code_challenge is not the base64url SHA-256 of a code verifier."}
	case req.CodeChallenge == "" && app.OIDC.RequirePKCE:
		return nil, false, &oidcError{OAuth: "invalid_request", Code: CodePKCERequired, Field: "code_challenge",
			Message: "The app must use PKCE: send a code_challenge with code_challenge_method=S256."}
	case req.CodeChallenge == "" && req.State == "":
		return nil, false, bad("state", "", "The request carries neither a state nor a PKCE code challenge, so nothing protects the sign-in against cross-site request forgery; send one of them.")
	}
	maxAge, err := op.ValidateAuthReqPrompt(req.Prompt, req.MaxAge)
	if err != nil {
		return nil, false, bad("prompt", strings.Join(req.Prompt, " "), "The prompt value none cannot be combined with other values.")
	}
	var hintSub string
	if req.IDTokenHint != "" {
		if hintSub, err = op.ValidateAuthReqIDTokenHint(ctx, req.IDTokenHint, s.oidc.provider.IDTokenHintVerifier(ctx)); err != nil {
			return nil, false, &oidcError{OAuth: "invalid_request", Code: CodeBadIDTokenHint, Field: "id_token_hint",
				Message: "The id_token_hint is not an ID token that this directory signed.", cause: err}
		}
	}
	now := s.now()
	o := &gatehouse.OIDCRequest{ClientID: app.OIDC.ClientID, RedirectURI: req.RedirectURI,
		ResponseMode: string(req.ResponseMode), Scopes: req.Scopes, State: req.State, Nonce: req.Nonce,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod), Prompt: req.Prompt,
		ACRValues: req.ACRValues, HintSubject: hintSub}
	if maxAge != nil {
		o.MaxAge = new(int)
		*o.MaxAge = int(min(*maxAge, uint(1<<31-1)))
	}
	pr := &gatehouse.SignInRequest{ID: s.newID(), DirectoryID: at.dirID, AppID: app.ID, CreatedAt: now,
		ExpiresAt: now.Add(s.signInRequestTTL), Protocol: gatehouse.ProtocolOIDC, OIDC: o,
		ForceAuthn: slices.Contains(req.Prompt, oidc.PromptLogin)}
	if sess := at.browser.sess; sess != nil && o.MaxAge != nil && now.Sub(sess.AuthnInstant) > time.Duration(*o.MaxAge)*time.Second {
		pr.ForceAuthn = true
	}
	hintMismatch := false
	if u := at.user(); u != nil && hintSub != "" && s.oidcSubject(app, u.ID) != hintSub {
		pr.ForceAuthn, hintMismatch = true, true
	}
	pr.AuthnContext = chooseACR(req.ACRValues)
	return pr, hintMismatch, nil
}

// validChallenge reports whether c can be a PKCE S256 challenge: 43 characters of base64url.
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	return !strings.ContainsFunc(c, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}

// chooseACR returns the authentication context class to state for acr_values, chosen as for a SAML
// RequestedAuthnContext: the first class a password sign-in meets, else the first that a second factor meets. The
// classes Gatehouse does not know are left out, since acr_values is a wish (OpenID Connect Core §3.1.2.1); none
// known returns "".
func chooseACR(values []string) string {
	var known []string
	for _, v := range values {
		if slices.ContainsFunc(saml.AuthnContextClasses, func(c struct {
			Class    string
			Strength int
		}) bool {
			return c.Class == v
		}) {
			known = append(known, v)
		}
	}
	if len(known) == 0 {
		return ""
	}
	rac := &saml.RequestedAuthnContext{ClassRefs: known, Comparison: "exact"}
	if class, err := saml.ChooseAuthnContext(rac, saml.PasswordAuthnContexts); err == nil {
		return class
	}
	class, _ := saml.ChooseAuthnContext(rac, saml.MFAAuthnContexts)
	return class
}

// answerOIDC answers pending OpenID Connect sign-in pr for the browser's signed-in user: after the access policy
// and the authentication context asked for, it stores the grant with its authorization code and the sign-in log
// entry (two writes), and redirects to the registered redirect URI with the code. A refusal goes there as an OAuth
// error.
func (s *Service) answerOIDC(ctx context.Context, at *attempt, pr *gatehouse.SignInRequest) (*Answer, error) {
	ctx = s.oidcContext(ctx, at.dirID)
	at.protocol = gatehouse.ProtocolOIDC
	app, sess, u := at.app, at.browser.sess, at.browser.user
	reply := replyOf(pr.OIDC)
	if !app.IsOIDC() || app.OIDC == nil {
		return nil, s.refuse(ctx, at, errSignInExpired())
	}
	if err := s.checkAccess(ctx, app, u); err != nil {
		return s.oauthRefusal(ctx, at, reply, err)
	}
	amr, _, class := sessionAuthn(sess)
	if pr.AuthnContext != "" {
		c, err := authnContextOf(pr, sess)
		if err != nil {
			at.needsMFA = true
			return s.oauthRefusal(ctx, at, reply, err)
		}
		class = c
	}
	code := s.newSecret()
	now := s.now()
	req := *pr.OIDC
	req.AuthTime, req.ACR, req.AMR, req.SID = sess.AuthnInstant, class, amr, s.oidcSID(sess)
	exp := now.Add(oidcCodeTTL + time.Duration(app.OIDC.AccessTokenLifetime)*time.Second)
	if req.HasScope(oidc.ScopeOfflineAccess) && app.OIDC.Allows(gatehouse.GrantRefreshToken) {
		exp = now.Add(oidcOfflineLifetime)
	}
	g := &gatehouse.OIDCGrant{ID: s.newID(), DirectoryID: at.dirID, AppID: app.ID, UserID: u.ID, SessionID: sess.ID,
		CodeHash: hashSecret(code), CodeExpiresAt: now.Add(oidcCodeTTL), Request: req, CreatedAt: now, ExpiresAt: exp}
	if err := s.store.CreateOIDCGrant(ctx, g); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	e := &gatehouse.SignInEvent{UserID: u.ID, UserName: u.UserName, AppID: app.ID, AppName: app.Name,
		Result: gatehouse.ResultSuccess, Protocol: gatehouse.ProtocolOIDC, SessionID: sess.ID}
	if err := s.recordSignIn(ctx, at.dirID, e); err != nil {
		return nil, newFailure(err)
	}
	target, err := op.AuthResponseURL(reply.uri, oidc.ResponseTypeCode, oidc.ResponseMode(reply.mode),
		&op.CodeResponseType{Code: code, State: reply.state}, s.oidc.provider.Encoder())
	if err != nil {
		return nil, s.refuse(ctx, at, gatehouse.Internal(err))
	}
	return &Answer{Redirect: target}, nil
}

// oauthRefusal writes the refusal err of an authorization request to the sign-in log and answers it at the
// registered redirect URI with its OAuth error code: the code an *oidcError names, access_denied for a refusal of
// the sign-on policy, server_error for anything else. The error_description carries the message anyone may see,
// the Gatehouse code and the correlation ID; the values received and expected stay in the log.
func (s *Service) oauthRefusal(ctx context.Context, at *attempt, reply oauthReply, err error) (*Answer, error) {
	f := s.refuse(ctx, at, err)
	typ := "server_error"
	var oe *oidcError
	switch {
	case errors.As(err, &oe) && oe.OAuth != "":
		typ = oe.OAuth
	case strings.HasPrefix(f.Code, "GH"):
		typ = "access_denied"
	}
	target, uerr := op.AuthResponseURL(reply.uri, oidc.ResponseTypeCode, oidc.ResponseMode(reply.mode),
		&oauthErrorResponse{Error: typ, Description: oauthDescription(f), State: reply.state}, s.oidc.provider.Encoder())
	if uerr != nil {
		return nil, f
	}
	return &Answer{Redirect: target}, nil
}

// openOIDCApp serves the user access URL of an OpenID Connect app, where My Apps' tile of an app without an
// initiate login URI leads: there is no IdP-initiated sign-on in OpenID Connect, so the app must be told to start
// one.
func (s *Service) openOIDCApp(ctx context.Context, at *attempt, app *gatehouse.App) (*Answer, error) {
	target := s.initiateLoginURL(app)
	if target == "" {
		return nil, s.refuse(ctx, at, &oidcError{Code: CodeNoInitiateLoginURI, Field: "Initiate login URI",
			Message: "The app " + app.Name + " cannot be opened from here: it has no address where Gatehouse can ask it to start a sign-in. Open the app itself and sign in there."})
	}
	return &Answer{Redirect: target}, nil
}

// initiateLoginURL returns the URL that asks an OpenID Connect app to start a sign-in (OpenID Connect Core §4): its
// initiate login URI with the directory's issuer as iss; "" when it has none.
func (s *Service) initiateLoginURL(app *gatehouse.App) string {
	if !app.IsOIDC() || app.OIDC == nil || app.OIDC.InitiateLoginURI == "" {
		return ""
	}
	u, err := url.Parse(app.OIDC.InitiateLoginURI)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("iss", s.OIDCIssuer(app.DirectoryID))
	u.RawQuery = q.Encode()
	return u.String()
}

// hintOIDC sets the hint of an OpenID Connect failure, and reports whether f's code is one of OpenID Connect's.
func (s *Service) hintOIDC(ctx context.Context, at *attempt, f *Failure) bool {
	appName := "the app"
	if at.app != nil {
		appName = at.app.Name
	}
	set := func(setting, format string, args ...any) {
		f.Setting, f.Hint = setting, fmt.Sprintf(format, args...)
	}
	switch f.Code {
	case CodeUnknownClient:
		s.hintUnknownClient(ctx, at, f)
	case CodeRedirectURIMismatch:
		set(SettingOIDC, "The app asked for the answer at %s, which is not one of %s's redirect URIs (%s). Add it under Redirect URIs: it must match byte for byte, including a trailing slash, the case and the port. Or make the app send a registered one.",
			quote(f.Received), appName, f.Expected)
	case CodeBadAuthorizationRequest:
		set("", "The app's authorization request was refused: %s Fix the app's OpenID Connect settings.", f.Message)
	case CodeUnsupportedResponseType, CodeNoOpenIDScope:
		set("", "Configure %s for the OpenID Connect authorization code flow: response_type=code and a scope with openid. %s", appName, f.Message)
	case CodePKCERequired:
		set(SettingOIDC, "%s Turn on PKCE (S256) in the app, or, for a confidential client, turn off \"Require PKCE\" in its OpenID Connect settings.", f.Message)
	case CodeLoginRequired:
		set("", "Nothing to fix in Gatehouse: the app asked to sign the user in without a page (prompt=none) and that was not possible, so it got login_required. The app should then send a normal request.")
	case CodeBadIDTokenHint:
		set("", "The app sent an id_token_hint that does not verify with this directory's keys (tampered, signed by another issuer or with an algorithm Gatehouse does not use, or with an unknown key). Check that the app is configured with this directory's issuer.")
	case CodeNoInitiateLoginURI:
		set(SettingOIDC, "Set %s's initiate login URI (the app's URL that starts an OpenID Connect sign-in) in its OpenID Connect settings, so that My Apps can open it.", appName)
	case CodeInvalidCode:
		set("", "The app redeemed an authorization code that is unknown or older than %s. Check that the app exchanges the code at once, and that it talks to this directory's token endpoint.", oidcCodeTTL)
	case CodeCodeReused:
		set("", "The authorization code was redeemed a second time; every token of the first redemption is revoked. Either the app sends the code twice (a retry, a reloaded callback page), or someone else had the code.")
	case CodeWrongClient:
		set("", "Client %s presented a code or refresh token of client %s; it is revoked. Check that every app has its own client ID.", quote(f.Received), quote(f.Expected))
	case CodePKCEFailed:
		set("", "The app's token request has no code_verifier, or one that does not match the code_challenge of its authorization request. Check the app's PKCE support.")
	case CodeRedirectURIChanged:
		set("", "The app sent redirect_uri %s to the token endpoint; its authorization request had %s. They must be the same.", quote(f.Received), quote(f.Expected))
	case CodeRefreshReused:
		set("", "A refresh token was used again after it had been replaced; every token of that sign-in is revoked and the user signs in again. Either the app lost the new refresh token (a crash, two copies refreshing at once), or the old one was stolen.")
	case CodeInvalidRefreshToken:
		set("", "The app refreshed with a refresh token that is unknown, expired or revoked. The user signs in again.")
	case CodeClientAuthFailed:
		set(SettingOIDC, "The client %s could not authenticate. Check the client ID and secret configured in the app; a rotated secret stops working when its overlap ends. Create a new secret in %s's OpenID Connect settings if needed.", quote(f.Received), appName)
	case CodeBadLogoutRequest:
		set(SettingOIDC, "%s Register the app's post-logout redirect URI, byte for byte, in its OpenID Connect settings.", f.Message)
	default:
		return false
	}
	return true
}

// hintUnknownClient explains a client_id that no app has: when an app registers the redirect URI the request asks
// for, that app is most likely the one meant, and becomes the failure's app.
func (s *Service) hintUnknownClient(ctx context.Context, at *attempt, f *Failure) {
	if f.Received == "" {
		f.Hint = "The request names no client_id. Configure the app with the client ID shown in its OpenID Connect settings in Gatehouse."
		return
	}
	if at.redirectURI != "" {
		if apps, err := s.store.FindApps(ctx, at.dirID, ""); err == nil {
			for _, a := range apps {
				if a.IsOIDC() && a.OIDC != nil && slices.Contains(a.OIDC.RedirectURIs, at.redirectURI) {
					at.app = a
					f.Setting = SettingOIDC
					f.Hint = fmt.Sprintf("The app sent client_id %s; the app registered for this redirect URI, %s, has client ID %s. Configure the app with that client ID, or change the client ID in %s's OpenID Connect settings.",
						quote(f.Received), a.Name, quote(a.OIDC.ClientID), a.Name)
					return
				}
			}
		}
	}
	f.Setting = SettingApps
	f.Hint = fmt.Sprintf("The app sent client_id %s, and no OpenID Connect app in this directory has it. Add the app (from the gallery, or a custom OpenID Connect app), or configure the app with the client ID Gatehouse shows.", quote(f.Received))
}
