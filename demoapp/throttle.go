package demoapp

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Password guessing limits: after maxEmailFailures wrong passwords within failureWindow for one e-mail, or
// maxAddrFailures from one client address, password sign-in for it is refused until the oldest of those failures
// leaves the window. Refused attempts are not counted, so a lockout never outlasts failureWindow. The address limit
// is higher because everyone on one machine or behind one proxy shares an address.
const (
	maxEmailFailures = 5
	maxAddrFailures  = 30
	failureWindow    = 15 * time.Minute
	maxTracked       = 10000
)

// throttle counts recent password failures per key (an e-mail or a client address).
type throttle struct {
	mu       sync.Mutex             // guards failures
	failures map[string][]time.Time // recent failures per key, oldest first
}

func newThrottle() *throttle {
	return &throttle{failures: map[string][]time.Time{}}
}

// recent returns the failures of key still inside the window at now, dropping older ones. t.mu must be held.
func (t *throttle) recent(key string, now time.Time) []time.Time {
	fs := t.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= failureWindow {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.failures, key)
	} else {
		t.failures[key] = fs
	}
	return fs
}

// wait returns how long the caller must wait before another password attempt for key, which allows limit failures
// in the window, or 0.
func (t *throttle) wait(now time.Time, key string, limit int) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fs := t.recent(key, now); len(fs) >= limit {
		return failureWindow - now.Sub(fs[len(fs)-limit])
	}
	return 0
}

// fail records a failure for each of keys, keeping at most maxAddrFailures per key.
func (t *throttle) fail(now time.Time, keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.failures) > maxTracked {
		for k := range t.failures {
			t.recent(k, now)
		}
		if len(t.failures) > maxTracked {
			t.failures = map[string][]time.Time{} // a flood of keys: start over rather than grow without bound
		}
	}
	for _, k := range keys {
		fs := t.recent(k, now)
		if len(fs) >= maxAddrFailures {
			fs = fs[1:]
		}
		t.failures[k] = append(fs, now)
	}
}

// reset forgets the failures of key, after a successful sign-in.
func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
}

// throttleKeys returns the keys a password attempt for email from r counts against.
func throttleKeys(r *http.Request, email string) (emailKey, addrKey string) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "email:" + strings.ToLower(email), "addr:" + host
}
