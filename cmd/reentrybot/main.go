// Command reentrybot is the bot and its admin tools in one binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	// The time zone database in the binary (about 450 KB): the container
	// image and minimal hosts have none, and TIME_ZONE must load anywhere.
	_ "time/tzdata"

	"reentrybot/app"
	"reentrybot/config"
	"reentrybot/migrations"
	"reentrybot/store"
)

// version and commit are stamped by release builds:
// -ldflags "-X main.version=v1.2.0 -X main.commit=$(git rev-parse HEAD)";
// without them they come from the build's VCS information (version.go).
var version, commit = "", ""

type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"serve", "serve", "run the bot (configuration from the environment; see README)", cmdServe},
		{"demo", "demo [--script]", "run the bot locally with a private database and the test Bot API server", cmdDemo},
		{"migrate", "migrate up|down|status", "apply, roll back one, or list the database migrations (DATABASE_URL)", cmdMigrate},
		{"staff", "staff invite|list|revoke", "invite staff (one-time link and QR code), list them, revoke access", cmdStaff},
		{"audit", "audit [--case N] [--staff N] [--day D] | affected --from T --to T [--staff N] [--telegram-user N] [--case N,N] [--action A] [--csv] | held", "print the audit log of staff access to cases; who a breach affected (audit.go)", cmdAuditAll},
		// Running it for a province: reference data, reports, retention
		// (refdata_cmd.go, report_cmd.go).
		{"import", "import communes|courses|loan-days|staff FILE", "import reference data or staff from a CSV file (checked first, all or nothing)", cmdImport},
		{"export", "export communes|courses|loan-days [FILE|-] | job-needs --month YYYY-MM [--commune CODE] [FILE.csv|FILE.xlsx|-] | appointments --day YYYY-MM-DD --commune CODE FILE.xlsx", "write reference data as CSV, in the format import reads; the month's job needs for the Employment Service Centre; a loan day's appointments for the bank's desk", cmdExport},
		{"report", "report [--month YYYY-MM] [--format csv|xlsx]", "the monthly figures per commune for the Employment Service Centre", cmdReport},
		{"retention", "retention [--dry-run]", "erase the data of people not seen for RETENTION_MONTHS (24) and old message texts", cmdRetention},
		{"backup", "backup --out FILE [--key FILE]", "dump the database with pg_dump (custom format), optionally encrypted", cmdBackup},
		{"restore", "restore --in FILE [--key FILE] [--clean]", "restore a backup made by backup into DATABASE_URL", cmdRestore},
		{"config", "config", "print the effective settings, secrets masked", cmdConfig},
		{"check", "check [--offline]", "check the database, migrations, Bot API, webhook, staff group and time zone; exit 1 if one fails", cmdCheck},
		benchCommand,
		posterCommand, // poster.go
		zaloCommand,
		{"version", "version", "print the version and commit", cmdVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a subcommand and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdin, stdout, stderr)
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			if err != nil {
				fmt.Fprintf(stderr, "reentrybot %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(stderr, "reentrybot: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "reentrybot: a chatbot helping people back into work after a sentence.")
	fmt.Fprintln(w, "\nUsage: reentrybot <command> [flags]   (reentrybot <command> --help for more)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-24s %s\n", c.usage, c.summary)
	}
}

// flags returns a flag set whose --help prints the command's usage.
func flags(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	for _, c := range commands {
		if c.name == name {
			fs.Usage = func() {
				fmt.Fprintf(stdout, "Usage: reentrybot %s\n\n%s\n", c.usage, c.summary)
				fs.PrintDefaults()
			}
		}
	}
	return fs
}

// newLogger writes LOG_FORMAT (text or json) at LOG_LEVEL.
func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func cmdServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flags("serve", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.FromEnv()
	if err = errors.Join(err, cfg.RequireServe()); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(stderr, cfg)
	log.Info("starting", "version", versionString())
	a, err := app.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("stopping: finishing updates in hand")
	return a.Stop()
}

func cmdMigrate(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := flags("migrate", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("say up, down or status")
	}
	cfg, err := dbConfig()
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := migrations.Provider(db.X.DB)
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "up":
		res, err := p.Up(ctx)
		for _, r := range res {
			fmt.Fprintf(stdout, "applied %s (%s)\n", r.Source.Path, r.Duration)
		}
		if err == nil && len(res) == 0 {
			fmt.Fprintln(stdout, "nothing to apply")
		}
		return err
	case "down":
		r, err := p.Down(ctx)
		if r != nil {
			fmt.Fprintf(stdout, "rolled back %s\n", r.Source.Path)
		}
		return err
	case "status":
		st, err := p.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			applied := "pending"
			if s.State == "applied" {
				applied = "applied " + s.AppliedAt.Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(stdout, "%-40s %s\n", s.Source.Path, applied)
		}
		return nil
	}
	return fmt.Errorf("unknown migrate action %q: say up, down or status", fs.Arg(0))
}

func cmdVersion(_ context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := flags("version", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "reentrybot", versionString())
	return nil
}
