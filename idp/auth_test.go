package idp_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/google/go-cmp/cmp"
)

// clock is a settable clock for the services under test.
type clock struct {
	mu sync.Mutex // guards t and tick
	t  time.Time
	// tick is how far the clock moves after each reading; zero stops it.
	tick time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.t
	c.t = c.t.Add(c.tick)
	return now
}

// Tick makes the clock move by d after each reading, so that parallel callers each read a different time.
func (c *clock) Tick(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick = d
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// authWorld is a service on a fresh SQLite database with a settable clock, the default lockout limits without the
// pauses, the bootstrap admin and a plain user with a known password.
type authWorld struct {
	svc   *idp.Service
	store gatehouse.Store
	clock *clock
	admin *gatehouse.User
	user  *gatehouse.User
}

const (
	userName     = "b.simon@contoso.com"
	userPassword = "Tr0ub4dor&3-horse"
)

func newAuthWorld(t testing.TB, opts ...func(*idp.Config)) *authWorld {
	t.Helper()
	return newAuthWorldOn(t, openSQLite(t), opts...)
}

// newAuthWorldOn returns the world of newAuthWorld on an open, empty store.
func newAuthWorldOn(t testing.TB, store gatehouse.Store, opts ...func(*idp.Config)) *authWorld {
	t.Helper()
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		t.Fatal(err)
	}
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	lockout := idp.DefaultLockout
	lockout.Delay = 0
	cfg := idp.Config{
		Store: store, Gallery: gallery.MustLoad(), Hasher: password.NewHasher(testserver.TestHashParams, 2), Sealer: sealer,
		PublicURL: "http://127.0.0.1:1", NameIDKey: kek, Now: c.Now, Lockout: lockout,
	}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := idp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := svc.Bootstrap(ctx, testserver.AdminUser, testserver.AdminPassword); err != nil {
		t.Fatal(err)
	}
	w := &authWorld{svc: svc, store: store, clock: c}
	if w.admin, err = store.FindUserByName(ctx, gatehouse.DefaultDirectoryID, testserver.AdminUser); err != nil {
		t.Fatal(err)
	}
	w.user = w.newUser(t, userName, userPassword)
	return w
}

// newUser creates a user with a password that is not temporary.
func (w *authWorld) newUser(t testing.TB, name, pw string) *gatehouse.User {
	t.Helper()
	ctx := context.Background()
	u, temp, err := w.svc.CreateUser(ctx, w.admin, gatehouse.DefaultDirectoryID, idp.UserInput{UserName: name, FirstName: "B", LastName: "Simon"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.ChangePassword(from("203.0.113.250"), u, temp, pw); err != nil {
		t.Fatal(err)
	}
	return u
}

// from returns a context of a request from a client address.
func from(addr string) context.Context {
	return idp.WithRequestInfo(context.Background(), idp.RequestInfo{ClientAddr: addr, CorrelationID: "test-" + addr})
}

// fromAs returns a context of a request from a client address with a correlation ID.
func fromAs(addr, correlationID string) context.Context {
	return idp.WithRequestInfo(context.Background(), idp.RequestInfo{ClientAddr: addr, CorrelationID: correlationID})
}

// signInOf returns the sign-in log entry with a correlation ID; there must be exactly one.
func (w *authWorld) signInOf(t *testing.T, correlationID string) *gatehouse.SignInEvent {
	t.Helper()
	var found []*gatehouse.SignInEvent
	for _, e := range w.signIns(t) {
		if e.CorrelationID == correlationID {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d sign-in log entries with correlation ID %q, want 1", len(found), correlationID)
	}
	return found[0]
}

// signIns returns the directory's sign-in log, oldest first.
func (w *authWorld) signIns(t *testing.T) []*gatehouse.SignInEvent {
	t.Helper()
	es, _, err := w.store.FindSignInEvents(context.Background(), gatehouse.DefaultDirectoryID, gatehouse.SignInFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

func TestAuthenticateLogsEveryAttempt(t *testing.T) {
	w := newAuthWorld(t)
	disabled := w.newUser(t, "gone@contoso.com", userPassword)
	yes := true
	if _, err := w.svc.UpdateUser(context.Background(), w.admin, "default", disabled.ID, idp.UserPatch{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	before := len(w.signIns(t))
	tests := []struct {
		name, user, pw string
		code           string // of the answer
		logCode        string
		logReason      string
	}{
		{"right password", userName, userPassword, "", "", ""},
		{"right password, user name in other case", "B.Simon@Contoso.com", userPassword, "", "", ""},
		{"wrong password", userName, "nope", gatehouse.EUNAUTHORIZED, idp.CodeBadCredentials, "The user name or password is incorrect. (wrong password)"},
		{"unknown user", "nobody@contoso.com", "nope", gatehouse.EUNAUTHORIZED, idp.CodeBadCredentials, "The user name or password is incorrect. (no user has this name)"},
		{"disabled user", "gone@contoso.com", userPassword, gatehouse.EUNAUTHORIZED, idp.CodeBadCredentials, "The user name or password is incorrect. (the user is disabled)"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.svc.Authenticate(fromAs("198.51.100.7", tt.name), "default", tt.user, tt.pw)
			if got := gatehouse.ErrorCode(err); got != tt.code {
				t.Fatalf("code %q, want %q (%v)", got, tt.code, err)
			}
			if n := len(w.signIns(t)); n != before+i+1 {
				t.Fatalf("%d sign-in log entries, want %d", n, before+i+1)
			}
			e := w.signInOf(t, tt.name)
			if e.Code != tt.logCode || e.Reason != tt.logReason || e.ClientAddr != "198.51.100.7" || e.UserName != tt.user {
				t.Errorf("logged %+v, want code %q reason %q from 198.51.100.7", e, tt.logCode, tt.logReason)
			}
		})
	}
}

func TestSignInStep(t *testing.T) {
	w := newAuthWorld(t)
	ctx := context.Background()
	enrolled := w.newUser(t, "enrolled@contoso.com", userPassword)
	enrol(t, w, enrolled)
	temp, _, err := w.svc.CreateUser(ctx, w.admin, "default", idp.UserInput{UserName: "new@contoso.com", FirstName: "N", LastName: "U"})
	if err != nil {
		t.Fatal(err)
	}
	tempEnrolled := *enrolled
	tempEnrolled.MustChangePassword = true
	tests := []struct {
		name       string
		user       *gatehouse.User
		sessionMFA bool
		requireMFA bool
		want       idp.Step
	}{
		{"password only", w.user, false, false, idp.StepDone},
		{"temporary password", temp, false, false, idp.StepChangePassword},
		{"enrolled, no code yet", enrolled, false, false, idp.StepMFA},
		{"enrolled, code given", enrolled, true, false, idp.StepDone},
		{"enrolled with a temporary password: the code comes first", &tempEnrolled, false, false, idp.StepMFA},
		{"enrolled with a temporary password, code given", &tempEnrolled, true, false, idp.StepChangePassword},
		{"directory requires MFA, not enrolled", w.user, false, true, idp.StepEnrolMFA},
		{"directory requires MFA, temporary password first", temp, false, true, idp.StepChangePassword},
		{"directory requires MFA, enrolled, code given", enrolled, true, true, idp.StepDone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := w.svc.UpdateDirectory(ctx, w.admin, "default", idp.DirectoryPatch{RequireMFA: &tt.requireMFA}); err != nil {
				t.Fatal(err)
			}
			got, err := w.svc.SignInStep(ctx, &gatehouse.Session{MFA: tt.sessionMFA}, tt.user)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("step %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSessionUserRefusesUnfinishedSignIn(t *testing.T) {
	w := newAuthWorld(t)
	ctx := context.Background()
	enrolled := w.newUser(t, "enrolled@contoso.com", userPassword)
	enrol(t, w, enrolled)
	tests := []struct {
		name string
		user *gatehouse.User
		mfa  bool
		code string
		step idp.Step
	}{
		{"complete", w.user, false, "", idp.StepDone},
		{"waiting for a code", enrolled, false, gatehouse.EUNAUTHORIZED, idp.StepMFA},
		{"code given", enrolled, true, "", idp.StepDone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, _, err := w.svc.CreateSession(ctx, tt.user, tt.mfa)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = w.svc.SessionUser(ctx, token)
			if got := gatehouse.ErrorCode(err); got != tt.code {
				t.Errorf("SessionUser: code %q, want %q", got, tt.code)
			}
			_, _, step, err := w.svc.SessionState(ctx, token)
			if err != nil || step != tt.step {
				t.Errorf("SessionState: step %v, %v; want %v", step, err, tt.step)
			}
		})
	}
}

func TestLoginRefusesSecondFactorAccounts(t *testing.T) {
	w := newAuthWorld(t)
	ctx := context.Background()
	enrolled := w.newUser(t, "enrolled@contoso.com", userPassword)
	enrol(t, w, enrolled)
	if _, _, err := w.svc.Login(ctx, "default", userName, userPassword, "cli"); err != nil {
		t.Fatalf("login without a second factor: %v", err)
	}
	_, _, err := w.svc.Login(ctx, "default", "enrolled@contoso.com", userPassword, "cli")
	if diff := cmp.Diff(gatehouse.EFORBIDDEN, gatehouse.ErrorCode(err)); diff != "" {
		t.Errorf("login with a second factor: code mismatch (-want +got):\n%s", diff)
	}
}

// BenchmarkSessionUser measures the check every signed-in page makes: a session without a second factor costs
// lookups of the directory's passkey policy, the user's passkeys and the directory (for its RequireMFA); a
// multi-factor one, by a code or a passkey, the passkey policy only.
func BenchmarkSessionUser(b *testing.B) {
	for _, methods := range [][]gatehouse.AuthMethod{
		{gatehouse.MethodPassword}, {gatehouse.MethodPassword, gatehouse.MethodTOTP}, {gatehouse.MethodPasskey},
	} {
		b.Run(fmt.Sprintf("methods=%v", methods), func(b *testing.B) {
			w := newAuthWorld(b)
			ctx := context.Background()
			token, _, err := w.svc.StartSession(ctx, w.user, methods...)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := w.svc.SessionUser(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
