// Package webchat is the web chat channel: a small page at /chat, served
// by the bot itself, for returnees who have no working Telegram. A person
// opens it from the QR code on the commune office's poster (/chat?c=CODE),
// writes with POST, and reads the bot's answers as server-sent events
// from a durable outbox, so a page that reconnects, or a person who comes
// back days later, loses nothing. Identity is a random token in an
// HttpOnly cookie; the person's short code, with their phone number as
// the second factor, opens the same chat on another phone. Where the
// browser allows it, a Web Push notification (no content) says an answer
// arrived.
package webchat

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"reentrybot/channel"
	"reentrybot/store"
)

// Name is the channel's name in addresses and the people table.
const Name channel.Name = "web"

// Path is where the page is served.
const Path = "/chat"

// Receiver takes people's events: *bot.Bot.
type Receiver interface {
	Receive(ctx context.Context, evs ...channel.Event) error
}

// Options are the channel's settings.
type Options struct {
	// PushSubject is the VAPID contact (mailto: or https:).
	PushSubject string
	// FrameAncestors may show the page in a frame (the playground).
	FrameAncestors []string
	// PushClient sends Web Push requests (default: a client with a 10 s
	// timeout).
	PushClient *http.Client
	// PushHosts are the push services a subscription may point at (the
	// browsers' own; anything else would let a visitor make the server
	// call any address). Tests add their local one.
	PushHosts []string
	// AllowHTTPPush lets a subscription use http:// (tests only).
	AllowHTTPPush bool
	// PerAddress and PerSession are messages a minute (defaults 240 and
	// 60), each with a burst of half that. An address is often shared (a
	// carrier's NAT, the commune office's Wi-Fi): its limit is the wider.
	PerAddress, PerSession int
}

// DefaultPushHosts are the push services of Chrome (Android), Firefox,
// Safari and Edge; a host matches itself or any subdomain.
var DefaultPushHosts = []string{"fcm.googleapis.com", "updates.push.services.mozilla.com", "push.apple.com", "notify.windows.com"}

// Channel is the web chat: a bot.Channel and an http.Handler.
type Channel struct {
	db   *store.DB
	log  *slog.Logger
	opts Options
	bot  Receiver
	hub  hub
	lim  *limits

	vapidPrivate, vapidPublic string
	pushWG                    sync.WaitGroup
	closing                   chan struct{} // closed by Close: open streams end
	closeOnce                 sync.Once
}

// New makes the channel, and the server's VAPID keys when the database
// has none yet.
func New(ctx context.Context, db *store.DB, opts Options, log *slog.Logger) (*Channel, error) {
	if opts.PerAddress <= 0 {
		opts.PerAddress = 240
	}
	if opts.PerSession <= 0 {
		opts.PerSession = 60
	}
	if opts.PushHosts == nil {
		opts.PushHosts = DefaultPushHosts
	}
	if opts.PushClient == nil {
		opts.PushClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.PushSubject == "" {
		opts.PushSubject = "mailto:admin@localhost"
	}
	priv, pub, err := db.VAPIDKeys(ctx, generateVAPIDKeys)
	if err != nil {
		return nil, err
	}
	c := &Channel{db: db, log: log.With("comp", "webchat"), opts: opts, vapidPrivate: priv, vapidPublic: pub, closing: make(chan struct{})}
	c.hub.subs = map[string]map[chan struct{}]struct{}{}
	c.lim = newLimits(opts.PerAddress, opts.PerSession)
	return c, nil
}

// Attach gives the channel the bot that takes its events; call it before
// serving.
func (c *Channel) Attach(r Receiver) { c.bot = r }

// Name is "web".
func (c *Channel) Name() channel.Name { return Name }

// Capabilities of the page: real buttons for every option a step offers,
// plain text (the page shows what it gets as text), the phone typed, the
// /mydata export and a counsellor's pictures and PDF files as downloads.
func (c *Channel) Capabilities() channel.Capabilities {
	return channel.Capabilities{
		MaxButtons: 40, MaxButtonsPerRow: 2, MaxLabel: 80, MaxText: 4000,
		Markup: channel.MarkupNone, Files: []string{"application/json", "image/jpeg", "image/png", "application/pdf"}, MaxFileBytes: 5 << 20,
	}
}

// body is a message as the page gets it (and as the outbox keeps it).
type body struct {
	Text    string          `json:"text"`
	Buttons [][]bodyButton  `json:"buttons,omitempty"`
	Purpose channel.Purpose `json:"purpose,omitempty"`
	File    *bodyFile       `json:"file,omitempty"`
}

type bodyButton struct {
	Label string `json:"label"`
	Data  string `json:"data"`
}

type bodyFile struct {
	Name string `json:"name"`
}

// Send keeps the message in the person's outbox (durable: the page reads
// it now or whenever it comes back), wakes the person's open pages, and
// sends a push notification for what the person did not just ask for (a
// counsellor's answer, a reminder, an announcement).
func (c *Channel) Send(ctx context.Context, to channel.Address, m channel.Message) error {
	if to.Channel != Name {
		return &channel.Error{Kind: channel.Permanent, Reason: "not a web chat address: " + to.String()}
	}
	b := body{Text: m.Text, Purpose: m.Purpose}
	for _, row := range m.Buttons {
		var r []bodyButton
		for _, btn := range row {
			r = append(r, bodyButton{Label: btn.Label, Data: btn.Data})
		}
		b.Buttons = append(b.Buttons, r)
	}
	var fname, fmime string
	var fdata []byte
	if m.File != nil {
		b.File = &bodyFile{Name: m.File.Name}
		fname, fmime, fdata = m.File.Name, m.File.MIME, m.File.Data
	}
	raw, err := json.Marshal(b)
	if err != nil {
		return &channel.Error{Kind: channel.Permanent, Reason: err.Error()}
	}
	if _, err := c.db.AddWebMessage(ctx, to.Ref, false, raw, fname, fmime, fdata); err != nil {
		return &channel.Error{Kind: channel.Transient, Reason: err.Error()}
	}
	open := c.hub.wake(to.Ref)
	if m.Purpose != channel.PurposeReply && !open {
		c.pushWG.Add(1)
		go func() {
			defer c.pushWG.Done()
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			c.notify(pctx, to.Ref)
		}()
	}
	return nil
}

// Wait waits for the push notifications under way (tests, shutdown).
func (c *Channel) Wait() { c.pushWG.Wait() }

// Close ends the open event streams, so that the HTTP server can shut
// down without waiting for them (the pages reconnect to another process,
// or after the restart, from the last message they saw).
func (c *Channel) Close() { c.closeOnce.Do(func() { close(c.closing) }) }

// hub wakes the open event streams of a person when their outbox grows.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

func (h *hub) subscribe(ref string) (chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs[ref] == nil {
		h.subs[ref] = map[chan struct{}]struct{}{}
	}
	h.subs[ref][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[ref], ch)
		if len(h.subs[ref]) == 0 {
			delete(h.subs, ref)
		}
		h.mu.Unlock()
	}
}

// wake reports whether the person has a page open (in this process).
func (h *hub) wake(ref string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[ref] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return len(h.subs[ref]) > 0
}

// Alphabets whose length divides 256, so that every letter is as likely.
const (
	codeAlphabet  = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ" // no 0/O, 1/I: read aloud, written by hand
	tokenAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
)

// randomText is n random letters of the alphabet.
func randomText(alphabet string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("webchat: no randomness: %v", err)) // crypto/rand does not fail on Linux
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
