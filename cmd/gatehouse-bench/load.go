package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// target is a server under load: a process whose CPU time is read, and one request against it.
type target struct {
	name string
	proc *process
	// do sends one request as worker w and checks the answer.
	do func(ctx context.Context, w int) error
}

// result is one repetition against one target.
type result struct {
	n, errs  int
	firstErr error
	elapsed  time.Duration
	cpu      time.Duration
	lat      []time.Duration // sorted
}

// rate returns the completed requests per second.
func (r result) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// cpuPer returns the server's CPU time per request, in milliseconds.
func (r result) cpuPer() float64 {
	return float64(r.cpu.Microseconds()) / 1000 / float64(r.n)
}

// pct returns the q-th percentile latency (nearest rank), in milliseconds.
func (r result) pct(q float64) float64 {
	if len(r.lat) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(q/100*float64(len(r.lat)))) - 1
	return float64(r.lat[max(i, 0)].Microseconds()) / 1000
}

// check returns an error when more than 1 % of the requests failed.
func (r result) check(name string) error {
	if r.errs > 0 && r.errs*100 > r.n+r.errs {
		return fmt.Errorf("%s: %d of %d requests failed, the first with: %v", name, r.errs, r.n+r.errs, r.firstErr)
	}
	return nil
}

// recorder collects latencies and errors from many goroutines.
type recorder struct {
	mu       sync.Mutex
	lat      []time.Duration
	errs     int
	firstErr error
}

func (rec *recorder) add(d time.Duration, err error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err != nil {
		rec.errs++
		if rec.firstErr == nil {
			rec.firstErr = err
		}
		return
	}
	rec.lat = append(rec.lat, d)
}

func (rec *recorder) result(elapsed, cpu time.Duration) result {
	slices.Sort(rec.lat)
	return result{n: len(rec.lat), errs: rec.errs, firstErr: rec.firstErr, elapsed: elapsed, cpu: cpu, lat: rec.lat}
}

// closedLoop runs workers that each send the next request as soon as the last one is answered, until n requests
// were sent or d has passed, and measures the server's CPU time over the run.
func closedLoop(ctx context.Context, t *target, workers, n int, d time.Duration) (result, error) {
	cpu0, err := cpuTime(t.proc.pid())
	if err != nil {
		return result{}, err
	}
	var sent atomic.Int64
	rec := &recorder{}
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for sent.Add(1) <= int64(n) && time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				err := t.do(ctx, w)
				rec.add(time.Since(t0), err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, err := cpuTime(t.proc.pid())
	if err != nil {
		return result{}, err
	}
	return rec.result(elapsed, cpu1-cpu0), ctx.Err()
}

// fixedRate sends requests at a fixed rate, each when its time comes whether or not earlier ones were answered,
// for d or n requests, whichever ends first. A latency counts from when the request was due, so a server that falls
// behind is charged for the wait (no coordinated omission).
func fixedRate(ctx context.Context, t *target, rate float64, n int, d time.Duration) (result, error) {
	cpu0, err := cpuTime(t.proc.pid())
	if err != nil {
		return result{}, err
	}
	interval := time.Duration(float64(time.Second) / rate)
	total := min(n, int(d/interval)+1)
	rec := &recorder{}
	// Outstanding requests are bounded so that a stalled server cannot exhaust the benchmark's memory; a request
	// that finds no room is an error.
	room := make(chan struct{}, 4096)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case room <- struct{}{}:
		default:
			rec.add(0, fmt.Errorf("more than %d requests outstanding", cap(room)))
			continue
		}
		wg.Go(func() {
			defer func() { <-room }()
			err := t.do(ctx, i)
			rec.add(time.Since(due), err)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, err := cpuTime(t.proc.pid())
	if err != nil {
		return result{}, err
	}
	return rec.result(elapsed, cpu1-cpu0), ctx.Err()
}

// median returns the median of xs.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// series collects one number per repetition for each target.
type series map[string][]float64

func (s series) add(name string, v float64) { s[name] = append(s[name], v) }
func (s series) med(name string) float64    { return median(s[name]) }

// newClient returns an HTTP client for the load on one server: kept-alive connections enough for every worker,
// no redirects followed (each answer is checked as it is), and a cookie jar when jar is not nil.
func newClient(conns int, jar http.CookieJar) *http.Client {
	return &http.Client{
		Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute,
			DisableCompression: true},
		Jar:           jar,
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// pad pads s with spaces to the length of the longest target name, so that a right-aligned table shows names
// left-aligned.
func pad(s string, targets []*target) string {
	n := len(s)
	for _, t := range targets {
		n = max(n, len(t.name))
	}
	return s + strings.Repeat(" ", n-len(s))
}
