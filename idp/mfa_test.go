package idp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/pquerna/otp/totp"
)

// enrol turns on TOTP for u and returns the secret and the recovery codes.
func enrol(t *testing.T, w *authWorld, u *gatehouse.User) (string, []string) {
	t.Helper()
	ctx := context.Background()
	e, err := w.svc.StartMFAEnrolment(ctx, u, "")
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(e.Secret, w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	codes, err := w.svc.ConfirmMFAEnrolment(ctx, u, e.Token, code)
	if err != nil {
		t.Fatal(err)
	}
	// The enrolment used this time step's code; later codes come from later steps.
	w.clock.Add(30 * time.Second)
	return e.Secret, codes
}

func TestMFAEnrolment(t *testing.T) {
	w := newAuthWorld(t)
	ctx := context.Background()
	e, err := w.svc.StartMFAEnrolment(ctx, w.user, "")
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(e.QRCode)); err != nil || img.Bounds().Dx() != 240 {
		t.Errorf("QR code is not a 240-pixel PNG: %v", err)
	}
	if !strings.HasPrefix(e.URL, "otpauth://totp/") || !strings.Contains(e.URL, "secret="+e.Secret) {
		t.Errorf("URL %q does not carry the secret", e.URL)
	}
	again, err := w.svc.StartMFAEnrolment(ctx, w.user, e.Token)
	if err != nil || again.Secret != e.Secret {
		t.Errorf("StartMFAEnrolment with the token gave secret %q (%v), want the same %q", again.Secret, err, e.Secret)
	}
	now := w.clock.Now()
	good, _ := totp.GenerateCode(e.Secret, now)
	other := w.newUser(t, "other@contoso.com", userPassword)
	tests := []struct {
		name  string
		user  *gatehouse.User
		token string
		code  string
		want  string
	}{
		{"wrong code", w.user, e.Token, wrongCode(good), gatehouse.EINVALID},
		{"another user's token", other, e.Token, good, gatehouse.EINVALID},
		{"damaged token", w.user, e.Token[:len(e.Token)-2] + "xx", good, gatehouse.EINVALID},
		{"no token", w.user, "", good, gatehouse.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.svc.ConfirmMFAEnrolment(ctx, tt.user, tt.token, tt.code)
			if got := gatehouse.ErrorCode(err); got != tt.want {
				t.Errorf("code %q, want %q (%v)", got, tt.want, err)
			}
		})
	}
	t.Run("expired token", func(t *testing.T) {
		w.clock.Add(16 * time.Minute)
		defer w.clock.Add(-16 * time.Minute)
		late, _ := totp.GenerateCode(e.Secret, w.clock.Now())
		if _, err := w.svc.ConfirmMFAEnrolment(ctx, w.user, e.Token, late); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Errorf("expired enrolment confirmed: %v", err)
		}
	})
	codes, err := w.svc.ConfirmMFAEnrolment(ctx, w.user, e.Token, good)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := w.store.FindUser(ctx, "default", w.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.MFAEnabled || len(stored.MFASecret) == 0 || bytes.Contains(stored.MFASecret, []byte(e.Secret)) {
		t.Errorf("stored MFAEnabled %v, secret %q: want enabled and sealed", stored.MFAEnabled, stored.MFASecret)
	}
	if len(codes) != idp.RecoveryCodeCount || len(stored.RecoveryCodes) != idp.RecoveryCodeCount {
		t.Fatalf("%d codes shown and %d stored, want %d", len(codes), len(stored.RecoveryCodes), idp.RecoveryCodeCount)
	}
	for i, c := range codes {
		sum := sha256.Sum256([]byte(strings.ReplaceAll(c, "-", "")))
		if stored.RecoveryCodes[i] != hex.EncodeToString(sum[:]) {
			t.Errorf("recovery code %d: stored %q, want the SHA-256 of %q", i, stored.RecoveryCodes[i], c)
		}
	}
}

// wrongCode returns a 6-digit code other than good.
func wrongCode(good string) string {
	if good == "000000" {
		return "111111"
	}
	return "000000"
}

func TestVerifyMFA(t *testing.T) {
	w := newAuthWorld(t)
	secret, recovery := enrol(t, w, w.user)
	// The step before now must be unused for the skew case: move past the step the enrolment used.
	w.clock.Add(30 * time.Second)
	code := func(offset time.Duration) string {
		c, err := totp.GenerateCode(secret, w.clock.Now().Add(offset))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	now := code(0)
	steps := []struct {
		name    string
		code    string
		want    string
		logCode string
	}{
		{"current code", now, "", ""},
		{"the same code again is a replay", now, gatehouse.EUNAUTHORIZED, idp.CodeMFACodeReused},
		{"the same code with spaces is still a replay", now[:3] + " " + now[3:], gatehouse.EUNAUTHORIZED, idp.CodeMFACodeReused},
		{"previous step's code (clock skew)", code(-30 * time.Second), "", ""},
		{"code from two minutes ago", code(-2 * time.Minute), gatehouse.EUNAUTHORIZED, idp.CodeBadMFACode},
		{"wrong code", wrongCode(now), gatehouse.EUNAUTHORIZED, idp.CodeBadMFACode},
		{"neither 6 digits nor a recovery code", "12345", gatehouse.EUNAUTHORIZED, idp.CodeBadMFACode},
		{"recovery code", strings.ToUpper(recovery[3]), "", ""},
		{"the same recovery code again", recovery[3], gatehouse.EUNAUTHORIZED, idp.CodeBadMFACode},
		{"another recovery code without its hyphen", strings.ReplaceAll(recovery[4], "-", ""), "", ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			u, err := w.store.FindUser(context.Background(), "default", w.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			err = w.svc.VerifyMFA(fromAs("198.51.100.20", st.name), u, st.code)
			if got := gatehouse.ErrorCode(err); got != st.want {
				t.Fatalf("code %q, want %q (%v)", got, st.want, err)
			}
			e := w.signInOf(t, st.name)
			if e.Code != st.logCode || e.UserID != w.user.ID {
				t.Errorf("logged %+v, want code %q for the user", e, st.logCode)
			}
		})
	}
	u, _ := w.store.FindUser(context.Background(), "default", w.user.ID)
	if len(u.RecoveryCodes) != idp.RecoveryCodeCount-2 {
		t.Errorf("%d recovery codes left, want %d", len(u.RecoveryCodes), idp.RecoveryCodeCount-2)
	}
}

func TestVerifyMFACountsTowardsLockout(t *testing.T) {
	w := newAuthWorld(t)
	secret, _ := enrol(t, w, w.user)
	ctx := from("198.51.100.21")
	// A thief with the password alternates the right password and guessed codes: the right password does not
	// reset the count while a code is due, so five attempts in all are answered, then none.
	answered := 0
	for i := range 10 {
		var err error
		if i%2 == 0 {
			_, err = w.svc.Authenticate(ctx, "default", userName, userPassword)
		} else {
			good, _ := totp.GenerateCode(secret, w.clock.Now())
			err = w.svc.VerifyMFA(ctx, w.user, wrongCode(good))
		}
		if gatehouse.ErrorCode(err) == gatehouse.ERATELIMIT {
			break
		}
		answered++
	}
	if answered != 5 {
		t.Fatalf("%d attempts answered, want 5", answered)
	}
	good, _ := totp.GenerateCode(secret, w.clock.Now())
	if err := w.svc.VerifyMFA(ctx, w.user, good); gatehouse.ErrorCode(err) != gatehouse.ERATELIMIT {
		t.Fatalf("right code while locked: %v, want rate_limited", err)
	}
	w.clock.Add(16 * time.Minute)
	good, _ = totp.GenerateCode(secret, w.clock.Now())
	if err := w.svc.VerifyMFA(ctx, w.user, good); err != nil {
		t.Fatalf("right code after the lock ended: %v", err)
	}
}

func TestDisableAndResetMFA(t *testing.T) {
	w := newAuthWorld(t)
	ctx := context.Background()
	secret, _ := enrol(t, w, w.user)
	plain := w.newUser(t, "plain@contoso.com", userPassword)

	if _, err := w.svc.ResetMFA(ctx, plain, "default", w.user.ID); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
		t.Errorf("a plain user reset MFA: %v", err)
	}
	on := true
	if _, err := w.svc.UpdateDirectory(ctx, w.admin, "default", idp.DirectoryPatch{RequireMFA: &on}); err != nil {
		t.Fatal(err)
	}
	good, _ := totp.GenerateCode(secret, w.clock.Now())
	if err := w.svc.DisableMFA(ctx, w.user, good); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
		t.Errorf("disabled MFA although the directory requires it: %v", err)
	}
	token, _, err := w.svc.CreateSession(ctx, w.user, true)
	if err != nil {
		t.Fatal(err)
	}
	u, err := w.svc.ResetMFA(ctx, w.admin, "default", w.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.MFAEnabled || u.MFASecret != nil || u.RecoveryCodes != nil {
		t.Errorf("after reset: %+v", u)
	}
	if _, _, err := w.svc.SessionUser(ctx, token); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
		t.Errorf("the session outlived the MFA reset: %v", err)
	}
	if step, err := w.svc.SignInStep(ctx, &gatehouse.Session{}, u); err != nil || step != idp.StepEnrolMFA {
		t.Errorf("next sign-in step %v (%v), want enrolment", step, err)
	}

	off := false
	if _, err := w.svc.UpdateDirectory(ctx, w.admin, "default", idp.DirectoryPatch{RequireMFA: &off}); err != nil {
		t.Fatal(err)
	}
	secret, _ = enrol(t, w, u)
	if err := w.svc.DisableMFA(ctx, u, "000000"+"1"); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
		t.Errorf("disabled MFA with a wrong code: %v", err)
	}
	good, _ = totp.GenerateCode(secret, w.clock.Now())
	if err := w.svc.DisableMFA(ctx, u, good); err != nil {
		t.Fatal(err)
	}
	if u.MFAEnabled {
		t.Error("MFA still on after DisableMFA")
	}
}
