package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"reentrybot/clock"
)

// Backups are pg_dump's custom format, as written, or that stream encrypted
// with age (https://age-encryption.org/v1) to the key file's recipient: a
// file starting "age-encryption.org/v1" is encrypted. age was chosen over a
// format of our own: it streams, is audited, and `age -d -i KEY` opens a
// backup without this program.
const ageHeader = "age-encryption.org/v1"

// backupPrefix and backupExt name the files written with --dir, which
// --keep-days may remove.
const backupPrefix, backupExt = "reentrybot-", ".dump"

func cmdBackup(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flags("backup", stdout)
	out := fs.String("out", "", "the file to write (written under a temporary name, renamed when complete)")
	dir := fs.String("dir", "", "write reentrybot-YYYYMMDD-HHMMSS.dump[.age] in this folder instead of --out")
	keep := fs.Int("keep-days", 0, "with --dir: after a good backup, remove this folder's backups older than this many days (0 keeps all)")
	key := fs.String("key", "", "encrypt with age to this key file: an age identity (AGE-SECRET-KEY-1…) or recipients (age1…)")
	newKey := fs.String("new-key", "", "write a new age identity to this file (mode 0600), print its recipient, and exit")
	pgBin := fs.String("pg-bin", "", "folder holding pg_dump (default: PATH, then the newest /usr/lib/postgresql/*/bin)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *newKey != "" {
		return writeNewKey(*newKey, stdout)
	}
	if (*out == "") == (*dir == "") {
		fs.Usage()
		return errors.New("give --out FILE or --dir FOLDER")
	}
	if *keep < 0 || (*keep > 0 && *dir == "") {
		return errors.New("--keep-days: a number of days, with --dir")
	}
	cfg, err := dbConfig()
	if err != nil {
		return err
	}
	var recipients []age.Recipient
	if *key != "" {
		if recipients, err = readRecipients(*key); err != nil {
			return err
		}
	}
	now := clock.System()
	path := *out
	if *dir != "" {
		path = filepath.Join(*dir, backupPrefix+now.UTC().Format("20060102-150405")+backupExt)
		if *key != "" {
			path += ".age"
		}
	}
	pgDump, err := findPGTool(*pgBin, "pg_dump")
	if err != nil {
		return err
	}
	n, err := backup(ctx, pgDump, cfg.DatabaseURL, path, recipients)
	if err != nil {
		return err
	}
	how := "not encrypted"
	if len(recipients) > 0 {
		how = "encrypted"
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes, %s)\n", path, n, how)
	if *keep > 0 {
		// Compared with the files' times, which the machine's clock wrote.
		removed, err := pruneBackups(*dir, time.Now().Add(-time.Duration(*keep)*24*time.Hour))
		for _, r := range removed {
			fmt.Fprintf(stdout, "removed %s (older than %d days)\n", r, *keep)
		}
		if err != nil {
			fmt.Fprintf(stderr, "reentrybot backup: removing old backups: %v\n", err)
		}
	}
	return nil
}

// backup runs pg_dump into path (through age when recipients are given)
// and returns the size written. A failed backup leaves no file at path.
func backup(ctx context.Context, pgDump, dbURL, path string, recipients []age.Recipient) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return 0, fmt.Errorf("creating the backup file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename this removes nothing
	defer tmp.Close()
	if err := tmp.Chmod(0o600); err != nil {
		return 0, err
	}
	var w io.Writer = tmp
	var enc io.WriteCloser
	if len(recipients) > 0 {
		if enc, err = age.Encrypt(tmp, recipients...); err != nil {
			return 0, fmt.Errorf("encrypting: %w", err)
		}
		w = enc
	}
	conn, env := pgConn(dbURL)
	cmd := exec.CommandContext(ctx, pgDump, "--format=custom", "--no-password", "--dbname="+conn)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = w
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("pg_dump: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	if enc != nil {
		if err := enc.Close(); err != nil {
			return 0, fmt.Errorf("encrypting: %w", err)
		}
	}
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("writing the backup: %w", err)
	}
	st, err := tmp.Stat()
	if err != nil {
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("naming the backup: %w", err)
	}
	return st.Size(), nil
}

func cmdRestore(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := flags("restore", stdout)
	in := fs.String("in", "", "the backup file (made by reentrybot backup)")
	key := fs.String("key", "", "the age identity file (AGE-SECRET-KEY-1…) for an encrypted backup")
	clean := fs.Bool("clean", false, "drop the database's existing objects first (without it, restore needs an empty database)")
	pgBin := fs.String("pg-bin", "", "folder holding pg_restore (default: PATH, then the newest /usr/lib/postgresql/*/bin)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		fs.Usage()
		return errors.New("--in: give the backup file")
	}
	cfg, err := dbConfig()
	if err != nil {
		return err
	}
	pgRestore, err := findPGTool(*pgBin, "pg_restore")
	if err != nil {
		return err
	}
	if err := restore(ctx, pgRestore, cfg.DatabaseURL, *in, *key, *clean); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s; now run: reentrybot migrate status, then reentrybot check\n", *in)
	return nil
}

// restore feeds the backup, decrypted if need be, to pg_restore in one
// transaction: a restore that fails changes nothing.
func restore(ctx context.Context, pgRestore, dbURL, path, keyFile string, clean bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening the backup: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(len(ageHeader))
	var r io.Reader = br
	if string(head) == ageHeader {
		if keyFile == "" {
			return errors.New("the backup is encrypted: give --key with the age identity file")
		}
		ids, err := readIdentities(keyFile)
		if err != nil {
			return err
		}
		if r, err = age.Decrypt(br, ids...); err != nil {
			return fmt.Errorf("decrypting %s with %s: %w", path, keyFile, err)
		}
	} else if string(head[:min(5, len(head))]) != "PGDMP" {
		return fmt.Errorf("%s is neither a pg_dump custom-format archive nor an age-encrypted one", path)
	}
	conn, env := pgConn(dbURL)
	args := []string{"--no-password", "--dbname=" + conn, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"}
	if clean {
		args = append(args, "--clean", "--if-exists")
	}
	cmd := exec.CommandContext(ctx, pgRestore, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = r
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errOut.String())
		if !clean && strings.Contains(msg, "already exists") {
			msg += "\n(the database is not empty: restore into a new empty database, or add --clean to replace its contents)"
		}
		return fmt.Errorf("pg_restore: %w: %s", err, msg)
	}
	return nil
}

// pgConn turns DATABASE_URL into a libpq connection string without the
// password, which goes in PGPASSWORD: a command line is visible to every
// user of the machine (ps), the environment is not.
func pgConn(dbURL string) (string, []string) {
	u, err := url.Parse(dbURL)
	if err != nil || u.User == nil {
		return dbURL, nil
	}
	pw, ok := u.User.Password()
	if !ok {
		return dbURL, nil
	}
	u.User = url.User(u.User.Username())
	return u.String(), []string{"PGPASSWORD=" + pw}
}

// findPGTool finds a PostgreSQL client program as pgtemp finds initdb: in
// dir if given, else on PATH, else in the newest /usr/lib/postgresql/*/bin
// (pg_dump must be at least as new as the server).
func findPGTool(dir, name string) (string, error) {
	if dir != "" {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("--pg-bin: %w", err)
		}
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	major := func(d string) int { n, _ := strconv.Atoi(filepath.Base(filepath.Dir(d))); return n }
	sort.Slice(dirs, func(i, j int) bool { return major(dirs[i]) > major(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return filepath.Join(d, name), nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH nor in /usr/lib/postgresql/*/bin: install the PostgreSQL client (Debian: apt-get install postgresql-client), or give --pg-bin", name)
}

// pruneBackups removes the backups in dir last written before cutoff and
// returns their names. Only files named as --dir names them are touched.
func pruneBackups(dir string, cutoff time.Time) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, backupPrefix) || !(strings.HasSuffix(name, backupExt) || strings.HasSuffix(name, backupExt+".age")) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if info.ModTime().Before(cutoff) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, name)
		}
	}
	return removed, errors.Join(errs...)
}

// readRecipients reads an age identity file (its public half is used) or
// a recipients file.
func readRecipients(path string) ([]age.Recipient, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	if ids, err := age.ParseIdentities(bytes.NewReader(b)); err == nil {
		var rs []age.Recipient
		for _, id := range ids {
			x, ok := id.(*age.X25519Identity)
			if !ok {
				return nil, fmt.Errorf("--key %s: only X25519 identities (AGE-SECRET-KEY-1…) are supported", path)
			}
			rs = append(rs, x.Recipient())
		}
		return rs, nil
	}
	rs, err := age.ParseRecipients(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("--key %s: neither an age identity nor age recipients: %w", path, err)
	}
	return rs, nil
}

func readIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("--key %s: %w", path, err)
	}
	return ids, nil
}

// writeNewKey writes a fresh age identity; its recipient line may be
// copied to the backup host, so that host can write backups it cannot read.
func writeNewKey(path string, stdout io.Writer) error {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("--new-key: %w", err)
	}
	_, err = fmt.Fprintf(f, "# reentrybot backup key, created %s\n# public key: %s\n%s\n", clock.System().UTC().Format(time.RFC3339), id.Recipient(), id)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--new-key: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (keep a copy off this machine: without it no encrypted backup can be restored)\npublic key: %s\n", path, id.Recipient())
	return nil
}
