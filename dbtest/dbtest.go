// Package dbtest gives each test its own freshly migrated PostgreSQL
// database.
//
// The first call to New, URL or Server in a test binary obtains a server
// (the one at $TEST_DATABASE_URL, a superuser URL, if set; else a throwaway
// cluster from pgtemp), creates a template database and applies the
// migrations to it once. Every New or URL then creates a database from that
// template, which is much faster than migrating each time, and drops it when
// the test ends.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
// When no server can be had, tests calling New, URL or Server are skipped
// with the reason, except with CI=true, where they fail.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"reentrybot/migrations"
	"reentrybot/pgtemp"
)

// EnvURL names the environment variable holding the superuser URL of an
// existing server to use instead of starting a throwaway one.
const EnvURL = "TEST_DATABASE_URL"

const installHint = "install the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql; " +
	"the binaries are found on PATH or in /usr/lib/postgresql/*/bin) " +
	"or set " + EnvURL + " to a superuser URL"

var (
	mainCalled atomic.Bool
	once       sync.Once
	srv        *server
	setupErr   error
	// noServer tells that setupErr means no server could be had (a skip
	// outside CI) rather than a broken setup such as a failing migration
	// (always a failure).
	noServer bool
	seq      atomic.Int64
)

type server struct {
	cluster  *pgtemp.Cluster // nil when using $TEST_DATABASE_URL
	url      string          // superuser URL of the server
	admin    *sql.DB         // connection pool to url
	template string          // name of the migrated template database
	prefix   string          // makes database names unique on a shared server
	force    bool            // server has DROP DATABASE ... WITH (FORCE)
	// strategy is appended to CREATE DATABASE: FILE_COPY is several times
	// faster than PostgreSQL 15's default WAL_LOG when many tests create
	// databases at once, but it checkpoints, which is cheap only with
	// fsync=off as on a pgtemp cluster.
	strategy string
}

// Main runs the tests of a package that uses dbtest: call it from TestMain.
// It runs m.Run, then drops the template database or stops the throwaway
// cluster, and exits with m.Run's code.
func Main(m *testing.M) {
	mainCalled.Store(true)
	code := m.Run()
	if srv != nil {
		if err := srv.close(); err != nil {
			fmt.Fprintf(os.Stderr, "dbtest: cleanup: %v\n", err)
		}
	}
	os.Exit(code)
}

// New creates a fresh migrated database and returns an open connection pool
// to it. The pool is closed and the database dropped when the test ends.
// It may be called from parallel tests.
func New(t testing.TB) *sqlx.DB {
	t.Helper()
	u := URL(t)
	db, err := sqlx.Open("postgres", u)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() { db.Close() }) // runs before the drop URL registered
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("dbtest: connecting to the test database: %v", err)
	}
	return db
}

// URL creates a fresh migrated database like New but returns its URL, e.g.
// to hand to the binary under test as DATABASE_URL. The database is dropped
// when the test ends, disconnecting whoever is still connected.
func URL(t testing.TB) string {
	t.Helper()
	s := need(t)
	name := "test_" + s.prefix + strconv.FormatInt(seq.Add(1), 10)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q := "CREATE DATABASE " + pq.QuoteIdentifier(name) + " TEMPLATE " + pq.QuoteIdentifier(s.template) + s.strategy
	if _, err := s.admin.ExecContext(ctx, q); err != nil {
		t.Fatalf("dbtest: %s: %v", q, err)
	}
	t.Cleanup(func() {
		if err := s.drop(name); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})
	u, err := s.urlFor(name)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return u
}

// Server returns the superuser URL of the server, for tests that create or
// drop things themselves.
func Server(t testing.TB) string {
	t.Helper()
	return need(t).url
}

// need returns the server, setting it up on first use, or ends the test.
func need(t testing.TB) *server {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("dbtest: call dbtest.Main(m) from the package's TestMain")
	}
	once.Do(func() { srv, setupErr = setup() })
	if setupErr != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci || !noServer {
			t.Fatalf("dbtest: %v", setupErr)
		}
		hint := installHint
		if os.Getenv(EnvURL) != "" {
			hint = "check " + EnvURL + ", or unset it to use a throwaway server"
		}
		t.Skipf("dbtest: no PostgreSQL server, skipping: %v\n(%s)", setupErr, hint)
	}
	return srv
}

func setup() (*server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	s := &server{template: "dbtest_template"}
	if u := os.Getenv(EnvURL); u != "" {
		s.url = u
		// The server may be shared with other test binaries running at the
		// same time: make the names unique.
		b := make([]byte, 4)
		rand.Read(b)
		s.prefix = hex.EncodeToString(b) + "_"
		s.template += "_" + s.prefix[:len(s.prefix)-1]
	} else {
		if _, err := pgtemp.FindBinDir(); err != nil {
			noServer = true
			return nil, err
		}
		c, err := pgtemp.Start(ctx)
		if err != nil {
			noServer = true
			return nil, err
		}
		s.cluster = c
		s.url = c.URL()
	}
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()

	var err error
	if s.admin, err = sql.Open("postgres", s.url); err == nil {
		err = s.admin.PingContext(ctx)
	}
	if err != nil {
		noServer = s.cluster == nil
		return nil, fmt.Errorf("connecting to %s: %w", redact(s.url), err)
	}
	var version int
	if err := s.admin.QueryRowContext(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		return nil, err
	}
	s.force = version >= 130000
	if s.cluster != nil && version >= 150000 {
		s.strategy = " STRATEGY FILE_COPY"
	}

	if err := s.createTemplate(ctx); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// createTemplate creates and migrates the template database, and forbids
// connections to it: CREATE DATABASE ... TEMPLATE needs it to have none.
func (s *server) createTemplate(ctx context.Context) error {
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(s.template)); err != nil {
		return fmt.Errorf("creating the template database: %w", err)
	}
	u, err := s.urlFor(s.template)
	if err != nil {
		return err
	}
	db, err := sql.Open("postgres", u)
	if err != nil {
		return err
	}
	err = migrations.Up(ctx, db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("migrating the template database: %w", err)
	}
	if _, err := s.admin.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(s.template)+" ALLOW_CONNECTIONS false"); err != nil {
		return err
	}
	return nil
}

func (s *server) drop(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q := "DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name)
	if s.force {
		q += " WITH (FORCE)"
	}
	if _, err := s.admin.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}

// close drops the template from a shared server, or stops the throwaway one.
func (s *server) close() error {
	var errs []error
	if s.cluster == nil && s.admin != nil {
		if err := s.drop(s.template); err != nil {
			errs = append(errs, err)
		}
	}
	if s.admin != nil {
		s.admin.Close()
	}
	if s.cluster != nil {
		if err := s.cluster.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// urlFor returns the server's URL with the database name replaced. Both
// URL and key=value connection strings are handled.
func (s *server) urlFor(dbname string) (string, error) {
	if s.cluster != nil {
		return s.cluster.URLFor(dbname), nil
	}
	if strings.HasPrefix(s.url, "postgres://") || strings.HasPrefix(s.url, "postgresql://") {
		u, err := url.Parse(s.url)
		if err != nil {
			return "", fmt.Errorf("parsing %s: %w", EnvURL, err)
		}
		u.Path = "/" + dbname
		u.RawPath = ""
		q := u.Query()
		if q.Has("dbname") {
			q.Set("dbname", dbname)
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	// key=value form: a later setting overrides an earlier one.
	return s.url + " dbname='" + dbname + "'", nil
}

// redact hides the password of a URL for error messages.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	if strings.Contains(s, "password") {
		return "(" + EnvURL + ")"
	}
	return s
}
