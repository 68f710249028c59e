// Package config reads the bot's configuration from environment variables,
// in one place, and validates it before anything connects.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Config is everything the bot needs to start.
type Config struct {
	TelegramToken  string     // TELEGRAM_BOT_TOKEN
	TelegramAPIURL string     // TELEGRAM_API_URL
	DatabaseURL    string     // DATABASE_URL
	HTTPAddr       string     // HTTP_ADDR
	WebhookURL     string     // WEBHOOK_URL
	WebhookSecret  string     // WEBHOOK_SECRET
	LogLevel       slog.Level // LOG_LEVEL
	LogFormat      string     // LOG_FORMAT: text or json
	// MetricsAddr is the separate listener for /metrics and the health
	// endpoints (METRICS_ADDR); empty means off.
	MetricsAddr string
	// MigrateOnStart: serve applies pending migrations before it starts
	// (MIGRATE_ON_START); off, it refuses to start while any are pending.
	MigrateOnStart bool
	TimeZone       *time.Location
	// SendRate is the overall outgoing messages per second (SEND_RATE).
	SendRate float64
	// Workers bounds how many chats are handled at once (WORKERS).
	Workers int
	// Counsellors' working hours (WORK_DAYS, WORK_HOURS), in TimeZone.
	WorkDays           [7]bool // indexed by time.Weekday
	WorkStart, WorkEnd time.Duration
	// RetentionMonths: personal data of people inactive this long is
	// erased by a daily job (RETENTION_MONTHS; 0 turns the job off).
	RetentionMonths int
	// RepeatAfter: a lost answer is replaced by the question again after
	// this long (REPEAT_AFTER).
	RepeatAfter time.Duration
	// Announcements: messages per second across every bot process
	// (BROADCAST_RATE), and the audience above which an officer's
	// announcement needs an admin's approval (ANNOUNCE_APPROVAL_OVER).
	BroadcastRate        float64
	AnnounceApprovalOver int
	// The privacy notice names who is responsible for the data (the
	// controller, CONTROLLER_NAME) and how to reach them about it
	// (CONTROLLER_CONTACT).
	ControllerName, ControllerContact string
	// Reach is what the commune posters print (config/reach.go).
	Reach Reach
	// WebChat is the web chat's settings (config/webchat.go).
	WebChat WebChat
	// Zalo is the Zalo OA channel (ZALO_*, config/zalo.go).
	Zalo Zalo
	// Desk is the staff desk in the browser (DESK_*, config/desk.go).
	Desk Desk
}

// Var documents one environment variable; the README table is made from
// the same list.
type Var struct {
	Name, Default, Doc string
}

// Vars lists every variable the bot reads.
var Vars = []Var{
	{"TELEGRAM_BOT_TOKEN", "", "Bot token from @BotFather (required for serve)."},
	{"TELEGRAM_API_URL", "https://api.telegram.org", "Bot API server: Telegram's, a self-hosted telegram-bot-api, or the test server."},
	{"DATABASE_URL", "", "PostgreSQL URL, e.g. postgres://user:pass@localhost/reentrybot?sslmode=disable (required for serve)."},
	{"HTTP_ADDR", ":8080", "Address for the webhook, /healthz and /readyz."},
	{"METRICS_ADDR", "127.0.0.1:9090", "Separate address for /metrics, /healthz and /readyz, kept off the public listener; off turns it off."},
	{"WEBHOOK_URL", "", "Public HTTPS URL Telegram posts updates to; empty means long polling."},
	{"WEBHOOK_SECRET", "", "Secret token Telegram sends with each webhook call (1-256 of A-Z a-z 0-9 _ -); required with WEBHOOK_URL."},
	{"LOG_LEVEL", "info", "debug, info, warn or error."},
	{"LOG_FORMAT", "text", "text (key=value lines) or json (one object a line, for a log collector)."},
	{"MIGRATE_ON_START", "true", "serve applies pending database migrations before it starts; false makes it refuse to start while any are pending (then run migrate up yourself)."},
	{"TIME_ZONE", "Asia/Ho_Chi_Minh", "Time zone for everything a person sees."},
	{"SEND_RATE", "25", "Outgoing messages per second across all chats (Telegram allows about 30)."},
	{"WORKERS", "64", "Chats handled at the same time."},
	{"WORK_DAYS", "1-5", "Counsellors' working days, ISO numbers (1 = Monday … 7 = Sunday): a range or a list, e.g. 1-5 or 1,2,3,4,5,6."},
	{"WORK_HOURS", "07:30-17:00", "Counsellors' working hours on those days, in TIME_ZONE."},
	{"BROADCAST_RATE", "25", "Announcement messages per second, shared by every bot process through the database (Telegram allows about 30 overall)."},
	{"ANNOUNCE_APPROVAL_OVER", "500", "An officer's announcement to more people than this waits for an admin's approval."},
	{"REPEAT_AFTER", "2m", "An answer a bot process had not sent when it stopped (between saving a step and sending its answer) is replaced after this long by asking the person's question again; 1s to 1h."},
	{"CONTROLLER_NAME", "Trung tâm Dịch vụ việc làm tỉnh Bắc Ninh", "Who is responsible for the personal data (the data controller), as the privacy notice names it (/privacy)."},
	{"CONTROLLER_CONTACT", "tư vấn viên của Trung tâm, qua chính kênh này (/menu → Gặp tư vấn viên)", "How people reach the controller about their data, as the privacy notice says it: an address, a phone number or an e-mail."},
	{"RETENTION_MONTHS", "24", "Personal data of people inactive this many months is erased by a daily job; message bodies of cases closed over 12 months ago too. 0 turns the job off."},
}

// maxNoticeSetting bounds CONTROLLER_NAME and CONTROLLER_CONTACT, so the
// notice stays one Telegram message.
const maxNoticeSetting = 300

var (
	tokenRe  = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	secretRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Secrets may be given in a file instead (NAME_FILE, e.g. a Docker or
// systemd credential), so they stay out of the process environment listing.
var secrets = []string{"TELEGRAM_BOT_TOKEN", "DATABASE_URL", "WEBHOOK_SECRET"}

// Getenv is how variables are read; tests pass a map's lookup.
type Getenv func(string) (string, bool)

// FromEnv reads the process environment.
func FromEnv() (Config, error) { return Load(os.LookupEnv) }

// Default is a variable's default value ("" for none).
func Default(name string) string {
	for _, v := range Vars {
		if v.Name == name {
			return v.Default
		}
	}
	return ""
}

// Load reads and validates the configuration. Every problem is reported,
// each naming the variable and what is wrong.
func Load(get Getenv) (Config, error) {
	plain := func(name string) string {
		if v, ok := get(name); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return Default(name)
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	fromFile := map[string]string{}
	for _, name := range secrets {
		path, ok := get(name + "_FILE")
		if !ok || strings.TrimSpace(path) == "" {
			continue
		}
		if v, ok := get(name); ok && strings.TrimSpace(v) != "" {
			bad(name+"_FILE", "set together with %s; set only one", name)
			continue
		}
		b, err := os.ReadFile(strings.TrimSpace(path))
		if err != nil {
			bad(name+"_FILE", "%v", err)
			continue
		}
		if v := strings.TrimSpace(string(b)); v != "" {
			fromFile[name] = v
		} else {
			bad(name+"_FILE", "%s is empty", path)
		}
	}
	val := func(name string) string {
		if v, ok := fromFile[name]; ok {
			return v
		}
		return plain(name)
	}
	c := Config{
		TelegramToken:  val("TELEGRAM_BOT_TOKEN"),
		TelegramAPIURL: strings.TrimRight(val("TELEGRAM_API_URL"), "/"),
		DatabaseURL:    val("DATABASE_URL"),
		HTTPAddr:       val("HTTP_ADDR"),
		WebhookURL:     val("WEBHOOK_URL"),
		WebhookSecret:  val("WEBHOOK_SECRET"),
	}
	if c.TelegramToken != "" && !tokenRe.MatchString(c.TelegramToken) {
		bad("TELEGRAM_BOT_TOKEN", "does not look like a bot token (digits, a colon, then letters, digits, _ or -)")
	}
	if u, err := url.Parse(c.TelegramAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("TELEGRAM_API_URL", "must be an http(s) URL, got %q", c.TelegramAPIURL)
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("DATABASE_URL", "must be a postgres:// URL")
		}
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("HTTP_ADDR", "must be host:port or :port, got %q", c.HTTPAddr)
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("WEBHOOK_URL", "must be an https URL")
		}
		if c.WebhookSecret == "" {
			bad("WEBHOOK_SECRET", "is required when WEBHOOK_URL is set")
		}
	}
	if c.WebhookSecret != "" && !secretRe.MatchString(c.WebhookSecret) {
		bad("WEBHOOK_SECRET", "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
	}
	if err := c.LogLevel.UnmarshalText([]byte(val("LOG_LEVEL"))); err != nil {
		bad("LOG_LEVEL", "must be debug, info, warn or error")
	}
	if c.LogFormat = strings.ToLower(val("LOG_FORMAT")); c.LogFormat != "text" && c.LogFormat != "json" {
		bad("LOG_FORMAT", "must be text or json, got %q", c.LogFormat)
	}
	if c.MetricsAddr = val("METRICS_ADDR"); c.MetricsAddr == "off" {
		c.MetricsAddr = ""
	} else if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
		bad("METRICS_ADDR", "must be host:port, :port or off, got %q", c.MetricsAddr)
	}
	var err error
	if c.MigrateOnStart, err = strconv.ParseBool(val("MIGRATE_ON_START")); err != nil {
		bad("MIGRATE_ON_START", "must be true or false, got %q", val("MIGRATE_ON_START"))
	}
	tz, err := time.LoadLocation(val("TIME_ZONE"))
	if err != nil {
		bad("TIME_ZONE", "unknown time zone %q", val("TIME_ZONE"))
	}
	c.TimeZone = tz
	if c.SendRate, err = strconv.ParseFloat(val("SEND_RATE"), 64); err != nil || c.SendRate <= 0 || c.SendRate > 1000 {
		bad("SEND_RATE", "must be a number of messages per second between 0 and 1000")
	}
	if c.Workers, err = strconv.Atoi(val("WORKERS")); err != nil || c.Workers < 1 || c.Workers > 10000 {
		bad("WORKERS", "must be a whole number from 1 to 10000")
	}
	if c.BroadcastRate, err = strconv.ParseFloat(val("BROADCAST_RATE"), 64); err != nil || c.BroadcastRate <= 0 || c.BroadcastRate > 1000 {
		bad("BROADCAST_RATE", "must be a number of messages per second between 0 and 1000")
	}
	if c.AnnounceApprovalOver, err = strconv.Atoi(val("ANNOUNCE_APPROVAL_OVER")); err != nil || c.AnnounceApprovalOver < 1 {
		bad("ANNOUNCE_APPROVAL_OVER", "must be a whole number of people, 1 or more")
	}
	if c.RetentionMonths, err = strconv.Atoi(val("RETENTION_MONTHS")); err != nil || c.RetentionMonths < 0 || c.RetentionMonths > 240 {
		bad("RETENTION_MONTHS", "must be a whole number of months from 0 to 240")
	}
	c.ControllerName, c.ControllerContact = val("CONTROLLER_NAME"), val("CONTROLLER_CONTACT")
	for _, name := range []string{"CONTROLLER_NAME", "CONTROLLER_CONTACT"} {
		if n := utf8.RuneCountInString(val(name)); n > maxNoticeSetting {
			bad(name, "is %d characters long; at most %d fit the privacy notice", n, maxNoticeSetting)
		}
	}
	if c.RepeatAfter, err = time.ParseDuration(val("REPEAT_AFTER")); err != nil || c.RepeatAfter < time.Second || c.RepeatAfter > time.Hour {
		bad("REPEAT_AFTER", "must be a duration from 1s to 1h, e.g. 2m")
	}
	if c.WorkDays, err = parseDays(val("WORK_DAYS")); err != nil {
		bad("WORK_DAYS", "%v", err)
	}
	if c.WorkStart, c.WorkEnd, err = parseHours(val("WORK_HOURS")); err != nil {
		bad("WORK_HOURS", "%v", err)
	}
	c.Reach = loadReach(val, bad)
	c.WebChat = loadWebChat(val, bad)
	c.Desk = loadDesk(val, bad)
	errs = append(errs, c.loadZalo(val)...)
	return c, errors.Join(errs...)
}

// parseDays reads "1-5" or "1,2,3" (ISO weekday numbers).
func parseDays(s string) ([7]bool, error) {
	var days [7]bool
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 1 || b > 7 || a > b {
			return days, fmt.Errorf("%q is not a day number 1-7 or a range of them", part)
		}
		for d := a; d <= b; d++ {
			days[d%7] = true // ISO 7 (Sunday) is time.Sunday (0)
		}
	}
	return days, nil
}

// parseHours reads "07:30-17:00".
func parseHours(s string) (time.Duration, time.Duration, error) {
	from, to, ok := strings.Cut(s, "-")
	a, err1 := time.Parse("15:04", strings.TrimSpace(from))
	b, err2 := time.Parse("15:04", strings.TrimSpace(to))
	if !ok || err1 != nil || err2 != nil || !b.After(a) {
		return 0, 0, fmt.Errorf("%q is not a range like 07:30-17:00", s)
	}
	mid := func(t time.Time) time.Duration {
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	}
	return mid(a), mid(b), nil
}

// RequireServe checks what serve needs beyond Load's checks.
func (c Config) RequireServe() error {
	var errs []error
	if c.TelegramToken == "" {
		errs = append(errs, errors.New("TELEGRAM_BOT_TOKEN: is required"))
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL: is required"))
	}
	return errors.Join(errs...)
}
