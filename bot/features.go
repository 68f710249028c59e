package bot

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

// Features (issue 13, item 4): the rooms that serve one kind of person
// from a package of their own (bot/ops: /report, /audit, retention;
// bot/reminders: reminders and follow-ups) import this package, and this
// package imports none of them. They register what they own from their
// init through the Register functions below; app imports them (app/
// features.go), and so does bot/bottest for the tests. This file is all
// they may use of the bot: its parts, the registry, and sending.

// Store is the bot's database.
func (b *Bot) Store() *store.DB { return b.db }

// Catalog is the bot's messages.
func (b *Bot) Catalog() *i18n.Catalog { return b.cat }

// Now is the program's time (the store's clock).
func (b *Bot) Now() time.Time { return b.now() }

// Location is the zone people read times in.
func (b *Bot) Location() *time.Location { return b.loc }

// Log is the bot's logger.
func (b *Bot) Log() *slog.Logger { return b.log }

// Options are the options the bot runs with, defaults filled in.
func (b *Bot) Options() Options { return b.opts }

// QuietUntil is when the quiet hours around now end (announcements and
// reminders wait for it), zero outside them.
func (b *Bot) QuietUntil(now time.Time) time.Time { return b.bopts().quietUntil(now, b.loc) }

// Escape makes s safe inside a catalog text (HTML).
func Escape(s string) string { return escape(s) }

// CaseData is the data of a case button ("k:<action>:<id>[:<arg>]"); a
// feature may use an action of its own inside the desk's "k:".
func CaseData(action string, id int64, arg ...string) string { return caseData(action, id, arg...) }

// ParseCaseData reads CaseData.
func ParseCaseData(data string) (action string, id int64, arg string, ok bool) {
	return parseCaseData(data)
}

// ErrNoChat: the address names no chat the bot can write to (a channel it
// does not run, or a Telegram reference that is not a chat id).
var ErrNoChat = errors.New("no chat at this address")

// Capabilities are what a channel the bot runs can show; ok is false for
// one it does not run.
func (b *Bot) Capabilities(name channel.Name) (caps channel.Capabilities, ok bool) {
	if name == "telegram" {
		return telegramCaps, true
	}
	ch, ok := b.channels[name]
	if !ok {
		return channel.Capabilities{}, false
	}
	return ch.Capabilities(), true
}

// SendTo sends a catalog text (HTML) to a person on any channel, buttons
// after the text: on Telegram through the sender, elsewhere through the
// channel's Send for purpose. The errors are the sender's
// (ErrUnreachable, *PermanentError, *NotDeliveredError) on every channel,
// or ErrNoChat.
func (b *Bot) SendTo(ctx context.Context, to channel.Address, html string, purpose channel.Purpose, buttons ...channel.Button) error {
	if ch, ok := b.channels[to.Channel]; ok {
		return b.sendTextOn(ctx, ch, to, html, purpose, buttons...)
	}
	chat, err := strconv.ParseInt(to.Ref, 10, 64)
	if to.Channel != "telegram" || err != nil {
		return ErrNoChat
	}
	var kb models.ReplyMarkup
	if len(buttons) > 0 {
		row := make([]models.InlineKeyboardButton, len(buttons))
		for i, bt := range buttons {
			row[i] = models.InlineKeyboardButton{Text: bt.Label, CallbackData: bt.Data}
		}
		kb = &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{row}}
	}
	return b.sendText(ctx, chat, html, kb)
}

// SendText sends a text (HTML) to a staff member's private chat through
// the sender.
func (b *Bot) SendText(ctx context.Context, chatID int64, html string) error {
	return b.sendText(ctx, chatID, html, nil)
}

// SendFile uploads a document, or with photo a picture, to a chat through
// the sender.
func (b *Bot) SendFile(ctx context.Context, chatID int64, photo bool, name string, data []byte, caption string) error {
	return b.sendFile(ctx, chatID, photo, name, data, caption)
}

// Uploading shows "sending a file…" in a chat while a file is made.
func (b *Bot) Uploading(ctx context.Context, chatID int64) { b.uploading(ctx, chatID) }

// StaffCommand is a staff member's command in their private chat, handled
// inside the update's transaction (Tx); what it sends waits for commit.
type StaffCommand struct {
	Tx    *store.Tx
	Staff store.Staff
	From  models.User
	Lang  string // the staff member's language
	Name  string // the command, without the slash
	Arg   string

	b  *Bot
	fx *effects
}

// Reply sends text (HTML) to the staff member after commit.
func (c *StaffCommand) Reply(html string) { c.b.replyAfter(c.fx, c.From.ID, html, nil) }

// Later runs fn after commit in the staff member's outbox lane (after the
// replies queued before it), with a context that outlives a stop by the
// grace period.
func (c *StaffCommand) Later(fn func(ctx context.Context)) {
	b, chat := c.b, c.From.ID
	c.fx.add(func() {
		b.outbox.submit(b.sendCtx, chat, func(context.Context) error {
			fn(b.sendCtx)
			return nil
		})
	})
}

// RegisterStaffCommand makes /name a staff-only command of feature: staff
// get fn, anyone else "unknown command" and a denied_command audit row.
// A second claim to name panics.
func RegisterStaffCommand(feature, name string, fn func(ctx context.Context, b *Bot, c *StaffCommand) error) {
	routes.command(name, command{feature: feature, staffOnly: true,
		staff: func(b *Bot, ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, _ *models.Message, in flows.Input) error {
			return fn(ctx, b, &StaffCommand{Tx: tx, Staff: s, From: from, Lang: staffLang(from), Name: in.Command, Arg: in.Arg, b: b, fx: fx})
		}})
}

// Press is a returnee's press of a button on Telegram, handled inside the
// transaction that records the update, with the person touched.
type Press struct {
	Tx     *store.Tx
	Person store.Person // Language is theirs
	From   models.User
	Data   string

	b     *Bot
	fx    *effects
	cq    *models.CallbackQuery
	toast string
}

// Reply sends text (HTML) to the person after commit.
func (p *Press) Reply(html string) { p.b.replyAfter(p.fx, p.From.ID, html, nil) }

// DropButtons removes the buttons of the pressed message after commit.
func (p *Press) DropButtons() { p.b.dropButtonsAfter(p.fx, p.cq) }

// Toast is the short text Telegram shows on the press.
func (p *Press) Toast(text string) { p.toast = text }

// RegisterButtonPrefix gives feature the returnees' buttons whose data
// starts with prefix (the longest registered prefix wins; staff pressing
// one go to their own handling).
func RegisterButtonPrefix(feature, prefix string, fn func(ctx context.Context, b *Bot, p *Press) error) {
	routes.buttonPrefix(prefix, button{feature: feature, others: func(b *Bot, ctx context.Context, upd *models.Update, from models.User, _ flows.Input) error {
		return b.handlePress(ctx, upd, from, fn)
	}})
}

// handlePress records a returnee's button press and runs fn with it, then
// acknowledges the press.
func (b *Bot) handlePress(ctx context.Context, upd *models.Update, from models.User, fn func(ctx context.Context, b *Bot, p *Press) error) error {
	cq := upd.CallbackQuery
	fx := &effects{}
	var p *Press
	dup, err := b.inUpdateTx(ctx, upd, fx, func(tx *store.Tx) error {
		ref := strconv.FormatInt(from.ID, 10)
		person, err := tx.TouchPerson(ctx, "telegram", ref, ref, i18n.Normalize(from.LanguageCode))
		if err != nil {
			return err
		}
		p = &Press{Tx: tx, Person: person, From: from, Data: cq.Data, b: b, fx: fx, cq: cq}
		return fn(ctx, b, p)
	})
	if err != nil {
		return err
	}
	toast := ""
	if p != nil {
		toast = p.toast
	}
	b.answerCallbackText(ctx, cq.ID, toast)
	if !dup {
		fx.run()
		b.Metrics.Updates.WithLabelValues("callback", "handled").Inc()
	}
	return nil
}

// ChannelEvent is a returnee's event on another channel that a feature
// registered, handled inside the handling's transaction.
type ChannelEvent struct {
	Tx     *store.Tx
	Person store.Person
	Caps   channel.Capabilities
	Event  channel.Event

	b *Bot
}

// Text renders one catalog text for the person on their channel.
func (e *ChannelEvent) Text(key string) []channel.Message {
	return e.b.channelReply(e.Person, e.Caps, key)
}

// Forged refuses a case button the person could not have been shown:
// logged, audited, and answered like a stale one.
func (e *ChannelEvent) Forged(ctx context.Context) ([]channel.Message, error) {
	return e.b.refuseForgedOnChannel(ctx, e.Tx, e.Caps, e.Person, e.Event)
}

// RegisterChannelButtonPrefix gives feature the buttons of other channels
// whose data starts with prefix (the longest wins). fn's msgs are the
// answer; handled false leaves the event to the flows.
func RegisterChannelButtonPrefix(feature, prefix string, fn func(ctx context.Context, b *Bot, e *ChannelEvent) (handled bool, msgs []channel.Message, err error)) {
	routes.channelButtonPrefix(prefix, feature, func(b *Bot, ctx context.Context, tx *store.Tx, caps channel.Capabilities, p store.Person, ev channel.Event) (bool, []channel.Message, []channel.Message, error) {
		handled, msgs, err := fn(ctx, b, &ChannelEvent{Tx: tx, Person: p, Caps: caps, Event: ev, b: b})
		return handled, msgs, nil, err
	})
}

// sweepJob is work the sweeper does for a feature.
type sweepJob struct {
	feature string
	every   time.Duration
	fn      func(ctx context.Context, b *Bot) error
}

// RegisterJob has the sweeper run fn on its round (Options.SweepEvery),
// no oftener than every (by the machine's clock) in one process. An error
// is logged; the next round after every tries again.
func RegisterJob(feature string, every time.Duration, fn func(ctx context.Context, b *Bot) error) {
	routes.claim("job", feature, feature)
	routes.jobs = append(routes.jobs, sweepJob{feature, every, fn})
}

// runJobs runs the jobs due; last holds when each last ran.
func (b *Bot) runJobs(ctx context.Context, last map[string]time.Time) {
	for _, j := range routes.jobs {
		if t, ok := last[j.feature]; ok && time.Since(t) < j.every {
			continue
		}
		if err := j.fn(ctx, b); err != nil && ctx.Err() == nil {
			b.log.Warn("job failed, a later sweep retries", "feature", j.feature, "err", err)
		}
		last[j.feature] = time.Now()
	}
}
