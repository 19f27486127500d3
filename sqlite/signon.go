package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// maxGroup bounds the sign-on records one transaction commits.
const maxGroup = 256

// groupCommit writes the sign-on records of concurrent callers in shared transactions (group commit): one goroutine
// takes every record waiting, writes them in one transaction, commits it once (one sync to disk) and then answers
// each caller. Records that arrive meanwhile wait for the next transaction, so under load one commit serves many
// sign-ons, and a lone record is committed at once.
type groupCommit struct {
	w *prepared
	// gate lets the group's transaction go before the other transactions waiting for the writer.
	gate *writeGate
	// records carries each caller's record to the goroutine; it is unbuffered, so a record is either taken or its
	// caller still holds it when the store closes.
	records chan *signOnRecord
	// stop ends the goroutine, which closes stopped when it has.
	stop, stopped chan struct{}
}

// signOnRecord is one caller's sign-in log entry and replay-cache key, and where its outcome goes.
type signOnRecord struct {
	e         *gatehouse.SignInEvent
	key       string
	expiresAt time.Time
	done      chan error // buffered, so that answering never waits for the caller
}

func newGroupCommit(w *prepared, gate *writeGate) *groupCommit {
	g := &groupCommit{w: w, gate: gate, records: make(chan *signOnRecord), stop: make(chan struct{}), stopped: make(chan struct{})}
	go g.run()
	return g
}

// close stops the goroutine after the transaction under way; callers that have not handed over their record get
// an error.
func (g *groupCommit) close() error {
	select {
	case <-g.stop:
	default:
		close(g.stop)
	}
	<-g.stopped
	return nil
}

// commit hands r to the goroutine and waits until its transaction has committed or failed.
func (g *groupCommit) commit(ctx context.Context, r *signOnRecord) error {
	r.done = make(chan error, 1)
	select {
	case g.records <- r:
	case <-g.stopped:
		return gatehouse.Internal(errors.New("sqlite: create sign-in event: the store is closed"))
	case <-ctx.Done():
		return gatehouse.Internal(fmt.Errorf("sqlite: create sign-in event: %w", ctx.Err()))
	}
	// The record was taken: it is written or refused whatever happens to the caller, who learns which.
	return <-r.done
}

func (g *groupCommit) run() {
	defer close(g.stopped)
	batch := make([]*signOnRecord, 0, maxGroup)
	for {
		select {
		case r := <-g.records:
			batch = append(batch[:0], r)
		case <-g.stop:
			return
		}
	more:
		for len(batch) < maxGroup {
			select {
			case r := <-g.records:
				batch = append(batch, r)
			default:
				break more
			}
		}
		g.write(batch)
		clear(batch)
	}
}

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
	if s.tx == nil {
		return s.signOns.commit(ctx, &signOnRecord{e: e, key: key, expiresAt: expiresAt})
	}
	if key != "" {
		if err := s.UseOnce(ctx, key, e.Time, expiresAt); err != nil {
			return err
		}
	}
	return insertSignInEvent(ctx, s.w, e)
}
