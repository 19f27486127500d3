package demoapp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// maxPasswordLen is the longest password accepted; longer ones are refused before hashing.
const maxPasswordLen = 1024

// Session lifetimes.
const (
	sessionIdle     = 8 * time.Hour
	sessionAbsolute = 24 * time.Hour
)

// argon2id parameters (the OWASP minimum: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// dummyHash is compared against when the e-mail is unknown, so that an unknown e-mail costs the same as a wrong
// password.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// hashPassword returns the argon2id hash of password in the PHC string format.
func (a *App) hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := io.ReadFull(a.rand, salt); err != nil {
		return "", fmt.Errorf("demoapp: salt: %w", err)
	}
	a.hashSlots <- struct{}{}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	<-a.hashSlots
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// phc is a parsed argon2id hash.
type phc struct {
	m, t      uint32
	p         uint8
	salt, key []byte
}

// parsePHC parses an argon2id hash in the PHC string format, refusing parameters that would cost too much.
func parsePHC(hash string) (phc, bool) {
	var h phc
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" {
		return h, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.m, &h.t, &h.p); err != nil || h.m > 256*1024 || h.t > 10 || h.p == 0 {
		return h, false
	}
	var err1, err2 error
	h.salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	h.key, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	return h, err1 == nil && err2 == nil && len(h.key) > 0
}

// checkPassword reports whether password matches the PHC-format argon2id hash.
func (a *App) checkPassword(hash, password string) bool {
	h, ok := parsePHC(hash)
	if !ok {
		return false
	}
	a.hashSlots <- struct{}{}
	got := argon2.IDKey([]byte(password), h.salt, h.t, h.m, h.p, uint32(len(h.key)))
	<-a.hashSlots
	return subtle.ConstantTimeCompare(got, h.key) == 1
}

// normalizeEmail checks that s is a bare e-mail address and returns it trimmed.
func normalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 254 {
		return "", errors.New("enter an e-mail address")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return "", fmt.Errorf("%q is not an e-mail address", s)
	}
	return s, nil
}

// randomToken returns n random bytes, base64url-encoded.
func (a *App) randomToken(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(a.rand, b); err != nil {
		panic(fmt.Sprintf("demoapp: random source failed: %v", err)) // crypto/rand never fails on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// session is a signed-in browser.
type session struct {
	TokenHash string
	Method    string
	User      *User
}

// cookieName returns the session cookie's name: __Host- prefixed on https.
func (a *App) cookieName() string {
	if a.secure {
		return "__Host-demo_session"
	}
	return "demo_session"
}

var errNoSession = errors.New("demoapp: no session")

// currentSession returns the session of the request's cookie, extending its idle timeout.
func (a *App) currentSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(a.cookieName())
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, errNoSession
	}
	ctx := r.Context()
	h := tokenHash(c.Value)
	now := a.now().Unix()
	var userID int64
	var s session
	var lastSeen, expires int64
	err = a.db.QueryRowContext(ctx, `SELECT user_id, method, last_seen_at, expires_at FROM sessions WHERE token_hash = ?`, h).
		Scan(&userID, &s.Method, &lastSeen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("demoapp: find session: %w", err)
	}
	if now >= expires || now-lastSeen >= int64(sessionIdle/time.Second) {
		a.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, h)
		return nil, errNoSession
	}
	if now-lastSeen > 60 {
		a.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, now, h)
	}
	if s.User, err = a.findUser(ctx, userID); err != nil || s.User.Deactivated {
		return nil, errNoSession
	}
	s.TokenHash = h
	return &s, nil
}

// startSession creates a new session for u (a fresh id, so a planted cookie is never promoted), revokes the one the
// request carried, and sets the cookie.
func (a *App) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, u *User, method string) error {
	if c, err := r.Cookie(a.cookieName()); err == nil {
		a.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash(c.Value))
	}
	token := a.randomToken(32)
	now := a.now()
	if _, err := a.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, method, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, tokenHash(token), u.ID, method, now.Unix(), now.Unix(), now.Add(sessionAbsolute).Unix()); err != nil {
		return fmt.Errorf("demoapp: create session: %w", err)
	}
	if _, err := a.db.ExecContext(ctx, `UPDATE users SET last_sign_in_at = ? WHERE id = ?`, now.Unix(), u.ID); err != nil {
		return fmt.Errorf("demoapp: record sign-in: %w", err)
	}
	http.SetCookie(w, &http.Cookie{Name: a.cookieName(), Value: token, Path: "/", HttpOnly: true, Secure: a.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(sessionAbsolute / time.Second)})
	return nil
}

// requireUser returns the signed-in user, or EUNAUTHORIZED.
func (a *App) requireUser(r *http.Request) (*User, error) {
	s, err := a.currentSession(r)
	if errors.Is(err, errNoSession) {
		return nil, &Error{Code: EUNAUTHORIZED, Message: "Please sign in."}
	}
	if err != nil {
		return nil, err
	}
	return s.User, nil
}

// requireOwner returns the signed-in owner, or EUNAUTHORIZED / EFORBIDDEN.
func (a *App) requireOwner(r *http.Request) (*User, error) {
	u, err := a.requireUser(r)
	if err != nil {
		return nil, err
	}
	if !u.IsOwner() {
		return nil, errorf(EFORBIDDEN, "Only the organization owner can open this page.")
	}
	return u, nil
}

func (a *App) signinPage(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := a.currentSession(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return a.renderSignin(w, r, http.StatusOK, next, "", "")
}

func (a *App) renderSignin(w http.ResponseWriter, r *http.Request, status int, next, email, msg string) error {
	s, err := a.loadSettings(r.Context())
	if err != nil {
		return err
	}
	a.render(w, r, status, "signin", map[string]any{
		"Title": "Sign in", "Next": next, "Email": email, "Error": msg, "SSO": s.Configured(),
		"SSOLink": "/saml/login?next=" + queryEscape(next), "User": nil, "SignedOut": r.URL.Query().Get("signed_out") == "1",
	})
	return nil
}

func (a *App) signin(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return &Error{Code: ETOOLARGE, Message: "The form is too large.", Err: err}
	}
	ctx := r.Context()
	next := safeNext(r.PostForm.Get("next"))
	email := strings.TrimSpace(r.PostForm.Get("email"))
	password := r.PostForm.Get("password")
	const bad = "The e-mail or password is not right."
	if len(password) > maxPasswordLen {
		return a.renderSignin(w, r, http.StatusBadRequest, next, email, "Passwords are at most 1024 bytes long.")
	}
	emailKey, addrKey := throttleKeys(r, email)
	now := a.now()
	if wait := max(a.throttle.wait(now, emailKey, maxEmailFailures), a.throttle.wait(now, addrKey, maxAddrFailures)); wait > 0 {
		mins := int(wait.Round(time.Minute) / time.Minute)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		a.log.Warn("password sign-in throttled", "email", email, "addr", addrKey, "wait", wait)
		return a.renderSignin(w, r, http.StatusTooManyRequests, next, email,
			fmt.Sprintf("Too many wrong passwords. Try again in %d minute(s), or sign in with SSO.", max(1, mins)))
	}
	u, err := a.findUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, errNoRows) {
		return err
	}
	hash := dummyHash
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok := a.checkPassword(hash, password)
	if u == nil || u.PasswordHash == "" || !ok || u.Deactivated {
		a.throttle.fail(now, emailKey, addrKey)
		a.log.Info("password sign-in refused", "email", email)
		return a.renderSignin(w, r, http.StatusUnauthorized, next, email, bad)
	}
	if !u.IsOwner() {
		s, err := a.loadSettings(ctx)
		if err != nil {
			return err
		}
		if s.RequireSSO && s.Configured() {
			return a.renderSignin(w, r, http.StatusForbidden, next, email,
				"Your organization requires single sign-on. Use “Sign in with SSO”.")
		}
	}
	a.throttle.reset(emailKey)
	if err := a.startSession(ctx, w, r, u, "password"); err != nil {
		return err
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (a *App) signout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(a.cookieName()); err == nil {
		if _, err := a.db.ExecContext(r.Context(), `DELETE FROM sessions WHERE token_hash = ?`, tokenHash(c.Value)); err != nil {
			return fmt.Errorf("demoapp: revoke session: %w", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: a.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: a.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, "/signin?signed_out=1", http.StatusSeeOther)
	return nil
}
