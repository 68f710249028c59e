// Package store is the only package that writes SQL. It wraps sqlx over
// lib/pq; every update of a chat is handled inside one transaction (Tx).
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	_ "github.com/lib/pq" // PostgreSQL driver

	"reentrybot/clock"
	"reentrybot/migrations"
)

// DB is the connection pool.
type DB struct {
	X *sqlx.DB
	// prepared holds the statements of the per-update path, prepared once
	// per connection (database/sql keeps one per connection): one round
	// trip each and no parsing or planning, instead of lib/pq's two round
	// trips and a fresh plan for every statement with arguments.
	prepared sync.Map // query → *sqlx.Stmt
	// now is the program's clock (package clock): every time the store
	// writes or compares with comes from it, never from now() in SQL.
	now func() time.Time
}

// SetClock makes now the store's clock; the bot, the flows and the store
// share one (app wires it; tests hand in a clock.Fake).
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// at is t, or the clock's time when t is zero (callers that hold the
// time of the update pass it; the others take the clock's).
func (db *DB) at(t time.Time) time.Time {
	if t.IsZero() {
		return db.Now()
	}
	return t
}

// Now is the store's clock: the program's (clock.System) unless set.
func (db *DB) Now() time.Time {
	if db.now == nil {
		return clock.System()
	}
	return db.now()
}

// Open connects and pings; it does not migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	x, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("opening database: %w", err)
	}
	// As many idle as open: with fewer, a burst closes and reopens sessions
	// (13–20 ms of CPU each), which slows updates, which needs more
	// sessions (BENCHMARKS.md, "the cliff").
	x.SetMaxOpenConns(40)
	x.SetMaxIdleConns(40)
	x.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := x.PingContext(pctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("connecting to database: %w", err)
	}
	return &DB{X: x, now: clock.System}, nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.prepared.Range(func(_, v any) bool {
		if st, ok := v.(*sqlx.Stmt); ok {
			st.Close()
		}
		return true
	})
	return db.X.Close()
}

// Migrate applies pending migrations.
func (db *DB) Migrate(ctx context.Context) error { return migrations.Up(ctx, db.X.DB) }

// Ready reports whether the database answers and is fully migrated.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.X.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	pending, err := migrations.Pending(ctx, db.X.DB)
	if err != nil {
		return err
	}
	if pending {
		return errors.New("migrations pending")
	}
	return nil
}

// Tx is one unit of work. Its methods are the queries a handler may run.
type Tx struct {
	X  *sqlx.Tx
	db *DB
}

// preparing marks a hot statement being prepared in the background.
type preparing struct{}

// hot returns query prepared on the transaction's connection (see
// DB.prepared), or nil until it has been prepared: the first use starts
// preparing it in the background. Preparing needs a free connection, and
// waiting for one while this transaction holds its own could deadlock a
// full pool, so the statement runs unprepared until then.
func (tx *Tx) hot(ctx context.Context, query string) *sqlx.Stmt {
	v, ok := tx.db.prepared.Load(query)
	if st, isStmt := v.(*sqlx.Stmt); isStmt {
		return tx.X.StmtxContext(ctx, st)
	}
	if !ok {
		if _, loaded := tx.db.prepared.LoadOrStore(query, preparing{}); !loaded {
			go tx.db.prepare(query)
		}
	}
	return nil
}

func (db *DB) prepare(query string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := db.X.PreparexContext(ctx, query)
	if err != nil {
		db.prepared.Delete(query) // tried again on its next use
		return
	}
	db.prepared.Store(query, st)
}

// hotStmt is query prepared once per connection for use outside a
// transaction (preparing here is safe: the caller holds no connection);
// nil while a transaction is preparing it, when the query runs unprepared.
func (db *DB) hotStmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if v, ok := db.prepared.Load(query); ok {
		st, _ := v.(*sqlx.Stmt)
		return st, nil
	}
	st, err := db.X.PreparexContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("preparing: %w", err)
	}
	if v, loaded := db.prepared.LoadOrStore(query, st); loaded {
		st.Close()
		prev, _ := v.(*sqlx.Stmt)
		return prev, nil
	}
	return st, nil
}

// selectHot is SelectContext through hotStmt.
func (db *DB) selectHot(ctx context.Context, dest any, query string, args ...any) error {
	st, err := db.hotStmt(ctx, query)
	switch {
	case err != nil:
		return err
	case st == nil:
		return db.X.SelectContext(ctx, dest, query, args...)
	}
	return st.SelectContext(ctx, dest, args...)
}

// getHot is GetContext through hotStmt.
func (db *DB) getHot(ctx context.Context, dest any, query string, args ...any) error {
	st, err := db.hotStmt(ctx, query)
	switch {
	case err != nil:
		return err
	case st == nil:
		return db.X.GetContext(ctx, dest, query, args...)
	}
	return st.GetContext(ctx, dest, args...)
}

// getHot is GetContext through a prepared statement once there is one.
func (tx *Tx) getHot(ctx context.Context, dest any, query string, args ...any) error {
	if st := tx.hot(ctx, query); st != nil {
		return st.GetContext(ctx, dest, args...)
	}
	return tx.X.GetContext(ctx, dest, query, args...)
}

// InTx runs fn in a transaction, committing when fn returns nil. A
// serialization failure or deadlock is retried a few times.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := db.inTx(ctx, fn)
		if err == nil || attempt >= 3 || !retryable(err) {
			return err
		}
	}
}

func (db *DB) inTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	x, err := db.X.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = x.Rollback()
			panic(p)
		}
		if err != nil {
			_ = x.Rollback()
		}
	}()
	if err = fn(&Tx{X: x, db: db}); err != nil {
		return err
	}
	if dryRun(ctx) { // store/desk_admin.go
		return ErrDryRun
	}
	if err = x.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func retryable(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return false
}

// Unavailable reports an error of the database's availability rather
// than of the work: a lost or refused connection, a server shutting down
// or restarting, too many connections. Work that failed so is not
// poison: it is tried again once the database is back.
func Unavailable(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code.Class() {
		case "08", "53", "57": // connection exception, insufficient resources, operator intervention
			return true
		}
		// A database closed to connections for a while (ALTER DATABASE …
		// ALLOW_CONNECTIONS false, as during maintenance).
		return pe.Code == "55000" && strings.Contains(pe.Message, "not currently accepting connections")
	}
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.As(err, &ne)
}

// IsUniqueViolation reports a unique-constraint error.
func IsUniqueViolation(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "23505"
}

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
