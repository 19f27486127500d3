package web

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// limiter is a token bucket (golang.org/x/time/rate) per client address (SECURITY-CASES 43). Its memory is
// bounded: when it tracks max clients, the buckets that have refilled (and so act as new ones) are dropped, and if
// none has, all are.
type limiter struct {
	rate  rate.Limit
	burst int
	max   int

	mu      sync.Mutex
	clients map[string]*rate.Limiter // guarded by mu
}

// newLimiter returns a limiter of r requests per second per client, with bursts of burst requests; a burst below 1
// means four seconds' worth.
func newLimiter(r float64, burst, max int) *limiter {
	if burst < 1 {
		burst = int(math.Ceil(r)) * 4
	}
	return &limiter{rate: rate.Limit(r), burst: burst, max: max, clients: map[string]*rate.Limiter{}}
}

// allow takes a token for key at now and reports whether there was one, and if not, how long until there is.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.clients[key]
	if !ok {
		if len(l.clients) >= l.max {
			l.prune(now)
		}
		b = rate.NewLimiter(l.rate, l.burst)
		l.clients[key] = b
	}
	r := b.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		// Refused requests do not spend tokens: give the reservation back.
		r.CancelAt(now)
		return false, wait
	}
	return true, 0
}

// prune drops the buckets that are full at now, and every bucket if that leaves max or more.
func (l *limiter) prune(now time.Time) {
	for k, b := range l.clients {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.clients, k)
		}
	}
	if len(l.clients) >= l.max {
		clear(l.clients)
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
