package idp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	zcrypto "github.com/zitadel/oidc/v3/pkg/crypto"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-idp/gatehouse"
)

// backchannelTimeout bounds the delivery of all back-channel logout tokens of one logout.
const backchannelTimeout = 5 * time.Second

// LogoutConfirmation asks the browser's user whether to sign out, for an RP-initiated logout that cannot show it
// comes from the user's own app (no id_token_hint of the session): web shows a page whose form posts Params back
// to the end-session endpoint.
type LogoutConfirmation struct {
	AppName string
	Params  url.Values
}

// OIDCEndSession serves directory dirID's RP-initiated logout endpoint (OpenID Connect RP-Initiated Logout 1.0)
// for the browser with session token. params are the request's parameters (the query, or the form of a POST, and
// formErr the error of reading it). The session ends when the request shows it comes from an app of the session
// (an id_token_hint of the session's user) or from the user (the confirmation page's form); otherwise the user is
// asked first (Answer.Confirm), so that no other site can sign anyone out. Ending the session is single logout:
// the session's SAML apps get LogoutRequests in the browser, its OpenID Connect apps logout tokens by the back
// channel, and the browser goes on to the app's post_logout_redirect_uri, which must be registered byte for byte
// (a refusal is an error page, never a redirect).
func (s *Service) OIDCEndSession(ctx context.Context, dirID string, params url.Values, formErr error, token string) (*Answer, error) {
	at := &attempt{dirID: dirID, token: token, protocol: gatehouse.ProtocolOIDC, logout: true}
	if err := s.findDirectory(ctx, at); err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	ctx = s.oidcContext(ctx, dirID)
	bad := func(field, received, msg string, cause error) error {
		return s.refuse(ctx, at, &oidcError{Code: CodeBadLogoutRequest, Field: field, Received: received, Message: msg, cause: cause})
	}
	if formErr != nil {
		return nil, bad("", "", "The sign-out request's form could not be read.", formErr)
	}
	req := new(oidc.EndSessionRequest)
	if err := s.oidc.provider.Decoder().Decode(req, params); err != nil {
		return nil, bad("", "", "The sign-out request's parameters cannot be read.", err)
	}
	if req.PostLogoutRedirectURI == "" {
		req.State = "" // there is nowhere to give it back
	}
	end, err := op.ValidateEndSessionRequest(ctx, req, s.oidc.provider)
	if err != nil {
		var field, msg string
		switch {
		case req.PostLogoutRedirectURI != "" && req.ClientID == "" && req.IdTokenHint == "":
			field, msg = "client_id", "The sign-out request names a post_logout_redirect_uri but no client_id or id_token_hint, so Gatehouse cannot tell whose address it is."
		case strings.Contains(err.Error(), "id_token_hint"):
			field, msg = "id_token_hint", "The sign-out request's id_token_hint is not an ID token that this directory signed."
		case strings.Contains(err.Error(), "post_logout_redirect_uri"):
			field, msg = "Post-logout redirect URIs", "The app asked Gatehouse to send you to an address after signing out that is not registered for it."
		default:
			field, msg = "client_id", "The sign-out request names an app that does not exist, or one that the id_token_hint was not issued to."
		}
		if end, cerr := s.oidcApp(ctx, dirID, cmpOr(req.ClientID, hintAudience(req.IdTokenHint))); cerr == nil {
			at.app = end
		}
		return nil, bad(field, req.PostLogoutRedirectURI, msg, err)
	}
	if req.PostLogoutRedirectURI != "" && end.ClientID == "" {
		return nil, bad("client_id", req.PostLogoutRedirectURI,
			"The sign-out request names a post_logout_redirect_uri but no client_id or id_token_hint, so Gatehouse cannot tell whose address it is.", nil)
	}
	var app *gatehouse.App
	if end.ClientID != "" {
		if app, err = s.oidcApp(ctx, dirID, end.ClientID); err != nil {
			return nil, s.refuse(ctx, at, err)
		}
		at.app = app
	}
	done := end.RedirectURI
	if req.PostLogoutRedirectURI == "" {
		done = ""
	}
	sess, u, _, err := s.SessionState(ctx, token)
	if err != nil || sess.DirectoryID != dirID {
		// Nothing to end: the browser is signed out already.
		return &Answer{Logout: &Logout{Done: done}, ClearSession: token != ""}, nil
	}
	fromApp := app != nil && end.IDTokenHintClaims != nil && end.UserID == s.oidcSubject(app, u.ID)
	fromUser := hmac.Equal([]byte(params.Get("confirm")), []byte(s.logoutConfirmation(sess)))
	if !fromApp && !fromUser {
		c := &LogoutConfirmation{Params: url.Values{"confirm": {s.logoutConfirmation(sess)}}}
		for _, k := range []string{"client_id", "post_logout_redirect_uri", "state", "id_token_hint"} {
			if v := params.Get(k); v != "" {
				c.Params.Set(k, v)
			}
		}
		if app != nil {
			c.AppName = app.Name
		}
		return &Answer{Confirm: c}, nil
	}
	except := ""
	if app != nil {
		except = app.ID
	}
	reqs, err := s.endSession(ctx, sess, u, except)
	if err != nil {
		return nil, s.refuse(ctx, at, err)
	}
	s.logger.InfoContext(ctx, "single logout", "directory", dirID, "user", u.ID, "initiated_by", except, "saml_apps", len(reqs))
	return &Answer{Logout: &Logout{Requests: reqs, Done: done}, ClearSession: true}, nil
}

// logoutConfirmation returns the value that the confirmation page's form carries to prove it is Gatehouse's page
// for this session.
func (s *Service) logoutConfirmation(sess *gatehouse.Session) string {
	m := hmac.New(sha256.New, s.nameIDKey)
	fmt.Fprintf(m, "logout\x00%s", sess.ID)
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// hintAudience returns the first audience of an ID token, unverified, to name the app of a refused request.
func hintAudience(token string) string {
	claims := new(oidc.IDTokenClaims)
	if _, err := oidc.ParseToken(token, claims); err != nil || len(claims.Audience) == 0 {
		return ""
	}
	return claims.Audience[0]
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// oidcLogout is single logout's part for the OpenID Connect apps a session signed in to, when the session has
// ended: the grants of the session that are not for offline access are revoked, and every app with a back-channel
// logout URI but except gets a logout token (OpenID Connect Back-Channel Logout 1.0), all at once and within
// backchannelTimeout. One app failing does not stop the others; each outcome is in the process log.
func (s *Service) oidcLogout(ctx context.Context, sess *gatehouse.Session, u *gatehouse.User, apps []*gatehouse.App, except string) {
	grants, err := s.store.FindOIDCGrants(ctx, sess.DirectoryID, gatehouse.OIDCGrantFilter{SessionID: sess.ID, Live: true, Now: s.now()})
	if err != nil {
		s.logger.WarnContext(ctx, "single logout: find the session's grants", "directory", sess.DirectoryID, "err", err)
	}
	for _, g := range grants {
		if g.Request.HasScope(oidc.ScopeOfflineAccess) {
			continue
		}
		if err := s.store.RevokeOIDCGrant(ctx, g.DirectoryID, g.ID, s.now()); err != nil {
			s.logger.WarnContext(ctx, "single logout: revoke a grant", "directory", g.DirectoryID, "grant", g.ID, "err", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.oidcContext(ctx, sess.DirectoryID)), backchannelTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, app := range apps {
		if app.ID == except || !app.IsOIDC() || app.OIDC == nil || app.OIDC.BackchannelLogoutURI == "" {
			continue
		}
		wg.Go(func() {
			err := s.backchannelLogout(ctx, app, sess, u)
			if err != nil {
				s.logger.WarnContext(ctx, "back-channel logout failed", "directory", app.DirectoryID, "app", app.ID,
					"uri", app.OIDC.BackchannelLogoutURI, "err", err)
				return
			}
			s.logger.InfoContext(ctx, "back-channel logout", "directory", app.DirectoryID, "app", app.ID)
		})
	}
	wg.Wait()
}

// backchannelLogout posts a logout token for the user's session to an app's back-channel logout URI. The app must
// answer 200 or 204; no redirect is followed.
func (s *Service) backchannelLogout(ctx context.Context, app *gatehouse.App, sess *gatehouse.Session, u *gatehouse.User) error {
	key, err := s.oidcSigner(ctx, app.DirectoryID, app.OIDC.SigningAlgorithm)
	if err != nil {
		return err
	}
	signer, err := op.SignerFromKey(key)
	if err != nil {
		return err
	}
	claims := oidc.NewLogoutTokenClaims(s.OIDCIssuer(app.DirectoryID), s.oidcSubject(app, u.ID),
		oidc.Audience{app.OIDC.ClientID}, time.Now().Add(2*time.Minute), s.newID(), s.oidcSID(sess), 0)
	token, err := zcrypto.Sign(claims, signer)
	if err != nil {
		return err
	}
	body := url.Values{"logout_token": {token}}.Encode()
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, app.OIDC.BackchannelLogoutURI, strings.NewReader(body))
	if err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.oidc.client.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("the app answered %s", resp.Status)
	}
	return nil
}
