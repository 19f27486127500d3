package idp

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/password"
)

// Gatehouse error codes of the sign-in itself (the GH6xxx range), as the sign-in log shows them.
const (
	// CodeBadCredentials: the user name or the password is wrong, or the user is disabled; the log says which.
	CodeBadCredentials = "GH6001"
	// CodeLockedOut: too many failed attempts; the attempt was refused without checking it.
	CodeLockedOut = "GH6002"
	// CodeBadMFACode: the verification or recovery code is wrong.
	CodeBadMFACode = "GH6003"
	// CodeMFACodeReused: the verification code was already used.
	CodeMFACodeReused = "GH6004"
)

// errBadCredentials is the one answer to a wrong user name or a wrong password (SECURITY-CASES 26); cause, which
// tells them apart, goes only to the sign-in log.
func errBadCredentials(cause string) error {
	return &gatehouse.Error{Code: gatehouse.EUNAUTHORIZED, Message: "The user name or password is incorrect.", Err: errors.New(cause)}
}

// signInFailure returns the code and the reason of a failed password or code check for the sign-in log. The
// reason includes the cause that the person signing in is not shown.
func signInFailure(err error) (code, reason string) {
	var e *gatehouse.Error
	if !errors.As(err, &e) {
		return gatehouse.EINTERNAL, "Internal error."
	}
	switch {
	case e.Code == gatehouse.ERATELIMIT:
		code = CodeLockedOut
	case e.Code == gatehouse.EUNAUTHORIZED:
		code = CodeBadCredentials
	default:
		code = e.Code
	}
	if c, ok := e.Err.(mfaCause); ok {
		code = c.code
	}
	if c, ok := e.Err.(passkeyCause); ok {
		code = c.code
	}
	reason = e.Message
	if e.Err != nil && e.Code != gatehouse.EINTERNAL {
		reason += " (" + e.Err.Error() + ")"
	}
	return code, reason
}

// Authenticate checks a user name and password in a directory. Unknown users, wrong passwords and disabled users
// get the same message and cost the same hashing time; attempts are throttled per the Lockout policy. A user whose
// password is temporary is returned with MustChangePassword set: the caller must send them to change it. A user
// with a second factor is returned too, but the sign-in is not complete (and the lockout counters are not reset)
// until VerifyMFA accepts a code. Every attempt goes into the sign-in log.
func (s *Service) Authenticate(ctx context.Context, dirID, userName, pw string) (*gatehouse.User, error) {
	info := RequestInfoFrom(ctx)
	userName = strings.TrimSpace(userName)
	u, err := s.authenticate(ctx, dirID, userName, pw, info.ClientAddr)
	e := &gatehouse.SignInEvent{UserName: userName, Result: gatehouse.ResultSuccess}
	if u != nil {
		e.UserID = u.ID
	} else if known, ferr := s.store.FindUserByName(ctx, dirID, userName); ferr == nil {
		// A failed attempt on an existing account belongs in that user's log; only admins read it.
		e.UserID = known.ID
	}
	if err != nil {
		e.Result = gatehouse.ResultFailure
		e.Code, e.Reason = signInFailure(err)
	} else if u.MFAEnabled {
		e.Reason = "Password accepted; a verification code is needed next."
	}
	s.logSignIn(ctx, dirID, e)
	return u, err
}

func (s *Service) authenticate(ctx context.Context, dirID, userName, pw, addr string) (*gatehouse.User, error) {
	if len(pw) > password.MaxLength {
		return nil, gatehouse.FieldErrorf("password", "Passwords are at most %d bytes.", password.MaxLength)
	}
	n, err := s.checkAttempt(ctx, dirID, userName, addr)
	if err != nil {
		return nil, err
	}
	fail := func(cause string) (*gatehouse.User, error) {
		if err := s.recordFailure(ctx, dirID, userName, addr, n); err != nil {
			return nil, err
		}
		return nil, errBadCredentials(cause)
	}
	u, err := s.store.FindUserByName(ctx, dirID, userName)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND:
		s.hasher.VerifyDummy(ctx, pw)
		return fail("no user has this name")
	case err != nil:
		return nil, err
	}
	ok, err := s.hasher.Verify(ctx, u.PasswordHash, pw)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return fail("wrong password")
	case u.Disabled:
		return fail("the user is disabled")
	}
	if !u.MFAEnabled {
		if err := s.recordSuccess(ctx, dirID, userName, addr); err != nil {
			return nil, err
		}
	}
	if s.hasher.NeedsRehash(u.PasswordHash) {
		s.rehash(ctx, u, pw)
	}
	return u, nil
}

// rehash replaces the hash of u's password, which pw matched, by one made with the current parameters. The new hash
// is computed before the write transaction, which stores it only if the user's hash is still the one pw matched:
// a password changed meanwhile stays as it is. Failing is harmless, as the old hash still works, so a failure is
// only logged.
func (s *Service) rehash(ctx context.Context, u *gatehouse.User, pw string) {
	old := u.PasswordHash
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		s.logger.Warn("upgrade password hash", "user", u.ID, "err", err)
		return
	}
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		fresh, err := tx.FindUser(ctx, u.DirectoryID, u.ID)
		if err != nil || fresh.PasswordHash != old {
			return err
		}
		fresh.PasswordHash = hash
		if err := tx.UpdateUser(ctx, fresh); err != nil {
			return err
		}
		*u = *fresh
		return nil
	})
	if err != nil {
		s.logger.Warn("upgrade password hash", "user", u.ID, "err", err)
	}
}

// ChangePassword replaces the user's password after checking the current one and the password policy. It ends
// every other session of the user.
func (s *Service) ChangePassword(ctx context.Context, u *gatehouse.User, current, next string) error {
	if _, err := s.authenticate(ctx, u.DirectoryID, u.UserName, current, RequestInfoFrom(ctx).ClientAddr); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.EUNAUTHORIZED {
			return gatehouse.FieldErrorf("currentPassword", "The current password is incorrect.")
		}
		return err
	}
	if err := password.CheckPolicy(next, u.UserName); err != nil {
		return err
	}
	if current == next {
		return gatehouse.FieldErrorf("newPassword", "Choose a new password that differs from the current one.")
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx gatehouse.Store) error {
		fresh, err := tx.FindUser(ctx, u.DirectoryID, u.ID)
		if err != nil {
			return err
		}
		fresh.PasswordHash, fresh.MustChangePassword = hash, false
		fresh.PasswordChangedAt, fresh.UpdatedAt = s.now(), s.now()
		if err := tx.UpdateUser(ctx, fresh); err != nil {
			return err
		}
		*u = *fresh
		if err := tx.DeleteUserSessions(ctx, u.DirectoryID, u.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, u, u.DirectoryID, "user.change-password", "user", u.ID, nil, nil)
	})
}

// CreateSession starts a session for a user who signed in with their password and, when mfa is set, a code from
// their authenticator app, and returns the cookie token. It is StartSession with those methods.
func (s *Service) CreateSession(ctx context.Context, u *gatehouse.User, mfa bool) (string, *gatehouse.Session, error) {
	if mfa {
		return s.StartSession(ctx, u, gatehouse.MethodPassword, gatehouse.MethodTOTP)
	}
	return s.StartSession(ctx, u, gatehouse.MethodPassword)
}

// StartSession starts a session for an authenticated user, made with methods in the order they were used, and
// returns the cookie token. The session is multi-factor (Session.MFA) when it was made with a passkey, or with a
// password and a second factor. Each sign-in gets a new session (SECURITY-CASES 27); the store keeps only the
// token's hash.
func (s *Service) StartSession(ctx context.Context, u *gatehouse.User, methods ...gatehouse.AuthMethod) (string, *gatehouse.Session, error) {
	token := s.newSecret()
	now := s.now()
	info := RequestInfoFrom(ctx)
	var seen []gatehouse.AuthMethod
	for _, m := range methods {
		if !slices.Contains(seen, m) {
			seen = append(seen, m)
		}
	}
	sess := &gatehouse.Session{
		ID: hashSecret(token), DirectoryID: u.DirectoryID, UserID: u.ID, CreatedAt: now, AuthnInstant: now,
		LastSeenAt: now, ExpiresAt: now.Add(s.sessionMax), MFA: multiFactor(seen), Methods: seen,
		ClientAddr: info.ClientAddr, UserAgent: truncate(info.UserAgent, 512),
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// multiFactor reports whether methods are more than one factor: a passkey (which verified its user), or a password
// and a second factor.
func multiFactor(methods []gatehouse.AuthMethod) bool {
	second := slices.ContainsFunc(methods, func(m gatehouse.AuthMethod) bool {
		return m == gatehouse.MethodTOTP || m == gatehouse.MethodRecoveryCode
	})
	return slices.Contains(methods, gatehouse.MethodPasskey) || second && slices.Contains(methods, gatehouse.MethodPassword)
}

// SessionUser returns the session and its user for a cookie token, when the sign-in is complete (SignInStep
// StepDone). An idle, expired or revoked session, one whose user is disabled or gone, and one that still waits for
// a password change or a second factor are EUNAUTHORIZED. The idle clock is reset at most once a minute.
func (s *Service) SessionUser(ctx context.Context, token string) (*gatehouse.Session, *gatehouse.User, error) {
	sess, u, step, err := s.SessionState(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	if step != StepDone {
		return nil, nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Finish signing in first.")
	}
	return sess, u, nil
}

// SessionState returns the session and its user for a cookie token, and what the user must still do before the
// sign-in is complete. An idle, expired or revoked session, or one whose user is disabled or gone, is
// EUNAUTHORIZED. The idle clock is reset at most once a minute.
func (s *Service) SessionState(ctx context.Context, token string) (*gatehouse.Session, *gatehouse.User, Step, error) {
	sess, u, step, err := s.sessionState(ctx, token, nil)
	if err == nil && u.Disabled {
		return nil, nil, 0, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Your session has ended; sign in again.")
	}
	return sess, u, step, err
}

// sessionState is SessionState for the sign-on policy, which refuses a disabled user itself: the session of a
// disabled user is returned with its user. dir, when not nil, is a directory the caller has read already, used
// instead of reading it again when it is the session's.
func (s *Service) sessionState(ctx context.Context, token string, dir *gatehouse.Directory) (*gatehouse.Session, *gatehouse.User, Step, error) {
	if token == "" {
		return nil, nil, 0, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Sign in first.")
	}
	now := s.now()
	sess, err := s.store.FindSession(ctx, hashSecret(token), now)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil, nil, 0, errSessionEnded()
	} else if err != nil {
		return nil, nil, 0, err
	}
	u, err := s.store.FindUser(ctx, sess.DirectoryID, sess.UserID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil, nil, 0, errSessionEnded()
	} else if err != nil {
		return nil, nil, 0, err
	}
	return s.checkSession(ctx, sess, u, dir, now)
}

func errSessionEnded() error {
	return gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Your session has ended; sign in again.")
}

// checkSession is sessionState for a session and its user read at now: an idle session has ended.
func (s *Service) checkSession(ctx context.Context, sess *gatehouse.Session, u *gatehouse.User, dir *gatehouse.Directory, now time.Time) (*gatehouse.Session, *gatehouse.User, Step, error) {
	if now.Sub(sess.LastSeenAt) > s.sessionIdle {
		return nil, nil, 0, errSessionEnded()
	}
	step, err := s.signInStep(ctx, sess, u, dir)
	if err != nil {
		return nil, nil, 0, err
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		sess.LastSeenAt = now
		if err := s.store.UpdateSession(ctx, sess); err != nil {
			return nil, nil, 0, err
		}
	}
	return sess, u, step, nil
}

// SignOut revokes the session of a cookie token on the server.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	err := s.store.DeleteSession(ctx, hashSecret(token))
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil
	}
	return err
}

// TokenPrefix starts every API token, so that tokens are recognisable in configuration and by secret scanners.
const TokenPrefix = "gh_"

// Login authenticates a user name and password and creates an API token acting as that user. Users with a
// temporary password must change it first (EPASSWORD); users with two-step verification use LoginWithCode.
func (s *Service) Login(ctx context.Context, dirID, userName, pw, tokenName string) (string, *gatehouse.APIToken, error) {
	return s.LoginWithCode(ctx, dirID, userName, pw, "", tokenName)
}

// LoginWithCode is Login for every account: code is the verification code (or a recovery code) of a user with
// two-step verification, and is ignored for others. The sign-in must be complete under the directory's policy, as
// on the sign-in pages: a user who must enrol first, whose second factor is a passkey, or whose directory requires
// a passkey gets EFORBIDDEN naming their Security page, where they can create an API token after signing in.
func (s *Service) LoginWithCode(ctx context.Context, dirID, userName, pw, code, tokenName string) (string, *gatehouse.APIToken, error) {
	u, err := s.Authenticate(ctx, dirID, userName, pw)
	if err != nil {
		return "", nil, err
	}
	security := s.publicURL + "/d/" + dirID + "/security"
	sess := &gatehouse.Session{DirectoryID: dirID, UserID: u.ID, Methods: []gatehouse.AuthMethod{gatehouse.MethodPassword}}
	if strings.TrimSpace(code) != "" && (u.MFAEnabled || len(u.RecoveryCodes) > 0) {
		if err := s.VerifyMFA(ctx, u, code); err != nil {
			return "", nil, err
		}
		sess.Methods = append(sess.Methods, CodeMethod(code))
		sess.MFA = true
	}
	step, err := s.SignInStep(ctx, sess, u)
	if err != nil {
		return "", nil, err
	}
	switch step {
	case StepMFA:
		if u.MFAEnabled && !sess.MFA {
			return "", nil, &gatehouse.Error{Code: gatehouse.EFORBIDDEN, Field: "code",
				Message: "Your account signs in with a verification code: send it with the password (gatehouse login --code), or create an API token on your Security page, " + security + "."}
		}
		return "", nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "Your account signs in with a passkey, which the command line cannot use: sign in at %s and create an API token there.", security)
	case StepChangePassword:
		return "", nil, gatehouse.Errorf(gatehouse.EPASSWORD, "Your password is temporary: sign in at %s/d/%s/login to change it, then try again.", s.publicURL, dirID)
	case StepEnrolMFA:
		return "", nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "Directory %s requires two-step verification: sign in at %s/d/%s/login to set it up, then try again with your code.", dirID, s.publicURL, dirID)
	case StepEnrolPasskey:
		return "", nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "Directory %s requires a passkey at every sign-in: sign in at %s/d/%s/login, then create an API token on your Security page, %s.", dirID, s.publicURL, dirID, security)
	}
	return s.CreateAPIToken(ctx, u, tokenName)
}

// CreateAPIToken creates an API token acting as u, who has signed in completely (for example on their Security
// page, with their second factor), and returns its secret, shown once.
func (s *Service) CreateAPIToken(ctx context.Context, u *gatehouse.User, tokenName string) (string, *gatehouse.APIToken, error) {
	if tokenName = strings.TrimSpace(tokenName); tokenName == "" {
		tokenName = "cli"
	}
	if len(tokenName) > 100 || strings.ContainsAny(tokenName, "\x00\r\n") {
		return "", nil, gatehouse.FieldErrorf("name", "A token name is at most 100 characters on one line.")
	}
	secret := TokenPrefix + s.newSecret()
	t := &gatehouse.APIToken{
		ID: s.newID(), SecretHash: hashSecret(secret), Prefix: secret[:len(TokenPrefix)+6], DirectoryID: u.DirectoryID,
		UserID: u.ID, Name: tokenName, CreatedAt: s.now(),
	}
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateAPIToken(ctx, t); err != nil {
			return err
		}
		return s.audit(ctx, tx, u, u.DirectoryID, "token.create", "token", t.ID, nil, t)
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// TokenUser returns the user an API token acts as. Unknown, expired and revoked tokens, and tokens of disabled
// users, are EUNAUTHORIZED.
func (s *Service) TokenUser(ctx context.Context, secret string) (*gatehouse.User, *gatehouse.APIToken, error) {
	fail := gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "The API token is missing, unknown, expired or revoked; create one with `gatehouse login`.")
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 200 {
		return nil, nil, fail
	}
	now := s.now()
	t, err := s.store.FindAPITokenBySecretHash(ctx, hashSecret(secret), now)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil, nil, fail
	} else if err != nil {
		return nil, nil, err
	}
	u, err := s.store.FindUser(ctx, t.DirectoryID, t.UserID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || err == nil && u.Disabled {
		return nil, nil, fail
	} else if err != nil {
		return nil, nil, err
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.store.TouchAPIToken(ctx, t.ID, now); err != nil {
			return nil, nil, err
		}
	}
	return u, t, nil
}

// FindAPITokens returns the actor's tokens, or every token of the directory when all is set (admins only).
func (s *Service) FindAPITokens(ctx context.Context, actor *gatehouse.User, all bool) ([]*gatehouse.APIToken, error) {
	userID := actor.ID
	if all {
		if err := s.Authorize(ctx, actor, actor.DirectoryID, ManageDirectory); err != nil {
			return nil, err
		}
		userID = ""
	}
	return s.store.FindAPITokens(ctx, actor.DirectoryID, userID)
}

// RevokeAPIToken deletes one of the actor's tokens; global admins may revoke any token of their directory.
func (s *Service) RevokeAPIToken(ctx context.Context, actor *gatehouse.User, id string) error {
	ts, err := s.store.FindAPITokens(ctx, actor.DirectoryID, "")
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.ID != id {
			continue
		}
		if t.UserID != actor.ID && actor.Role != gatehouse.RoleGlobalAdmin {
			break
		}
		return s.store.InTx(ctx, func(tx gatehouse.Store) error {
			if err := tx.DeleteAPIToken(ctx, actor.DirectoryID, id); err != nil {
				return err
			}
			return s.audit(ctx, tx, actor, actor.DirectoryID, "token.revoke", "token", id, t, nil)
		})
	}
	return gatehouse.Errorf(gatehouse.ENOTFOUND, "You have no API token %s.", id)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
