package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// run is one node's turn at an app's provisioning, under the app's lease: the settings, the app's SCIM service,
// and the links, log entries and job results waiting to be written.
type run struct {
	e       *Engine
	p       *gatehouse.Provisioning
	appName string
	t       *target
	users   []mapping
	groups  []mapping
	// matchPath is the attribute that finds a user's account.
	matchPath Path
	locks     keyedLocks
	det       *detector
	mem       *memory

	// mu guards links and the pending writes.
	mu sync.Mutex
	// links caches the links read and written in this run, by type and source ID; a nil entry is a known absence.
	links map[string]*gatehouse.ProvisionedObject
	// pending are the writes of processed items, made together by flush.
	pending []func(ctx context.Context, tx gatehouse.Store) error
}

// newRun prepares a run of the app's provisioning: it opens the token and compiles the mappings.
func (e *Engine) newRun(ctx context.Context, p *gatehouse.Provisioning) (*run, error) {
	app, err := e.store.FindApp(ctx, p.DirectoryID, p.AppID)
	if err != nil {
		return nil, err
	}
	token, err := OpenToken(e.sealer, p)
	if err != nil {
		return nil, err
	}
	c, err := NewClient(p.TenantURL, token, e.clientOptions())
	if err != nil {
		return nil, err
	}
	mem := e.remember(p.DirectoryID, p.AppID)
	r := &run{e: e, p: p, appName: app.Name, t: &target{c: c, patch: p.UpdateMethod != gatehouse.UpdatePut},
		det: mem.det, mem: mem, links: map[string]*gatehouse.ProvisionedObject{}}
	if r.users, err = compileMappings(p.UserMappings, gatehouse.ProvisioningUserSources); err != nil {
		return nil, fmt.Errorf("user mappings: %w", err)
	}
	if r.groups, err = compileMappings(p.GroupMappings, gatehouse.ProvisioningGroupSources); err != nil {
		return nil, fmt.Errorf("group mappings: %w", err)
	}
	if r.matchPath, err = ParsePath(p.MatchAttribute); err != nil {
		return nil, err
	}
	return r, nil
}

// discover asks the app whether it supports PATCH, when the settings leave it to the app; the node remembers the
// answer until the settings change.
func (r *run) discover(ctx context.Context) error {
	if r.p.UpdateMethod != gatehouse.UpdateAuto {
		return nil
	}
	r.e.mu.Lock()
	known := r.mem.known && r.mem.updatedAt.Equal(r.p.UpdatedAt)
	patch := r.mem.patch
	r.e.mu.Unlock()
	if known {
		r.t.patch = patch
		return nil
	}
	patch, err := r.t.discover(ctx)
	if err != nil {
		r.det.record(classify(err), err)
		return err
	}
	r.t.patch = patch
	r.e.mu.Lock()
	r.mem.patch, r.mem.known, r.mem.updatedAt = patch, true, r.p.UpdatedAt
	r.e.mu.Unlock()
	return nil
}

// resetDetector forgets the recent outcomes (after a retry request, or when the app leaves quarantine).
func (r *run) resetDetector() {
	r.det.reset()
}

func linkKey(typ, id string) string { return typ + ":" + id }

// link returns the link of a user or group, nil when there is none.
func (r *run) link(ctx context.Context, typ, id string) (*gatehouse.ProvisionedObject, error) {
	r.mu.Lock()
	l, ok := r.links[linkKey(typ, id)]
	r.mu.Unlock()
	if ok {
		return l, nil
	}
	m, err := r.linksOf(ctx, typ, []string{id})
	if err != nil {
		return nil, err
	}
	return m[id], nil
}

// linksOf returns the links of the users or groups with the ids, by id.
func (r *run) linksOf(ctx context.Context, typ string, ids []string) (map[string]*gatehouse.ProvisionedObject, error) {
	out := map[string]*gatehouse.ProvisionedObject{}
	var missing []string
	r.mu.Lock()
	for _, id := range ids {
		if l, ok := r.links[linkKey(typ, id)]; ok {
			if l != nil {
				out[id] = l
			}
		} else {
			missing = append(missing, id)
		}
	}
	r.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	found, err := r.e.store.FindProvisionedObjects(ctx, r.p.DirectoryID, r.p.AppID, typ, missing)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range missing {
		if _, ok := r.links[linkKey(typ, id)]; !ok { // a link written meanwhile wins
			r.links[linkKey(typ, id)] = found[id]
		}
		if l := r.links[linkKey(typ, id)]; l != nil {
			out[id] = l
		}
	}
	return out, nil
}

// saveLink records the account of a user or group; it is written at the next flush.
func (r *run) saveLink(typ, id, name, targetID string, active bool, prev *gatehouse.ProvisionedObject) {
	now := r.e.now()
	l := &gatehouse.ProvisionedObject{DirectoryID: r.p.DirectoryID, AppID: r.p.AppID, ObjectType: typ, SourceID: id,
		SourceName: name, TargetID: targetID, Active: active, CreatedAt: now, UpdatedAt: now}
	if prev != nil && prev.TargetID == targetID {
		l.CreatedAt = prev.CreatedAt
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.links[linkKey(typ, id)] = l
	r.pending = append(r.pending, func(ctx context.Context, tx gatehouse.Store) error { return tx.SaveProvisionedObject(ctx, l) })
}

// saveLinkIfChanged saves the link unless prev already says the same.
func (r *run) saveLinkIfChanged(typ, id, name, targetID string, active bool, prev *gatehouse.ProvisionedObject) {
	if prev == nil || prev.TargetID != targetID || prev.Active != active || prev.SourceName != name {
		r.saveLink(typ, id, name, targetID, active, prev)
	}
}

// deleteLink forgets the account of a user or group; it is written at the next flush.
func (r *run) deleteLink(typ, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.links[linkKey(typ, id)] = nil
	r.pending = append(r.pending, func(ctx context.Context, tx gatehouse.Store) error {
		return tx.DeleteProvisionedObject(ctx, r.p.DirectoryID, r.p.AppID, typ, id)
	})
}

// queueEvent adds a provisioning log entry; it is written at the next flush.
func (r *run) queueEvent(ev *gatehouse.ProvisioningEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = append(r.pending, func(ctx context.Context, tx gatehouse.Store) error { return tx.CreateProvisioningEvent(ctx, ev) })
}

// queue adds a write to the next flush.
func (r *run) queue(w func(ctx context.Context, tx gatehouse.Store) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = append(r.pending, w)
}

// flushYield is how long a flush writes at least before it commits early for a sign-on waiting to write.
const flushYield = time.Millisecond

// flush writes the pending links, log entries and job results in one transaction, or in several when a sign-on
// waits for it (see gatehouse.WriteContention): after flushYield of writes, what is written commits, the sign-on
// goes first, and the rest follows in a new transaction. A page of a cycle's results is some 200 writes, which on
// SQLite's one writer would keep a sign-on waiting for all of them. A failure keeps what committed before it.
func (r *run) flush(ctx context.Context) error {
	r.mu.Lock()
	pending := r.pending
	r.pending = nil
	r.mu.Unlock()
	for len(pending) > 0 {
		n := 0
		err := r.e.store.InTx(ctx, func(tx gatehouse.Store) error {
			n = 0
			c, _ := tx.(gatehouse.WriteContention)
			start := time.Now() // a duration on the monotonic clock, not a time of the engine's
			for n < len(pending) && (n == 0 || c == nil || time.Since(start) < flushYield || !c.Contended()) {
				if err := pending[n](ctx, tx); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			// What was done at the app is found again by matching; the cache must not claim otherwise.
			r.mu.Lock()
			r.links = map[string]*gatehouse.ProvisionedObject{}
			r.mu.Unlock()
			return fmt.Errorf("provision: write the results of app %s: %w", r.p.AppID, err)
		}
		pending = pending[n:]
	}
	return nil
}

// windowSize is how many recent requests the quarantine decision looks at; minFailures how many of them must have
// failed before most failing counts.
const (
	windowSize  = 20
	minFailures = 5
)

// detector watches the outcomes of requests to an app and decides when the app goes into quarantine: at once when
// it refuses the credentials or a request is not allowed to go out, and when most recent requests failed.
type detector struct {
	mu sync.Mutex
	// window holds the recent outcomes, true for a failure of the app; guarded by mu, like the rest.
	window []bool
	// fatal is the reason for an immediate quarantine; last the last failure.
	fatal string
	last  error
}

// reset forgets every outcome.
func (d *detector) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.window, d.fatal, d.last = nil, "", nil
}

// record adds the outcome of a request: kind 0 for an answer, or a failure kind with its error.
func (d *detector) record(kind int, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch kind {
	case failAuth:
		msg, _, _ := describeError(err)
		d.fatal = "The app refused the credentials: " + msg + ". Check the secret token (and the tenant URL), then retry."
	case failConfig:
		d.fatal = capitalize(err.Error()) + "."
	case failTarget:
		d.window = append(d.window, true)
		d.last = err
	case failThrottle, failInternal:
		return
	default:
		d.window = append(d.window, false)
	}
	if len(d.window) > windowSize {
		d.window = d.window[len(d.window)-windowSize:]
	}
}

// verdict returns why the app should go into quarantine, or "".
func (d *detector) verdict() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fatal != "" {
		return d.fatal
	}
	failed := 0
	for _, f := range d.window {
		if f {
			failed++
		}
	}
	if failed >= minFailures && failed*2 > len(d.window) {
		msg, _, _ := describeError(d.last)
		return fmt.Sprintf("The app failed %d of the last %d requests; the last failure: %s.", failed, len(d.window), msg)
	}
	return ""
}

// capitalize returns s with its first letter in upper case.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// asHTTP reports whether err is an *HTTPError, and sets *target to it.
func asHTTP(err error, target **HTTPError) bool { return errors.As(err, target) }

// TestResult is the outcome of a connection test: each step, and on failure what the app answered.
type TestResult struct {
	OK    bool                         `json:"ok"`
	Steps []gatehouse.ProvisioningStep `json:"steps"`
	// Message says what failed, with the HTTP status and body the app answered.
	Message    string `json:"message,omitempty"`
	HTTPStatus int    `json:"httpStatus,omitempty"`
	ErrorBody  string `json:"errorBody,omitempty"`
	// Target says where the requests went.
	Target string `json:"target"`
	// Patch reports whether the app says it supports PATCH.
	Patch bool `json:"patch"`
}

// TestConnection checks that Gatehouse can provision to the SCIM service at tenantURL with token, as Entra's Test
// Connection does: it lists users with a filter that matches none (which needs valid credentials) and reads the
// ServiceProviderConfig.
func TestConnection(ctx context.Context, tenantURL, token string, opts ClientOptions) *TestResult {
	res := &TestResult{}
	c, err := NewClient(tenantURL, token, opts)
	if err != nil {
		res.Message = err.Error()
		res.Steps = append(res.Steps, gatehouse.ProvisioningStep{Name: "connection", Result: gatehouse.ResultFailure, Detail: res.Message})
		return res
	}
	t := &target{c: c}
	fail := func(name string, err error) *TestResult {
		res.Message, res.HTTPStatus, res.ErrorBody = describeError(err)
		if classify(err) == failAuth {
			res.Message = "The app refused the credentials: " + res.Message
		}
		res.Target = Where(c.Host(), t.lastAddr())
		res.Steps = append(res.Steps, gatehouse.ProvisioningStep{Name: name, Result: gatehouse.ResultFailure, Detail: res.Message})
		return res
	}
	probe := "gatehouse-connection-test-" + newID()
	if _, err := t.find(ctx, gatehouse.ObjectUser, "userName eq "+filterValue(probe)); err != nil {
		return fail("connection", err)
	}
	res.Target = Where(c.Host(), t.lastAddr())
	res.Steps = append(res.Steps, gatehouse.ProvisioningStep{Name: "connection", Result: gatehouse.ResultSuccess,
		Detail: fmt.Sprintf("Connected to %s and authenticated: GET /Users with a filter answered with a list.", res.Target)})
	patch, err := t.discover(ctx)
	if err != nil {
		return fail("configuration", err)
	}
	res.Patch = patch
	detail := "The app's ServiceProviderConfig says it supports PATCH; changes are sent with PATCH (unless the settings say PUT)."
	if !patch {
		detail = "The app's ServiceProviderConfig says it does not support PATCH; changes are sent with PUT."
	}
	res.Steps = append(res.Steps, gatehouse.ProvisioningStep{Name: "configuration", Result: gatehouse.ResultSuccess, Detail: detail})
	res.OK = true
	return res
}
