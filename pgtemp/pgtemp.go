// Package pgtemp runs a throwaway PostgreSQL cluster for tests.
//
// Start creates a fresh data directory with initdb in a temporary directory
// (on /dev/shm when it is a roomy tmpfs, see WithBaseDir), starts postgres
// on a unix socket only (no TCP), tuned for speed rather than durability,
// and waits until it accepts connections. Stop shuts it
// down and removes everything. The server is killed by the kernel if the
// process that started it dies, so an interrupted test run leaves no server
// behind.
//
// PostgreSQL refuses to run as root; when the caller is root the server runs
// as the "postgres" user (or "nobody" if there is none).
package pgtemp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/lib/pq" // registers the "postgres" driver used to ping
)

// User is the superuser name of the clusters created by Start.
const User = "reentrybot"

const (
	port         = 5432
	startTimeout = 30 * time.Second
	stopTimeout  = 30 * time.Second
	// maxSockPath is a little under the 108 bytes of sun_path on Linux.
	maxSockPath = 100
)

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	dir     string // temporary directory holding everything below
	dataDir string
	sockDir string
	// extraDir is a separate short socket directory, used when sockDir
	// inside dir would make the socket path too long; removed by Stop.
	extraDir string
	logPath  string
	log      *slog.Logger
	binDir   string              // for Restart
	cred     *syscall.Credential // the server user, nil unless root

	cmd  *exec.Cmd
	done chan struct{} // closed when the postmaster has exited
	werr error         // result of cmd.Wait, valid after done is closed

	stopOnce sync.Once
	stopErr  error
}

// Option configures Start.
type Option func(*config)

type config struct {
	log     *slog.Logger
	binDir  string
	baseDir string
}

// WithLogger makes Start and Stop report progress (at debug level) to l.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.log = l }
}

// WithBinDir uses the initdb and postgres binaries in dir instead of the
// ones FindBinDir finds.
func WithBinDir(dir string) Option {
	return func(c *config) { c.binDir = dir }
}

// WithBaseDir creates the cluster's temporary directory in dir. By default
// it goes to /dev/shm when that is a tmpfs with room to spare (creating a
// database is then an order of magnitude faster than on a disk), else to
// os.TempDir().
func WithBaseDir(dir string) Option {
	return func(c *config) { c.baseDir = dir }
}

// FindBinDir returns the directory holding initdb and postgres: the one of
// the initdb found on PATH, else the newest /usr/lib/postgresql/*/bin.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		// PATH may hold a symlink to initdb only (e.g. /usr/local/bin);
		// prefer the directory of the real binary.
		var cands []string
		if real, err := filepath.EvalSymlinks(p); err == nil {
			cands = append(cands, filepath.Dir(real))
		}
		cands = append(cands, filepath.Dir(p))
		for _, d := range cands {
			if hasServerBinaries(d) {
				return d, nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		return versionLess(filepath.Base(filepath.Dir(dirs[j])), filepath.Base(filepath.Dir(dirs[i])))
	})
	for _, d := range dirs {
		if hasServerBinaries(d) {
			return d, nil
		}
	}
	return "", errors.New("pgtemp: PostgreSQL server binaries (initdb, postgres) not found on PATH " +
		"nor in /usr/lib/postgresql/*/bin; install them, e.g. on Debian/Ubuntu: " +
		"apt-get install postgresql")
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// versionLess compares dotted version numbers such as "9.6" and "15".
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, errx := strconv.Atoi(as[i])
		y, erry := strconv.Atoi(bs[i])
		if errx != nil || erry != nil {
			if as[i] != bs[i] {
				return as[i] < bs[i]
			}
			continue
		}
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

// Start creates and starts a new cluster. ctx bounds the startup only (at
// most 30 s are spent waiting for the server); the server runs until Stop.
func Start(ctx context.Context, opts ...Option) (c *Cluster, err error) {
	cfg := config{log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	began := time.Now()
	binDir := cfg.binDir
	if binDir == "" {
		if binDir, err = FindBinDir(); err != nil {
			return nil, err
		}
	}

	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	base, err := pickBaseDir(cfg.baseDir, cred)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(base, "pgtemp")
	if err != nil {
		return nil, fmt.Errorf("pgtemp: %w", err)
	}
	c = &Cluster{
		dir:     dir,
		dataDir: filepath.Join(dir, "data"),
		sockDir: filepath.Join(dir, "sock"),
		logPath: filepath.Join(dir, "postgres.log"),
		log:     cfg.log,
	}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()

	if len(c.sockDir)+len("/.s.PGSQL.")+5 > maxSockPath {
		if c.extraDir, err = os.MkdirTemp("/tmp", "pgsock"); err != nil {
			return c, fmt.Errorf("pgtemp: %w", err)
		}
		c.sockDir = c.extraDir
	} else if err = os.Mkdir(c.sockDir, 0o700); err != nil {
		return c, fmt.Errorf("pgtemp: %w", err)
	}
	logFile, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return c, fmt.Errorf("pgtemp: %w", err)
	}
	defer logFile.Close() // the children keep their own descriptors
	if cred != nil {
		for _, p := range []string{dir, c.sockDir, c.logPath} {
			if err = os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return c, fmt.Errorf("pgtemp: %w", err)
			}
		}
	}

	if err = c.initdb(ctx, binDir, cred, logFile); err != nil {
		return c, err
	}
	initDone := time.Now()

	c.binDir, c.cred = binDir, cred
	if err = c.startServer(ctx, logFile); err != nil {
		return c, err
	}
	c.log.Debug("pgtemp: cluster started", "dir", dir, "initdb", initDone.Sub(began), "total", time.Since(began))
	return c, nil
}

// startServer starts postgres on the data directory and waits until it
// accepts connections.
func (c *Cluster) startServer(ctx context.Context, logFile *os.File) error {
	c.cmd = exec.Command(filepath.Join(c.binDir, "postgres"),
		"-D", c.dataDir,
		"-k", c.sockDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
	)
	c.setup(c.cmd, c.cred, logFile)
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("pgtemp: starting postgres: %w", err)
	}
	done := make(chan struct{})
	c.done = done
	cmd := c.cmd
	go func() {
		c.werr = cmd.Wait()
		close(done)
	}()
	return c.waitReady(ctx)
}

// Restart stops the server with a fast shutdown (sessions are
// disconnected, open transactions rolled back) and starts it again on the
// same data directory and socket, removing nothing: for tests of how
// clients live through a database restart. ctx bounds the start. It must
// not run at the same time as Stop or another Restart.
func (c *Cluster) Restart(ctx context.Context) error {
	if c.cmd == nil || c.cmd.Process == nil {
		return errors.New("pgtemp: Restart of a cluster that was not started")
	}
	select {
	case <-c.done:
		return fmt.Errorf("pgtemp: Restart: postgres had exited (%v)%s", c.werr, c.logTail())
	default:
	}
	began := time.Now()
	c.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
	select {
	case <-c.done:
	case <-time.After(stopTimeout):
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
		return fmt.Errorf("pgtemp: Restart: postgres did not shut down within %v, killed it%s", stopTimeout, c.logTail())
	}
	logFile, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("pgtemp: %w", err)
	}
	defer logFile.Close()
	if err := c.startServer(ctx, logFile); err != nil {
		return err
	}
	c.log.Debug("pgtemp: cluster restarted", "dir", c.dir, "took", time.Since(began))
	return nil
}

// initdb creates the data directory, with the C.UTF-8 locale if the system
// has it, else with no locale and UTF8 encoding.
func (c *Cluster) initdb(ctx context.Context, binDir string, cred *syscall.Credential, logFile *os.File) error {
	var err error
	for _, locale := range []string{"--locale=C.UTF-8", "--no-locale"} {
		cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"),
			"-D", c.dataDir, "-U", User, "--auth=trust", "-E", "UTF8", locale, "--no-sync")
		c.setup(cmd, cred, logFile)
		if err = cmd.Run(); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			break
		}
		c.log.Debug("pgtemp: initdb failed", "args", cmd.Args, "err", err)
		os.RemoveAll(c.dataDir)
	}
	return fmt.Errorf("pgtemp: initdb: %w%s", err, c.logTail())
}

// setup prepares cmd to run in the cluster's directory as the server user,
// in its own process group, killed when this process dies.
func (c *Cluster) setup(cmd *exec.Cmd, cred *syscall.Credential, logFile *os.File) {
	cmd.Dir = c.dir
	cmd.Env = serverEnv()
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		Setpgid:    true,
		Pdeathsig:  syscall.SIGKILL,
	}
}

// serverEnv is this process's environment without the PG* variables that
// initdb and postgres would pick up (PGDATA, PGPORT, ...).
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	db, err := sql.Open("postgres", c.URL())
	if err != nil {
		return fmt.Errorf("pgtemp: %w", err)
	}
	defer db.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		err = db.PingContext(pctx)
		pcancel()
		if err == nil {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("pgtemp: postgres exited during startup (%v)%s", c.werr, c.logTail())
		case <-ctx.Done():
			return fmt.Errorf("pgtemp: postgres not accepting connections: %w (last error: %v)%s",
				ctx.Err(), err, c.logTail())
		case <-tick.C:
		}
	}
}

// URL returns the lib/pq URL of the "postgres" database, as superuser.
func (c *Cluster) URL() string { return c.URLFor("postgres") }

// URLFor returns the lib/pq URL of database dbname, as superuser, e.g.
// postgres://reentrybot@/dbname?host=%2Ftmp%2Fpgtemp123%2Fsock&port=5432&sslmode=disable
func (c *Cluster) URLFor(dbname string) string {
	q := url.Values{}
	q.Set("host", c.sockDir)
	q.Set("port", strconv.Itoa(port)) // explicit, so that $PGPORT cannot interfere
	q.Set("sslmode", "disable")
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(User),
		Path:     "/" + dbname,
		RawQuery: q.Encode(),
	}
	return u.String()
}

// Stop shuts the server down (fast shutdown: sessions are disconnected,
// open transactions rolled back) and removes the temporary directory. It may
// be called more than once; later calls return the first call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

func (c *Cluster) stop() error {
	var errs []error
	if c.cmd != nil && c.cmd.Process != nil {
		pid := c.cmd.Process.Pid
		select {
		case <-c.done:
			// It died on its own: that is worth reporting.
			errs = append(errs, fmt.Errorf("pgtemp: postgres had exited unexpectedly (%v)%s", c.werr, c.logTail()))
		default:
			began := time.Now()
			c.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
			select {
			case <-c.done:
				if c.werr != nil {
					errs = append(errs, fmt.Errorf("pgtemp: postgres shutdown: %v%s", c.werr, c.logTail()))
				}
			case <-time.After(stopTimeout):
				errs = append(errs, fmt.Errorf("pgtemp: postgres did not shut down within %v, killed it%s", stopTimeout, c.logTail()))
			}
			c.log.Debug("pgtemp: cluster stopped", "dir", c.dir, "took", time.Since(began))
		}
		// Whatever is left in the server's process group (nothing after a
		// clean shutdown) goes now.
		syscall.Kill(-pid, syscall.SIGKILL)
		<-c.done
	}
	if c.extraDir != "" {
		if err := os.RemoveAll(c.extraDir); err != nil {
			errs = append(errs, fmt.Errorf("pgtemp: %w", err))
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("pgtemp: %w", err))
	}
	return errors.Join(errs...)
}

// logTail returns the end of the server log, formatted to append to an
// error message.
func (c *Cluster) logTail() string {
	b, err := os.ReadFile(c.logPath)
	if err != nil || len(b) == 0 {
		return ""
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
		if i := strings.IndexByte(string(b), '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return "\n--- " + c.logPath + " (tail) ---\n" + strings.TrimRight(string(b), "\n")
}

// runAs returns the credential to run initdb and postgres with: nil unless
// this process is root, then the "postgres" user, or "nobody" if there is
// no "postgres" user.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var errs []error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			errs = append(errs, fmt.Errorf("user %s: unusable uid/gid %s/%s", name, u.Uid, u.Gid))
			continue
		}
		// Groups is empty: root's supplementary groups are dropped.
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
	}
	return nil, fmt.Errorf("pgtemp: running as root, and no unprivileged user to run PostgreSQL as: %w", errors.Join(errs...))
}

// pickBaseDir returns the directory to create the cluster's directory in.
func pickBaseDir(explicit string, cred *syscall.Credential) (string, error) {
	usable := func(dir string) bool {
		if cred == nil {
			return syscall.Access(dir, 0o3) == nil // W_OK|X_OK
		}
		return traversable(dir, cred)
	}
	if explicit != "" {
		if !usable(explicit) {
			return "", fmt.Errorf("pgtemp: cannot create the cluster in %s: not writable by the server user", explicit)
		}
		return explicit, nil
	}
	cands := []string{os.TempDir(), "/tmp"}
	if roomyTmpfs("/dev/shm") {
		cands = append([]string{"/dev/shm"}, cands...)
	}
	for _, dir := range cands {
		if usable(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("pgtemp: none of %v is writable by the server user", cands)
}

// roomyTmpfs reports whether dir is a tmpfs with at least 1 GiB free.
func roomyTmpfs(dir string) bool {
	const tmpfsMagic = 0x01021994
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return false
	}
	return st.Type == tmpfsMagic && uint64(st.Bavail)*uint64(st.Bsize) >= 1<<30
}

// traversable reports whether a process with exactly the credential cred
// (no supplementary groups) can reach dir and create files in it.
func traversable(dir string, cred *syscall.Credential) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for p := dir; ; p = filepath.Dir(p) {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			return false
		}
		mode := st.Mode
		need := uint32(0o1) // search permission on every ancestor
		if p == dir {
			need = 0o3 // write and search on dir itself
		}
		var bits uint32
		switch {
		case st.Uid == cred.Uid:
			bits = mode >> 6
		case st.Gid == cred.Gid:
			bits = mode >> 3
		default:
			bits = mode
		}
		if bits&need != need {
			return false
		}
		if p == "/" {
			return true
		}
	}
}
