package web

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// limiter is a token bucket per client address (SECURITY-CASES 43). Its memory is bounded: when it tracks max
// clients, buckets that have refilled are dropped, and if none has, all are.
type limiter struct {
	rate  float64
	burst float64
	max   int

	// mu guards buckets.
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst, max int) *limiter {
	if burst < 1 {
		burst = int(math.Ceil(rate)) * 4
	}
	return &limiter{rate: rate, burst: float64(burst), max: max, buckets: map[string]*bucket{}}
}

// allow takes a token for key and reports whether there was one, and if not, how long until there is.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

func (l *limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.max {
		clear(l.buckets)
	}
}

// rateLimit answers 429 with Retry-After to a client over its rate.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := s.limiter.allow(idp.RequestInfoFrom(r.Context()).ClientAddr, time.Now())
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			err := gatehouse.Errorf(gatehouse.ERATELIMIT, "Too many requests from your address; wait a moment and try again.")
			if len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/" {
				writeJSON(w, http.StatusTooManyRequests, errorBody{Code: gatehouse.ERATELIMIT, Message: gatehouse.ErrorMessage(err), CorrelationID: correlationID(r)})
				return
			}
			http.Error(w, gatehouse.ErrorMessage(err), http.StatusTooManyRequests)
			return
		}
		next.ServeHTTP(w, r)
	})
}
