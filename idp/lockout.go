package idp

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// Lockout is the policy against password and verification-code guessing (SECURITY-CASES 25).
//
// Attempts on an account are counted per account and client address and per account from anywhere, before the
// password or code is checked, in one atomic step each, so parallel guesses cannot slip past a limit; a complete
// sign-in resets both, so people who sign in often are never locked out by their own successes. Failures are
// also counted per client address (password spraying across accounts); that counter is not reset by a success
// elsewhere, and reaching its limit locks the address. Every counter's window starts at its first count, so every
// lock ends by itself, at most one Window later. Each failure is also answered more slowly than the one before
// (Delay, doubling, at most MaxDelay).
//
// An attacker could keep an account locked by guessing from many addresses, so the per-account limit does not
// apply at a familiar address: one where the account signed in successfully in the last FamiliarFor. The owner
// keeps signing in from their usual places while strangers wait; only the per-address and the account-and-address
// limits apply there. Every answer is the same whether the user name exists or not: the counters are kept by the
// name that was typed.
type Lockout struct {
	Window time.Duration
	// PerAccountAddr and PerAccount are the attempts allowed in a window without a complete sign-in, PerAddr the
	// failures allowed from one address.
	PerAccountAddr, PerAccount, PerAddr int
	// Delay is the pause after the first failure of an account at an address; it doubles with each further failure
	// up to MaxDelay. Zero turns the pause off.
	Delay, MaxDelay time.Duration
	// FamiliarFor is how long a successful sign-in makes its address familiar for the account.
	FamiliarFor time.Duration
}

// DefaultLockout allows 5 attempts per account and address, 20 per account and 50 failures per address in 15
// minutes, and pauses 250 ms after a first failure, doubling up to 4 s.
var DefaultLockout = Lockout{
	Window: 15 * time.Minute, PerAccountAddr: 5, PerAccount: 20, PerAddr: 50,
	Delay: 250 * time.Millisecond, MaxDelay: 4 * time.Second, FamiliarFor: 30 * 24 * time.Hour,
}

// Lock scopes, named in the counter keys.
const (
	scopeAccountAddr = "acct-addr"
	scopeAccount     = "acct"
	scopeAddr        = "addr"
)

// lockCounter is one counter of failed attempts and the limit that locks it.
type lockCounter struct {
	scope string
	key   string
	limit int
}

// lockCounters returns the counters of an attempt on userName from addr in a directory.
func (s *Service) lockCounters(dirID, userName, addr string) []lockCounter {
	name := strings.ToLower(strings.TrimSpace(userName))
	return []lockCounter{
		{scopeAccountAddr, "pw-acct-addr:" + dirID + ":" + name + ":" + addr, s.lockout.PerAccountAddr},
		{scopeAccount, "pw-acct:" + dirID + ":" + name, s.lockout.PerAccount},
		{scopeAddr, "pw-addr:" + addr, s.lockout.PerAddr},
	}
}

func familiarKey(dirID, userName, addr string) string {
	return "familiar:" + dirID + ":" + strings.ToLower(strings.TrimSpace(userName)) + ":" + addr
}

// errLockedOut is the answer while a lock holds; it says nothing about whether the account exists.
func (s *Service) errLockedOut(scope string) error {
	return &gatehouse.Error{Code: gatehouse.ERATELIMIT,
		Message: "Too many failed sign-in attempts. Wait " + minutes(s.lockout.Window) + ", then try again.",
		Err:     lockCause{scope}}
}

// lockCause records, for the sign-in log, which lock refused an attempt.
type lockCause struct{ scope string }

func (c lockCause) Error() string {
	switch c.scope {
	case scopeAccountAddr:
		return "locked: too many attempts on this account from this address"
	case scopeAccount:
		return "locked: too many attempts on this account, and this address is not one it signed in from"
	}
	return "locked: too many failures from this address"
}

func minutes(d time.Duration) string {
	if m := int(d.Round(time.Minute).Minutes()); m > 1 {
		return strconv.Itoa(m) + " minutes"
	}
	return "a minute"
}

// isLocked reports whether a lock key is held. Only recordFailure writes lock keys (and recordSuccess familiar
// keys), so only counted failures can lock: the read records nothing, whatever order parallel sign-ins commit in.
func (s *Service) isLocked(ctx context.Context, key string) (bool, error) {
	return s.store.IsUsed(ctx, key, s.now())
}

// checkAttempt counts an attempt on userName from addr and returns ERATELIMIT, without the attempt being checked,
// when the address is locked or the attempt is over an account limit. It returns the number of attempts of the
// account at the address in the window, for recordFailure's pause.
func (s *Service) checkAttempt(ctx context.Context, dirID, userName, addr string) (int, error) {
	cs := s.lockCounters(dirID, userName, addr)
	locked, err := s.isLocked(ctx, "lock:"+cs[2].key)
	if err != nil {
		return 0, err
	}
	if locked {
		return 0, s.errLockedOut(scopeAddr)
	}
	now := s.now()
	n, err := s.store.IncrementCounter(ctx, cs[0].key, now, s.lockout.Window)
	if err != nil {
		return 0, err
	}
	if n > cs[0].limit {
		return n, s.errLockedOut(scopeAccountAddr)
	}
	m, err := s.store.IncrementCounter(ctx, cs[1].key, now, s.lockout.Window)
	if err != nil {
		return n, err
	}
	if m > cs[1].limit {
		familiar, err := s.isLocked(ctx, familiarKey(dirID, userName, addr))
		if err != nil {
			return n, err
		}
		if !familiar {
			return n, s.errLockedOut(scopeAccount)
		}
	}
	return n, nil
}

// recordFailure counts a failure from the address, locks the address when it reaches its limit, and pauses for
// the nth attempt of the account at the address.
func (s *Service) recordFailure(ctx context.Context, dirID, userName, addr string, n int) error {
	now := s.now()
	c := s.lockCounters(dirID, userName, addr)[2]
	failures, err := s.store.IncrementCounter(ctx, c.key, now, s.lockout.Window)
	if err != nil {
		return err
	}
	if c.limit > 0 && failures >= c.limit {
		err := s.store.UseOnce(ctx, "lock:"+c.key, now, now.Add(s.lockout.Window))
		if err != nil && gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
			return err
		}
	}
	if d := s.lockout.DelayAfter(n); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	return nil
}

// DelayAfter returns the pause after the nth failure of an account at an address.
func (l Lockout) DelayAfter(n int) time.Duration {
	if l.Delay <= 0 || n < 1 {
		return 0
	}
	d := l.Delay
	for i := 1; i < n && d < l.MaxDelay; i++ {
		d *= 2
	}
	if l.MaxDelay > 0 && d > l.MaxDelay {
		d = l.MaxDelay
	}
	return d
}

// recordSuccess clears the account's counters after a complete sign-in and makes the address familiar for the
// account. The per-address counter is left alone: signing in to one account must not wipe out the failures an
// address spent guessing others.
func (s *Service) recordSuccess(ctx context.Context, dirID, userName, addr string) error {
	for _, c := range s.lockCounters(dirID, userName, addr)[:2] {
		if err := s.store.ResetCounter(ctx, c.key); err != nil {
			return err
		}
	}
	if s.lockout.FamiliarFor <= 0 {
		return nil
	}
	now := s.now()
	key := familiarKey(dirID, userName, addr)
	// A familiar address stays familiar; refreshing it is not worth a second write per sign-in.
	if err := s.store.UseOnce(ctx, key, now, now.Add(s.lockout.FamiliarFor)); err != nil && gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
		return err
	}
	return nil
}
