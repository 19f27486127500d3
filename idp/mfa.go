package idp

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Step is what a user with a session must still do before their sign-in is complete.
type Step int

// The steps of a sign-in after the password, in the order they are asked for.
const (
	// StepDone: the sign-in is complete.
	StepDone Step = iota
	// StepMFA: prove a second factor: a code from the authenticator app, a recovery code or a passkey (only a
	// passkey when the directory requires a phishing-resistant sign-in).
	StepMFA
	// StepChangePassword: the password is temporary and must be changed.
	StepChangePassword
	// StepEnrolMFA: the directory requires a second factor and the user has none yet.
	StepEnrolMFA
	// StepPassword: sign in with a user name and password; a session has none of the steps before it. A sign-on
	// asks for it when there is no session, or when the app asks for a fresh sign-in (SignInPrompt).
	StepPassword
	// StepEnrolPasskey: the directory requires a phishing-resistant sign-in and the user must add a passkey: they
	// have none yet, or they signed in with a recovery code after losing them.
	StepEnrolPasskey
)

// String returns the step's name, for logs and tests.
func (s Step) String() string {
	switch s {
	case StepDone:
		return "done"
	case StepMFA:
		return "mfa"
	case StepChangePassword:
		return "change-password"
	case StepEnrolMFA:
		return "enrol-mfa"
	case StepPassword:
		return "password"
	case StepEnrolPasskey:
		return "enrol-passkey"
	}
	return "step(" + strconv.Itoa(int(s)) + ")"
}

// SignInStep returns what the user of a session must still do. A user with a second factor (an authenticator app,
// or a passkey where the directory allows them) proves it first (so a stolen password alone cannot even change
// the password), and a passkey when the directory requires a phishing-resistant sign-in and they have one; then
// they change a temporary password (when they signed in with it), then add a passkey when the directory requires
// a phishing-resistant sign-in and the session has none, or enrol a second factor when the directory requires
// one. A session made without a second factor therefore stops counting as soon as the user enrols one or the
// directory starts requiring one.
func (s *Service) SignInStep(ctx context.Context, sess *gatehouse.Session, u *gatehouse.User) (Step, error) {
	return s.signInStep(ctx, sess, u, nil)
}

// signInStep is SignInStep with the user's directory when the caller has it (dir), which is read otherwise.
func (s *Service) signInStep(ctx context.Context, sess *gatehouse.Session, u *gatehouse.User, dir *gatehouse.Directory) (Step, error) {
	p, err := s.passkeyPolicy(ctx, u.DirectoryID)
	if err != nil {
		return 0, err
	}
	strict := p.RequirePhishingResistant && !sess.PhishingResistant()
	passkeys := 0
	if s.passkeysUsable(p) && (!sess.MFA || strict) {
		keys, err := s.store.FindPasskeys(ctx, u.DirectoryID, u.ID)
		if err != nil {
			return 0, err
		}
		passkeys = len(keys)
	}
	switch {
	case (u.MFAEnabled || passkeys > 0) && !sess.MFA:
		return StepMFA, nil
	case strict && passkeys > 0 && !sess.Has(gatehouse.MethodRecoveryCode):
		return StepMFA, nil
	case u.MustChangePassword && sess.Has(gatehouse.MethodPassword):
		return StepChangePassword, nil
	case strict:
		return StepEnrolPasskey, nil
	case sess.MFA:
		return StepDone, nil
	}
	if dir == nil || dir.ID != u.DirectoryID {
		if dir, err = s.cachedDirectory(ctx, u.DirectoryID); err != nil {
			return 0, err
		}
	}
	if dir.RequireMFA {
		return StepEnrolMFA, nil
	}
	return StepDone, nil
}

// CodeMethod returns the method a code VerifyMFA accepted was: MethodTOTP for the 6 digits of an authenticator
// app, MethodRecoveryCode otherwise.
func CodeMethod(code string) gatehouse.AuthMethod {
	if len(normalizeCode(code)) == 6 {
		return gatehouse.MethodTOTP
	}
	return gatehouse.MethodRecoveryCode
}

// TOTP parameters: the defaults of authenticator apps (RFC 6238 with SHA-1, 6 digits, 30 seconds), with one step
// of clock skew either way.
const (
	totpPeriod = 30
	totpSkew   = 1
	// enrolmentTTL is how long an enrolment page's secret can be confirmed.
	enrolmentTTL = 15 * time.Minute
	// RecoveryCodeCount is the number of recovery codes given at enrolment.
	RecoveryCodeCount = 10
)

// mfaCause is the cause of a refused code, for the sign-in log.
type mfaCause struct{ code, detail string }

func (c mfaCause) Error() string { return c.detail }

func errBadCode(detail string) error {
	return &gatehouse.Error{Code: gatehouse.EUNAUTHORIZED, Field: "code",
		Message: "That code is not right. Enter the 6-digit code your authenticator app shows now, or one of your recovery codes.",
		Err:     mfaCause{CodeBadMFACode, detail}}
}

func errCodeReused() error {
	return &gatehouse.Error{Code: gatehouse.EUNAUTHORIZED, Field: "code",
		Message: "That code has already been used. Wait for the next code in your authenticator app.",
		Err:     mfaCause{CodeMFACodeReused, "the TOTP code of this time step was already used"}}
}

// MFAEnrolment is a new TOTP secret waiting for the user to confirm it with a first code.
type MFAEnrolment struct {
	// Secret is the base32 secret, for typing into an authenticator app.
	Secret string
	// URL is the otpauth:// URL that the QR code holds.
	URL string
	// QRCode is a PNG image of URL as a QR code.
	QRCode []byte
	// Token carries the secret, sealed, to ConfirmMFAEnrolment; it is valid for 15 minutes and only for this user.
	Token string
}

// StartMFAEnrolment makes a new TOTP secret for u. Nothing is stored until ConfirmMFAEnrolment gets a correct code
// for it, so a page that is left open changes nothing. Given the token of an earlier enrolment of u that has not
// expired, it returns that enrolment again (for a page shown again after a wrong first code).
func (s *Service) StartMFAEnrolment(ctx context.Context, u *gatehouse.User, token string) (*MFAEnrolment, error) {
	d, err := s.store.FindDirectory(ctx, u.DirectoryID)
	if err != nil {
		return nil, err
	}
	opts := totp.GenerateOpts{
		Issuer: "Gatehouse " + d.Name, AccountName: u.UserName, Period: totpPeriod, SecretSize: 20, Rand: s.rand,
	}
	expires := s.now().Add(enrolmentTTL)
	if secret, exp, err := s.openEnrolment(u, token); err == nil {
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
		if err == nil {
			opts.Secret, expires = raw, exp
		}
	}
	key, err := totp.Generate(opts)
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("idp: generate TOTP key: %w", err))
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("idp: QR code: %w", err))
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("idp: QR code: %w", err))
	}
	plain := binary.BigEndian.AppendUint64(nil, uint64(expires.Unix()))
	plain = append(plain, key.Secret()...)
	sealed, err := s.sealSecret(plain, enrolmentAAD(u))
	if err != nil {
		return nil, err
	}
	return &MFAEnrolment{Secret: key.Secret(), URL: key.URL(), QRCode: b.Bytes(), Token: base64.RawURLEncoding.EncodeToString(sealed)}, nil
}

func errEnrolmentExpired() error {
	return gatehouse.Errorf(gatehouse.EINVALID, "The set-up page has expired; start again.")
}

// openEnrolment returns the secret and expiry of an enrolment token of u that has not expired.
func (s *Service) openEnrolment(u *gatehouse.User, token string) (string, time.Time, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) > 1024 || token == "" {
		return "", time.Time{}, errEnrolmentExpired()
	}
	plain, err := s.openSecret(raw, enrolmentAAD(u))
	if err != nil || len(plain) < 9 {
		return "", time.Time{}, errEnrolmentExpired()
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(plain)), 0)
	if exp.Before(s.now()) {
		return "", time.Time{}, errEnrolmentExpired()
	}
	return string(plain[8:]), exp, nil
}

func enrolmentAAD(u *gatehouse.User) string { return "totp-enrolment:" + u.DirectoryID + ":" + u.ID }
func secretAAD(u *gatehouse.User) string    { return "totp-secret:" + u.DirectoryID + ":" + u.ID }

// ConfirmMFAEnrolment checks a first code for the secret of an enrolment token and, when it is right, turns on
// the second factor for u with that secret, replacing any earlier one, and returns new recovery codes, to be shown
// once. u is updated in place.
func (s *Service) ConfirmMFAEnrolment(ctx context.Context, u *gatehouse.User, token, code string) ([]string, error) {
	secret, _, err := s.openEnrolment(u, token)
	if err != nil {
		return nil, err
	}
	step, ok := matchTOTP(secret, normalizeCode(code), s.now())
	if !ok {
		return nil, &gatehouse.Error{Code: gatehouse.EINVALID, Field: "code",
			Message: "That code does not match. Check that your authenticator app's clock is right and enter the code it shows now."}
	}
	if err := s.useStep(ctx, u, secret, step); err != nil {
		return nil, err
	}
	sealed, err := s.sealSecret([]byte(secret), secretAAD(u))
	if err != nil {
		return nil, err
	}
	codes, hashes, err := s.newRecoveryCodes()
	if err != nil {
		return nil, err
	}
	if p, err := s.passkeyPolicy(ctx, u.DirectoryID); err != nil {
		return nil, err
	} else if !p.RecoveryCodesAllowed() {
		codes, hashes = nil, nil
	}
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		fresh, err := tx.FindUser(ctx, u.DirectoryID, u.ID)
		if err != nil {
			return err
		}
		fresh.MFAEnabled, fresh.MFASecret, fresh.RecoveryCodes, fresh.UpdatedAt = true, sealed, hashes, s.now()
		if err := tx.UpdateUser(ctx, fresh); err != nil {
			return err
		}
		*u = *fresh
		return s.audit(ctx, tx, u, u.DirectoryID, "user.mfa-enrol", "user", u.ID, nil, nil)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// VerifyMFA checks a code from u's authenticator app, or one of u's recovery codes, at sign-in. A TOTP code is
// accepted once (SECURITY-CASES 9's replay rule, for people); a recovery code is deleted when used. Wrong codes
// count towards the Lockout like wrong passwords, and a locked account gets ERATELIMIT without a check. The outcome
// goes into the sign-in log.
func (s *Service) VerifyMFA(ctx context.Context, u *gatehouse.User, code string) error {
	remaining, err := s.verifyMFA(ctx, u, code, RequestInfoFrom(ctx).ClientAddr)
	e := &gatehouse.SignInEvent{UserID: u.ID, UserName: u.UserName, Result: gatehouse.ResultSuccess, Reason: "Verification code accepted."}
	if remaining >= 0 {
		e.Reason = fmt.Sprintf("Recovery code used; %d left.", remaining)
	}
	if err != nil {
		e.Result = gatehouse.ResultFailure
		e.Code, e.Reason = signInFailure(err)
	}
	s.logSignIn(ctx, u.DirectoryID, e)
	return err
}

// verifyMFA returns the number of recovery codes left when one was used, and -1 otherwise.
func (s *Service) verifyMFA(ctx context.Context, u *gatehouse.User, code, addr string) (int, error) {
	if !u.MFAEnabled && len(u.RecoveryCodes) == 0 {
		return -1, gatehouse.Errorf(gatehouse.EINVALID, "Two-step verification is not set up for this account.")
	}
	p, err := s.passkeyPolicy(ctx, u.DirectoryID)
	if err != nil {
		return -1, err
	}
	n, err := s.checkAttempt(ctx, u.DirectoryID, u.UserName, addr)
	if err != nil {
		return -1, err
	}
	fail := func(err error) (int, error) {
		if ferr := s.recordFailure(ctx, u.DirectoryID, u.UserName, addr, n); ferr != nil {
			return -1, ferr
		}
		return -1, err
	}
	code = normalizeCode(code)
	remaining := -1
	switch {
	case len(code) == 6 && !u.MFAEnabled:
		return fail(errBadCode("a 6-digit code, and the user has no authenticator app"))
	case len(code) == 10 && !p.RecoveryCodesAllowed():
		return fail(errBadCode("a recovery code, and recovery codes are off in the directory"))
	case len(code) == 6:
		secret, err := s.openSecret(u.MFASecret, secretAAD(u))
		if err != nil {
			return -1, gatehouse.Internal(fmt.Errorf("idp: open TOTP secret of %s: %w", u.ID, err))
		}
		step, ok := matchTOTP(string(secret), code, s.now())
		if !ok {
			return fail(errBadCode("wrong TOTP code"))
		}
		if err := s.useStep(ctx, u, string(secret), step); gatehouse.ErrorCode(err) == gatehouse.EUNAUTHORIZED {
			return fail(err)
		} else if err != nil {
			return -1, err
		}
	case len(code) == 10:
		n, err := s.useRecoveryCode(ctx, u, code)
		if gatehouse.ErrorCode(err) == gatehouse.EUNAUTHORIZED {
			return fail(err)
		} else if err != nil {
			return -1, err
		}
		remaining = n
	default:
		return fail(errBadCode("the code has neither 6 digits nor the 10 characters of a recovery code"))
	}
	return remaining, s.recordSuccess(ctx, u.DirectoryID, u.UserName, addr)
}

// useStep records that u's TOTP code of a time step was used; a second use is refused. The key names the secret
// too (by a short hash), so that confirming a new authenticator is not refused because the old one's code of the
// same step was just used.
func (s *Service) useStep(ctx context.Context, u *gatehouse.User, secret string, step int64) error {
	now := s.now()
	fp := sha256.Sum256([]byte(secret))
	key := "totp:" + u.DirectoryID + ":" + u.ID + ":" + hex.EncodeToString(fp[:6]) + ":" + strconv.FormatInt(step, 10)
	// The code of a step is valid until the skew lets it go; remember it a little longer than that.
	err := s.store.UseOnce(ctx, key, now, now.Add((2*totpSkew+2)*totpPeriod*time.Second))
	if gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
		return errCodeReused()
	}
	return err
}

// useRecoveryCode deletes the recovery code from u and returns how many are left.
func (s *Service) useRecoveryCode(ctx context.Context, u *gatehouse.User, code string) (int, error) {
	h := hashRecoveryCode(code)
	left := 0
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		fresh, err := tx.FindUser(ctx, u.DirectoryID, u.ID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(fresh.RecoveryCodes, func(c string) bool { return subtle.ConstantTimeCompare([]byte(c), []byte(h)) == 1 })
		if i < 0 {
			return errBadCode("not one of the unused recovery codes")
		}
		fresh.RecoveryCodes = slices.Delete(slices.Clone(fresh.RecoveryCodes), i, i+1)
		fresh.UpdatedAt = s.now()
		if err := tx.UpdateUser(ctx, fresh); err != nil {
			return err
		}
		*u = *fresh
		left = len(fresh.RecoveryCodes)
		return s.audit(ctx, tx, u, u.DirectoryID, "user.mfa-recovery-code", "user", u.ID, nil, nil)
	})
	return left, err
}

// DisableMFA turns off u's authenticator app after checking a current code (or a recovery code). A directory that
// requires a second factor does not allow it unless the user has a passkey; its users set up a new authenticator
// instead. The recovery codes stay while the user has passkeys.
func (s *Service) DisableMFA(ctx context.Context, u *gatehouse.User, code string) error {
	d, err := s.store.FindDirectory(ctx, u.DirectoryID)
	if err != nil {
		return err
	}
	p, err := s.passkeyPolicy(ctx, u.DirectoryID)
	if err != nil {
		return err
	}
	keys, err := s.store.FindPasskeys(ctx, u.DirectoryID, u.ID)
	if err != nil {
		return err
	}
	if d.RequireMFA && (len(keys) == 0 || !s.passkeysUsable(p)) {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "Your directory requires two-step verification, so it cannot be turned off. You can set up a new authenticator app instead.")
	}
	if err := s.VerifyMFA(ctx, u, code); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx gatehouse.Store) error {
		fresh, err := tx.FindUser(ctx, u.DirectoryID, u.ID)
		if err != nil {
			return err
		}
		codes := fresh.RecoveryCodes
		clearMFA(fresh)
		if keys, err := tx.FindPasskeys(ctx, u.DirectoryID, u.ID); err != nil {
			return err
		} else if len(keys) > 0 {
			fresh.RecoveryCodes = codes
		}
		fresh.UpdatedAt = s.now()
		if err := tx.UpdateUser(ctx, fresh); err != nil {
			return err
		}
		*u = *fresh
		return s.audit(ctx, tx, u, u.DirectoryID, "user.mfa-disable", "user", u.ID, nil, nil)
	})
}

// ResetMFA turns off a user's second factors for an admin, for example after a lost phone or lost passkeys: the
// authenticator app, the recovery codes and every passkey. It ends the user's sessions; the user signs in with
// their password and enrols again at the next sign-in if the directory requires it. The audit entry lists the
// passkeys removed.
func (s *Service) ResetMFA(ctx context.Context, actor *gatehouse.User, dirID, id string) (*gatehouse.User, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return nil, err
	}
	var out *gatehouse.User
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		u, err := tx.FindUser(ctx, dirID, id)
		if err != nil {
			return err
		}
		if err := s.checkRoleChange(actor, u, u); err != nil {
			return err
		}
		before := *u
		clearMFA(u)
		u.UpdatedAt = s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		keys, err := tx.FindPasskeys(ctx, dirID, id)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.DeletePasskey(ctx, dirID, k.ID); err != nil {
				return err
			}
		}
		if err := tx.DeleteUserSessions(ctx, dirID, id); err != nil {
			return err
		}
		out = u
		after := struct {
			*gatehouse.User
			PasskeysRemoved []*gatehouse.Passkey `json:"passkeysRemoved,omitempty"`
		}{u, keys}
		return s.audit(ctx, tx, actor, dirID, "user.mfa-reset", "user", id, before, after)
	})
	return out, err
}

func clearMFA(u *gatehouse.User) {
	u.MFAEnabled, u.MFASecret, u.RecoveryCodes = false, nil, nil
}

// normalizeCode removes the spaces and hyphens people type in codes and lower-cases them.
func normalizeCode(code string) string {
	if len(code) > 64 {
		return ""
	}
	return strings.ToLower(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, code))
}

// matchTOTP returns the time step whose code for secret is code, allowing totpSkew steps either way.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	for skew := -totpSkew; skew <= totpSkew; skew++ {
		t := now.Add(time.Duration(skew*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, opts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / totpPeriod, true
		}
	}
	return 0, false
}

// newRecoveryCodes returns RecoveryCodeCount codes, formatted "xxxxx-xxxxx" (50 random bits each), and their
// hashes.
func (s *Service) newRecoveryCodes() (codes, hashes []string, err error) {
	for range RecoveryCodeCount {
		b := make([]byte, 7)
		if _, err := io.ReadFull(s.rand, b); err != nil {
			return nil, nil, gatehouse.Internal(err)
		}
		c := idEncoding.EncodeToString(b)[:10]
		codes = append(codes, c[:5]+"-"+c[5:])
		hashes = append(hashes, hashRecoveryCode(c))
	}
	return codes, hashes, nil
}

// hashRecoveryCode returns the hex SHA-256 of a normalized recovery code: what User.RecoveryCodes keeps.
func hashRecoveryCode(code string) string {
	sum := sha256.Sum256([]byte(normalizeCode(code)))
	return hex.EncodeToString(sum[:])
}

// Versions of sealed TOTP secrets: AES-256-GCM, a 12-byte random nonce, and the version byte and the caller's
// associated data authenticated alongside. The key comes from NameIDKey, which the server takes from its key file, so
// secrets are encrypted at rest with a key that never enters the database (certs.Sealer seals only RSA keys).
// Version 1's key was HMAC-SHA256 of its purpose (certs.LegacyKey); version 2's is derived with HKDF
// (certs.DeriveKey). sealSecret writes version 2; openSecret opens both, so secrets sealed before stay readable.
const (
	sealV1 = 1
	sealV2 = 2
)

// secretAEAD returns the cipher of TOTP secrets sealed with version.
func (s *Service) secretAEAD(version byte) (cipher.AEAD, error) {
	var key []byte
	var err error
	switch version {
	case sealV1:
		key, err = certs.LegacyKey(s.nameIDKey, "gatehouse TOTP secret v1")
	case sealV2:
		key, err = certs.DeriveKey(s.nameIDKey, "gatehouse TOTP secret v2")
	default:
		return nil, errSealed
	}
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	return aead, nil
}

func (s *Service) sealSecret(plain []byte, aad string) ([]byte, error) {
	aead, err := s.secretAEAD(sealV2)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plain)+aead.Overhead())
	out[0] = sealV2
	if _, err := io.ReadFull(s.rand, out[1:]); err != nil {
		return nil, gatehouse.Internal(err)
	}
	return aead.Seal(out, out[1:], plain, append([]byte{sealV2}, aad...)), nil
}

var errSealed = errors.New("idp: the sealed secret does not open")

func (s *Service) openSecret(sealed []byte, aad string) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, errSealed
	}
	aead, err := s.secretAEAD(sealed[0])
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+aead.NonceSize()+aead.Overhead() {
		return nil, errSealed
	}
	n := 1 + aead.NonceSize()
	plain, err := aead.Open(nil, sealed[1:n], sealed[n:], append([]byte{sealed[0]}, aad...))
	if err != nil {
		return nil, errSealed
	}
	return plain, nil
}
