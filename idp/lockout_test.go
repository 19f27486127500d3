package idp_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/postgres"
	"github.com/gatehouse-idp/gatehouse/sqlite"
	"github.com/google/go-cmp/cmp"
)

// attempt is one sign-in attempt and what it must get.
type attempt struct {
	name string
	addr string
	user string
	pw   string
	// repeat runs the attempt this many times (1 when zero), each getting want.
	repeat int
	want   string
	// wait moves the clock before the attempt.
	wait time.Duration
}

func runAttempts(t *testing.T, w *authWorld, steps []attempt) {
	t.Helper()
	for _, st := range steps {
		w.clock.Add(st.wait)
		n := max(st.repeat, 1)
		for i := range n {
			_, err := w.svc.Authenticate(from(st.addr), "default", st.user, st.pw)
			if got := gatehouse.ErrorCode(err); got != st.want {
				t.Fatalf("%s (%d of %d): code %q, want %q (%v)", st.name, i+1, n, got, st.want, err)
			}
		}
	}
}

// SECURITY-CASES 25: guessing one account from one address is locked after 5 failures, for that address only,
// and the lock ends.
func TestSecurityCase25AccountAndAddressLock(t *testing.T) {
	w := newAuthWorld(t)
	const attacker, owner = "198.51.100.66", "203.0.113.250"
	runAttempts(t, w, []attempt{
		{name: "four wrong guesses", addr: attacker, user: userName, pw: "guess", repeat: 4, want: gatehouse.EUNAUTHORIZED},
		{name: "the fifth wrong guess is still answered", addr: attacker, user: userName, pw: "guess", want: gatehouse.EUNAUTHORIZED},
		{name: "then even the right password is refused at that address", addr: attacker, user: userName, pw: userPassword, want: gatehouse.ERATELIMIT},
		{name: "the owner at another address signs in", addr: owner, user: userName, pw: userPassword},
		{name: "the attacker is still locked", addr: attacker, user: userName, pw: "guess", want: gatehouse.ERATELIMIT},
		{name: "other accounts from the attacker's address are not locked", addr: attacker, user: "admin@contoso.com", pw: "guess", want: gatehouse.EUNAUTHORIZED},
		{name: "the lock ends after the window", wait: 15*time.Minute + time.Second, addr: attacker, user: userName, pw: userPassword},
	})
}

// SECURITY-CASES 25: guessing one account from many addresses locks it for strangers after 20 failures, but the
// owner at a familiar address still signs in, so an attacker cannot lock the owner out.
func TestSecurityCase25AccountLockSparesFamiliarAddresses(t *testing.T) {
	w := newAuthWorld(t)
	const familiar = "203.0.113.250" // the address newUser changed the password from
	var steps []attempt
	for i := range 5 {
		steps = append(steps, attempt{name: fmt.Sprintf("4 guesses from botnet address %d", i), addr: fmt.Sprintf("192.0.2.%d", i+1),
			user: userName, pw: "guess", repeat: 4, want: gatehouse.EUNAUTHORIZED})
	}
	steps = append(steps,
		attempt{name: "the account is now locked for a new address", addr: "192.0.2.99", user: userName, pw: userPassword, want: gatehouse.ERATELIMIT},
		attempt{name: "but the owner signs in where they signed in before", addr: familiar, user: userName, pw: userPassword},
		attempt{name: "the lock for strangers ends after the window", wait: 15*time.Minute + time.Second, addr: "192.0.2.99", user: userName, pw: userPassword},
	)
	runAttempts(t, w, steps)
}

// SECURITY-CASES 25: one address guessing across accounts (password spraying) is locked after 50 failures.
func TestSecurityCase25AddressLock(t *testing.T) {
	w := newAuthWorld(t)
	const sprayer = "198.51.100.77"
	var steps []attempt
	for i := range 10 {
		steps = append(steps, attempt{name: fmt.Sprintf("5 guesses at user %d", i), addr: sprayer,
			user: fmt.Sprintf("user%d@contoso.com", i), pw: "Winter2026!", repeat: 5, want: gatehouse.EUNAUTHORIZED})
	}
	steps = append(steps,
		attempt{name: "a fresh account from the same address is refused", addr: sprayer, user: userName, pw: userPassword, want: gatehouse.ERATELIMIT},
		attempt{name: "other addresses are not affected", addr: "198.51.100.78", user: userName, pw: userPassword},
		attempt{name: "the lock ends", wait: 16 * time.Minute, addr: sprayer, user: userName, pw: userPassword},
	)
	runAttempts(t, w, steps)
}

// SECURITY-CASES 25: successful sign-ins do not count, so many people behind one address are not locked out.
func TestSecurityCase25SuccessesDoNotCount(t *testing.T) {
	w := newAuthWorld(t)
	runAttempts(t, w, []attempt{
		{name: "sixty sign-ins from one office address", addr: "203.0.113.9", user: userName, pw: userPassword, repeat: 60},
		{name: "four failures", addr: "203.0.113.9", user: userName, pw: "typo", repeat: 4, want: gatehouse.EUNAUTHORIZED},
		{name: "a success resets the account's count", addr: "203.0.113.9", user: userName, pw: userPassword},
		{name: "four failures again are not a lock", addr: "203.0.113.9", user: userName, pw: "typo", repeat: 4, want: gatehouse.EUNAUTHORIZED},
		{name: "and the right password works", addr: "203.0.113.9", user: userName, pw: userPassword},
	})
}

// SECURITY-CASES 25: only counted failures lock. Two sign-ins from one address that commit in the opposite order
// to the times they read (the later one first) must both get in: the first one's read of the address lock is not a
// lock for the second.
func TestSecurityCase25SignInsOutOfOrderAreNotLocked(t *testing.T) {
	w := newAuthWorld(t)
	other := w.newUser(t, "e.ortiz@contoso.com", userPassword)
	const office = "203.0.113.9"
	runAttempts(t, w, []attempt{
		{name: "a sign-in that read 09:00:01", wait: time.Second, addr: office, user: userName, pw: userPassword},
		{name: "a sign-in from the same address that read 09:00:00", wait: -time.Second, addr: office, user: other.UserName, pw: userPassword},
		{name: "the first user again, at 09:00:00", addr: office, user: userName, pw: userPassword},
	})
}

// SECURITY-CASES 25: many people signing in correctly at once from one address (an office behind one NAT address)
// are never locked out, on either store: no failure is counted, so no attempt may be refused.
func TestSecurityCase25ParallelCorrectSignInsFromOneAddress(t *testing.T) {
	for _, st := range []struct {
		name string
		open func(testing.TB) gatehouse.Store
	}{
		{"SQLite", openSQLite},
		{"PostgreSQL", openPostgres},
	} {
		t.Run(st.name, func(t *testing.T) {
			w := newAuthWorldOn(t, st.open(t))
			const people, rounds, office = 32, 8, "203.0.113.9"
			names := make([]string, people)
			for i := range people {
				names[i] = w.newUser(t, fmt.Sprintf("person%d@contoso.com", i), userPassword).UserName
			}
			// Every reading of the clock is a microsecond later than the one before, so parallel sign-ins read
			// different times and commit in any order.
			w.clock.Tick(time.Microsecond)
			var mu sync.Mutex // guards answers
			answers := map[string]int{}
			var wg sync.WaitGroup
			for i := range people {
				wg.Go(func() {
					for range rounds {
						answer := "signed in"
						if _, err := w.svc.Authenticate(from(office), "default", names[i], userPassword); err != nil {
							answer = err.Error()
						}
						mu.Lock()
						answers[answer]++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			want := map[string]int{"signed in": people * rounds}
			if diff := cmp.Diff(want, answers); diff != "" {
				t.Errorf("answers to correct sign-ins from one address (-want +got):\n%s", diff)
			}
		})
	}
}

// openSQLite opens a new SQLite store in a temporary directory, closed when the test ends.
func openSQLite(tb testing.TB) gatehouse.Store {
	tb.Helper()
	store, err := sqlite.Open(filepath.Join(tb.TempDir(), "gatehouse.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

// openPostgres opens a store on a new PostgreSQL database, closed when the test ends.
func openPostgres(tb testing.TB) gatehouse.Store {
	tb.Helper()
	store, err := postgres.Open(context.Background(), pgtest.URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

// SECURITY-CASES 26: an unknown user name gets exactly the answer of a wrong password, locked or not.
func TestSecurityCase26UnknownUserLooksLikeWrongPassword(t *testing.T) {
	w := newAuthWorld(t)
	answer := func(addr, user, pw string) string {
		_, err := w.svc.Authenticate(from(addr), "default", user, pw)
		return gatehouse.ErrorCode(err) + ": " + gatehouse.ErrorMessage(err) + " field=" + gatehouse.ErrorField(err)
	}
	tests := []struct {
		name    string
		attempt func(addr string) string
	}{
		{"known user", func(addr string) string { return answer(addr, userName, "wrong") }},
		{"unknown user", func(addr string) string { return answer(addr, "nobody@contoso.com", "wrong") }},
	}
	var got [][]string
	for i, tt := range tests {
		var answers []string
		for range 6 {
			answers = append(answers, tt.attempt(fmt.Sprintf("198.51.100.%d", 100+i)))
		}
		got = append(got, answers)
		if !strings.HasPrefix(answers[5], gatehouse.ERATELIMIT) {
			t.Errorf("%s: sixth answer %q, want a lock", tt.name, answers[5])
		}
	}
	if diff := cmp.Diff(got[0], got[1]); diff != "" {
		t.Errorf("known and unknown user names are answered differently (-known +unknown):\n%s", diff)
	}
}

// SECURITY-CASES 32: a password over 1,024 bytes is refused before hashing.
func TestSecurityCase32LongPassword(t *testing.T) {
	w := newAuthWorld(t)
	_, err := w.svc.Authenticate(from("198.51.100.5"), "default", userName, strings.Repeat("x", 1025))
	if gatehouse.ErrorCode(err) != gatehouse.EINVALID || gatehouse.ErrorField(err) != "password" {
		t.Errorf("got %v, want invalid password", err)
	}
}

func TestLockoutDelay(t *testing.T) {
	l := idp.Lockout{Delay: 250 * time.Millisecond, MaxDelay: 4 * time.Second}
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0},
		{1, 250 * time.Millisecond},
		{2, 500 * time.Millisecond},
		{3, time.Second},
		{5, 4 * time.Second},
		{50, 4 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.failures), func(t *testing.T) {
			if got := l.DelayAfter(tt.failures); got != tt.want {
				t.Errorf("DelayAfter(%d) = %v, want %v", tt.failures, got, tt.want)
			}
		})
	}
	if got := (idp.Lockout{}).DelayAfter(3); got != 0 {
		t.Errorf("no Delay: DelayAfter(3) = %v, want 0", got)
	}
}

// SECURITY-CASES 31: more concurrent sign-ins than hashing slots wait their turn; no more hashes run at once than
// the Hasher allows, and every sign-in is answered.
func TestSecurityCase31ConcurrentSignInsQueue(t *testing.T) {
	h := password.NewHasher(testserver.TestHashParams, 1)
	w := newAuthWorld(t, func(c *idp.Config) { c.Hasher = h })
	const n = 8
	done := make(chan struct{})
	peak := make(chan int)
	go func() {
		most := 0
		for {
			select {
			case <-done:
				peak <- most
				return
			default:
				most = max(most, h.Running())
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	var wg sync.WaitGroup
	codes := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.svc.Authenticate(from(fmt.Sprintf("198.51.100.%d", 150+i)), "default", fmt.Sprintf("user%d@contoso.com", i), "wrong")
			codes[i] = gatehouse.ErrorCode(err)
		}()
	}
	wg.Wait()
	close(done)
	if got := <-peak; got > 1 {
		t.Errorf("%d hashes ran at once, want at most 1", got)
	}
	for i, c := range codes {
		if c != gatehouse.EUNAUTHORIZED {
			t.Errorf("sign-in %d: code %q, want unauthorized", i, c)
		}
	}
}

// SECURITY-CASES 25: guesses sent in parallel cannot slip past the limit: attempts are counted before they are
// checked.
func TestSecurityCase25ParallelGuesses(t *testing.T) {
	w := newAuthWorld(t)
	const n = 20
	codes := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.svc.Authenticate(from("198.51.100.200"), "default", userName, fmt.Sprintf("guess-%d", i))
			codes[i] = gatehouse.ErrorCode(err)
		}()
	}
	wg.Wait()
	checked := 0
	for _, c := range codes {
		if c == gatehouse.EUNAUTHORIZED {
			checked++
		}
	}
	if checked != 5 {
		t.Errorf("%d of %d parallel guesses were checked, want 5: %v", checked, n, codes)
	}
}

// BenchmarkAuthenticate compares a wrong password for a known user with an unknown user name at production
// hashing parameters (SECURITY-CASES 26: they should cost the same); the lockout limits are raised out of the way.
func BenchmarkAuthenticate(b *testing.B) {
	for _, user := range []string{userName, "nobody@contoso.com"} {
		b.Run(user, func(b *testing.B) {
			w := newAuthWorld(b, func(c *idp.Config) {
				c.Hasher = password.NewHasher(password.DefaultParams, 1)
				c.Lockout = idp.Lockout{Window: time.Minute, PerAccountAddr: 1 << 30, PerAccount: 1 << 30, PerAddr: 1 << 30}
			})
			// The stored hash must be made with the production parameters too.
			if err := w.svc.ChangePassword(from("203.0.113.250"), w.user, userPassword, "Another-Horse-99"); err != nil {
				b.Fatal(err)
			}
			ctx := from("198.51.100.250")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.svc.Authenticate(ctx, "default", user, "wrong"); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
					b.Fatal(err)
				}
			}
		})
	}
}
