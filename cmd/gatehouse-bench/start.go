package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// importUsers creates n users in the default directory through the bulk import, perRequest rows at a time, and
// returns the rate and the server's CPU time per user.
func (g *gatehouseServer) importUsers(ctx context.Context, n, perRequest int, progress func(string, ...any)) (rate float64, cpuPer time.Duration, err error) {
	cpu0, err := cpuTime(g.pid())
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	for done := 0; done < n; {
		part := min(perRequest, n-done)
		if err := g.importRange(ctx, "default", done, part); err != nil {
			return 0, 0, err
		}
		done += part
		if done%100_000 == 0 && done < n {
			progress("imported %d of %d users (%.0f users/s)", done, n, float64(done)/time.Since(start).Seconds())
		}
	}
	rate = float64(n) / time.Since(start).Seconds()
	cpu1, err := cpuTime(g.pid())
	if err != nil || n == 0 {
		return rate, 0, err
	}
	return rate, (cpu1 - cpu0) / time.Duration(n), nil
}

// importRange creates users number first to first+n-1 of a directory in one request of the bulk import.
func (g *gatehouseServer) importRange(ctx context.Context, dir string, first, n int) error {
	var b strings.Builder
	b.WriteString("userName,firstName,lastName,mail\n")
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, "user%07d@bench.test,First%d,Last%d,user%07d@bench.test\n", i, i, i, i)
	}
	res, err := g.api.ImportUsers(ctx, dir, []byte(b.String()), "text/csv")
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		return fmt.Errorf("import: %d rows refused, the first: %+v", res.Failed, res.Errors[0])
	}
	return nil
}

func runStart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var e env
	fs := flag.NewFlagSet("gatehouse-bench start", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e.flags(fs, 7)
	sizes := fs.String("users", "1000,1000000", "comma-separated `SIZES` of the default directory to start with")
	perRequest := fs.Int("import-rows", 10_000, "rows per request of the bulk import that fills the directories")
	idle := fs.Duration("idle", 2*time.Second, "wait after the first answer before the idle RSS is read")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return fmt.Errorf("--users: %q is not a number of users", f)
		}
		ns = append(ns, n)
	}
	cleanup, err := e.setup(ctx, stdout, stderr)
	if err != nil {
		return err
	}
	defer cleanup()

	pw := randomPassword()
	rates, cpuPer := map[int]float64{}, map[int]time.Duration{}
	for _, n := range ns {
		data := filepath.Join(e.dir, fmt.Sprintf("data-%d", n))
		gh, err := e.startGatehouse(ctx, fmt.Sprintf("gatehouse-%d-setup", n), data, pw)
		if err != nil {
			return err
		}
		e.progress("importing %d users …", n)
		// The admin is one of the directory's users.
		rates[n], cpuPer[n], err = gh.importUsers(ctx, max(n-1, 0), *perRequest, e.progress)
		gh.stop()
		if err != nil {
			return err
		}
	}

	took, firstRSS, idleRSS := series{}, series{}, series{}
	for rep := range e.reps {
		for _, n := range ns {
			key := strconv.Itoa(n)
			addr, err := freeAddr()
			if err != nil {
				return err
			}
			t0 := time.Now()
			p, err := start(ctx, fmt.Sprintf("gatehouse-%d-%d", n, rep+1), e.dir, addr, "/healthz", nil, e.gatehouse,
				"serve", "--addr", addr, "--data", filepath.Join(e.dir, fmt.Sprintf("data-%d", n)), "--rate-limit", "0")
			if err != nil {
				return err
			}
			d := time.Since(t0)
			rss, _, err := memStatus(p.pid())
			if err != nil {
				p.stop()
				return err
			}
			time.Sleep(*idle)
			rss2, _, err := memStatus(p.pid())
			p.stop()
			if err != nil {
				return err
			}
			took.add(key, float64(d.Microseconds())/1000)
			firstRSS.add(key, float64(rss))
			idleRSS.add(key, float64(rss2))
			if e.verbose {
				e.progress("rep %d: %d users: first /healthz after %v, RSS %s, idle %s", rep+1, n, d.Round(100*time.Microsecond), mib(rss), mib(rss2))
			}
		}
	}

	w := e.out
	fmt.Fprintf(w, "gatehouse-bench start: gatehouse serve on an existing SQLite data directory, from exec to the first 200 from /healthz\n")
	fmt.Fprintf(w, "machine: %s; %d runs per size, interleaved; medians (min–max)\n\n", machine(), e.reps)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "users\tto first /healthz ms\tRSS then\tidle RSS (after %v)\tbulk import users/s\tserver CPU µs/user\tusers per CPU-second\t\n", *idle)
	for _, n := range ns {
		k := strconv.Itoa(n)
		lo, hi := minMax(took[k])
		perSec := 0.0
		if cpuPer[n] > 0 {
			perSec = float64(time.Second) / float64(cpuPer[n])
		}
		fmt.Fprintf(tw, "%d\t%.1f (%.1f–%.1f)\t%s\t%s\t%.0f\t%.0f\t%.0f\t\n", n, took.med(k), lo, hi, mib(int64(firstRSS.med(k))),
			mib(int64(idleRSS.med(k))), rates[n], float64(cpuPer[n].Nanoseconds())/1000, perSec)
	}
	tw.Flush()
	return nil
}

func minMax(xs []float64) (lo, hi float64) {
	for i, x := range xs {
		if i == 0 || x < lo {
			lo = x
		}
		if i == 0 || x > hi {
			hi = x
		}
	}
	return lo, hi
}
