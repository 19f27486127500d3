package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
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
			if im.err = g.importRange(ctx, "default", im.next, rows); im.err != nil {
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

// provDir is the directory whose users the provisioning cycles send, apart from the default directory that the
// imports grow, so that every cycle has the same users.
const provDir = "bench-provisioning"

// busyServer is one gatehouse binary under test: its server, the sign-on target, and how far its imports got.
type busyServer struct {
	name string
	gh   *gatehouseServer
	t    *target
	next int // the number of the next user to import
}

// cycle is what one provisioning cycle did, as the server reports it.
type cycle struct {
	users   int
	elapsed time.Duration
	// early is how long before the end of the window the cycle finished; 0 when it ran past it.
	early time.Duration
}

// provisionDuring turns on provisioning of a new app of provDir to tenant of the SCIM sink, waits for its initial
// cycle to start, runs the sign-ons at rate for d while it goes on, then waits (up to limit) for the cycle to end
// with every user created.
func (b *busyServer) provisionDuring(ctx context.Context, sinkURL, token, tenant string, users int, rate float64, d, limit time.Duration) (result, cycle, error) {
	api := b.gh.api
	app, _, err := api.AddApp(ctx, provDir, apiclient.AppInput{GalleryID: "custom", Name: "Bench SCIM " + tenant})
	if err != nil {
		return result{}, cycle{}, err
	}
	mode, scope, url, noGroups := gatehouse.ProvisioningAutomatic, gatehouse.ScopeAll, sinkURL+"/t/"+tenant+"/scim/v2", false
	if _, err := api.UpdateProvisioning(ctx, provDir, app.ID, apiclient.ProvisioningPatch{Mode: &mode, TenantURL: &url,
		Token: &token, Scope: &scope, Groups: &noGroups}); err != nil {
		return result{}, cycle{}, fmt.Errorf("turn on provisioning: %w", err)
	}
	status := func() (*gatehouse.ProvisioningStatus, error) {
		p, err := api.GetProvisioning(ctx, provDir, app.ID)
		if err != nil {
			return nil, err
		}
		if p.Status == nil {
			return &gatehouse.ProvisioningStatus{}, nil
		}
		if q := p.Status.Quarantine; q != nil {
			return nil, fmt.Errorf("the app went into quarantine: %s", q.Reason)
		}
		return p.Status, nil
	}
	// Polling a condition: the engine reports its progress only through the status.
	wait := func(done func(*gatehouse.ProvisioningStatus) bool, limit time.Duration, what string) (*gatehouse.ProvisioningStatus, error) {
		deadline := time.Now().Add(limit)
		for {
			st, err := status()
			if err != nil || done(st) {
				return st, err
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("%s within %v", what, limit)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	if _, err := wait(func(st *gatehouse.ProvisioningStatus) bool { return st.Cycle != nil || st.LastCycle != nil },
		time.Minute, "the provisioning cycle did not start"); err != nil {
		return result{}, cycle{}, err
	}
	r, err := fixedRate(ctx, b.t, rate, math.MaxInt, d)
	end := time.Now()
	if err != nil {
		return result{}, cycle{}, err
	}
	st, err := wait(func(st *gatehouse.ProvisioningStatus) bool { return st.Cycle == nil && st.LastCycle != nil },
		limit, "the provisioning cycle did not end")
	if err != nil {
		return result{}, cycle{}, err
	}
	c := st.LastCycle
	if c.Counts.Created != users || c.Counts.Failed > 0 {
		return result{}, cycle{}, fmt.Errorf("the provisioning cycle ended with %+v; want %d users created", c.Counts, users)
	}
	out := cycle{users: users, elapsed: c.FinishedAt.Sub(c.StartedAt)}
	if c.FinishedAt.Before(end) {
		out.early = end.Sub(c.FinishedAt)
	}
	return r, out, nil
}

func runBusy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var e env
	fs := flag.NewFlagSet("gatehouse-bench busy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e.flags(fs, 3)
	rate := fs.Float64("rate", 0, "sign-ons per second, steady (0: half the peak of a closed loop measured first)")
	duration := fs.Duration("duration", 5*time.Second, "time per window (alone, during the import, during the provisioning cycle)")
	workers := fs.Int("workers", 8, "sign-ons in flight in the closed loop that measures the peak")
	rows := fs.Int("import-rows", 1000, "users per request of the bulk import that runs during the import windows")
	provUsers := fs.Int("provision-users", 10_000, "users of the directory whose initial provisioning cycle to a SCIM app runs during the provisioning windows (0 skips them)")
	cycleLimit := fs.Duration("cycle-timeout", 5*time.Minute, "the longest a provisioning cycle may take")
	e.compareFlags(fs, "such as a build of another commit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rows < 1 {
		return errors.New("--import-rows must be at least 1")
	}
	if *provUsers < 0 {
		return errors.New("--provision-users must not be negative")
	}
	cleanup, err := e.setup(ctx, stdout, stderr)
	if err != nil {
		return err
	}
	defer cleanup()

	var sink *process
	token := randomPassword()
	if *provUsers > 0 {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		if sink, err = start(ctx, "ref-scim", e.dir, addr, "/healthz", nil, e.self, "ref-scim", "-addr", addr, "-token", token); err != nil {
			return err
		}
		defer sink.stop()
		// The SCIM app listens on loopback, which provisioning refuses unless allowed.
		e.serveArgs = []string{"--provisioning-allow-addresses", "127.0.0.1"}
	}
	pw := randomPassword()
	var servers []*busyServer
	defer func() {
		for _, s := range servers {
			s.gh.stop()
		}
	}()
	for i, bin := range e.builds {
		targets, gh, err := e.gatehouseSSO(ctx, bin, e.labels[i], *workers, pw)
		if gh != nil {
			servers = append(servers, &busyServer{name: "gatehouse", gh: gh})
		}
		if err != nil {
			return err
		}
		s := servers[len(servers)-1]
		s.t = targets[0] // the app that signs the assertion
		if e.labels[i] != "" {
			s.name += " " + e.labels[i]
		}
		if *provUsers > 0 {
			if _, err := gh.api.CreateDirectory(ctx, apiclient.DirectoryInput{ID: provDir, Name: "Bench provisioning"}); err != nil {
				return err
			}
			e.progress("%s: importing the %d users to provision …", s.name, *provUsers)
			for first := 0; first < *provUsers; first += 10_000 {
				if err := gh.importRange(ctx, provDir, first, min(10_000, *provUsers-first)); err != nil {
					return err
				}
			}
		}
	}
	load0 := machine()
	for _, s := range servers {
		if r, err := closedLoop(ctx, s.t, *workers, max(20, *workers*4), time.Minute); err != nil || r.check("warm-up") != nil {
			return fmt.Errorf("warm-up of %s: %v %v", s.name, err, r.check("warm-up"))
		}
	}
	if *rate <= 0 {
		r, err := closedLoop(ctx, servers[0].t, *workers, math.MaxInt, *duration)
		if err != nil {
			return err
		}
		if err := r.check("peak"); err != nil {
			return err
		}
		*rate = r.rate() / 2
		e.progress("peak of %s: %.0f sign-ons/s; steady rate %.0f/s", servers[0].name, r.rate(), *rate)
	}

	const alone, busy, prov = "alone", "during a bulk import", "during a provisioning cycle"
	scenarios := []string{alone, busy}
	if *provUsers > 0 {
		scenarios = append(scenarios, prov)
	}
	key := func(s *busyServer, scenario string) string { return s.name + "\x00" + scenario }
	p50, p99, imported, provisioned := series{}, series{}, series{}, series{}
	for rep := range e.reps {
		for si, s := range servers {
			r, err := fixedRate(ctx, s.t, *rate, math.MaxInt, *duration)
			if err != nil {
				return err
			}
			if err := r.check(s.name + ": sign-ons alone"); err != nil {
				return err
			}
			p50.add(key(s, alone), r.pct(50))
			p99.add(key(s, alone), r.pct(99))

			im := s.gh.startImporter(ctx, s.next, *rows)
			r, err = fixedRate(ctx, s.t, *rate, math.MaxInt, *duration)
			ierr := im.finish()
			s.next = im.next
			if err != nil {
				return err
			}
			if ierr != nil {
				return fmt.Errorf("%s: bulk import: %w", s.name, ierr)
			}
			if err := r.check(s.name + ": sign-ons during a bulk import"); err != nil {
				return err
			}
			if im.requests == 0 {
				return fmt.Errorf("no import request finished within %v; use a longer --duration or fewer --import-rows", *duration)
			}
			p50.add(key(s, busy), r.pct(50))
			p99.add(key(s, busy), r.pct(99))
			imported.add(key(s, busy), float64(im.created)/im.elapsed.Seconds())
			msg := fmt.Sprintf("rep %d, %s: p99 alone %.2f ms, during the import %.2f ms (%d users imported at %.0f/s)",
				rep+1, s.name, p99[key(s, alone)][rep], p99[key(s, busy)][rep], im.created, float64(im.created)/im.elapsed.Seconds())

			if *provUsers > 0 {
				tenant := fmt.Sprintf("s%d-r%d", si, rep)
				r, c, err := s.provisionDuring(ctx, sink.URL, token, tenant, *provUsers, *rate, *duration, *cycleLimit)
				if err != nil {
					return fmt.Errorf("%s: provisioning: %w", s.name, err)
				}
				if err := r.check(s.name + ": sign-ons during a provisioning cycle"); err != nil {
					return err
				}
				if c.early > 0 {
					e.progress("the cycle ended %v before the window; give more --provision-users", c.early.Round(time.Millisecond))
				}
				p50.add(key(s, prov), r.pct(50))
				p99.add(key(s, prov), r.pct(99))
				provisioned.add(key(s, prov), float64(c.users)/c.elapsed.Seconds())
				msg += fmt.Sprintf(", during the provisioning cycle %.2f ms (%d users in %v)", p99[key(s, prov)][rep], c.users, c.elapsed.Round(time.Millisecond))
			}
			e.progress("%s", msg)
		}
	}

	w := e.out
	fmt.Fprintf(w, "gatehouse-bench busy: SP-initiated sign-ons at a steady rate, alone and while an admin works: users bulk-imported")
	if *provUsers > 0 {
		fmt.Fprintf(w, ", an app's full provisioning cycle")
	}
	fmt.Fprintf(w, "\nmachine: %s at the start; load average %s at the end\n", load0, loadAverage())
	fmt.Fprintf(w, "%d repetitions, each a window %s per server, interleaved (%v each, %.0f sign-ons/s, %d users per import request",
		e.reps, strings.Join(scenarios, ", "), *duration, *rate, *rows)
	if *provUsers > 0 {
		fmt.Fprintf(w, ", the initial cycle of %d users to a SCIM app", *provUsers)
	}
	fmt.Fprintf(w, "); medians\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "server\tsign-ons\tp50 ms\tp99 ms\timported users/s\tprovisioned users/s\t\n")
	for _, s := range servers {
		for _, sc := range scenarios {
			k := key(s, sc)
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.2f\t%s\t%s\t\n", s.name, sc, p50.med(k), p99.med(k), rateCell(imported, k), rateCell(provisioned, k))
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, s := range servers {
		fmt.Fprintf(w, "%s: p99 during the import / p99 alone: %.2f×", s.name, p99.med(key(s, busy))/p99.med(key(s, alone)))
		if *provUsers > 0 {
			fmt.Fprintf(w, "; p99 during the provisioning cycle / p99 alone: %.2f×", p99.med(key(s, prov))/p99.med(key(s, alone)))
		}
		fmt.Fprintln(w)
	}
	return nil
}

// rateCell formats the median of a rate for the table, or nothing when there is none.
func rateCell(s series, k string) string {
	if len(s[k]) == 0 {
		return ""
	}
	return fmt.Sprintf("%.0f", s.med(k))
}
