package idp_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/gatehouse-idp/gatehouse/internal/passkeytest"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// passkeyWorld is a service at https://login.contoso.test with a settable clock, a lockout that locks an address
// after one failure (so that a test sees whether a failure was counted) and no pauses, a log it can read, and the
// relying party as an authenticator sees it.
type passkeyWorld struct {
	t     *testing.T
	svc   *idp.Service
	store gatehouse.Store
	root  *gatehouse.User
	clock *clock
	// mu guards logs, which the service writes from the test's goroutine only; the lock keeps the race detector
	// content if that changes.
	mu   sync.Mutex
	logs bytes.Buffer
	rp   virtualwebauthn.RelyingParty
	seq  int
}

type lockedWriter struct{ w *passkeyWorld }

func (l lockedWriter) Write(p []byte) (int, error) {
	l.w.mu.Lock()
	defer l.w.mu.Unlock()
	return l.w.logs.Write(p)
}

func newPasskeyWorld(t *testing.T) *passkeyWorld {
	t.Helper()
	// The clock moves a millisecond at each reading, so that the sign-in log's newest entry is the last one.
	w := &passkeyWorld{t: t, clock: &clock{t: time.Now().UTC().Truncate(time.Second), tick: time.Millisecond},
		rp: virtualwebauthn.RelyingParty{ID: "login.contoso.test", Name: "Gatehouse", Origin: "https://login.contoso.test"}}
	w.svc, w.root = newSPService(t, func(c *idp.Config) {
		w.store = c.Store
		c.PublicURL, c.Now = "https://login.contoso.test", w.clock.Now
		c.Logger = slog.New(slog.NewTextHandler(lockedWriter{w}, nil))
		c.Lockout = idp.Lockout{Window: 15 * time.Minute, PerAccountAddr: 100, PerAccount: 100, PerAddr: 1}
	})
	return w
}

// ctx returns a request context from client address addr.
func (w *passkeyWorld) ctx(addr string) context.Context {
	return idp.WithRequestInfo(context.Background(), idp.RequestInfo{CorrelationID: "c-" + addr, ClientAddr: addr})
}

// user creates a user with a password in directory dir.
func (w *passkeyWorld) user(dir string) *gatehouse.User {
	w.t.Helper()
	w.seq++
	u, temp, err := w.svc.CreateUser(context.Background(), w.root, dir, idp.UserInput{UserName: fmt.Sprintf("pk%d@contoso.com", w.seq), FirstName: "P", LastName: "K"})
	if err != nil {
		w.t.Fatal(err)
	}
	return withPassword(w.t, w.svc, u, temp)
}

// authenticator returns a virtual authenticator holding a new credential for u (user verification on, as
// Gatehouse requires).
func (w *passkeyWorld) authenticator(u *gatehouse.User) (*virtualwebauthn.Authenticator, *virtualwebauthn.Credential) {
	a := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(u.ID)})
	c := passkeytest.NewCredential()
	return &a, &c
}

// register adds the authenticator's credential as a passkey of u.
func (w *passkeyWorld) register(u *gatehouse.User, a *virtualwebauthn.Authenticator, c *virtualwebauthn.Credential) (*gatehouse.Passkey, []string, error) {
	w.t.Helper()
	ch, err := w.svc.BeginPasskeyRegistration(w.ctx("192.0.2.250"), u)
	if err != nil {
		w.t.Fatal(err)
	}
	opts, err := virtualwebauthn.ParseAttestationOptions(string(ch.Options))
	if err != nil {
		w.t.Fatal(err)
	}
	resp := virtualwebauthn.CreateAttestationResponse(w.rp, *a, *c, *opts)
	k, codes, err := w.svc.FinishPasskeyRegistration(w.ctx("192.0.2.250"), u, "Test key", ch.State, []byte(resp))
	if err == nil {
		a.AddCredential(*c)
	}
	return k, codes, err
}

// mustRegister is register that must succeed.
func (w *passkeyWorld) mustRegister(u *gatehouse.User) (*virtualwebauthn.Authenticator, *virtualwebauthn.Credential) {
	w.t.Helper()
	a, c := w.authenticator(u)
	if _, _, err := w.register(u, a, c); err != nil {
		w.t.Fatal(err)
	}
	return a, c
}

// answer returns the authenticator's answer to a challenge, signed over rp.
func answer(t *testing.T, rp virtualwebauthn.RelyingParty, a *virtualwebauthn.Authenticator, c *virtualwebauthn.Credential, ch *idp.PasskeyChallenge) []byte {
	t.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(string(ch.Options))
	if err != nil {
		t.Fatal(err)
	}
	c.Counter++
	return []byte(virtualwebauthn.CreateAssertionResponse(rp, *a, *c, *opts))
}

// signInCode returns the sign-in log's code of the newest entry of u.
func (w *passkeyWorld) signInCode(dir string, u *gatehouse.User) string {
	w.t.Helper()
	es, _, err := w.svc.FindSignInEvents(context.Background(), w.root, dir, gatehouse.SignInFilter{UserID: u.ID, Limit: 1})
	if err != nil || len(es) == 0 {
		w.t.Fatalf("sign-in log of %s: %v, %d entries", u.UserName, err, len(es))
	}
	return es[0].Code
}

// TestPasskeyRegistration registers passkeys with an independent virtual authenticator: a discoverable credential
// with user verification is stored with its AAGUID, the first one brings recovery codes, the same authenticator is
// excluded the second time, and an authenticator that did not verify its user, one the directory does not list
// and an answer to another user's challenge are refused.
func TestPasskeyRegistration(t *testing.T) {
	w := newPasskeyWorld(t)
	ctx := context.Background()
	u := w.user("default")
	a, c := w.authenticator(u)
	k, codes, err := w.register(u, a, c)
	if err != nil {
		t.Fatal(err)
	}
	firstAAGUID := a.Aaguid
	aaguid := fmt.Sprintf("%x-%x-%x-%x-%x", a.Aaguid[0:4], a.Aaguid[4:6], a.Aaguid[6:8], a.Aaguid[8:10], a.Aaguid[10:16])
	if k.Name != "Test key" || k.AAGUID != aaguid || !bytes.Equal(k.CredentialID, c.ID) || len(codes) != idp.RecoveryCodeCount {
		t.Errorf("passkey %+v with %d recovery codes; want AAGUID %s, credential %x and %d codes", k, len(codes), aaguid, c.ID, idp.RecoveryCodeCount)
	}
	ch, err := w.svc.BeginPasskeyRegistration(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	var opts struct {
		PublicKey struct {
			AuthenticatorSelection struct{ ResidentKey, UserVerification string }
			ExcludeCredentials     []struct{ ID string }
			Attestation            string
		}
	}
	if err := json.Unmarshal(ch.Options, &opts); err != nil {
		t.Fatal(err)
	}
	sel := opts.PublicKey.AuthenticatorSelection
	if sel.ResidentKey != "preferred" || sel.UserVerification != "required" || opts.PublicKey.Attestation != "none" ||
		len(opts.PublicKey.ExcludeCredentials) != 1 || opts.PublicKey.ExcludeCredentials[0].ID != base64.RawURLEncoding.EncodeToString(c.ID) {
		t.Errorf("registration options %s; want a preferred resident key, required user verification, attestation none and the first passkey excluded", ch.Options)
	}

	// A second passkey brings no new recovery codes.
	a2, c2 := w.authenticator(u)
	if _, codes, err := w.register(u, a2, c2); err != nil || codes != nil {
		t.Errorf("second passkey: codes %v, error %v; want none and no error", codes, err)
	}
	keys, err := w.svc.FindOwnPasskeys(ctx, u)
	if err != nil || len(keys) != 2 {
		t.Fatalf("own passkeys: %d, %v; want 2", len(keys), err)
	}

	t.Run("user not verified", func(t *testing.T) {
		a, c := w.authenticator(u)
		a.Options.UserNotVerified = true
		if _, _, err := w.register(u, a, c); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Errorf("got %v, want EINVALID", err)
		}
	})
	t.Run("another user's challenge", func(t *testing.T) {
		other := w.user("default")
		ch, err := w.svc.BeginPasskeyRegistration(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		opts, _ := virtualwebauthn.ParseAttestationOptions(string(ch.Options))
		a, c := w.authenticator(u)
		resp := virtualwebauthn.CreateAttestationResponse(w.rp, *a, *c, *opts)
		if _, _, err := w.svc.FinishPasskeyRegistration(ctx, u, "Stolen", ch.State, []byte(resp)); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
			t.Errorf("got %v, want EUNAUTHORIZED", err)
		}
	})
	t.Run("AAGUID not listed", func(t *testing.T) {
		listed := []string{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"}
		if _, err := w.svc.UpdatePasskeyPolicy(ctx, w.root, "default", idp.PasskeyPolicyPatch{AAGUIDs: &listed}); err != nil {
			t.Fatal(err)
		}
		a, c := w.authenticator(u)
		if _, _, err := w.register(u, a, c); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN || !strings.Contains(gatehouse.ErrorMessage(err), "AAGUID") {
			t.Errorf("got %v, want EFORBIDDEN naming the AAGUID", err)
		}
		listed = append(listed, aaguid)
		if _, err := w.svc.UpdatePasskeyPolicy(ctx, w.root, "default", idp.PasskeyPolicyPatch{AAGUIDs: &listed}); err != nil {
			t.Fatal(err)
		}
		same, c3 := w.authenticator(u)
		same.Aaguid = firstAAGUID
		if _, _, err := w.register(u, same, c3); err != nil {
			t.Errorf("a listed AAGUID: %v", err)
		}
		none := []string{}
		if _, err := w.svc.UpdatePasskeyPolicy(ctx, w.root, "default", idp.PasskeyPolicyPatch{AAGUIDs: &none}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPasskeySignIn signs in with a passkey alone and as the second step after the password: the session is
// multi-factor and phishing-resistant, the counter is kept, and the sign-in log says which passkey.
func TestPasskeySignIn(t *testing.T) {
	w := newPasskeyWorld(t)
	u := w.user("default")
	a, c := w.mustRegister(u)
	ctx := w.ctx("192.0.2.1")

	t.Run("passwordless", func(t *testing.T) {
		ch, err := w.svc.BeginPasskeySignIn(ctx, "default")
		if err != nil || ch == nil {
			t.Fatalf("begin: %v, %v", ch, err)
		}
		got, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, answer(t, w.rp, a, c, ch))
		if err != nil || got.ID != u.ID {
			t.Fatalf("sign-in: %v, %v", got, err)
		}
		_, sess, err := w.svc.StartSession(ctx, got, gatehouse.MethodPasskey)
		if err != nil {
			t.Fatal(err)
		}
		step, err := w.svc.SignInStep(ctx, sess, got)
		if err != nil || step != idp.StepDone || !sess.MFA || !sess.PhishingResistant() {
			t.Errorf("passkey session: step %v, MFA %v, phishing-resistant %v, %v", step, sess.MFA, sess.PhishingResistant(), err)
		}
		keys, _ := w.svc.FindOwnPasskeys(ctx, u)
		if keys[0].SignCount != c.Counter || keys[0].LastUsedAt == nil {
			t.Errorf("after use: count %d (want %d), last used %v", keys[0].SignCount, c.Counter, keys[0].LastUsedAt)
		}
	})
	t.Run("second factor", func(t *testing.T) {
		pwd, err := w.svc.Authenticate(ctx, "default", u.UserName, "Own-Password-"+u.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, sess, err := w.svc.StartSession(ctx, pwd, gatehouse.MethodPassword)
		if err != nil {
			t.Fatal(err)
		}
		if step, err := w.svc.SignInStep(ctx, sess, pwd); step != idp.StepMFA || err != nil {
			t.Fatalf("after the password: step %v, %v; want mfa", step, err)
		}
		ch, err := w.svc.BeginPasskeySecondFactor(ctx, sess, pwd)
		if err != nil || ch == nil {
			t.Fatalf("begin: %v, %v", ch, err)
		}
		// The challenge of this session cannot be answered for another session of the same user.
		_, other, _ := w.svc.StartSession(ctx, pwd, gatehouse.MethodPassword)
		if err := w.svc.VerifyPasskey(w.ctx("192.0.2.2"), other, pwd, ch.State, answer(t, w.rp, a, c, ch)); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
			t.Errorf("another session's challenge: %v, want EUNAUTHORIZED", err)
		}
		ch, _ = w.svc.BeginPasskeySecondFactor(ctx, sess, pwd)
		if err := w.svc.VerifyPasskey(ctx, sess, pwd, ch.State, answer(t, w.rp, a, c, ch)); err != nil {
			t.Fatal(err)
		}
		_, full, err := w.svc.StartSession(ctx, pwd, append(sess.AuthMethods(), gatehouse.MethodPasskey)...)
		if err != nil {
			t.Fatal(err)
		}
		if step, _ := w.svc.SignInStep(ctx, full, pwd); step != idp.StepDone || !full.MFA {
			t.Errorf("password and passkey: step %v, MFA %v", step, full.MFA)
		}
		if diff := fmt.Sprint(full.AMR()); diff != "[pwd hwk mfa]" {
			t.Errorf("AMR %s, want [pwd hwk mfa]", diff)
		}
	})
	t.Run("passwordless turned off", func(t *testing.T) {
		second := gatehouse.PasskeysSecondFactor
		if _, err := w.svc.UpdatePasskeyPolicy(ctx, w.root, "default", idp.PasskeyPolicyPatch{Passkeys: &second}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			pl := gatehouse.PasskeysPasswordless
			w.svc.UpdatePasskeyPolicy(ctx, w.root, "default", idp.PasskeyPolicyPatch{Passkeys: &pl})
		}()
		if ch, err := w.svc.BeginPasskeySignIn(ctx, "default"); ch != nil || err != nil {
			t.Errorf("begin: %v, %v; want nothing to offer", ch, err)
		}
	})
}

// TestSecurityCase52PasskeyAssertions covers SECURITY-CASES 52: an assertion for another relying-party ID or
// origin, a reused or expired challenge, a bad user-verification flag and a bogus signature are each refused,
// written to the sign-in log with code GH6005, and counted toward the lockout: the address, which this world
// locks after one failure, is locked afterwards, so that even a good assertion from it is refused.
func TestSecurityCase52PasskeyAssertions(t *testing.T) {
	w := newPasskeyWorld(t)
	u := w.user("default")
	a, c := w.mustRegister(u)

	tamper := func(resp []byte, field string) []byte {
		var m map[string]any
		if err := json.Unmarshal(resp, &m); err != nil {
			t.Fatal(err)
		}
		r := m["response"].(map[string]any)
		b, _ := base64.RawURLEncoding.DecodeString(r[field].(string))
		b[len(b)-1] ^= 0x01
		r[field] = base64.RawURLEncoding.EncodeToString(b)
		out, _ := json.Marshal(m)
		return out
	}
	tests := []struct {
		name string
		// bad answers the challenge badly; it may use an earlier challenge of the same address.
		bad func(t *testing.T, ctx context.Context) error
	}{
		{"another relying-party ID", func(t *testing.T, ctx context.Context) error {
			ch, _ := w.svc.BeginPasskeySignIn(ctx, "default")
			rp := w.rp
			rp.ID = "contoso.test.evil.example"
			_, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, answer(t, rp, a, c, ch))
			return err
		}},
		{"another origin", func(t *testing.T, ctx context.Context) error {
			ch, _ := w.svc.BeginPasskeySignIn(ctx, "default")
			rp := w.rp
			rp.Origin = "https://login.contoso.test.evil.example"
			_, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, answer(t, rp, a, c, ch))
			return err
		}},
		{"reused challenge", func(t *testing.T, ctx context.Context) error {
			ch, _ := w.svc.BeginPasskeySignIn(ctx, "default")
			if _, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, answer(t, w.rp, a, c, ch)); err != nil {
				t.Fatalf("first answer: %v", err)
			}
			_, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, answer(t, w.rp, a, c, ch))
			return err
		}},
		{"expired challenge", func(t *testing.T, ctx context.Context) error {
			ch, _ := w.svc.BeginPasskeySignIn(ctx, "default")
			w.clock.Add(11 * time.Minute)
			_, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, answer(t, w.rp, a, c, ch))
			return err
		}},
		{"user not verified", func(t *testing.T, ctx context.Context) error {
			ch, _ := w.svc.BeginPasskeySignIn(ctx, "default")
			a.Options.UserNotVerified = true
			defer func() { a.Options.UserNotVerified = false }()
			_, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, answer(t, w.rp, a, c, ch))
			return err
		}},
		{"bogus signature", func(t *testing.T, ctx context.Context) error {
			ch, _ := w.svc.BeginPasskeySignIn(ctx, "default")
			_, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, tamper(answer(t, w.rp, a, c, ch), "signature"))
			return err
		}},
		{"bogus signature, second factor", func(t *testing.T, ctx context.Context) error {
			_, sess, _ := w.svc.StartSession(ctx, u, gatehouse.MethodPassword)
			ch, _ := w.svc.BeginPasskeySecondFactor(ctx, sess, u)
			return w.svc.VerifyPasskey(ctx, sess, u, ch.State, tamper(answer(t, w.rp, a, c, ch), "signature"))
		}},
		{"unknown passkey", func(t *testing.T, ctx context.Context) error {
			ch, _ := w.svc.BeginPasskeySignIn(ctx, "default")
			stranger, cred := w.authenticator(u)
			_, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, answer(t, w.rp, stranger, cred, ch))
			return err
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := w.ctx(fmt.Sprintf("198.51.100.%d", i+1))
			err := tt.bad(t, ctx)
			var e *gatehouse.Error
			if !errors.As(err, &e) || e.Code != gatehouse.EUNAUTHORIZED || strings.Contains(e.Message, "signature") {
				t.Fatalf("got %v; want EUNAUTHORIZED with a plain message", err)
			}
			if tt.name != "unknown passkey" {
				if code := w.signInCode("default", u); code != idp.CodeBadPasskey {
					t.Errorf("sign-in log code %s, want %s", code, idp.CodeBadPasskey)
				}
			}
			// Counted: the address is locked now, even for a good answer.
			ch, _ := w.svc.BeginPasskeySignIn(ctx, "default")
			if _, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, answer(t, w.rp, a, c, ch)); gatehouse.ErrorCode(err) != gatehouse.ERATELIMIT {
				t.Errorf("a good answer after the failure: %v, want ERATELIMIT", err)
			}
		})
	}
	// A good answer from a fresh address still works: nothing above locked the account itself.
	ctx := w.ctx("203.0.113.9")
	ch, _ := w.svc.BeginPasskeySignIn(ctx, "default")
	if _, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, answer(t, w.rp, a, c, ch)); err != nil {
		t.Errorf("a good answer from another address: %v", err)
	}
}

// TestSecurityCase53PasskeyClonedCounter covers SECURITY-CASES 53: an assertion whose signature counter is not above
// the one last seen is refused as a possible cloned authenticator, with code GH6006 in the sign-in log and a
// warning in the process log; the stored counter stays where it was.
func TestSecurityCase53PasskeyClonedCounter(t *testing.T) {
	w := newPasskeyWorld(t)
	u := w.user("default")
	a, c := w.mustRegister(u)
	ctx := w.ctx("192.0.2.7")
	c.Counter = 41 // answer adds one
	ch, _ := w.svc.BeginPasskeySignIn(ctx, "default")
	if _, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, answer(t, w.rp, a, c, ch)); err != nil {
		t.Fatal(err)
	}
	for _, count := range []uint32{41, 12} {
		c.Counter = count - 1
		ctx := w.ctx(fmt.Sprintf("192.0.2.%d", count))
		ch, _ := w.svc.BeginPasskeySignIn(ctx, "default")
		_, err := w.svc.SignInWithPasskey(ctx, "default", ch.State, answer(t, w.rp, a, c, ch))
		if gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED || !strings.Contains(gatehouse.ErrorMessage(err), "copied") {
			t.Errorf("counter %d after 42: %v; want refused as possibly copied", count, err)
		}
		if code := w.signInCode("default", u); code != idp.CodePasskeyCloned {
			t.Errorf("counter %d: sign-in log code %s, want %s", count, code, idp.CodePasskeyCloned)
		}
	}
	w.mu.Lock()
	logs := w.logs.String()
	w.mu.Unlock()
	if strings.Count(logs, "possible cloned authenticator") < 2 {
		t.Errorf("process log does not warn of a cloned authenticator twice:\n%s", logs)
	}
	keys, _ := w.svc.FindOwnPasskeys(context.Background(), u)
	if keys[0].SignCount != 42 {
		t.Errorf("stored counter %d, want 42", keys[0].SignCount)
	}
}

// TestSecurityCase54LastWayToSignIn covers SECURITY-CASES 54: a user cannot remove their last passkey when it is
// their last way to sign in (the directory requires a passkey at every sign-in); an admin can, and the audit log
// records it as the removal of the last one. A user with another passkey removes one themselves.
func TestSecurityCase54LastWayToSignIn(t *testing.T) {
	w := newPasskeyWorld(t)
	ctx := context.Background()
	yes := true
	if _, err := w.svc.UpdatePasskeyPolicy(ctx, w.root, "default", idp.PasskeyPolicyPatch{RequirePhishingResistant: &yes}); err != nil {
		t.Fatal(err)
	}
	u := w.user("default")
	w.mustRegister(u)
	w.mustRegister(u)
	keys, _ := w.svc.FindOwnPasskeys(ctx, u)
	if err := w.svc.RemoveOwnPasskey(ctx, u, keys[0].ID); err != nil {
		t.Fatalf("removing one of two: %v", err)
	}
	err := w.svc.RemoveOwnPasskey(ctx, u, keys[1].ID)
	if gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN || !strings.Contains(gatehouse.ErrorMessage(err), "admin") {
		t.Fatalf("removing the last one: %v; want EFORBIDDEN that names an admin", err)
	}
	if left, _ := w.svc.FindOwnPasskeys(ctx, u); len(left) != 1 {
		t.Fatalf("%d passkeys left, want 1", len(left))
	}
	token, _, err := w.svc.StartSession(ctx, u, gatehouse.MethodPasskey)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.DeleteUserPasskey(ctx, w.root, "default", u.ID, keys[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.svc.SessionUser(ctx, token); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
		t.Errorf("the user's session after the admin removed the passkey: %v, want ended", err)
	}
	events, _, err := w.svc.FindAuditEvents(ctx, w.root, "default", gatehouse.AuditFilter{TargetType: "passkey", TargetID: keys[1].ID})
	if err != nil || len(events) != 2 || events[0].Action != "user.passkey-remove-last" || events[0].ActorID != w.root.ID ||
		!strings.Contains(events[0].Before, keys[1].Name) {
		t.Fatalf("audit of the passkey: %v, %d entries, newest %+v; want user.passkey-remove-last by the admin, naming the passkey", err, len(events), events[0])
	}
	// The user signs in with the password and must add a passkey before anything else.
	_, sess, _ := w.svc.StartSession(ctx, u, gatehouse.MethodPassword)
	if step, _ := w.svc.SignInStep(ctx, sess, u); step != idp.StepEnrolPasskey {
		t.Errorf("next sign-in: step %v, want enrol-passkey", step)
	}
	// An admin who manages users may not touch a global admin's passkeys from a lower role.
	other := w.user("default")
	w.mustRegister(other)
	ua, temp, err := w.svc.CreateUser(ctx, w.root, "default", idp.UserInput{UserName: "ua@contoso.com", FirstName: "U", LastName: "A", Role: gatehouse.RoleUserAdmin})
	if err != nil {
		t.Fatal(err)
	}
	withPassword(t, w.svc, ua, temp)
	rootKeys, _ := w.svc.FindOwnPasskeys(ctx, w.root)
	if len(rootKeys) == 0 {
		w.mustRegister(w.root)
		rootKeys, _ = w.svc.FindOwnPasskeys(ctx, w.root)
	}
	if err := w.svc.DeleteUserPasskey(ctx, ua, "default", w.root.ID, rootKeys[0].ID); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
		t.Errorf("a user admin removing a global admin's passkey: %v, want EFORBIDDEN", err)
	}
}

// TestPasskeyRecovery recovers a user of a directory that requires passkeys who lost theirs: a recovery code
// stands in once and leads to adding a new passkey; with recovery codes off, only an admin's reset does.
func TestPasskeyRecovery(t *testing.T) {
	w := newPasskeyWorld(t)
	ctx := w.ctx("192.0.2.30")
	yes := true
	if _, err := w.svc.UpdatePasskeyPolicy(ctx, w.root, "default", idp.PasskeyPolicyPatch{RequirePhishingResistant: &yes}); err != nil {
		t.Fatal(err)
	}
	u := w.user("default")
	a, c := w.authenticator(u)
	_, codes, err := w.register(u, a, c)
	if err != nil || len(codes) == 0 {
		t.Fatalf("register: %d codes, %v", len(codes), err)
	}
	_, sess, _ := w.svc.StartSession(ctx, u, gatehouse.MethodPassword)
	if step, _ := w.svc.SignInStep(ctx, sess, u); step != idp.StepMFA {
		t.Fatalf("after the password: %v, want mfa", step)
	}
	if err := w.svc.VerifyMFA(ctx, u, codes[0]); err != nil {
		t.Fatal(err)
	}
	_, sess, _ = w.svc.StartSession(ctx, u, gatehouse.MethodPassword, idp.CodeMethod(codes[0]))
	if step, _ := w.svc.SignInStep(ctx, sess, u); step != idp.StepEnrolPasskey {
		t.Errorf("after a recovery code: %v, want enrol-passkey", step)
	}
	// With recovery codes off, the next code is refused; an admin's reset removes the passkeys.
	off := gatehouse.RecoveryCodesOff
	if _, err := w.svc.UpdatePasskeyPolicy(ctx, w.root, "default", idp.PasskeyPolicyPatch{RecoveryCodes: &off}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.VerifyMFA(w.ctx("192.0.2.31"), u, codes[1]); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
		t.Errorf("a recovery code with recovery codes off: %v, want EUNAUTHORIZED", err)
	}
	if _, err := w.svc.ResetMFA(ctx, w.root, "default", u.ID); err != nil {
		t.Fatal(err)
	}
	if left, _ := w.svc.FindOwnPasskeys(ctx, u); len(left) != 0 {
		t.Errorf("%d passkeys after the admin's reset, want 0", len(left))
	}
	fresh, _ := w.store.FindUser(ctx, "default", u.ID)
	_, sess, _ = w.svc.StartSession(ctx, fresh, gatehouse.MethodPassword)
	if step, _ := w.svc.SignInStep(ctx, sess, fresh); step != idp.StepEnrolPasskey {
		t.Errorf("after the reset: %v, want enrol-passkey", step)
	}
}

// TestPasskeyRelyingParty derives the relying-party ID and origin from the public URL, and refuses at start what
// cannot work: an explicit ID that does not fit the URL, or one for a URL that cannot carry passkeys.
func TestPasskeyRelyingParty(t *testing.T) {
	tests := []struct {
		publicURL, rpID string
		// wantRPID is the ID in use; "" when passkeys are unavailable.
		wantRPID string
		// wantErr is a part of the start-up error; wantOff of the reason passkeys are off.
		wantErr, wantOff string
	}{
		{publicURL: "https://login.contoso.com", wantRPID: "login.contoso.com"},
		{publicURL: "https://login.contoso.com:8443/", wantRPID: "login.contoso.com"},
		{publicURL: "https://login.contoso.com", rpID: "contoso.com", wantRPID: "contoso.com"},
		{publicURL: "http://localhost:8080", wantRPID: "localhost"},
		{publicURL: "http://idp.localhost:8080", wantRPID: "idp.localhost"},
		{publicURL: "http://127.0.0.1:8080", wantOff: "IP address 127.0.0.1"},
		{publicURL: "https://[::1]:8443", wantOff: "IP address ::1"},
		{publicURL: "http://gatehouse.internal:8080", wantOff: "plain http"},
		{publicURL: "http://127.0.0.1:8080", rpID: "localhost", wantErr: "http://localhost:PORT"},
		{publicURL: "https://login.contoso.com", rpID: "fabrikam.com", wantErr: "does not match the public URL"},
		{publicURL: "https://login.contoso.com", rpID: "ogin.contoso.com", wantErr: "does not match"},
		{publicURL: "http://gatehouse.internal:8080", rpID: "gatehouse.internal", wantErr: "https"},
	}
	for _, tt := range tests {
		t.Run(tt.publicURL+" "+tt.rpID, func(t *testing.T) {
			svc, cfgErr := newServiceAt(t, tt.publicURL, tt.rpID)
			switch {
			case tt.wantErr != "":
				if cfgErr == nil || !strings.Contains(cfgErr.Error(), tt.wantErr) {
					t.Errorf("error %v, want one containing %q", cfgErr, tt.wantErr)
				}
			case cfgErr != nil:
				t.Fatal(cfgErr)
			case svc.PasskeyRPID() != tt.wantRPID:
				t.Errorf("relying-party ID %q, want %q", svc.PasskeyRPID(), tt.wantRPID)
			case !strings.Contains(svc.PasskeysUnavailable(), tt.wantOff) || (tt.wantOff == "") != (svc.PasskeysUnavailable() == ""):
				t.Errorf("unavailable: %q, want %q", svc.PasskeysUnavailable(), tt.wantOff)
			}
		})
	}
}

// newServiceAt builds a service at publicURL with the passkey relying-party ID rpID, returning idp.New's error.
func newServiceAt(t *testing.T, publicURL, rpID string) (*idp.Service, error) {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	kek := make([]byte, 32)
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	return idp.New(idp.Config{Store: store, Gallery: gallery.MustLoad(), Hasher: password.NewHasher(spTestHash, 1), Sealer: sealer,
		PublicURL: publicURL, NameIDKey: kek, PasskeyRPID: rpID})
}
