package provision

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
)

// Defaults of the engine's settings.
const (
	DefaultInterval = 40 * time.Minute
	DefaultRetry    = 10 * time.Second
	DefaultLease    = 60 * time.Second
	DefaultPoll     = 2 * time.Second
)

// Limits of the engine.
const (
	// batchSize is how many jobs, or users of a cycle, are processed between two writes of their results.
	batchSize = 100
	// groupBatch is how many groups of a cycle are processed at once.
	groupBatch = 10
	// maxAttempts is how often a change the app refuses is tried before it waits for the next full cycle.
	maxAttempts = 6
	// maxBackoff caps the wait before a retry; maxProbeDelay that between two probes of an app in quarantine.
	maxBackoff    = 30 * time.Minute
	maxProbeDelay = time.Hour
)

// Observer is told what provisioning does, for the metrics. Calls must not block.
type Observer interface {
	// ProvisioningAction counts an action (one of the gatehouse.Action* constants) on an account of an app, by
	// result.
	ProvisioningAction(appID, action, result string)
}

// Config configures an Engine. Store and Sealer are required; the zero value of the others means their default.
type Config struct {
	Store  gatehouse.Store
	Sealer *certs.Sealer
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Node names this process in the leases it holds (the host name, process ID and a random suffix when empty).
	Node string
	// Interval is the time between two full cycles of an app that finds drift (40 minutes).
	Interval time.Duration
	// Retry is the wait before a failed change is tried again; it doubles with each failure, up to 30 minutes.
	// The first probe of an app in quarantine comes after six times Retry, the next ones after twice as long each
	// time, up to an hour (10 seconds).
	Retry time.Duration
	// Lease is how long a node holds an app's provisioning without renewing it (60 seconds); Poll how often the
	// engine looks for work (2 seconds); Wake makes it look at once.
	Lease, Poll time.Duration
	// Timeout bounds each request to an app (30 seconds); Concurrency caps the requests in flight to one app (4).
	Timeout     time.Duration
	Concurrency int
	// AllowAddresses are the internal addresses (see Internal) apps may be reached at.
	AllowAddresses []netip.Prefix
	// MaxApps caps the apps this node provisions at once (8).
	MaxApps  int
	Observer Observer
}

// Engine runs the automatic provisioning of every app of every directory: incremental pushes of the queued
// changes, the initial and periodic full cycles, retries and quarantine. Several nodes may run one each on the
// same database; a lease per app makes exactly one of them provision an app at a time.
type Engine struct {
	store  gatehouse.Store
	sealer *certs.Sealer
	logger *slog.Logger
	clock  func() time.Time
	cfg    Config
	wake   chan struct{}
	// depth is the number of queued changes at the last look.
	depth atomic.Int64

	// mu guards running and lastSuccess.
	mu sync.Mutex
	// running holds the apps this node provisions now, by directory and app ID.
	running map[string]bool
	// lastSuccess is when each automatic app's last full cycle finished without a failure, as last read.
	lastSuccess map[string]time.Time
	// memory is what this node remembers of each app between its runs, by directory and app ID.
	memory map[string]*memory
}

// memory is what a node remembers of an app between two runs: the recent outcomes that decide on quarantine, and
// whether the app supports PATCH (for the settings of updatedAt).
type memory struct {
	det       *detector
	patch     bool
	known     bool
	updatedAt time.Time
}

// remember returns the node's memory of an app.
func (e *Engine) remember(dirID, appID string) *memory {
	e.mu.Lock()
	defer e.mu.Unlock()
	key := dirID + "/" + appID
	m := e.memory[key]
	if m == nil {
		m = &memory{det: &detector{}}
		e.memory[key] = m
	}
	return m
}

// New returns an engine; call Run to start it.
func New(c Config) (*Engine, error) {
	if c.Store == nil || c.Sealer == nil {
		return nil, errors.New("provision: Store and Sealer are required")
	}
	e := &Engine{store: c.Store, sealer: c.Sealer, logger: c.Logger, clock: c.Now, cfg: c,
		wake: make(chan struct{}, 1), running: map[string]bool{}, lastSuccess: map[string]time.Time{},
		memory: map[string]*memory{}}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	if e.clock == nil {
		e.clock = time.Now
	}
	if e.cfg.Node == "" {
		host, _ := os.Hostname()
		e.cfg.Node = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), newID()[:6])
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&e.cfg.Interval, DefaultInterval}, {&e.cfg.Retry, DefaultRetry}, {&e.cfg.Lease, DefaultLease}, {&e.cfg.Poll, DefaultPoll}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if e.cfg.MaxApps <= 0 {
		e.cfg.MaxApps = 8
	}
	return e, nil
}

// SetObserver makes o observe the engine's actions. Call it before Run.
func (e *Engine) SetObserver(o Observer) { e.cfg.Observer = o }

// Node returns the name of this node in leases.
func (e *Engine) Node() string { return e.cfg.Node }

// Interval returns the time between two full cycles of an app.
func (e *Engine) Interval() time.Duration { return e.cfg.Interval }

// now returns the current time in UTC, truncated to microseconds as the stores keep it.
func (e *Engine) now() time.Time { return e.clock().UTC().Truncate(time.Microsecond) }

// clientOptions returns the options of the SCIM clients of the engine's apps.
func (e *Engine) clientOptions() ClientOptions {
	return ClientOptions{Timeout: e.cfg.Timeout, Concurrency: e.cfg.Concurrency, AllowAddresses: e.cfg.AllowAddresses,
		Now: e.clock}
}

// ClientOptions returns the options the engine's SCIM clients use, for a connection test.
func (e *Engine) ClientOptions() ClientOptions { return e.clientOptions() }

// Wake makes the engine look for work now: a change was queued. It never blocks.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// QueueDepth returns the number of queued changes of every app at the engine's last look.
func (e *Engine) QueueDepth() int { return int(e.depth.Load()) }

// LastSuccess returns, by app ID, when the last full cycle of each app that is on finished without a failure (zero
// before the first one), as of the engine's last look.
func (e *Engine) LastSuccess() map[string]time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]time.Time, len(e.lastSuccess))
	for k, v := range e.lastSuccess {
		out[k] = v
	}
	return out
}

// Run provisions until ctx is done, then waits for the apps it is working on to stop.
func (e *Engine) Run(ctx context.Context) {
	var wg sync.WaitGroup
	t := time.NewTimer(0)
	defer t.Stop()
	var lastStats time.Time
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-e.wake:
		case <-t.C:
		}
		e.poll(ctx, &wg)
		if now := e.clock(); now.Sub(lastStats) >= 15*time.Second {
			lastStats = now
			e.readStats(ctx)
		}
		t.Reset(e.cfg.Poll)
	}
}

// RunOnce looks for work once and waits until the apps it started on are done; tests use it.
func (e *Engine) RunOnce(ctx context.Context) {
	var wg sync.WaitGroup
	e.poll(ctx, &wg)
	wg.Wait()
	e.readStats(ctx)
}

// poll starts the provisioning of the apps with work due whose lease this node gets.
func (e *Engine) poll(ctx context.Context, wg *sync.WaitGroup) {
	due, err := e.store.FindProvisioningDue(ctx, e.cfg.Node, e.now())
	if err != nil {
		if ctx.Err() == nil {
			e.logger.Warn("provisioning: find apps with work", "err", err)
		}
		return
	}
	for _, st := range due {
		key := st.DirectoryID + "/" + st.AppID
		e.mu.Lock()
		busy := e.running[key] || len(e.running) >= e.cfg.MaxApps
		e.mu.Unlock()
		if busy {
			continue
		}
		now := e.now()
		claimed, err := e.store.ClaimProvisioning(ctx, st.DirectoryID, st.AppID, e.cfg.Node, now, now.Add(e.cfg.Lease))
		if err != nil {
			if gatehouse.ErrorCode(err) != gatehouse.ECONFLICT && ctx.Err() == nil {
				e.logger.Warn("provisioning: claim app", "directory", st.DirectoryID, "app", st.AppID, "err", err)
			}
			continue
		}
		e.mu.Lock()
		e.running[key] = true
		e.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				e.mu.Lock()
				delete(e.running, key)
				e.mu.Unlock()
			}()
			e.runApp(ctx, claimed)
		}()
	}
}

// readStats reads the queue depth and the apps' last successful cycles for the metrics.
func (e *Engine) readStats(ctx context.Context) {
	if n, err := e.store.CountProvisioningJobs(ctx, "", ""); err == nil {
		e.depth.Store(int64(n))
	}
	ps, err := e.store.FindProvisionings(ctx, "", gatehouse.ProvisioningAutomatic)
	if err != nil {
		return
	}
	last := map[string]time.Time{}
	for _, p := range ps {
		if st, err := e.store.FindProvisioningStatus(ctx, p.DirectoryID, p.AppID); err == nil {
			last[p.AppID] = st.LastSuccessAt
		}
	}
	e.mu.Lock()
	e.lastSuccess = last
	e.mu.Unlock()
}

// observe tells the observer of an action.
func (e *Engine) observe(appID string, o outcome) {
	if e.cfg.Observer == nil || (o.action == "" && o.result != gatehouse.ResultFailure) {
		return
	}
	action := o.action
	if action == "" {
		action = gatehouse.ActionSkip
	}
	e.cfg.Observer.ProvisioningAction(appID, action, o.result)
}

// runApp provisions one app while this node holds its lease, until nothing is due or the lease is lost.
func (e *Engine) runApp(ctx context.Context, claimed *gatehouse.ProvisioningStatus) {
	dirID, appID := claimed.DirectoryID, claimed.AppID
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	log := e.logger.With("directory", dirID, "app", appID)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(e.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				now := e.now()
				if _, err := e.store.ClaimProvisioning(ctx, dirID, appID, e.cfg.Node, now, now.Add(e.cfg.Lease)); err != nil {
					if ctx.Err() == nil {
						log.Warn("provisioning: lost the app's lease; stopping", "err", err)
					}
					cancel()
					return
				}
			}
		}
	}()
	defer func() {
		cancel()
		<-renewed
		if err := e.store.ReleaseProvisioning(context.WithoutCancel(ctx), dirID, appID, e.cfg.Node); err != nil {
			log.Warn("provisioning: release the app's lease", "err", err)
		}
	}()
	var r *run
	discovered := false
	st := claimed
	for ctx.Err() == nil {
		p, err := e.store.FindProvisioning(ctx, dirID, appID)
		if err != nil {
			if ctx.Err() == nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
				log.Warn("provisioning: read the app's settings", "err", err)
			}
			return
		}
		if r == nil || !p.UpdatedAt.Equal(r.p.UpdatedAt) {
			if r, err = e.newRun(ctx, p); err != nil {
				e.cannotRun(ctx, st, p, err, log)
				return
			}
			discovered = false
		}
		if st, err = e.store.FindProvisioningStatus(ctx, dirID, appID); err != nil {
			return
		}
		st.LeaseOwner = e.cfg.Node
		worked, err := e.step(ctx, r, st, &discovered, log)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("provisioning: stopped the app's run", "err", err)
			}
			return
		}
		if !worked {
			return
		}
	}
}

// cannotRun handles settings the engine cannot use (a token that does not open, say): on-demand requests fail with
// the reason, and an app that is on goes into quarantine with it.
func (e *Engine) cannotRun(ctx context.Context, st *gatehouse.ProvisioningStatus, p *gatehouse.Provisioning, cause error, log *slog.Logger) {
	reason := "Gatehouse cannot use the app's provisioning settings: " + cause.Error() + "."
	if errors.Is(cause, errToken) {
		reason = "Gatehouse cannot decrypt the app's secret token (was the server's key changed?). Enter the token again."
	}
	log.Warn("provisioning: cannot run", "err", cause)
	jobs, err := e.store.FindProvisioningJobs(ctx, p.DirectoryID, p.AppID, e.now(), batchSize)
	if err != nil {
		return
	}
	app, _ := e.store.FindApp(ctx, p.DirectoryID, p.AppID)
	_ = e.store.InTx(ctx, func(tx gatehouse.Store) error {
		for _, j := range jobs {
			if j.OnDemand == "" {
				continue
			}
			ev := &gatehouse.ProvisioningEvent{ID: newID(), DirectoryID: p.DirectoryID, AppID: p.AppID, Time: e.now(),
				CycleID: j.OnDemand, Trigger: gatehouse.TriggerOnDemand, ObjectType: j.ObjectType, SourceID: j.ObjectID,
				SourceName: j.ObjectID, Action: gatehouse.ActionSkip, Result: gatehouse.ResultFailure, Reason: reason,
				Steps: []gatehouse.ProvisioningStep{{Name: "connection", Result: gatehouse.ResultFailure, Detail: reason}}}
			if app != nil {
				ev.AppName = app.Name
			}
			if err := tx.CreateProvisioningEvent(ctx, ev); err != nil {
				return err
			}
			if err := tx.FinishProvisioningJob(ctx, j); err != nil {
				return err
			}
		}
		return nil
	})
	if p.Mode == gatehouse.ProvisioningAutomatic && st.Quarantine == nil {
		st.LeaseOwner = e.cfg.Node
		e.quarantine(ctx, st, reason, log)
	}
}

// step does the next piece of an app's provisioning: requests an admin made, the quarantine's probe, a batch of
// queued changes, a page of the full cycle. It reports whether it did anything.
func (e *Engine) step(ctx context.Context, r *run, st *gatehouse.ProvisioningStatus, discovered *bool, log *slog.Logger) (bool, error) {
	now := e.now()
	worked := false
	// A request is consumed after what it asks for is recorded, so that a node that stops in between loses none.
	if at := st.RetryRequestedAt; !at.IsZero() {
		if err := e.store.ResetProvisioningJobs(ctx, st.DirectoryID, st.AppID, now); err != nil {
			return false, err
		}
		r.resetDetector()
		*discovered = false
		if st.Quarantine != nil {
			st.Quarantine.NextProbeAt = now
			if err := e.store.UpdateProvisioningStatus(ctx, st); err != nil {
				return false, err
			}
		}
		if err := e.store.ConsumeProvisioningRequest(ctx, st.DirectoryID, st.AppID, gatehouse.RequestRetry, at); err != nil {
			return false, err
		}
		worked = true
	}
	automatic := r.p.Mode == gatehouse.ProvisioningAutomatic
	if at := st.CycleRequestedAt; !at.IsZero() {
		if automatic {
			kind := gatehouse.CycleRestart
			if st.LastCycle == nil && (st.Cycle == nil || st.Cycle.Kind == gatehouse.CycleInitial) {
				kind = gatehouse.CycleInitial
			}
			st.Cycle = &gatehouse.ProvisioningCycle{ID: newID(), Kind: kind, Phase: phaseUsers, StartedAt: now}
			if err := e.store.UpdateProvisioningStatus(ctx, st); err != nil {
				return false, err
			}
			log.Info("provisioning: full cycle started", "kind", kind, "cycle", st.Cycle.ID)
		}
		if err := e.store.ConsumeProvisioningRequest(ctx, st.DirectoryID, st.AppID, gatehouse.RequestCycle, at); err != nil {
			return false, err
		}
		worked = true
	}
	if st.Quarantine != nil {
		if !now.Before(st.Quarantine.NextProbeAt) {
			if err := e.probe(ctx, r); err == nil {
				log.Info("provisioning: the app answers again; out of quarantine", "since", st.Quarantine.Since)
				st.Quarantine = nil
				r.resetDetector()
				if err := e.store.UpdateProvisioningStatus(ctx, st); err != nil {
					return false, err
				}
				return true, e.store.ResetProvisioningJobs(ctx, st.DirectoryID, st.AppID, now)
			} else {
				q := st.Quarantine
				q.Probes++
				q.NextProbeAt = now.Add(e.probeDelay(q.Probes))
				msg, _, _ := describeError(err)
				if classify(err) == failAuth {
					msg = "The app refused the credentials: " + msg + ". Check the secret token (and the tenant URL), then retry."
				}
				q.Reason = msg
				if err := e.store.UpdateProvisioningStatus(ctx, st); err != nil {
					return false, err
				}
				log.Info("provisioning: the app still fails; in quarantine", "probes", q.Probes, "next_probe", q.NextProbeAt, "reason", msg)
			}
		}
		// Provision on demand runs in quarantine too: it shows the admin what fails.
		n, err := e.jobs(ctx, r, true)
		return worked || n > 0, err
	}
	if !*discovered {
		*discovered = true
		_ = r.discover(ctx) // a failure counts toward quarantine; changes are tried anyway
	}
	n, err := e.jobs(ctx, r, !automatic)
	if err != nil {
		return false, err
	}
	if n > 0 {
		worked = true
	}
	if reason := r.det.verdict(); reason != "" && automatic {
		return true, e.quarantine(ctx, st, reason, log)
	}
	if !automatic {
		return worked, nil
	}
	if st.Cycle == nil && !st.NextCycleAt.IsZero() && !now.Before(st.NextCycleAt) {
		st.Cycle = &gatehouse.ProvisioningCycle{ID: newID(), Kind: gatehouse.CycleReconcile, Phase: phaseUsers, StartedAt: now}
		log.Info("provisioning: full cycle started", "kind", gatehouse.CycleReconcile, "cycle", st.Cycle.ID)
	}
	if st.Cycle != nil {
		if err := e.cyclePage(ctx, r, st, log); err != nil {
			return false, err
		}
		worked = true
		if reason := r.det.verdict(); reason != "" {
			return true, e.quarantine(ctx, st, reason, log)
		}
	}
	return worked, nil
}

// probeDelay returns the wait before the probe that follows n failed ones.
func (e *Engine) probeDelay(n int) time.Duration {
	d := 6 * e.cfg.Retry
	for range n {
		if d *= 2; d >= maxProbeDelay {
			return maxProbeDelay
		}
	}
	return d
}

// backoff returns the wait before the attempt that follows n failed ones.
func (e *Engine) backoff(n int) time.Duration {
	d := e.cfg.Retry
	for i := 1; i < n; i++ {
		if d *= 2; d >= maxBackoff {
			return maxBackoff
		}
	}
	return d
}

// quarantine puts the app into quarantine for reason.
func (e *Engine) quarantine(ctx context.Context, st *gatehouse.ProvisioningStatus, reason string, log *slog.Logger) error {
	now := e.now()
	st.Quarantine = &gatehouse.Quarantine{Since: now, Reason: reason, NextProbeAt: now.Add(e.probeDelay(0))}
	log.Warn("provisioning: the app is in quarantine", "reason", reason, "next_probe", st.Quarantine.NextProbeAt)
	return e.store.UpdateProvisioningStatus(ctx, st)
}

// probe checks whether the app answers and accepts the credentials again.
func (e *Engine) probe(ctx context.Context, r *run) error {
	_, err := r.t.find(ctx, gatehouse.ObjectUser, "userName eq "+filterValue("gatehouse-probe-"+newID()))
	return err
}

// jobs processes a batch of the app's due changes (only the on-demand ones when onDemandOnly is set) and writes
// their results. It returns how many it processed.
func (e *Engine) jobs(ctx context.Context, r *run, onDemandOnly bool) (int, error) {
	list, err := e.store.FindProvisioningJobs(ctx, r.p.DirectoryID, r.p.AppID, e.now(), batchSize)
	if err != nil {
		return 0, err
	}
	if onDemandOnly {
		list = slices.DeleteFunc(list, func(j *gatehouse.ProvisioningJob) bool { return j.OnDemand == "" })
	}
	if len(list) == 0 {
		return 0, nil
	}
	items := make([]item, len(list))
	for i, j := range list {
		items[i] = item{typ: j.ObjectType, id: j.ObjectID, trigger: gatehouse.TriggerIncremental}
		if j.OnDemand != "" {
			items[i].trigger, items[i].cycleID, items[i].verbose = gatehouse.TriggerOnDemand, j.OnDemand, true
		}
	}
	outcomes := e.processAll(ctx, r, items)
	now := e.now()
	for i, j := range list {
		o := outcomes[i]
		if ctx.Err() != nil {
			break
		}
		jj := *j
		switch {
		case o.result != gatehouse.ResultFailure || j.OnDemand != "":
			r.queue(func(ctx context.Context, tx gatehouse.Store) error { return tx.FinishProvisioningJob(ctx, &jj) })
			continue
		case o.kind == failThrottle && o.retryAfter > 0:
			jj.NotBefore = now.Add(o.retryAfter)
		case o.kind == failItem && jj.Attempts+1 >= maxAttempts:
			r.e.logger.Warn("provisioning: a change the app refused is left for the next full cycle", "directory", j.DirectoryID,
				"app", j.AppID, "type", j.ObjectType, "object", j.ObjectID, "attempts", jj.Attempts+1, "err", o.err)
			r.queue(func(ctx context.Context, tx gatehouse.Store) error { return tx.FinishProvisioningJob(ctx, &jj) })
			continue
		default:
			jj.Attempts++
			jj.NotBefore = now.Add(e.backoff(jj.Attempts))
		}
		msg, _, _ := describeError(o.err)
		jj.LastError = truncate(msg, 1024)
		r.queue(func(ctx context.Context, tx gatehouse.Store) error { return tx.RetryProvisioningJob(ctx, &jj) })
	}
	return len(list), r.flush(ctx)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// processAll processes the items concurrently, at most the app's concurrency at once, and returns their outcomes.
func (e *Engine) processAll(ctx context.Context, r *run, items []item) []outcome {
	out := make([]outcome, len(items))
	n := cap(r.t.c.sem)
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, it := range items {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = r.process(ctx, it)
		}()
	}
	wg.Wait()
	return out
}

// The phases of a full cycle.
const (
	phaseUsers        = "users"
	phaseUserOrphans  = "user-orphans"
	phaseGroups       = "groups"
	phaseGroupOrphans = "group-orphans"
)

// count adds an outcome to a cycle's counts.
func count(c *gatehouse.ProvisioningCounts, o outcome) {
	switch {
	case o.result == gatehouse.ResultFailure:
		c.Failed++
	case o.action == gatehouse.ActionCreate:
		c.Created++
	case o.action == gatehouse.ActionUpdate:
		c.Updated++
	case o.action == gatehouse.ActionDisable:
		c.Disabled++
	case o.action == gatehouse.ActionDelete:
		c.Deleted++
	case o.same:
		c.Unchanged++
	default:
		c.Skipped++
	}
}

// cyclePage processes the next page of the app's full cycle, writes the results and records how far it got. A
// page the app failed (it did not answer, or refused the credentials) is done again; a change the app refused is
// queued to be tried again.
func (e *Engine) cyclePage(ctx context.Context, r *run, st *gatehouse.ProvisioningStatus, log *slog.Logger) error {
	c := st.Cycle
	it := func(typ, id string, inScope bool) item {
		return item{typ: typ, id: id, trigger: c.Kind, cycleID: c.ID, inScope: inScope, why: "in the app's scope"}
	}
	var items []item
	var next string
	done := false
	switch c.Phase {
	case phaseUsers, "":
		users, err := e.store.FindScopeUsers(ctx, r.p.DirectoryID, r.p.AppID, r.p.Scope == gatehouse.ScopeAll, c.Cursor, batchSize)
		if err != nil {
			return err
		}
		for _, u := range users {
			items = append(items, it(gatehouse.ObjectUser, u.ID, true))
		}
		if len(users) > 0 {
			next = users[len(users)-1].ID
		}
		done = len(users) < batchSize
	case phaseUserOrphans, phaseGroupOrphans:
		typ := gatehouse.ObjectUser
		if c.Phase == phaseGroupOrphans {
			typ = gatehouse.ObjectGroup
		}
		links, err := e.store.ListProvisionedObjects(ctx, r.p.DirectoryID, r.p.AppID, typ, c.Cursor, batchSize)
		if err != nil {
			return err
		}
		for _, l := range links {
			in, err := e.stillInScope(ctx, r, l)
			if err != nil {
				return err
			}
			if !in {
				items = append(items, it(typ, l.SourceID, false))
			}
		}
		if len(links) > 0 {
			next = links[len(links)-1].SourceID
		}
		done = len(links) < batchSize
	case phaseGroups:
		ids, err := e.scopeGroups(ctx, r)
		if err != nil {
			return err
		}
		i, _ := slices.BinarySearch(ids, c.Cursor)
		if i < len(ids) && ids[i] == c.Cursor {
			i++
		}
		end := min(i+groupBatch, len(ids))
		for _, id := range ids[i:end] {
			items = append(items, it(gatehouse.ObjectGroup, id, false))
		}
		if end > i {
			next = ids[end-1]
		}
		done = end >= len(ids)
	}
	outcomes := e.processAll(ctx, r, items)
	redo := false
	for i, o := range outcomes {
		if o.result == gatehouse.ResultFailure && o.kind != failItem {
			redo = true
			continue
		}
		count(&c.Counts, o)
		if o.result == gatehouse.ResultFailure {
			j := &gatehouse.ProvisioningJob{DirectoryID: r.p.DirectoryID, AppID: r.p.AppID, ObjectType: items[i].typ,
				ObjectID: items[i].id, Reason: "retry of a failed item of a full cycle", RequestedAt: e.now(),
				NotBefore: e.now().Add(e.backoff(1))}
			r.queue(func(ctx context.Context, tx gatehouse.Store) error {
				if err := tx.EnqueueProvisioningJobs(ctx, []*gatehouse.ProvisioningJob{j}); err != nil {
					return err
				}
				j.Attempts = 1 // the cycle's was the first
				return tx.RetryProvisioningJob(ctx, j)
			})
		}
	}
	if err := r.flush(ctx); err != nil {
		return err
	}
	if redo {
		// The page is done again later: what succeeded is found again, unchanged.
		return e.store.UpdateProvisioningStatus(ctx, st)
	}
	if next != "" {
		c.Cursor = next
	}
	if done {
		c.Cursor = ""
		switch {
		case c.Phase == phaseUsers || c.Phase == "":
			c.Phase = phaseUserOrphans
		case c.Phase == phaseUserOrphans && r.p.Groups:
			c.Phase = phaseGroups
		case c.Phase == phaseGroups:
			c.Phase = phaseGroupOrphans
		default:
			return e.finishCycle(ctx, st, log)
		}
	}
	return e.store.UpdateProvisioningStatus(ctx, st)
}

// finishCycle records the end of the running cycle and schedules the next.
func (e *Engine) finishCycle(ctx context.Context, st *gatehouse.ProvisioningStatus, log *slog.Logger) error {
	now := e.now()
	c := st.Cycle
	c.FinishedAt, c.Phase, c.Cursor = now, "", ""
	st.LastCycle, st.Cycle = c, nil
	if c.Counts.Failed == 0 {
		st.LastSuccessAt = now
	}
	st.NextCycleAt = now.Add(e.cfg.Interval)
	log.Info("provisioning: full cycle finished", "kind", c.Kind, "cycle", c.ID, "created", c.Counts.Created,
		"updated", c.Counts.Updated, "disabled", c.Counts.Disabled, "deleted", c.Counts.Deleted,
		"unchanged", c.Counts.Unchanged, "skipped", c.Counts.Skipped, "failed", c.Counts.Failed,
		"took", now.Sub(c.StartedAt).String())
	return e.store.UpdateProvisioningStatus(ctx, st)
}

// stillInScope reports whether the source of a link is still in the app's scope (and, for a user, enabled), so
// that the cycle's pass over the links leaves it alone.
func (e *Engine) stillInScope(ctx context.Context, r *run, l *gatehouse.ProvisionedObject) (bool, error) {
	if l.ObjectType == gatehouse.ObjectGroup {
		if _, err := e.store.FindGroup(ctx, r.p.DirectoryID, l.SourceID); gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			return false, nil
		} else if err != nil {
			return false, err
		}
		return r.groupInScope(ctx, l.SourceID)
	}
	u, err := e.store.FindUser(ctx, r.p.DirectoryID, l.SourceID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if u.Disabled {
		return !l.Active, nil // a disabled user's account is handled in the pass over the scope, or is disabled
	}
	if r.p.Scope == gatehouse.ScopeAll {
		return true, nil
	}
	return e.store.IsAssigned(ctx, r.p.DirectoryID, r.p.AppID, l.SourceID)
}

// scopeGroups returns the IDs of the groups in the app's scope, sorted.
func (e *Engine) scopeGroups(ctx context.Context, r *run) ([]string, error) {
	var ids []string
	if r.p.Scope == gatehouse.ScopeAll {
		gs, err := e.store.FindGroups(ctx, r.p.DirectoryID, "")
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			ids = append(ids, g.ID)
		}
	} else {
		as, err := e.store.FindAssignments(ctx, r.p.DirectoryID, r.p.AppID)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if a.PrincipalType == gatehouse.PrincipalGroup {
				ids = append(ids, a.PrincipalID)
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newID returns a random ID of 26 characters, as the other objects of Gatehouse have.
func newID() string {
	b := make([]byte, 16)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(fmt.Sprintf("provision: read random: %v", err)) // the system's randomness failing is not recoverable
	}
	return idEncoding.EncodeToString(b)
}

// errToken is the error of a token that does not open.
var errToken = errors.New("the secret token does not decrypt")

// tokenAAD binds a sealed token to its app.
func tokenAAD(dirID, appID string) string { return "provisioning-token:" + dirID + "/" + appID }

// SealToken seals an app's secret token with the instance's key-encryption key, bound to the app.
func SealToken(s *certs.Sealer, dirID, appID, token string) ([]byte, error) {
	return s.Seal([]byte(token), tokenAAD(dirID, appID))
}

// OpenToken returns the secret token of an app's settings.
func OpenToken(s *certs.Sealer, p *gatehouse.Provisioning) (string, error) {
	if len(p.SealedToken) == 0 {
		return "", errors.New("no secret token is set")
	}
	b, err := s.Open(p.SealedToken, tokenAAD(p.DirectoryID, p.AppID))
	if err != nil {
		return "", fmt.Errorf("%w: %v", errToken, err)
	}
	return string(b), nil
}
