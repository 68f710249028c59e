package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
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
	ch, ok := b.channel(name)
	if !ok {
		return channel.Capabilities{}, false
	}
	return ch.Capabilities(), true
}

// SendTo sends a catalog text (HTML) to a person on any channel, buttons
// after the text, through the channel's Send for purpose. The errors are
// the sender's (channel.ErrUnreachable, *channel.PermanentError,
// *channel.NotDeliveredError, *channel.HeldError) on every channel, or
// ErrNoChat.
func (b *Bot) SendTo(ctx context.Context, to channel.Address, html string, purpose channel.Purpose, buttons ...channel.Button) error {
	ch, ok := b.channel(to.Channel)
	if !ok {
		return ErrNoChat
	}
	return b.sendTextOn(ctx, ch, to, html, purpose, buttons...)
}

// SendFileTo sends a file with a caption (HTML) to a person on a channel
// that carries it (Capabilities.CanSendFile), with SendTo's errors; a
// *channel.PermanentError where the channel does not carry it.
func (b *Bot) SendFileTo(ctx context.Context, to channel.Address, html string, f channel.File, purpose channel.Purpose) error {
	ch, ok := b.channel(to.Channel)
	if !ok {
		return ErrNoChat
	}
	caps := ch.Capabilities()
	if !caps.CanSendFile(f.MIME, int64(len(f.Data))) {
		return &channel.PermanentError{Method: "send", Reason: fmt.Sprintf("%s does not carry a %s of %d bytes", to.Channel, f.MIME, len(f.Data))}
	}
	text := html
	if caps.Markup == channel.MarkupNone {
		text = channel.PlainText(html)
	}
	return b.sendMapped(ctx, ch, to, channel.Message{Text: text, File: &f, Purpose: purpose})
}

// SendText sends a text (HTML) to a staff member's private chat through
// the sender.
func (b *Bot) SendText(ctx context.Context, chatID int64, html string) error {
	return b.sendText(ctx, chatID, html, nil)
}

// SendFile uploads a document, or with photo a picture, to a chat through
// the sender.
func (b *Bot) SendFile(ctx context.Context, chatID int64, photo bool, name string, data []byte, caption string) error {
	return b.tg.SendFile(ctx, telegram.Target{ChatID: chatID}, photo, name, data, caption)
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
	// Message is the command's message.
	Message *models.Message

	b  *Bot
	fx *Effects
}

// Reply sends text (HTML) to the staff member after commit.
func (c *StaffCommand) Reply(html string) { c.b.replyAfter(c.fx, c.From.ID, html, nil) }

// Later runs fn after commit in the staff member's outbox lane (after the
// replies queued before it), with a context that outlives a stop by the
// grace period.
func (c *StaffCommand) Later(fn func(ctx context.Context)) {
	b, chat := c.b, c.From.ID
	c.fx.Add(func() {
		b.outbox.submit(b.sendCtx, chat, func(context.Context) error {
			fn(b.sendCtx)
			return nil
		})
	})
}

// RegisterStaffCommand makes /name a staff-only command of feature: staff
// get fn, anyone else "unknown command" and a denied_command audit row.
// A second claim to name panics.
func RegisterStaffCommand(feature, name string, fn func(ctx context.Context, b *Bot, c *StaffCommand) error, menu ...store.Role) {
	routes.command(name, command{feature: feature, staffOnly: true, menu: menu,
		staff: func(b *Bot, ctx context.Context, tx *store.Tx, fx *Effects, s store.Staff, from models.User, m *models.Message, in flows.Input) error {
			return fn(ctx, b, &StaffCommand{Tx: tx, Staff: s, From: from, Lang: staffLang(from), Name: in.Command, Arg: in.Arg, Message: m, b: b, fx: fx})
		}})
}

// RegisterCaseCommand is RegisterStaffCommand for the desk's commands on a
// case: a menu shows them after the features' own; inGroup shows the
// command in the staff group's menu too (written in a case's topic).
func RegisterCaseCommand(feature, name string, fn func(ctx context.Context, b *Bot, c *StaffCommand) error, inGroup bool, menu ...store.Role) {
	RegisterStaffCommand(feature, name, fn, menu...)
	c := routes.commands[name]
	c.core, c.group = true, inGroup
	routes.commands[name] = c
}

// Effects are the StaffCommand's after-commit work (the desk's helpers
// take them).
func (c *StaffCommand) Effects() *Effects { return c.fx }

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

// What bot/announcements needs beyond the other features, and why: its
// composer reads a staff member's private chat before the case work
// (RegisterStaffInput); its workers run while the bot runs and keep
// state per bot (RegisterRunner, State); returnees turn announcements off
// and on with a command, buttons and a question after /start, on every
// channel (RegisterCommand, RegisterButton, registered once for every
// channel, returnee_events.go); and it makes its own
// Bot API calls (photos, documents, edits) in a chat's order, at a pace
// shared across processes (Queue, SendMarkup, WireMarkup, ButtonData,
// Channel, BroadcastOptions).

// ButtonData is the data of a feature's button: "<ns>:<action>:<id>[:<arg>]".
func ButtonData(ns, action string, id int64, arg ...string) string {
	return buttonData(ns, action, id, arg...)
}

// ParseButtonData reads ButtonData of namespace ns.
func ParseButtonData(ns, data string) (action string, id int64, arg string, ok bool) {
	return parseButtonData(ns, data)
}

// SendMarkup sends a text (HTML) with reply markup to a chat through the
// sender.
func (b *Bot) SendMarkup(ctx context.Context, chatID int64, html string, markup models.ReplyMarkup) error {
	return b.sendText(ctx, chatID, html, markup)
}

// Queue runs fn in chat's outbox lane, after what is queued there, with a
// context that outlives a stop by the grace period (SendContext).
func (b *Bot) Queue(chat int64, fn func(ctx context.Context)) {
	ctx := b.sendCtx
	b.outbox.submit(ctx, chat, func(context.Context) error {
		fn(ctx)
		return nil
	})
}

// SendContext is the context sends run in: it outlives a stop by the
// grace period, so that what was promised before the stop still goes.
func (b *Bot) SendContext() context.Context { return b.sendCtx }

// Channel is the channel name the bot runs beside Telegram, if any.
func (b *Bot) Channel(name channel.Name) (Channel, bool) {
	ch, ok := b.channels[name]
	return ch, ok
}

// BroadcastOptions are Options.Broadcast with the defaults filled in.
func (b *Bot) BroadcastOptions() BroadcastOptions { return b.bopts() }

// State is feature's state in this bot, made by mk on first use: a
// process (a test) may run several bots, each with its own.
func (b *Bot) State(feature string, mk func() any) any {
	v, _ := b.states.LoadOrStore(feature, sync.OnceValue(mk))
	return v.(func() any)()
}

// runner is work a feature does while the bot runs.
type runner struct {
	feature string
	run     func(ctx context.Context, b *Bot)
}

// RegisterRunner has Run start run in a goroutine of its own; when Run
// ends, run's ctx is cancelled and Run waits for it to return, before the
// updates in hand are finished.
func RegisterRunner(feature string, run func(ctx context.Context, b *Bot)) {
	routes.claim("runner", feature, feature)
	routes.runners = append(routes.runners, runner{feature, run})
}

// startRunners starts the registered runners; stop cancels and waits.
func (b *Bot) startRunners(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, r := range routes.runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.run(ctx, b)
		}()
	}
	return func() { cancel(); wg.Wait() }
}

// AfterCommit runs fn after the update's transaction commits (not if it
// rolls back or was handled before).
func (c *StaffCommand) AfterCommit(fn func()) { c.fx.Add(fn) }

// StaffInput is what a staff member sent or pressed in their private
// chat: a command (Name, Arg set), a text or file (Message, nil for a
// button), or a button (Callback).
type StaffInput struct {
	*StaffCommand
	Input    flows.Input           // the message read as the flows read it
	Callback *models.CallbackQuery // nil for a message

	toast string
}

// Toast is the short text Telegram shows on the press.
func (in *StaffInput) Toast(text string) { in.toast = text }

// RegisterStaffInput gives feature the first look at a staff member's
// private input, before the desk's case work: fn returns handled false
// to leave it to the rest (commands go on to their routes).
func RegisterStaffInput(feature string, fn func(ctx context.Context, b *Bot, in *StaffInput) (handled bool, err error)) {
	routes.claim("staff input", feature, feature)
	routes.staffInputs = append(routes.staffInputs, fn)
}

// staffInput offers a staff member's private input to the features.
func (r *router) staffInput(b *Bot, ctx context.Context, tx *store.Tx, fx *Effects, s store.Staff, from models.User, m *models.Message, in flows.Input, cq *models.CallbackQuery) (handled bool, toast string, err error) {
	for _, fn := range r.staffInputs {
		si := &StaffInput{
			StaffCommand: &StaffCommand{Tx: tx, Staff: s, From: from, Lang: staffLang(from), Name: in.Command, Arg: in.Arg, Message: m, b: b, fx: fx},
			Input:        in, Callback: cq,
		}
		if ok, err := fn(ctx, b, si); ok || err != nil {
			return true, si.toast, err
		}
	}
	return false, "", nil
}

// What bot/casework needs beyond the other features, and why: a staff
// invitation link is a /start with a payload, opened by someone who is
// not staff yet and must not become a person (RegisterStartPayload, a
// Start that touches nobody), and the new member sees their role's help
// and command menu, which name every feature's commands and so stay in
// the core (StaffHelp, Start.StaffMenu).

// Start is a /start whose payload a feature owns (a deep link), handled
// inside the transaction that records the update; nobody is touched as a
// person.
type Start struct {
	Tx      *store.Tx
	From    models.User
	Lang    string // the sender's language, from their client
	Payload string // after the prefix

	b  *Bot
	fx *Effects
}

// Reply sends text (HTML) to the sender after commit.
func (s *Start) Reply(html string) { s.b.replyAfter(s.fx, s.From.ID, html, nil) }

// StaffMenu shows st their role's command menu in this chat after commit.
func (s *Start) StaffMenu(st store.Staff) { s.b.staffMenuAfter(s.fx, st, s.From.ID) }

// RegisterStartPayload gives feature the /start payloads that begin with
// prefix (a second claim panics).
func RegisterStartPayload(feature, prefix string, fn func(ctx context.Context, b *Bot, s *Start) error) {
	routes.start(prefix, feature, func(b *Bot, ctx context.Context, upd *models.Update, from models.User, payload string) error {
		fx := &Effects{}
		dup, err := b.inUpdateTx(ctx, upd, fx, func(tx *store.Tx) error {
			return fn(ctx, b, &Start{Tx: tx, From: from, Lang: staffLang(from), Payload: payload, b: b, fx: fx})
		})
		if err != nil || dup {
			return err
		}
		fx.Run()
		b.Metrics.Updates.WithLabelValues("command", "handled").Inc()
		return nil
	})
}

// StaffHelp is the catalog key of the help of st's role.
func StaffHelp(st store.Staff) string { return staffHelp(st) }
