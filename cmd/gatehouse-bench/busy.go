package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"
)

// importer runs bulk imports into the default directory one request after another until it is stopped, each
// request creating users that do not exist yet.
type importer struct {
	next       int // the number of the next user to create
	stop, done chan struct{}
	// What the importer did, to be read once done is closed: users created, in how many requests, over how long,
	// and the error that stopped it.
	created, requests int
	elapsed           time.Duration
	err               error
}

// startImporter starts importing rows users per request from user number first.
func (g *gatehouseServer) startImporter(ctx context.Context, first, rows int) *importer {
	im := &importer{next: first, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(im.done)
		t0 := time.Now()
		defer func() { im.elapsed = time.Since(t0) }()
		for {
			select {
			case <-im.stop:
				return
			case <-ctx.Done():
				im.err = ctx.Err()
				return
			default:
			}
			if im.err = g.importRange(ctx, im.next, rows); im.err != nil {
				return
			}
			im.next += rows
			im.created += rows
			im.requests++
		}
	}()
	return im
}

// finish stops the importer after the request under way and waits for it.
func (im *importer) finish() error {
	close(im.stop)
	<-im.done
	return im.err
}

func runBusy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var e env
	fs := flag.NewFlagSet("gatehouse-bench busy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e.flags(fs, 3)
	rate := fs.Float64("rate", 0, "sign-ons per second, steady (0: half the peak of a closed loop measured first)")
	duration := fs.Duration("duration", 5*time.Second, "time per window (alone, or during the import) and repetition")
	workers := fs.Int("workers", 8, "sign-ons in flight in the closed loop that measures the peak")
	rows := fs.Int("import-rows", 1000, "users per request of the bulk import that runs during the busy windows")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rows < 1 {
		return fmt.Errorf("--import-rows must be at least 1")
	}
	cleanup, err := e.setup(ctx, stdout, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	pw := randomPassword()
	targets, gh, err := e.gatehouseSSO(ctx, e.gatehouse, "", *workers, pw)
	if gh != nil {
		defer gh.stop()
	}
	if err != nil {
		return err
	}
	t := targets[0] // the app that signs the assertion
	load0 := machine()
	if r, err := closedLoop(ctx, t, *workers, max(20, *workers*4), time.Minute); err != nil || r.check("warm-up") != nil {
		return fmt.Errorf("warm-up: %v %v", err, r.check("warm-up"))
	}
	if *rate <= 0 {
		r, err := closedLoop(ctx, t, *workers, math.MaxInt, *duration)
		if err != nil {
			return err
		}
		if err := r.check("peak"); err != nil {
			return err
		}
		*rate = r.rate() / 2
		e.progress("peak %.0f sign-ons/s; steady rate %.0f/s", r.rate(), *rate)
	}

	const alone, busy = "alone", "during a bulk import"
	p50, p99, imported := series{}, series{}, series{}
	next := 0
	for rep := range e.reps {
		r, err := fixedRate(ctx, t, *rate, math.MaxInt, *duration)
		if err != nil {
			return err
		}
		if err := r.check("sign-ons alone"); err != nil {
			return err
		}
		p50.add(alone, r.pct(50))
		p99.add(alone, r.pct(99))

		im := gh.startImporter(ctx, next, *rows)
		r, err = fixedRate(ctx, t, *rate, math.MaxInt, *duration)
		ierr := im.finish()
		next = im.next
		if err != nil {
			return err
		}
		if ierr != nil {
			return fmt.Errorf("bulk import: %w", ierr)
		}
		if err := r.check("sign-ons during a bulk import"); err != nil {
			return err
		}
		if im.requests == 0 {
			return fmt.Errorf("no import request finished within %v; use a longer --duration or fewer --import-rows", *duration)
		}
		p50.add(busy, r.pct(50))
		p99.add(busy, r.pct(99))
		imported.add(busy, float64(im.created)/im.elapsed.Seconds())
		e.progress("rep %d: p99 alone %.2f ms, during the import %.2f ms (%d users imported at %.0f/s)",
			rep+1, p99[alone][rep], p99[busy][rep], im.created, float64(im.created)/im.elapsed.Seconds())
	}

	w := e.out
	fmt.Fprintf(w, "gatehouse-bench busy: SP-initiated sign-ons at a steady rate, alone and while an admin bulk-imports users\n")
	fmt.Fprintf(w, "machine: %s at the start; load average %s at the end\n", load0, loadAverage())
	fmt.Fprintf(w, "%d repetitions, each a window alone then one during the import (%v each, %.0f sign-ons/s, %d users per import request); medians\n\n",
		e.reps, *duration, *rate, *rows)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "sign-ons\tp50 ms\tp99 ms\timported users/s\t\n")
	fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t\t\n", alone, p50.med(alone), p99.med(alone))
	fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.0f\t\n", busy, p50.med(busy), p99.med(busy), imported.med(busy))
	tw.Flush()
	fmt.Fprintf(w, "\np99 during the import / p99 alone: %.2f×\n", p99.med(busy)/p99.med(alone))
	return nil
}
