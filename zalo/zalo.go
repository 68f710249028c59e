// Package zalo is the Zalo Official Account channel: returnees who follow
// the Employment Service Centre's OA hold the same conversations as on
// Telegram. It turns Zalo's webhook events into channel.Events for the
// bot's intake inbox and sends what the bot says through the OA Open API
// (consultation messages inside Zalo's free window) or as a ZNS template
// to the person's phone (outside it, where the person consented), keeps
// the OA's single-use OAuth tokens in PostgreSQL and refreshes them under
// a row lock, and knows Zalo's limits (Capabilities).
//
// Only this package knows that a person is on Zalo; the flows, the store
// and the rest of the bot see channel.Address{Channel: "zalo"}.
package zalo

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"reentrybot/channel"
	"reentrybot/store"
)

// Name is the channel's name in addresses and people rows.
const Name channel.Name = "zalo"

// Zalo's hosts; tests and the demo point all three at zalotest.
const (
	DefaultAPIURL   = "https://openapi.zalo.me"
	DefaultOAuthURL = "https://oauth.zaloapp.com"
	DefaultZNSURL   = "https://business.openapi.zalo.me"
)

// Template is an approved ZNS template the bot may send outside the
// window; its text goes in the template's "message" parameter.
type Template struct {
	ID string
	// Transaction templates (tag 1) may go at any hour; the others only in
	// the allowed hours.
	Transaction bool
}

// Config is the OA and the rules the channel applies.
type Config struct {
	AppID, AppSecret         string // the Zalo app (OAuth)
	OAID, OASecret           string // the OA, and its secret key for webhook signatures
	APIURL, OAuthURL, ZNSURL string
	// Templates says which template carries which kind of message outside
	// the window; a purpose without one is not delivered there.
	Templates map[channel.Purpose]Template
	// AllowedFrom, AllowedTo: hours (in Loc) in which templates other than
	// transactions may go, [from, to).
	AllowedFrom, AllowedTo int
	Loc                    *time.Location
	// PaidMonthlyCap bounds the paid sends (ZNS) a calendar month; 0 sends
	// none.
	PaidMonthlyCap int
	// FreeWindow and MaxFreeReplies are Zalo's consultation window: 48 h
	// after the person's last interaction, at most 8 replies.
	FreeWindow     time.Duration
	MaxFreeReplies int
	// RefreshAhead: the access token is refreshed this long before it
	// expires.
	RefreshAhead time.Duration
}

func (c *Config) defaults() {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.OAuthURL == "" {
		c.OAuthURL = DefaultOAuthURL
	}
	if c.ZNSURL == "" {
		c.ZNSURL = DefaultZNSURL
	}
	if c.AllowedFrom == 0 && c.AllowedTo == 0 {
		c.AllowedFrom, c.AllowedTo = 6, 22
	}
	if c.Loc == nil {
		c.Loc = time.FixedZone("ICT", 7*3600)
	}
	if c.FreeWindow == 0 {
		c.FreeWindow = 48 * time.Hour
	}
	if c.MaxFreeReplies == 0 {
		c.MaxFreeReplies = 8
	}
	if c.RefreshAhead == 0 {
		c.RefreshAhead = time.Hour
	}
}

// Caps is what Zalo shows: plain text of up to 2,000 characters, at most
// 5 buttons (title ≤ 100) whose payload comes back as the person's text,
// no acknowledgement of a press, the share-phone card, and files: PNG
// and JPEG images ≤ 1 MB and PDF/DOC/DOCX documents ≤ 5 MB (files.go;
// Send still refuses a larger one as Permanent).
// Any other file (the /mydata JSON export) reaches the person as an
// expiring download link the core makes (bot/file_links.go, served by
// webchat.Downloads).
var Caps = channel.Capabilities{
	MaxButtons: 5, MaxButtonsPerRow: 1, MaxLabel: 100, MaxText: 2000,
	Markup: channel.MarkupNone, ShareContact: true,
	Carrier: "Zalo", // VNG's servers, in Viet Nam: not a transfer abroad
	Files:   outMIMEs(), MaxFileBytes: MaxFileBytes, MaxImageBytes: MaxImageBytes,
}

// Channel is one OA. It is safe for concurrent use.
type Channel struct {
	cfg Config
	db  *store.DB
	// intake writes the window on the webhook's path: a pool of its own,
	// so that the acknowledgement does not queue behind the handling
	// transactions for a connection (db when not set).
	intake *store.DB
	now    func() time.Time
	log    *slog.Logger
	client *http.Client
	notify func(ctx context.Context, oa, why string) error

	mu        sync.Mutex
	token     store.ZaloToken // the pair last read or made
	refreshMu sync.Mutex      // one refresh at a time in this process
	names     map[string]string
}

// Option adjusts a Channel.
type Option func(*Channel)

// WithHTTPClient sets the client for Zalo's APIs.
func WithHTTPClient(c *http.Client) Option { return func(ch *Channel) { ch.client = c } }

// WithIntakeDB gives the webhook's window write a connection pool of its
// own (a few connections on the same database).
func WithIntakeDB(db *store.DB) Option { return func(ch *Channel) { ch.intake = db } }

// WithNotify sets how the staff are told that the OA needs an admin and
// why (the bot's staff group, in its language: the text is the caller's).
func WithNotify(f func(ctx context.Context, oa, why string) error) Option {
	return func(ch *Channel) { ch.notify = f }
}

// New makes the channel; the store's clock is the channel's.
func New(cfg Config, db *store.DB, log *slog.Logger, opts ...Option) *Channel {
	cfg.defaults()
	c := &Channel{cfg: cfg, db: db, now: db.Now, log: log, client: &http.Client{Timeout: 15 * time.Second}, names: map[string]string{}}
	for _, o := range opts {
		o(c)
	}
	if c.intake == nil {
		c.intake = db
	}
	return c
}

// Name is "zalo".
func (c *Channel) Name() channel.Name { return Name }

// Capabilities are Zalo's (Caps).
func (c *Channel) Capabilities() channel.Capabilities { return Caps }

// Config is the channel's configuration with defaults applied.
func (c *Channel) Config() Config { return c.cfg }

func (c *Channel) tellStaff(ctx context.Context, why string) {
	c.log.Error("zalo: the OA needs an admin", "oa", c.cfg.OAID, "why", why)
	if c.notify == nil {
		return
	}
	if err := c.notify(ctx, c.cfg.OAID, why); err != nil {
		c.log.Warn("zalo: telling the staff group", "err", err)
	}
}
