package web

import (
	"testing"
	"time"
)

// TestLimiter checks the per-client token bucket: a burst, then one request per 1/rate seconds with the wait until
// the next one; a refused request spends nothing, and each client has its own bucket.
func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	type try struct {
		client string
		at     time.Duration // after t0
		ok     bool
		wait   time.Duration
	}
	tests := []struct {
		name  string
		rate  float64
		burst int
		tries []try
	}{
		{"a burst, then the rate", 2, 3, []try{
			{"a", 0, true, 0}, {"a", 0, true, 0}, {"a", 0, true, 0},
			{"a", 0, false, 500 * time.Millisecond},
			{"a", 250 * time.Millisecond, false, 250 * time.Millisecond}, // the refusal before spent nothing
			{"a", 500 * time.Millisecond, true, 0},
			{"a", 500 * time.Millisecond, false, 500 * time.Millisecond},
		}},
		{"clients apart", 1, 1, []try{
			{"a", 0, true, 0}, {"a", 0, false, time.Second},
			{"b", 0, true, 0}, {"b", 0, false, time.Second},
			{"a", time.Second, true, 0},
		}},
		{"the default burst is four seconds' worth", 1.5, 0, []try{
			{"a", 0, true, 0}, {"a", 0, true, 0}, {"a", 0, true, 0}, {"a", 0, true, 0},
			{"a", 0, true, 0}, {"a", 0, true, 0}, {"a", 0, true, 0}, {"a", 0, true, 0},
			{"a", 0, false, time.Second * 2 / 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimiter(tt.rate, tt.burst, 100)
			for i, tr := range tt.tries {
				ok, wait := l.allow(tr.client, t0.Add(tr.at))
				if ok != tr.ok || (wait-tr.wait).Abs() > time.Millisecond {
					t.Errorf("try %d (%s at +%v): allow = %v, %v; want %v, %v", i, tr.client, tr.at, ok, wait, tr.ok, tr.wait)
				}
			}
		})
	}
}

// TestLimiterBounded checks that the limiter tracks at most max clients: a new client makes room by dropping the
// buckets that have refilled, which a new bucket would replace unchanged, and only when none has, all.
func TestLimiterBounded(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	l := newLimiter(1, 2, 3)
	l.allow("idle", t0)
	for _, c := range []string{"busy1", "busy1", "busy2", "busy2"} {
		l.allow(c, t0.Add(9500*time.Millisecond))
	}
	l.allow("new", t0.Add(10*time.Second)) // "idle" has refilled; the busy ones have half a token
	if _, ok := l.clients["idle"]; ok || len(l.clients) != 3 {
		t.Errorf("after the fourth client: %d clients, idle kept %v; want 3, idle dropped", len(l.clients), ok)
	}
	// busy1 keeps its spent tokens: a bucket is not reset while it is tracked.
	if ok, _ := l.allow("busy1", t0.Add(10*time.Second)); ok {
		t.Error("busy1 got a third request within a second with a burst of 2 and a rate of 1/s")
	}
	l.allow("another", t0.Add(10*time.Second)) // no bucket has refilled: all go
	if len(l.clients) != 1 {
		t.Errorf("with no refilled bucket to drop: %d clients, want 1", len(l.clients))
	}
}
