package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// postLogin returns a request function that signs in with a password by posting the sign-in form, as worker w's
// user from worker w's client address (X-Forwarded-For), and checks the answer: a redirect (303) for a right
// password.
func postLogin(hc *http.Client, loginURL string, users []string, pw string) func(ctx context.Context, w int) error {
	return func(ctx context.Context, w int) error {
		i := w % len(users)
		form := url.Values{"userName": {users[i]}, "password": {pw}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, loginURL, strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.200.%d.%d", i/256, i%256))
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusSeeOther {
			return fmt.Errorf("POST %s: status %d, want 303: %.300s", loginURL, resp.StatusCode, body)
		}
		return nil
	}
}

// floodResult is what a flood of wrong passwords did to a server's memory.
type floodResult struct {
	before, peak, after, settled int64
	took                         time.Duration
	statuses                     map[int]int
}

// flood posts n wrong passwords at once, each for another unknown user from another client address (sent as
// X-Forwarded-For, so that lockout does not answer them without hashing), and samples the server's RSS meanwhile.
func flood(ctx context.Context, p *process, loginURL string, n, round int, settle time.Duration) (floodResult, error) {
	var res floodResult
	var err error
	if res.before, _, err = memStatus(p.pid()); err != nil {
		return res, err
	}
	resetErr := resetPeak(p.pid())
	hc := newClient(n, nil)
	hc.Timeout = 10 * time.Minute // the last of the flood waits for every hash before it
	done := make(chan struct{})
	var sampled int64
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			if rss, _, err := memStatus(p.pid()); err == nil {
				sampled = max(sampled, rss)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	var mu sync.Mutex
	res.statuses = map[int]int{}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			form := url.Values{"userName": {fmt.Sprintf("flood-%d-%d@bench.test", round, i)}, "password": {"not the password"}}
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, loginURL, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", round%256, i/256, i%256))
			status := 0
			if resp, err := hc.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
			}
			mu.Lock()
			res.statuses[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	res.took = time.Since(start)
	close(done)
	sampler.Wait()
	rss, hwm, err := memStatus(p.pid())
	if err != nil {
		return res, err
	}
	res.peak, res.after = sampled, rss
	if resetErr == nil {
		res.peak = max(res.peak, hwm)
	}
	time.Sleep(settle)
	res.settled, _, err = memStatus(p.pid())
	return res, err
}

func runPassword(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var e env
	fs := flag.NewFlagSet("gatehouse-bench password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e.flags(fs, 5)
	requests := fs.Int("requests", 300, "sign-ins per server and repetition, at most")
	duration := fs.Duration("duration", 10*time.Second, "time per server and repetition, at most")
	workers := fs.Int("workers", 2*runtime.NumCPU(), "sign-ins in flight, each as its own user")
	memory := fs.Int("hash-memory", 19, "argon2id memory in MiB, for both servers")
	passes := fs.Int("hash-time", 2, "argon2id passes, for both servers")
	lanes := fs.Int("hash-lanes", 1, "argon2id lanes, for both servers")
	concurrency := fs.Int("hash-concurrency", runtime.NumCPU(), "hashes at once, for both servers")
	floodSize := fs.Int("flood", 200, "wrong passwords posted at once in each flood (0 skips the floods)")
	floods := fs.Int("floods", 3, "floods")
	settle := fs.Duration("settle", 3*time.Second, "wait after a flood before its RSS is read again")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cleanup, err := e.setup(ctx, stdout, stderr)
	if err != nil {
		return err
	}
	defer cleanup()

	hash := []string{"--hash-memory", strconv.Itoa(*memory), "--hash-time", strconv.Itoa(*passes),
		"--hash-lanes", strconv.Itoa(*lanes), "--hash-concurrency", strconv.Itoa(*concurrency)}
	pw := randomPassword()
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	ref, err := start(ctx, "ref-argon2", e.dir, addr, "/healthz", nil, e.self,
		"ref-argon2", "-addr", addr, "-memory", strconv.Itoa(*memory), "-time", strconv.Itoa(*passes),
		"-lanes", strconv.Itoa(*lanes), "-concurrency", strconv.Itoa(*concurrency), "-password", pw)
	if err != nil {
		return err
	}
	defer ref.stop()
	gh, err := e.startGatehouse(ctx, "gatehouse", e.dir+"/data", randomPassword(), append(hash, "--trusted-proxies", "127.0.0.1")...)
	if err != nil {
		return err
	}
	defer gh.stop()
	users := make([]string, *workers)
	for i := range users {
		users[i] = fmt.Sprintf("bench.user%d@gatehouse.local", i)
		if _, err := gh.newUser(ctx, users[i], pw); err != nil {
			return err
		}
	}
	targets := []*target{
		{name: "bare argon2id server", proc: ref, do: postLogin(newClient(*workers, nil), ref.URL+"/login", users, pw)},
		{name: "gatehouse", proc: gh.process, do: postLogin(newClient(*workers, nil), gh.URL+"/d/default/login", users, pw)},
	}
	load0 := machine()
	for _, t := range targets {
		if r, err := closedLoop(ctx, t, *workers, *workers, time.Minute); err != nil || r.check("warm-up of "+t.name) != nil {
			return fmt.Errorf("warm-up of %s: %v %v", t.name, err, r.check(t.name))
		}
	}
	rate, cpu, p50, p99 := series{}, series{}, series{}, series{}
	for rep := range e.reps {
		for _, t := range targets {
			r, err := closedLoop(ctx, t, *workers, *requests, *duration)
			if err != nil {
				return err
			}
			if err := r.check(t.name); err != nil {
				return err
			}
			rate.add(t.name, r.rate())
			cpu.add(t.name, r.cpuPer())
			p50.add(t.name, r.pct(50))
			p99.add(t.name, r.pct(99))
			if e.verbose {
				e.progress("rep %d %-22s %4d sign-ins %6.1f/s  p50 %7.1f ms  p99 %7.1f ms  CPU %.1f ms each", rep+1, t.name, r.n, r.rate(), r.pct(50), r.pct(99), r.cpuPer())
			}
		}
		e.progress("password sign-ins: repetition %d of %d done", rep+1, e.reps)
	}

	var floodsGH, floodsRef []floodResult
	for i := range *floods {
		if *floodSize == 0 {
			break
		}
		for _, t := range targets {
			loginURL := gh.URL + "/d/default/login"
			if t.proc == ref {
				loginURL = ref.URL + "/login"
			}
			f, err := flood(ctx, t.proc, loginURL, *floodSize, i, *settle)
			if err != nil {
				return err
			}
			if t.proc == ref {
				floodsRef = append(floodsRef, f)
			} else {
				floodsGH = append(floodsGH, f)
			}
		}
		e.progress("flood %d of %d done", i+1, *floods)
	}

	w := e.out
	fmt.Fprintf(w, "gatehouse-bench password: sign-ins with a right password (POST the sign-in form), argon2id m=%d MiB t=%d p=%d, %d hashes at once\n",
		*memory, *passes, *lanes, *concurrency)
	fmt.Fprintf(w, "machine: %s at the start; load average %s at the end\n", load0, loadAverage())
	fmt.Fprintf(w, "%d repetitions interleaved; each: %d sign-ins or %v per server, %d in flight, %d users; medians\n\n",
		e.reps, *requests, *duration, *workers, len(users))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, pad("server", targets)+"\tsign-ins/s\tp50 ms\tp99 ms\tCPU ms/sign-in\tsign-ins per CPU-second\t")
	for _, t := range targets {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", pad(t.name, targets), rate.med(t.name), p50.med(t.name), p99.med(t.name),
			cpu.med(t.name), 1000/cpu.med(t.name))
	}
	tw.Flush()
	a, b := targets[1].name, targets[0].name
	fmt.Fprintf(w, "\ngatehouse / bare argon2id: CPU per sign-in %.2f×, throughput %.2f\n", cpu.med(a)/cpu.med(b), rate.med(a)/rate.med(b))
	if len(floodsGH) > 0 {
		fmt.Fprintf(w, "\nflood: %d wrong passwords at once (unknown users, distinct client addresses); RSS of each server\n", *floodSize)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, pad("server", targets)+"\tflood\tbefore\tpeak\tright after\tafter %v\ttook\tanswers\t\n", *settle)
		for _, set := range []struct {
			name string
			fs   []floodResult
		}{{targets[0].name, floodsRef}, {targets[1].name, floodsGH}} {
			for i, f := range set.fs {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%v\t%v\t\n", pad(set.name, targets), i+1, mib(f.before), mib(f.peak), mib(f.after), mib(f.settled),
					f.took.Round(time.Millisecond), f.statuses)
			}
		}
		tw.Flush()
		fmt.Fprintf(w, "hashes in flight are capped at %d: %d × %d MiB = %d MiB of argon2id memory at most\n",
			*concurrency, *concurrency, *memory, *concurrency**memory)
	}
	return nil
}
