// Package bot is the core: it takes every channel's events in (Telegram's
// by long polling or webhook, the others' through Receive) through the
// intake inbox, routes them through the registry its features fill
// (bot/announcements, bot/casework, bot/ops, bot/reminders), runs a
// returnee's through the flows in one transaction per event, and sends the
// answers through the person's channel.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/config"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
	"reentrybot/textfold"
)

// Options configure a Bot.
type Options struct {
	Token         string
	APIURL        string // Bot API server; Telegram's when empty
	WebhookURL    string // webhook mode when set, long polling otherwise
	WebhookSecret string
	Workers       int // chats handled at once
	Limits        telegram.Limits
	HTTPClient    *http.Client
	PollTimeout   time.Duration // long-poll wait; 25 s when zero
	Now           func() time.Time
	Loc           *time.Location // what people see; Asia/Ho_Chi_Minh when nil
	Hours         flows.WorkingHours
	SweepEvery    time.Duration // retry pending topics and relays; 15 s when zero
	ReopenWithin  time.Duration // a closed case reopens when the person writes within it; 14 days when zero
	// RetentionMonths: erase people inactive this long, daily; 0 = never.
	// The privacy notice states it.
	RetentionMonths int
	// ControllerName and ControllerContact: who is responsible for the
	// data and how to reach them, as the privacy notice names them;
	// config's defaults when empty.
	ControllerName, ControllerContact string
	// Sleep waits out a 429's retry_after or a backoff; tests pass a fake
	// clock's. time-based when nil.
	Sleep func(ctx context.Context, d time.Duration) error
	// RepeatAfter: an answer not recorded as sent this long after its
	// update committed (the process stopped in between) is replaced by
	// asking the question again (answers.go); 2 minutes when zero.
	RepeatAfter time.Duration
	// Broadcast paces and schedules announcements (bot/announcements).
	Broadcast BroadcastOptions
	// FileLinks is the public address a download link's token is appended
	// to (PUBLIC_URL/chat/dl/), for a file a channel cannot carry
	// (file_links.go); empty: the person is told where else to get it.
	FileLinks string
}

// Bot is the running transport.
type Bot struct {
	api     *tg.Bot
	me      *models.User
	opts    Options
	db      *store.DB
	engine  *flows.Engine
	cat     *i18n.Catalog
	send    *telegram.Sender
	tg      *telegram.Channel // Telegram's Send, as every channel's (render.go channel)
	log     *slog.Logger
	Metrics *Metrics
	lanes   *lanes   // handling updates
	outbox  *lanes   // delivering replies, in order per chat
	relays  *lanes   // relaying case events, in order per case and direction
	states  sync.Map // features' state, by feature (features.go State)
	answers answered // answers sent, to record (answers.go)
	now     func() time.Time
	loc     *time.Location
	client  *http.Client
	// channels other than Telegram (channels.go), by name.
	channels map[channel.Name]Channel
	// sendCtx outlives Run by a grace period, so replies queued at
	// shutdown still go out.
	sendCtx   context.Context
	retrying  sync.Map     // lane keys with a drain retry scheduled (poll.go)
	inMemory  atomic.Int64 // updates queued in lanes from memory (poll.go, handleReceived)
	stopSends context.CancelFunc
}

// New connects to the Bot API (getMe) and returns a bot ready to Run.
func New(ctx context.Context, o Options, db *store.DB, engine *flows.Engine, cat *i18n.Catalog, log *slog.Logger) (*Bot, error) {
	if o.APIURL == "" {
		o.APIURL = "https://api.telegram.org"
	}
	if o.Workers <= 0 {
		o.Workers = 64
	}
	if o.Limits.PerSecond == 0 {
		o.Limits = telegram.DefaultLimits(25)
	}
	if o.PollTimeout == 0 {
		o.PollTimeout = 25 * time.Second
	}
	// One clock: the bot's is the store's, so that what the bot compares
	// with and what the store writes agree.
	if o.Now == nil {
		o.Now = db.Now
	} else {
		db.SetClock(o.Now)
	}
	if o.Hours.Loc == nil {
		o.Hours = flows.DefaultWorkingHours()
	}
	if o.Loc == nil {
		o.Loc = o.Hours.Loc
	}
	if o.SweepEvery == 0 {
		o.SweepEvery = 15 * time.Second
	}
	if o.RepeatAfter == 0 {
		o.RepeatAfter = 2 * time.Minute
	}
	if o.ReopenWithin == 0 {
		o.ReopenWithin = 14 * 24 * time.Hour
	}
	if o.ControllerName == "" {
		o.ControllerName = config.Default("CONTROLLER_NAME")
	}
	if o.ControllerContact == "" {
		o.ControllerContact = config.Default("CONTROLLER_CONTACT")
	}
	// The notice tells what this bot does: one source for both.
	engine.SetNotice(flows.Notice{Controller: o.ControllerName, Contact: o.ControllerContact, RetentionMonths: o.RetentionMonths})
	if o.HTTPClient == nil {
		// Longer than the long-poll wait, so a quiet poll is not cut short.
		// Replies go out from up to outboxLanes chats at once: keep that
		// many connections open rather than Go's default two per host,
		// or every other call dials (and, against Telegram, handshakes).
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = outboxLanes(o.Workers), outboxLanes(o.Workers)
		o.HTTPClient = &http.Client{Timeout: o.PollTimeout + 15*time.Second, Transport: tr}
	}
	log = log.With("comp", "bot")
	b := &Bot{opts: o, db: db, engine: engine, cat: cat, log: log, Metrics: NewMetrics(), client: o.HTTPClient, now: o.Now, loc: o.Loc}
	api, err := tg.New(o.Token,
		tg.WithServerURL(o.APIURL),
		tg.WithHTTPClient(o.PollTimeout, o.HTTPClient),
		tg.WithSkipGetMe(),
		tg.WithDefaultHandler(func(context.Context, *tg.Bot, *models.Update) {}),
		tg.WithErrorsHandler(func(err error) { log.Error("telegram client", "err", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram client: %w", err)
	}
	b.api = api
	gctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	me, err := api.GetMe(gctx)
	if err != nil {
		return nil, fmt.Errorf("getMe (is TELEGRAM_BOT_TOKEN right and TELEGRAM_API_URL reachable?): %w", err)
	}
	b.me = me
	b.send = telegram.NewSender(o.Limits, db, b.Metrics.Sends, o.Sleep, log)
	b.tg = telegram.NewChannel(api, b.send, o.HTTPClient, log)
	b.lanes = newLanes(o.Workers)
	b.outbox = newLanes(outboxLanes(o.Workers))
	b.relays = newLanes(max(o.Workers, 16))
	b.sendCtx, b.stopSends = context.WithCancel(context.WithoutCancel(ctx))
	return b, nil
}

// outboxLanes is how many chats' replies are delivered at once: delivering
// is mostly waiting on the rate limiters.
func outboxLanes(workers int) int { return max(4*workers, 256) }

// API is the underlying Bot API client, for callers that send through
// Sender().Do.
func (b *Bot) API() *tg.Bot { return b.api }

// Sender is the one outgoing path.
func (b *Bot) Sender() *telegram.Sender { return b.send }

// Username is the bot's @username.
func (b *Bot) Username() string { return b.me.Username }

// Run takes updates until ctx is done, then finishes the updates in hand.
// In webhook mode it registers the webhook; the HTTP server serving
// WebhookHandler is the caller's.
func (b *Bot) Run(ctx context.Context) error {
	if err := b.registerCommands(ctx); err != nil {
		b.log.Warn("registering commands", "err", err)
	}
	if err := b.describe(ctx); err != nil { // menus.go
		b.log.Warn("setting the bot's description", "err", err)
	}
	defer b.drain()
	stopRunners := b.startRunners(ctx) // the features' workers (announcement delivery)
	defer stopRunners()
	go b.sweeper(ctx)
	go b.answerKeeper(ctx)
	if b.opts.WebhookURL != "" {
		_, err := b.api.SetWebhook(ctx, &tg.SetWebhookParams{
			URL:            b.opts.WebhookURL,
			SecretToken:    b.opts.WebhookSecret,
			AllowedUpdates: telegram.AllowedUpdates,
			MaxConnections: 40,
		})
		if err != nil {
			return fmt.Errorf("setWebhook: %w", err)
		}
		b.log.Info("webhook registered")
		<-ctx.Done()
		return nil
	}
	if _, err := b.api.DeleteWebhook(ctx, &tg.DeleteWebhookParams{}); err != nil {
		return fmt.Errorf("deleteWebhook before polling: %w", err)
	}
	return b.poll(ctx)
}

// commands are the ones shown in Telegram's menu, by catalog key.
var commands = []struct{ name, key string }{
	{"start", "cmd_start"}, {"menu", "cmd_menu"}, {"help", "cmd_help"},
	{"language", "cmd_language"}, {"mydata", "cmd_mydata"}, {"delete", "cmd_delete"}, {"stop", "cmd_stop"},
	{"privacy", "cmd_privacy"},
}

func (b *Bot) registerCommands(ctx context.Context) error {
	for _, lang := range b.cat.Langs() {
		var cmds []models.BotCommand
		for _, c := range commands {
			cmds = append(cmds, models.BotCommand{Command: c.name, Description: b.cat.T(lang, c.key, nil)})
		}
		p := &tg.SetMyCommandsParams{Commands: cmds}
		if lang != i18n.Default {
			p.LanguageCode = lang
		}
		if _, err := b.api.SetMyCommands(ctx, p); err != nil {
			return fmt.Errorf("setMyCommands %s: %w", lang, err)
		}
	}
	return nil
}

// drain finishes the updates in hand, then gives queued replies a grace
// period to go out.
func (b *Bot) drain() {
	b.lanes.wait()
	done := make(chan struct{})
	go func() { b.relays.wait(); b.outbox.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		b.log.Warn("replies still queued at shutdown are dropped")
	}
	b.stopSends()
	<-done
	fctx, cancel := context.WithTimeout(context.WithoutCancel(b.sendCtx), 5*time.Second)
	defer cancel()
	b.flushAnswered(fctx)
}

// Dispatch queues an update and returns a channel that yields nil once its
// handling has committed, or the error that kept it from committing.
func (b *Bot) Dispatch(ctx context.Context, upd *models.Update) <-chan error {
	if err := b.receiveUpdates(ctx, []models.Update{*upd}, nil); err != nil {
		done := make(chan error, 1)
		done <- err
		return done
	}
	return b.drainChat(ctx, telegram.ChatKey(upd)) // behind the drain receiveUpdates queued
}

// handleUpdate handles one update; an error means it did not commit and
// must be delivered again. It retries transient failures itself.
func (b *Bot) handleUpdate(ctx context.Context, upd *models.Update) error {
	typ := telegram.Kind(upd)
	start := time.Now()
	var err error
	for attempt := 1; ; attempt++ {
		err = b.handleOnce(ctx, upd)
		if err == nil {
			break
		}
		if errors.Is(err, errBehind) || errors.Is(err, errUseInbox) {
			return err // nothing written: the inbox's reading takes it (poll.go)
		}
		if attempt >= 3 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
	b.Metrics.Latency.WithLabelValues(typ).Observe(time.Since(start).Seconds())
	if err == nil {
		return nil
	}
	b.log.Error("handling update", "update", upd.ID, "type", typ, "err", err)
	// With the database down nothing can be recorded: leave the update
	// undelivered so it comes again. Otherwise it is poison: record it as
	// handled so it does not block the chat, and apologise.
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if perr := b.db.X.PingContext(pctx); perr != nil || store.Unavailable(err) {
		b.Metrics.Updates.WithLabelValues(typ, "retry").Inc()
		return err
	}
	b.Metrics.Updates.WithLabelValues(typ, "failed").Inc()
	if serr := b.db.InTx(ctx, func(tx *store.Tx) error {
		_, e := tx.MarkUpdateSeen(ctx, upd.ID, telegram.ChatKey(upd))
		return e
	}); serr != nil {
		return serr
	}
	if chat, lang, ok := privateChat(upd); ok {
		b.sendText(ctx, chat, b.cat.T(lang, "error_generic", nil), nil)
	}
	return nil
}

// errBehind: the update was not handled because an earlier update of its
// chat is still unhandled in the inbox (store.SeenTouchAndState); errUseInbox:
// a staff member's update came from memory (handleReceived), where the
// staff paths' marks do not keep the chat's order. Either way nothing
// was written, and the chat is read from the inbox in order instead.
var (
	errBehind   = errors.New("an earlier update of the chat is unhandled")
	errUseInbox = errors.New("to be handled from the inbox")
)

type fromMemoryKey struct{}

// fromMemory reports whether the update being handled was handed over by
// the process that received it (handleReceived), not read from the inbox.
func fromMemory(ctx context.Context) bool { return ctx.Value(fromMemoryKey{}) != nil }

// returneeWay reports whether handleOnce takes upd to handleReturnee, the
// common way, whose first statement keeps the chat's order (what
// handleReceived needs to handle an update from memory). It reads no
// database.
func (b *Bot) returneeWay(upd *models.Update) bool {
	if routes.forUpdate(upd) != nil {
		return false
	}
	in, _, ok := telegram.Input(upd, b.me.Username)
	if !ok {
		return false
	}
	if start, _ := routes.startPayload(in); start != nil {
		return false
	}
	return !routes.staffOnly(in)
}

// handleOnce is one attempt: commit, then send.
func (b *Bot) handleOnce(ctx context.Context, upd *models.Update) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	if r := routes.forUpdate(upd); r != nil { // the staff group, membership changes
		return r.handle(b, ctx, upd)
	}
	in, from, ok := telegram.Input(upd, b.me.Username)
	if !ok {
		return b.handleOther(ctx, upd, telegram.Kind(upd))
	}
	if start, payload := routes.startPayload(in); start != nil { // deep links: staff invites
		return start(b, ctx, upd, from, payload)
	}
	if !routes.staffOnly(in) { // routes.go
		// The common case: handleReturnee checks for staff in its first
		// statement and hands staff over.
		return b.handleReturnee(ctx, upd, in, from)
	}
	s, isStaff, err := b.db.StaffByTelegram(ctx, from.ID)
	if err != nil {
		return err
	}
	if isStaff {
		return b.handleStaffPrivate(ctx, upd, s, from, in, upd.CallbackQuery)
	}
	return b.refuseStaffCommand(ctx, upd, from, in.Command)
}

// handleReturnee runs a returnee's input through the flows, or passes it
// to the counsellor of their case.
func (b *Bot) handleReturnee(ctx context.Context, upd *models.Update, in flows.Input, from models.User) error {
	typ := telegram.Kind(upd)
	addr := channel.Address{Channel: telegram.Name, Ref: strconv.FormatInt(from.ID, 10)}
	var (
		res stepResult
		fx  = &Effects{}
	)
	ev := telegram.Event(upd, in, from)
	dup := false
	err := b.db.InTx(ctx, func(tx *store.Tx) error {
		// A retried attempt starts afresh.
		dup, res, fx.fns = false, stepResult{}, nil
		// One round trip: the staff check, the inbox mark, the person and
		// their conversation (store.Returnee).
		r, ok, err := tx.SeenTouchAndState(ctx, upd.ID, from.ID, string(addr.Channel), addr.Ref, addr.Ref, i18n.Normalize(from.LanguageCode))
		if err != nil {
			return err
		}
		if !ok {
			dup = true
			return nil
		}
		s := step{ch: b.tg, ev: ev, r: r}
		if m := upd.Message; m != nil && in.Kind != flows.InText {
			s.copyFrom = &MediaSource{Kind: telegram.MediaKind(m), Caption: textfold.Clean(m.Caption), Chat: m.Chat.ID, Msg: m.ID}
		}
		if cq := upd.CallbackQuery; cq != nil {
			s.dropButtons = func(fx *Effects) { b.dropButtonsAfter(fx, cq) }
		}
		if res, err = b.handleStep(ctx, tx, fx, s); err != nil { // converse.go
			return err
		}
		if res.out.Erased {
			// The chat holds what the person told the bot and what it
			// answered: deleted up to this update (erasure.go).
			if last := lastMessageID(upd); last > 0 {
				if err := tx.PlanChatErasure(ctx, from.ID, 1, last); err != nil {
					return err
				}
				fx.Add(func() { go b.eraseChats(b.sendCtx) })
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if dup {
		// Nothing was written: staff, or handled before.
		s, isStaff, err := b.db.StaffByTelegram(ctx, from.ID)
		if err != nil {
			return err
		}
		if isStaff {
			if fromMemory(ctx) {
				return errUseInbox
			}
			return b.handleStaffPrivate(ctx, upd, s, from, in, upd.CallbackQuery)
		}
		if seen, err := b.db.UpdateSeen(ctx, upd.ID); err != nil {
			return err
		} else if !seen {
			return errBehind
		}
		if fromMemory(ctx) {
			// Another process read it from the inbox first, and answered.
			b.Metrics.Updates.WithLabelValues(typ, "duplicate").Inc()
			return nil
		}
		if upd.CallbackQuery != nil {
			b.answerCallback(ctx, upd.CallbackQuery.ID, i18n.Normalize(from.LanguageCode), "", true)
		}
		b.Metrics.Updates.WithLabelValues(typ, "duplicate").Inc()
		return nil
	}
	b.Metrics.Updates.WithLabelValues(typ, "handled").Inc()
	if cq := upd.CallbackQuery; cq != nil {
		// In the chat's outbox, ahead of the answer, rather than here: a
		// round trip in this lane would hold the chat's next update.
		toast := res.toast
		if toast == "" {
			toast = res.out.Toast
		}
		id, lang := cq.ID, res.person.Language
		b.outbox.submit(b.sendCtx, from.ID, func(ctx context.Context) error {
			b.answerCallback(ctx, id, lang, toast, false)
			return nil
		})
	}
	fx.Run()
	if len(res.msgs) > 0 || res.saved {
		// Sent in the chat's outbox lane, after commit.
		b.outbox.submit(b.sendCtx, from.ID, func(ctx context.Context) error {
			b.sendOn(b.tg, res.person.ID, addr, res.msgs)
			if res.saved {
				b.sentAnswer(res.person.ID, res.out.Version)
			}
			return nil
		})
	}
	b.afterCases(ctx, res.out)
	return nil
}

// noteUpdatedCases tells the counsellors of the open cases an input
// changed (in the same transaction).
func noteUpdatedCases(ctx context.Context, tx *store.Tx, out flows.Outcome) error {
	for _, r := range out.Cases {
		if r.Created {
			continue
		}
		if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: r.ID, Actor: "system", Kind: "notice", Body: "topic_case_updated", RelayTo: store.RelayTopic}); err != nil {
			return err
		}
	}
	return nil
}

// afterCases hands an input's new cases to the counsellors and relays the
// notices of the updated ones, after commit.
func (b *Bot) afterCases(ctx context.Context, out flows.Outcome) {
	if len(out.Cases) > 0 && routes.desk.CasesChanged != nil {
		routes.desk.CasesChanged(ctx, b, out.Cases) // bot/casework
	}
}

// handleOther records updates that carry no input for the flows: group
// messages, edits, membership changes.
func (b *Bot) handleOther(ctx context.Context, upd *models.Update, typ string) error {
	outcome := "ignored"
	err := b.db.InTx(ctx, func(tx *store.Tx) error {
		first, err := tx.MarkUpdateSeen(ctx, upd.ID, telegram.ChatKey(upd))
		if err != nil || !first {
			if !first {
				outcome = "duplicate"
			}
			return err
		}
		if m := upd.MyChatMember; m != nil && m.Chat.Type == models.ChatTypePrivate {
			if m.NewChatMember.Type == models.ChatMemberTypeBanned {
				outcome = "handled"
				return tx.MarkUnreachable(ctx, string(telegram.Name), strconv.FormatInt(m.Chat.ID, 10), "bot was blocked by the user")
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if cq := upd.CallbackQuery; cq != nil {
		b.answerCallback(ctx, cq.ID, i18n.Normalize(cq.From.LanguageCode), "", false)
	}
	b.Metrics.Updates.WithLabelValues(typ, outcome).Inc()
	return nil
}

func (b *Bot) answerCallback(ctx context.Context, id, lang, toast string, dup bool) {
	p := &tg.AnswerCallbackQueryParams{CallbackQueryID: id}
	if toast != "" {
		p.Text = b.cat.T(lang, toast, nil)
	}
	if _, err := b.api.AnswerCallbackQuery(ctx, p); err != nil {
		b.log.Warn("answerCallbackQuery", "err", err, "duplicate", dup)
	}
}

// privateChat returns the private chat an update came from, if any.
func privateChat(upd *models.Update) (int64, string, bool) {
	switch {
	case upd.Message != nil && upd.Message.Chat.Type == models.ChatTypePrivate && upd.Message.From != nil:
		return upd.Message.Chat.ID, i18n.Normalize(upd.Message.From.LanguageCode), true
	case upd.CallbackQuery != nil && upd.CallbackQuery.Message.Message != nil &&
		upd.CallbackQuery.Message.Message.Chat.Type == models.ChatTypePrivate:
		return upd.CallbackQuery.From.ID, i18n.Normalize(upd.CallbackQuery.From.LanguageCode), true
	}
	return 0, "", false
}
