package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	tg "github.com/go-telegram/bot"

	"reentrybot/bot/casework"
	"reentrybot/clock"
	"reentrybot/config"
	"reentrybot/store"
)

func cmdConfig(_ context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := flags("config", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, s := range config.Describe(os.LookupEnv) {
		fmt.Fprintf(tw, "%s\t%s\t(%s)\n", s.Name, s.Value, s.Source)
	}
	tw.Flush()
	if _, err := config.FromEnv(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	return nil
}

// checkResult is one line of `reentrybot check`.
type checkResult struct {
	name   string
	err    error
	warn   bool // a problem that does not stop the bot working
	detail string
}

func cmdCheck(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := flags("check", stdout)
	offline := fs.Bool("offline", false, "skip the Bot API checks (for a frequent container healthcheck)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	results := runChecks(ctx, *offline)
	failed := 0
	for _, r := range results {
		mark := "ok  "
		switch {
		case r.err != nil && r.warn:
			mark = "warn"
		case r.err != nil:
			mark = "FAIL"
			failed++
		}
		line := fmt.Sprintf("%s  %s", mark, r.name)
		if r.err != nil {
			line += ": " + r.err.Error()
		} else if r.detail != "" {
			line += ": " + r.detail
		}
		fmt.Fprintln(stdout, line)
	}
	if failed > 0 {
		return fmt.Errorf("%d check(s) failed", failed)
	}
	return nil
}

// runChecks checks what the bot needs, in order; a check whose
// prerequisite failed is reported as not run rather than failing twice.
func runChecks(ctx context.Context, offline bool) []checkResult {
	cfg, err := config.FromEnv()
	out := []checkResult{{name: "configuration", err: err}}
	if err != nil {
		return out
	}
	out = append(out, checkResult{name: "time zone", detail: fmt.Sprintf("%s, now %s", cfg.TimeZone, clock.System().In(cfg.TimeZone).Format("2006-01-02 15:04 MST"))})

	var db *store.DB
	if cfg.DatabaseURL == "" {
		out = append(out, checkResult{name: "database", err: errors.New("DATABASE_URL is not set")})
	} else {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		db, err = store.Open(dctx, cfg.DatabaseURL)
		cancel()
		out = append(out, checkResult{name: "database reachable", err: err})
	}
	if db != nil {
		defer db.Close()
		err := schemaProblem(ctx, db)
		out = append(out, checkResult{name: "migrations current", err: err})
		if err == nil {
			group, err := db.Setting(ctx, casework.SettingStaffGroup)
			if err == nil && group == "" {
				err = errors.New("no staff group: an admin sends /setup in the counsellors' supergroup (until then counsellors work from their private chats)")
			}
			out = append(out, checkResult{name: "staff group bound", err: err, warn: true, detail: group})
			if cfg.Zalo.Enabled() {
				out = append(out, zaloCheck(ctx, db, cfg.Zalo.OAID))
			}
		}
	}
	if offline {
		return out
	}
	if cfg.TelegramToken == "" {
		return append(out, checkResult{name: "Bot API", err: errors.New("TELEGRAM_BOT_TOKEN is not set")})
	}
	actx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	// bot.New with its default client asks getMe; that client honours
	// HTTPS_PROXY like the running bot's (both use net/http's default
	// proxy lookup).
	api, err := tg.New(cfg.TelegramToken, tg.WithServerURL(cfg.TelegramAPIURL), tg.WithSkipGetMe())
	if err != nil {
		return append(out, checkResult{name: "Bot API reachable (getMe)", err: fmt.Errorf("%s: %w", cfg.TelegramAPIURL, err)})
	}
	me, err := api.GetMe(actx)
	if err != nil {
		return append(out, checkResult{name: "Bot API reachable (getMe)", err: err})
	}
	out = append(out, checkResult{name: "Bot API reachable (getMe)", detail: "@" + me.Username + " via " + cfg.TelegramAPIURL})
	info, err := api.GetWebhookInfo(actx)
	hook := checkResult{name: "webhook registered", err: err}
	switch {
	case err != nil:
	case cfg.WebhookURL == "" && info.URL != "":
		hook.name, hook.err = "no webhook (long polling)", fmt.Errorf("a webhook is set (%s), so polling gets nothing: the bot removes it when it starts", info.URL)
		hook.warn = true
	case cfg.WebhookURL == "":
		hook.name, hook.detail = "no webhook (long polling)", "none set"
	case info.URL != cfg.WebhookURL:
		hook.err = fmt.Errorf("Telegram has %q, WEBHOOK_URL is %q (the bot sets it when it starts)", info.URL, cfg.WebhookURL)
	case info.LastErrorMessage != "":
		hook.err = fmt.Errorf("Telegram's last delivery failed: %s", info.LastErrorMessage)
	default:
		hook.detail = fmt.Sprintf("%s, %d update(s) waiting", info.URL, info.PendingUpdateCount)
	}
	return append(out, hook)
}

// zaloCheck says whether the OA's tokens are usable: connected, not
// waiting for an admin, the refresh token not past its expiry (the bot
// refreshes the access token itself).
func zaloCheck(ctx context.Context, db *store.DB, oa string) checkResult {
	r := checkResult{name: "Zalo OA connected"}
	t, ok, err := db.ZaloToken(ctx, oa)
	now := db.Now()
	switch {
	case err != nil:
		r.err = err
	case !ok:
		r.err = fmt.Errorf("OA %s has no token: an admin runs `reentrybot zalo connect`", oa)
	case t.NeedsAdmin.Valid:
		r.err = fmt.Errorf("OA %s stopped (%s): an admin runs `reentrybot zalo connect`", oa, t.NeedsAdmin.String)
	case !t.RefreshExpiresAt.After(now):
		r.err = fmt.Errorf("OA %s: the refresh token expired at %s: an admin runs `reentrybot zalo connect`", oa, t.RefreshExpiresAt.Format(time.RFC3339))
	default:
		r.detail = fmt.Sprintf("OA %s, refresh token valid until %s", oa, t.RefreshExpiresAt.Format("2006-01-02"))
	}
	return r
}
