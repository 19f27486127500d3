package idp

import (
	"context"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/password"
)

// errBadCredentials is the one answer to a wrong user name or a wrong password (SECURITY-CASES 26).
func errBadCredentials() error {
	return gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "The user name or password is incorrect.")
}

// Authenticate checks a user name and password in a directory. Unknown users, wrong passwords and disabled users
// get the same message and cost the same hashing time; attempts are throttled per the Lockout policy. A user whose
// password is temporary is returned with MustChangePassword set: the caller must send them to change it. Every
// attempt goes into the sign-in log.
func (s *Service) Authenticate(ctx context.Context, dirID, userName, pw string) (*gatehouse.User, error) {
	info := RequestInfoFrom(ctx)
	userName = strings.TrimSpace(userName)
	u, err := s.authenticate(ctx, dirID, userName, pw, info.ClientAddr)
	e := &gatehouse.SignInEvent{UserName: userName, Result: gatehouse.ResultSuccess}
	if u != nil {
		e.UserID = u.ID
	}
	if err != nil {
		e.Result, e.Code, e.Reason = gatehouse.ResultFailure, gatehouse.ErrorCode(err), gatehouse.ErrorMessage(err)
	}
	s.logSignIn(ctx, dirID, e)
	return u, err
}

func (s *Service) authenticate(ctx context.Context, dirID, userName, pw, addr string) (*gatehouse.User, error) {
	if len(pw) > 1024 {
		return nil, gatehouse.FieldErrorf("password", "Passwords are at most 1024 bytes.")
	}
	if err := s.checkLocked(ctx, dirID, userName, addr); err != nil {
		return nil, err
	}
	u, err := s.Store.FindUserByName(ctx, dirID, userName)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND:
		s.Hasher.VerifyDummy(ctx, pw)
		return nil, errBadCredentials()
	case err != nil:
		return nil, err
	}
	ok, err := s.Hasher.Verify(ctx, u.PasswordHash, pw)
	if err != nil {
		return nil, err
	}
	if !ok || u.Disabled {
		return nil, errBadCredentials()
	}
	if err := s.resetLock(ctx, dirID, userName, addr); err != nil {
		return nil, err
	}
	if s.Hasher.NeedsRehash(u.PasswordHash) {
		if h, err := s.Hasher.Hash(ctx, pw); err == nil {
			u.PasswordHash = h
			_ = s.Store.UpdateUser(ctx, u) // best effort: the old hash still works
		}
	}
	return u, nil
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
	hash, err := s.Hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx gatehouse.Store) error {
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

// CreateSession starts a session for an authenticated user and returns the cookie token. Each sign-in gets a new
// session (SECURITY-CASES 27); the store keeps only the token's hash.
func (s *Service) CreateSession(ctx context.Context, u *gatehouse.User, mfa bool) (string, *gatehouse.Session, error) {
	token := s.newSecret()
	now := s.now()
	info := RequestInfoFrom(ctx)
	sess := &gatehouse.Session{
		ID: hashSecret(token), DirectoryID: u.DirectoryID, UserID: u.ID, CreatedAt: now, AuthnInstant: now,
		LastSeenAt: now, ExpiresAt: now.Add(s.SessionMax), MFA: mfa,
		ClientAddr: info.ClientAddr, UserAgent: truncate(info.UserAgent, 512),
	}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// SessionUser returns the session and its user for a cookie token. An idle, expired or revoked session, or one
// whose user is disabled or gone, is EUNAUTHORIZED. The idle clock is reset at most once a minute.
func (s *Service) SessionUser(ctx context.Context, token string) (*gatehouse.Session, *gatehouse.User, error) {
	if token == "" {
		return nil, nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Sign in first.")
	}
	now := s.now()
	sess, err := s.Store.FindSession(ctx, hashSecret(token), now)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || err == nil && now.Sub(sess.LastSeenAt) > s.SessionIdle {
		return nil, nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Your session has ended; sign in again.")
	} else if err != nil {
		return nil, nil, err
	}
	u, err := s.Store.FindUser(ctx, sess.DirectoryID, sess.UserID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || err == nil && u.Disabled {
		return nil, nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Your session has ended; sign in again.")
	} else if err != nil {
		return nil, nil, err
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		sess.LastSeenAt = now
		if err := s.Store.UpdateSession(ctx, sess); err != nil {
			return nil, nil, err
		}
	}
	return sess, u, nil
}

// SignOut revokes the session of a cookie token on the server.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	err := s.Store.DeleteSession(ctx, hashSecret(token))
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil
	}
	return err
}

// TokenPrefix starts every API token, so that tokens are recognisable in configuration and by secret scanners.
const TokenPrefix = "gh_"

// Login authenticates a user name and password and creates an API token acting as that user. Users with a
// temporary password must change it first (EPASSWORD).
func (s *Service) Login(ctx context.Context, dirID, userName, pw, tokenName string) (string, *gatehouse.APIToken, error) {
	u, err := s.Authenticate(ctx, dirID, userName, pw)
	if err != nil {
		return "", nil, err
	}
	if u.MustChangePassword {
		return "", nil, gatehouse.Errorf(gatehouse.EPASSWORD, "Your password is temporary: sign in at %s/d/%s/login to change it, then try again.", s.PublicURL, dirID)
	}
	if tokenName = strings.TrimSpace(tokenName); tokenName == "" {
		tokenName = "cli"
	}
	if len(tokenName) > 100 {
		return "", nil, gatehouse.FieldErrorf("name", "A token name is at most 100 characters.")
	}
	secret := TokenPrefix + s.newSecret()
	t := &gatehouse.APIToken{
		ID: s.newID(), SecretHash: hashSecret(secret), Prefix: secret[:len(TokenPrefix)+6], DirectoryID: dirID,
		UserID: u.ID, Name: tokenName, CreatedAt: s.now(),
	}
	err = s.Store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateAPIToken(ctx, t); err != nil {
			return err
		}
		return s.audit(ctx, tx, u, dirID, "token.create", "token", t.ID, nil, t)
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
	t, err := s.Store.FindAPITokenBySecretHash(ctx, hashSecret(secret), now)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil, nil, fail
	} else if err != nil {
		return nil, nil, err
	}
	u, err := s.Store.FindUser(ctx, t.DirectoryID, t.UserID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || err == nil && u.Disabled {
		return nil, nil, fail
	} else if err != nil {
		return nil, nil, err
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.Store.TouchAPIToken(ctx, t.ID, now); err != nil {
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
	return s.Store.FindAPITokens(ctx, actor.DirectoryID, userID)
}

// RevokeAPIToken deletes one of the actor's tokens; global admins may revoke any token of their directory.
func (s *Service) RevokeAPIToken(ctx context.Context, actor *gatehouse.User, id string) error {
	ts, err := s.Store.FindAPITokens(ctx, actor.DirectoryID, "")
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
		return s.Store.InTx(ctx, func(tx gatehouse.Store) error {
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
