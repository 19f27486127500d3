package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// maxGroup bounds the sign-on records one transaction commits.
const maxGroup = 256

// maxHold bounds how long a transaction is held back for more records while none of its callers waits yet (see
// groupCommit.run): a caller that never calls wait has its record committed after this long.
const maxHold = 20 * time.Millisecond

// groupCommit writes the sign-on records of concurrent callers in shared transactions (group commit): callers queue
// their records, and one goroutine takes every record queued, writes them in one transaction, commits it once (one
// sync to disk) and then answers each caller.
//
// A caller may queue its record before it signs its answer and wait for the outcome after (StartSignInEventOnce).
// While no caller of the records taken waits yet, the goroutine holds the transaction back and takes the records
// that are queued meanwhile; it commits once one of the callers waits. Under load one commit then serves the
// sign-ons of a whole round of signatures rather than the few that arrived during the previous commit, and no caller
// waits longer than it would for a commit that began when its answer was ready.
type groupCommit struct {
	w *prepared
	// gate lets the group's transaction go before the other transactions waiting for the writer.
	gate *writeGate

	mu sync.Mutex
	// queue holds the records handed over and not yet taken by the goroutine, in order.
	queue []*signOnRecord
	// closed is set when the store closes: records are refused from then on.
	closed bool

	// wake tells the goroutine that a record was queued or that a caller began to wait.
	wake chan struct{}
	// stop ends the goroutine, which closes stopped when it has written the records queued.
	stop, stopped chan struct{}
	// maxHold is maxHold, or another bound in tests.
	maxHold atomic.Int64
	// held is the number of records in the transaction held back, and transactions the number committed, for tests.
	held, transactions atomic.Int64
}

// signOnRecord is one caller's sign-in log entry and replay-cache key, and where its outcome goes.
type signOnRecord struct {
	e         *gatehouse.SignInEvent
	key       string
	expiresAt time.Time
	// waiting is set when the caller waits for the outcome.
	waiting atomic.Bool
	done    chan error // buffered, so that answering never waits for the caller
}

func newGroupCommit(w *prepared, gate *writeGate) *groupCommit {
	g := &groupCommit{w: w, gate: gate, wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	g.maxHold.Store(int64(maxHold))
	go g.run()
	return g
}

// close stops the goroutine once it has written every record queued; records handed over later are refused.
func (g *groupCommit) close() error {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.stop)
	}
	g.mu.Unlock()
	<-g.stopped
	return nil
}

// signal wakes the goroutine, unless a wake is pending already.
func (g *groupCommit) signal() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// start queues r; wait then returns its outcome.
func (g *groupCommit) start(r *signOnRecord) {
	r.done = make(chan error, 1)
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		r.done <- gatehouse.Internal(errors.New("sqlite: create sign-in event: the store is closed"))
		return
	}
	g.queue = append(g.queue, r)
	g.mu.Unlock()
	g.signal()
}

// wait tells the goroutine that r's caller waits, and returns the outcome of r once its transaction has committed or
// failed. A record queued is written or refused whatever happens to its caller.
func (g *groupCommit) wait(r *signOnRecord) error {
	r.waiting.Store(true)
	g.signal()
	return <-r.done
}

// take moves queued records to batch, up to maxGroup in all, and reports whether records remain queued.
func (g *groupCommit) take(batch []*signOnRecord) ([]*signOnRecord, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := min(len(g.queue), maxGroup-len(batch))
	batch = append(batch, g.queue[:n]...)
	g.queue = append(g.queue[:0], g.queue[n:]...)
	return batch, len(g.queue) > 0
}

func (g *groupCommit) run() {
	defer close(g.stopped)
	batch := make([]*signOnRecord, 0, maxGroup)
	hold := time.NewTimer(maxHold)
	hold.Stop()
	holding := false
	for {
		stopping, held := false, false
		select {
		case <-g.wake:
		case <-hold.C:
			held = true
		case <-g.stop:
			stopping = true
		}
		var more bool
		batch, more = g.take(batch)
		if len(batch) == 0 {
			if stopping {
				return
			}
			continue
		}
		if !stopping && !held && len(batch) < maxGroup && !slices.ContainsFunc(batch, waits) {
			if !holding {
				hold.Reset(time.Duration(g.maxHold.Load()))
				holding = true
			}
			g.held.Store(int64(len(batch)))
			continue
		}
		if holding {
			hold.Stop()
			holding = false
			g.held.Store(0)
		}
		g.write(batch)
		clear(batch)
		batch = batch[:0]
		if more {
			g.signal() // the rest of the queue (when stopping, the closed stop brings the goroutine back too)
		}
	}
}

// waits reports whether the caller of r waits for its outcome.
func waits(r *signOnRecord) bool { return r.waiting.Load() }

// The statements of a sign-on record: the replay-cache key (as UseOnce writes it) and the sign-in log entry (as
// CreateSignInEvent writes it).
const (
	useOnceSQL = `INSERT INTO replay (key, expires_at) VALUES (?1, ?3)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay.expires_at <= ?2`
	signInEventSQL = `INSERT INTO sign_in_events (` + signInEventColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// write writes batch in one transaction and answers each record: nil once committed, ECONFLICT for a key used
// before, ENOTFOUND for the entry of a directory that does not exist, and the error of the transaction for all when
// it fails. A refused record leaves nothing behind (see writeRecord).
func (g *groupCommit) write(batch []*signOnRecord) {
	ctx := context.Background()
	answers := make([]error, len(batch))
	err := func() error {
		_ = g.gate.lock(ctx, true) // without a deadline, only the gate's turn ends the wait
		tx, err := g.w.db.BeginTx(ctx, nil)
		if err != nil {
			g.gate.unlock()
			return gatehouse.Internal(fmt.Errorf("sqlite: begin: %w", err))
		}
		q := &txStatements{Tx: tx, kept: g.w, stmts: map[string]*sql.Stmt{}}
		defer func() { g.w.keep(ctx, q.unkept) }() // after the rollback below, on a free connection
		defer g.gate.unlock()
		defer tx.Rollback()
		for i, r := range batch {
			if answers[i], err = writeRecord(ctx, q, r); err != nil {
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return gatehouse.Internal(fmt.Errorf("sqlite: commit: %w", err))
		}
		g.transactions.Add(1)
		return nil
	}()
	for i, r := range batch {
		if err != nil {
			answers[i] = err
		}
		r.done <- answers[i]
	}
}

// writeRecord writes one record in the batch's transaction. It returns the record's own refusal as answer, and as
// err a failure that ends the whole transaction. A refused record leaves nothing behind, without a savepoint (two
// more statements for every record): a key used before writes nothing, and the key of a log entry that cannot be
// written is taken out again, which it may be, since the record had just inserted it or replaced an expired one.
func writeRecord(ctx context.Context, q *txStatements, r *signOnRecord) (answer, err error) {
	if r.key != "" {
		res, err := q.ExecContext(ctx, useOnceSQL, r.key, micros(r.e.Time), micros(r.expiresAt))
		if err != nil {
			return nil, internal(err, "use once")
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, internal(err, "use once")
		} else if n == 0 {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "This ID has been used already."), nil
		}
	}
	answer = insertSignInEvent(ctx, q, r.e)
	if code := gatehouse.ErrorCode(answer); answer != nil && code != gatehouse.ECONFLICT && code != gatehouse.ENOTFOUND {
		return nil, answer // not this record's fault: the transaction is given up
	}
	if answer != nil && r.key != "" {
		if _, err := q.ExecContext(ctx, `DELETE FROM replay WHERE key = ?`, r.key); err != nil {
			return nil, internal(err, "create sign-in event")
		}
	}
	return answer, nil
}

// insertSignInEvent runs the insert of a sign-in log entry.
func insertSignInEvent(ctx context.Context, q querier, e *gatehouse.SignInEvent) error {
	_, err := q.ExecContext(ctx, signInEventSQL,
		e.DirectoryID, e.ID, micros(e.Time), e.UserID, e.UserName, e.AppID, e.AppName, e.Result, e.Code, e.Reason,
		e.CorrelationID, e.ClientAddr, e.SessionID, e.Protocol, e.Hint, e.Setting)
	return wrap(err, "create sign-in event", msgs{
		conflict: "A sign-in event with this ID already exists.",
		missing:  "The directory does not exist.",
	})
}

// CreateSignInEventOnce appends e to the sign-in log and, when key is not "", records key in the replay cache until
// expiresAt, in one transaction. ECONFLICT, with nothing written, when the key was recorded before and has not
// expired at e.Time. Outside InTx the records of concurrent callers share one transaction (group commit).
func (s *Store) CreateSignInEventOnce(ctx context.Context, e *gatehouse.SignInEvent, key string, expiresAt time.Time) error {
	return s.StartSignInEventOnce(ctx, e, key, expiresAt)()
}

// StartSignInEventOnce queues what CreateSignInEventOnce writes and returns; wait returns the outcome. Until wait is
// called the transaction that holds the record may wait for more records (see groupCommit). Inside InTx the record
// is written before StartSignInEventOnce returns.
func (s *Store) StartSignInEventOnce(ctx context.Context, e *gatehouse.SignInEvent, key string, expiresAt time.Time) (wait func() error) {
	if s.tx == nil {
		r := &signOnRecord{e: e, key: key, expiresAt: expiresAt}
		s.signOns.start(r)
		return func() error { return s.signOns.wait(r) }
	}
	err := s.createSignInEventOnceTx(ctx, e, key, expiresAt)
	return func() error { return err }
}

// createSignInEventOnceTx is CreateSignInEventOnce inside InTx.
func (s *Store) createSignInEventOnceTx(ctx context.Context, e *gatehouse.SignInEvent, key string, expiresAt time.Time) error {
	if key != "" {
		if err := s.UseOnce(ctx, key, e.Time, expiresAt); err != nil {
			return err
		}
	}
	return insertSignInEvent(ctx, s.w, e)
}
