package idp

import (
	"context"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// Lockout is the policy against password guessing (SECURITY-CASES 25). Failed attempts are counted per account
// and client address, per account from anywhere, and per client address; a counter over its limit refuses further
// attempts until its window, which starts at the first counted attempt, has passed. Locks therefore always end:
// an attacker cannot lock an account out for good, only for one window at a time, and the per-address limit
// slows them down across accounts.
type Lockout struct {
	Window time.Duration
	// PerAccountAddr, PerAccount and PerAddr are the attempts allowed in a window.
	PerAccountAddr, PerAccount, PerAddr int
}

// DefaultLockout allows 5 failures per account and address, 20 per account and 50 per address in 15 minutes.
var DefaultLockout = Lockout{Window: 15 * time.Minute, PerAccountAddr: 5, PerAccount: 20, PerAddr: 50}

// lockKeys returns the counter keys and their limits for a sign-in attempt.
func (s *Service) lockKeys(dirID, userName, addr string) []struct {
	key   string
	limit int
} {
	name := strings.ToLower(userName)
	return []struct {
		key   string
		limit int
	}{
		{"pw-acct-addr:" + dirID + ":" + name + ":" + addr, s.Lockout.PerAccountAddr},
		{"pw-acct:" + dirID + ":" + name, s.Lockout.PerAccount},
		{"pw-addr:" + addr, s.Lockout.PerAddr},
	}
}

// checkLocked counts an attempt on every counter and returns ERATELIMIT when one is over its limit. The counters
// are reset for the account (not the address) after a successful sign-in.
func (s *Service) checkLocked(ctx context.Context, dirID, userName, addr string) error {
	for _, k := range s.lockKeys(dirID, userName, addr) {
		n, err := s.Store.IncrementCounter(ctx, k.key, s.now(), s.Lockout.Window)
		if err != nil {
			return err
		}
		if n > k.limit {
			return gatehouse.Errorf(gatehouse.ERATELIMIT,
				"Too many sign-in attempts. Wait %d minutes, then try again.", int(s.Lockout.Window.Minutes()))
		}
	}
	return nil
}

// resetLock clears the account's counters after a successful sign-in.
func (s *Service) resetLock(ctx context.Context, dirID, userName, addr string) error {
	for _, k := range s.lockKeys(dirID, userName, addr)[:2] {
		if err := s.Store.ResetCounter(ctx, k.key); err != nil {
			return err
		}
	}
	return nil
}
