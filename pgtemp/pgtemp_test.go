package pgtemp

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needBinaries skips the test when PostgreSQL is not installed, except in CI
// where that is a failure.
func needBinaries(t *testing.T) {
	t.Helper()
	if _, err := FindBinDir(); err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

func TestStartStop(t *testing.T) {
	needBinaries(t)
	ctx := context.Background()

	began := time.Now()
	c, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Since(began)
	t.Cleanup(func() { c.Stop() })
	t.Logf("URL: %s", c.URL())

	if !strings.HasPrefix(c.URL(), "postgres://"+User+"@/postgres?") {
		t.Errorf("unexpected URL form %q", c.URL())
	}

	db, err := sql.Open("postgres", c.URL())
	if err != nil {
		t.Fatal(err)
	}
	var who, enc string
	if err := db.QueryRowContext(ctx, "SELECT current_user, current_setting('server_encoding')").Scan(&who, &enc); err != nil {
		t.Fatal(err)
	}
	if who != User {
		t.Errorf("current_user = %q, want %q", who, User)
	}
	if enc != "UTF8" {
		t.Errorf("server_encoding = %q, want UTF8", enc)
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE other"); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("postgres", c.URLFor("other"))
	if err != nil {
		t.Fatal(err)
	}
	var name string
	if err := other.QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "other" {
		t.Errorf("current_database() = %q, want other", name)
	}
	// Leave the connections open: fast shutdown must cope with them.

	pid := c.cmd.Process.Pid
	if procs := serverProcs(c.dataDir, pid); len(procs) == 0 {
		t.Errorf("found no server process for %s (postmaster pid %d)", c.dataDir, pid)
	}
	if os.Geteuid() == 0 {
		st, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
		if err != nil {
			t.Fatal(err)
		}
		if uid := st.Sys().(*syscall.Stat_t).Uid; uid == 0 {
			t.Error("postgres runs as root")
		} else {
			t.Logf("postgres runs as uid %d", uid)
		}
	}

	began = time.Now()
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("Start took %v, Stop took %v", started, time.Since(began))
	db.Close()
	other.Close()

	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Errorf("temp dir %s still there after Stop (stat: %v)", c.dir, err)
	}
	if procs := serverProcs(c.dataDir, pid); len(procs) != 0 {
		t.Errorf("server processes left after Stop: %v", procs)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestTwoClusters(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	ctx := context.Background()
	var cs [2]*Cluster
	for i := range cs {
		c, err := Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Stop() })
		cs[i] = c
	}
	for _, c := range cs {
		db, err := sql.Open("postgres", c.URL())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PingContext(ctx); err != nil {
			t.Error(err)
		}
		db.Close()
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	}
}

func TestWithBaseDir(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	base := t.TempDir()
	if os.Geteuid() == 0 {
		// The server user must be able to get in (t.TempDir makes 0700
		// directories).
		if _, err := Start(context.Background(), WithBaseDir(base)); err == nil {
			t.Fatal("Start succeeded in a directory the server user cannot enter")
		}
		for _, d := range []string{filepath.Dir(base), base} {
			if err := os.Chmod(d, 0o777); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, err := Start(context.Background(), WithBaseDir(base))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if filepath.Dir(c.dir) != base {
		t.Errorf("cluster directory %s is not in %s", c.dir, base)
	}
	db, err := sql.Open("postgres", c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Error(err)
	}
	if err := c.Stop(); err != nil {
		t.Error(err)
	}
}

func TestFindBinDir(t *testing.T) {
	needBinaries(t)
	dir, err := FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	if !hasServerBinaries(dir) {
		t.Errorf("FindBinDir() = %q, which lacks initdb or postgres", dir)
	}
	t.Setenv("PATH", t.TempDir())
	if d, err := FindBinDir(); err == nil && !strings.HasPrefix(d, "/usr/lib/postgresql/") {
		t.Errorf("with an empty PATH, FindBinDir() = %q", d)
	}
}

func TestVersionLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"9.6", "15", true},
		{"15", "9.6", false},
		{"14", "15", true},
		{"15", "15", false},
		{"16", "100", true},
	} {
		if got := versionLess(tc.a, tc.b); got != tc.want {
			t.Errorf("versionLess(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

// TestServerDiesWithParent kills a process that started a cluster and checks
// that the server goes away with it.
func TestServerDiesWithParent(t *testing.T) {
	if os.Getenv("PGTEMP_TEST_HELPER") == "1" {
		helper()
		return
	}
	needBinaries(t)
	t.Parallel()

	cmd := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithParent$")
	cmd.Env = append(os.Environ(), "PGTEMP_TEST_HELPER=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading from helper: %v", err)
	}
	var dir string
	var pid int
	if _, err := fmt.Sscan(line, &dir, &pid); err != nil {
		t.Fatalf("helper said %q: %v", line, err)
	}
	defer os.RemoveAll(dir) // the helper had no chance to remove it
	dataDir := filepath.Join(dir, "data")
	if procs := serverProcs(dataDir, pid); len(procs) == 0 {
		t.Fatalf("found no server process for %s (postmaster pid %d)", dataDir, pid)
	}

	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		procs := serverProcs(dataDir, pid)
		if len(procs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server processes still alive 10 s after their parent was killed: %v", procs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func helper() {
	c, err := Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(c.dir, c.cmd.Process.Pid)
	time.Sleep(time.Minute)
	c.Stop()
	os.Exit(1)
}

// serverProcs returns the processes that look like they belong to the
// server of dataDir: working directory inside it (postgres chdirs there) or
// in the process group of the postmaster.
func serverProcs(dataDir string, postmaster int) []string {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var found []string
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p := filepath.Join("/proc", e.Name())
		stat, err := os.ReadFile(filepath.Join(p, "stat"))
		if err != nil {
			continue
		}
		// Fields after the parenthesised command: state ppid pgrp ...
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 3 || f[0] == "Z" {
			continue
		}
		cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
		if f[2] == strconv.Itoa(postmaster) || cwd == dataDir || strings.HasPrefix(cwd, dataDir+"/") ||
			strings.HasPrefix(cwd, dataDir+" (deleted)") {
			cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
			found = append(found, fmt.Sprintf("%d %q", pid, strings.ReplaceAll(string(cmdline), "\x00", " ")))
		}
	}
	return found
}
