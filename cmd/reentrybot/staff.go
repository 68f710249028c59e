package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	tg "github.com/go-telegram/bot"
	qrcode "github.com/skip2/go-qrcode"

	"reentrybot/bot"
	"reentrybot/clock"
	"reentrybot/config"
	"reentrybot/desk"
	"reentrybot/store"
)

var communeCodeRe = regexp.MustCompile(`^[0-9]{3,6}$`)

// dbConfig reads the configuration of a command that needs DATABASE_URL.
func dbConfig() (config.Config, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return cfg, fmt.Errorf("configuration:\n%w", err)
	}
	if cfg.DatabaseURL == "" {
		return cfg, errors.New("DATABASE_URL: is required")
	}
	return cfg, nil
}

// openDB opens DATABASE_URL for the admin commands. It never migrates: the
// database is refused unless its schema is exactly this binary's, so that
// an admin command run with a new binary does not change the schema under
// a running bot (migrating is its own step: migrate up).
func openDB(ctx context.Context) (*store.DB, config.Config, error) {
	cfg, err := dbConfig()
	if err != nil {
		return nil, cfg, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, cfg, err
	}
	if err := schemaProblem(ctx, db); err != nil {
		db.Close()
		return nil, cfg, err
	}
	return db, cfg, nil
}

func cmdStaff(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintln(stdout, "Usage: reentrybot staff invite|list|revoke [flags]\n\n"+
			"  invite --role counsellor|officer|admin --communes CODE,...|all --name \"display name\" [--expires 168h] [--qr FILE.png] [--bot USERNAME]\n"+
			"         prints a one-time link that binds a Telegram account to a new staff record, and writes its QR code\n"+
			"  list   lists staff with their role, communes and invitation state\n"+
			"  revoke --id N   ends a staff member's access")
		if len(args) == 0 {
			return errors.New("say invite, list or revoke")
		}
		return nil
	}
	switch args[0] {
	case "invite":
		return staffInvite(ctx, args[1:], stdout)
	case "list":
		return staffList(ctx, args[1:], stdout)
	case "revoke":
		return staffRevoke(ctx, args[1:], stdout)
	}
	return fmt.Errorf("unknown staff action %q: say invite, list or revoke", args[0])
}

func staffInvite(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("staff invite", flag.ContinueOnError)
	fs.SetOutput(stdout)
	role := fs.String("role", "", "counsellor, officer or admin")
	communes := fs.String("communes", "", "commune codes separated by commas, or all (province-wide; not for officers)")
	name := fs.String("name", "", "display name shown to returnees, e.g. \"Chị Lan (TTDVVL)\"")
	expires := fs.Duration("expires", 7*24*time.Hour, "how long the link works")
	qrPath := fs.String("qr", "", "where to write the QR code PNG (default invite-<id>.png)")
	botName := fs.String("bot", "", "the bot's @username (default: asked from the Bot API with TELEGRAM_BOT_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var errs []error
	r := store.Role(*role)
	if r != store.RoleCounsellor && r != store.RoleOfficer && r != store.RoleAdmin {
		errs = append(errs, errors.New("--role: must be counsellor, officer or admin"))
	}
	var codes []string
	switch c := strings.TrimSpace(*communes); {
	case c == "all":
		if r == store.RoleOfficer {
			errs = append(errs, errors.New("--communes: an officer needs their communes, not all"))
		}
	case c == "":
		errs = append(errs, errors.New("--communes: give commune codes, or all"))
	default:
		for _, code := range strings.Split(c, ",") {
			code = strings.TrimSpace(code)
			if !communeCodeRe.MatchString(code) {
				errs = append(errs, fmt.Errorf("--communes: %q is not a commune code", code))
			}
			codes = append(codes, code)
		}
	}
	n := strings.TrimSpace(*name)
	if n == "" || len([]rune(n)) > 64 {
		errs = append(errs, errors.New("--name: give a display name of 1 to 64 characters"))
	}
	if *expires <= 0 || *expires > 90*24*time.Hour {
		errs = append(errs, errors.New("--expires: between 1s and 90 days"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	db, cfg, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if len(codes) > 0 {
		unknown, err := db.UnknownCommunes(ctx, codes)
		if err != nil {
			return err
		}
		if len(unknown) > 0 {
			return fmt.Errorf("--communes: unknown commune code %s (import the communes first)", strings.Join(unknown, ","))
		}
	}
	username := strings.TrimPrefix(*botName, "@")
	if username == "" {
		if username, err = botUsername(ctx, cfg); err != nil {
			return err
		}
	}
	code, hash := bot.NewInviteCode()
	id, err := db.CreateInvite(ctx, r, codes, n, hash, clock.System().Add(*expires))
	if err != nil {
		return err
	}
	link := bot.InviteLink(username, code)
	path := *qrPath
	if path == "" {
		path = "invite-" + strconv.FormatInt(id, 10) + ".png"
	}
	if err := qrcode.WriteFile(link, qrcode.Medium, 512, path); err != nil {
		return fmt.Errorf("writing QR code: %w", err)
	}
	fmt.Fprintf(stdout, "staff #%d (%s) invited; the link works once, until %s:\n%s\nQR code: %s\n",
		id, r, clock.System().Add(*expires).Format("2006-01-02 15:04"), link, path)
	if cfg.Desk.URL != "" { // the same code redeems on the web desk (package desk)
		fmt.Fprintf(stdout, "or in a browser, without Telegram: %s\n", cfg.Desk.URL+desk.InvitePath+code)
	}
	return nil
}

func botUsername(ctx context.Context, cfg config.Config) (string, error) {
	if cfg.TelegramToken == "" {
		return "", errors.New("--bot: give the bot's username, or set TELEGRAM_BOT_TOKEN to ask the Bot API")
	}
	api, err := tg.New(cfg.TelegramToken, tg.WithServerURL(cfg.TelegramAPIURL), tg.WithSkipGetMe())
	if err != nil {
		return "", err
	}
	me, err := api.GetMe(ctx)
	if err != nil {
		return "", fmt.Errorf("asking the Bot API for the bot's username: %w", err)
	}
	return me.Username, nil
}

func staffList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("staff list", flag.ContinueOnError)
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, _, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.ListStaff(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-5s %-11s %-22s %-24s %s\n", "id", "role", "communes", "name", "state")
	for _, s := range rows {
		communes := strings.Join(s.Communes, ",")
		if communes == "" {
			communes = "all"
		}
		state := "active, bound"
		switch {
		case !s.Active:
			state = "revoked " + s.RevokedAt.Time.Format("2006-01-02")
		case !s.TelegramUserID.Valid && s.InviteExpires.Valid && s.InviteExpires.Time.Before(clock.System()):
			state = "invite expired"
		case !s.TelegramUserID.Valid:
			state = "invited, until " + s.InviteExpires.Time.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(stdout, "%-5d %-11s %-22s %-24s %s\n", s.ID, s.Role, communes, s.DisplayName, state)
	}
	return nil
}

func staffRevoke(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("staff revoke", flag.ContinueOnError)
	fs.SetOutput(stdout)
	id := fs.Int64("id", 0, "staff id (see staff list)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id <= 0 {
		return errors.New("--id: give the staff id")
	}
	db, _, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.RevokeStaff(ctx, *id); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "staff #%d revoked\n", *id)
	return nil
}

func cmdAudit(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := flags("audit", stdout)
	caseID := fs.Int64("case", 0, "only this case")
	staffID := fs.Int64("staff", 0, "only this staff member")
	day := fs.String("day", "", "only this day, YYYY-MM-DD (local time)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f := store.AuditFilter{CaseID: *caseID, StaffID: *staffID}
	db, cfg, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if *day != "" {
		d, err := time.ParseInLocation("2006-01-02", *day, cfg.TimeZone)
		if err != nil {
			return errors.New("--day: use YYYY-MM-DD")
		}
		f.Day, f.Loc = d, cfg.TimeZone
	}
	rows, err := db.AuditLog(ctx, f)
	if err != nil {
		return err
	}
	for _, a := range rows {
		who := "-"
		switch {
		case a.StaffID.Valid:
			who = fmt.Sprintf("staff #%d %s", a.StaffID.Int64, a.StaffName.String)
		case a.TelegramUserID.Valid:
			who = fmt.Sprintf("telegram user %d (not staff)", a.TelegramUserID.Int64)
		}
		c := "-"
		if a.CaseID.Valid {
			c = "#" + strconv.FormatInt(a.CaseID.Int64, 10)
		}
		fmt.Fprintf(stdout, "%s  %-16s case %-6s %-36s %s\n", a.At.In(cfg.TimeZone).Format("2006-01-02 15:04:05"), a.Action, c, who, a.Detail)
	}
	if len(rows) == 0 {
		fmt.Fprintln(stdout, "no audit entries")
	}
	return nil
}
