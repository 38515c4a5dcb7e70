// Package db keeps appraisals, their audit trails and users in PostgreSQL
// (through lib/pq) or SQLite (the embedded default), with sqlx.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/appraisal/appraisal/engine"
)

// Engine is a database engine the product runs on.
type Engine string

const (
	Postgres Engine = "postgres"
	SQLite   Engine = "sqlite"
)

//go:embed migrations
var migrations embed.FS

// DB is an open database of either engine.
type DB struct {
	*sqlx.DB
	Engine Engine
	// Now is the clock; tests replace it.
	Now func() time.Time
	// stmts holds prepared statements of the hot path (query → *sqlx.Stmt).
	stmts sync.Map
}

// prepared returns query prepared once for the pool: each connection then
// binds and executes it in one round trip, with its plan cached, instead
// of parsing and planning it again on every request.
func (d *DB) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if st, ok := d.stmts.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	st, err := d.PreparexContext(ctx, query)
	if err != nil {
		return nil, mapError(err)
	}
	if prev, loaded := d.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sqlx.Stmt), nil
	}
	return st, nil
}

// ParseDSN tells the engine of a --db value and returns the driver's DSN:
// postgres://... is PostgreSQL; sqlite:PATH or a bare PATH is SQLite.
func ParseDSN(dsn string) (Engine, string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, withBinaryParameters(dsn), nil
	case dsn == "", dsn == "sqlite:":
		return "", "", fmt.Errorf("empty database: give postgres://... or sqlite:PATH")
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	if strings.Contains(path, "?") {
		return "", "", fmt.Errorf("sqlite path %q: options are set by the product, not in the path", path)
	}
	// WAL lets readers run beside the writer; synchronous=FULL makes every
	// commit durable before it is answered; BEGIN IMMEDIATE takes the write
	// lock at the start, so two transitions never deadlock on an upgrade.
	return SQLite, path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_txlock=immediate", nil
}

// PostgresPoolSize is how many connections one process opens at most.
// Several processes (and, in tests, many databases at once) share the
// server's max_connections, 100 by default; ten keep two PostgreSQL cores
// busy with group commits, as bench transitions shows.
const PostgresPoolSize = 10

// withBinaryParameters turns on lib/pq's binary_parameters, unless the DSN
// sets it: without it, every query with arguments costs two round trips
// (prepare, then execute); with it, one.
func withBinaryParameters(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn // lib/pq will say what is wrong with it
	}
	q := u.Query()
	if q.Has("binary_parameters") {
		return dsn
	}
	q.Set("binary_parameters", "yes")
	u.RawQuery = q.Encode()
	return u.String()
}

// Open connects to dsn (see ParseDSN). It does not migrate: call Migrate,
// or CheckSchema to refuse a schema that is behind.
func Open(ctx context.Context, dsn string) (*DB, error) {
	eng, driverDSN, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	d := &DB{Engine: eng, Now: time.Now}
	switch eng {
	case Postgres:
		d.DB, err = sqlx.Open("postgres", driverDSN)
		// Keep as many idle connections as may be open: database/sql keeps
		// two by default, so a busy server would open and close a
		// PostgreSQL connection (a process) per request.
		d.SetMaxOpenConns(PostgresPoolSize)
		d.SetMaxIdleConns(PostgresPoolSize)
		d.SetConnMaxIdleTime(5 * time.Minute)
	case SQLite:
		d.DB, err = sqlx.Open("sqlite", driverDSN)
		// One connection: SQLite has one writer at a time anyway, and a single
		// connection queues writers in Go instead of in busy-wait sleeps.
		d.SetMaxOpenConns(1)
	}
	if err != nil {
		return nil, err
	}
	if err := d.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("connecting to the %s database: %w", eng, err)
	}
	return d, nil
}

func (d *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(d.Engine))
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	dialect := goose.DialectSQLite3
	if d.Engine == Postgres {
		dialect = goose.DialectPostgres
		// Several server processes may start at once: one migrates, the others
		// wait. They try the lock every second, not goose's default 5 s, so
		// they are up a second after the one migrating; 5 minutes in all.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, d.DB.DB, sub, opts...)
}

// Migrate brings the schema up to date.
func (d *DB) Migrate(ctx context.Context) error {
	p, err := d.provider()
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		slog.InfoContext(ctx, "migrated", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	return nil
}

// ErrSchemaBehind: the schema needs `appraisal migrate`.
var ErrSchemaBehind = errors.New("the database schema is behind this binary: run `appraisal migrate`")

// CheckSchema returns ErrSchemaBehind when migrations are pending. It
// writes nothing: a database never migrated is behind.
func (d *DB) CheckSchema(ctx context.Context) error {
	var tables int
	q := `SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'goose_db_version' AND table_schema = current_schema()`
	if d.Engine == SQLite {
		q = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`
	}
	if err := d.GetContext(ctx, &tables, q); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if tables == 0 {
		return ErrSchemaBehind
	}
	p, err := d.provider()
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if pending {
		return ErrSchemaBehind
	}
	return nil
}

// sqliteTime is the one format times are kept in on SQLite.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// timeArg converts t for a query argument.
func (d *DB) timeArg(t time.Time) any {
	t = engine.Timestamp(t)
	if d.Engine == SQLite {
		return t.Format(sqliteTime)
	}
	return t
}

// nullTimeArg is timeArg with the zero time as NULL.
func (d *DB) nullTimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.timeArg(t)
}

// now returns the clock's time at the precision both engines keep.
func (d *DB) now() time.Time { return engine.Timestamp(d.Now()) }

// timestamp scans a time from either engine.
type timestamp struct{ time.Time }

func (t *timestamp) Scan(v any) error {
	switch v := v.(type) {
	case time.Time:
		t.Time = engine.Timestamp(v)
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	case nil:
		t.Time = time.Time{}
		return nil
	}
	return fmt.Errorf("cannot scan %T into a time", v)
}

func (t *timestamp) parse(s string) error {
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = engine.Timestamp(p)
	return nil
}

// nullable turns "" into NULL.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// inTx runs fn in one transaction: committed when fn returns nil, rolled
// back otherwise.
func (d *DB) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return mapError(err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return mapError(err)
	}
	return mapError(tx.Commit())
}

// mapError turns database errors the domain knows into *engine.Error.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var e *engine.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return engine.Errorf(engine.ENOTFOUND, "not found")
	}
	if unreachable(err) {
		// Both wrapped: the code decides the status, the cause is logged.
		return fmt.Errorf("%w: %w", engine.Errorf(engine.EUNAVAILABLE, "the database cannot be reached; try again shortly"), err)
	}
	var pqErr *pq.Error
	var sqliteErr *sqlite.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" ||
		errors.As(err, &sqliteErr) && (sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
			sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return engine.Errorf(engine.ECONFLICT, "a record with that key exists already")
	}
	return err
}

// unreachable reports whether err says the database could not be reached
// or the connection broke: an outage to wait out, not a fault in the request
// or in the code. database/sql has already retried what was safe to retry.
func unreachable(err error) bool {
	var opErr *net.OpError
	var pqErr *pq.Error
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.As(err, &opErr):
		return true
	case errors.As(err, &pqErr):
		switch pqErr.Code {
		case pqerror.AdminShutdown, pqerror.CrashShutdown, pqerror.CannotConnectNow, pqerror.TooManyConnections:
			return true
		}
		return pqErr.Code.Class() == pqerror.ClassConnectionException
	}
	return false
}
