package announcements

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/announce"
	"reentrybot/bot"
	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/clock"
	"reentrybot/store"
)

// Limits of announcement texts, in UTF-16 units as Telegram counts them;
// they leave room for the header within Telegram's 4096 and 1024.
const (
	maxAnnounceText    = announce.MaxText
	maxAnnounceCaption = announce.MaxCaption
)

// broadcaster delivers announcements: a scheduler starts due broadcasts,
// workers send their deliveries at the shared pace, and a reporter keeps
// each author's status message current.
type broadcaster struct {
	b    *bot.Bot
	wake notifier

	pausedUntil atomic.Int64 // unix nanoseconds: a 429 seen in this process
	clock       dbClock

	mu      sync.Mutex
	content map[int64]store.Broadcast // a confirmed broadcast does not change
}

// workers is the bot's broadcaster, one per bot.
func workers(b *bot.Bot) *broadcaster {
	return b.State(feature, func() any {
		return &broadcaster{b: b, wake: notifier{ch: make(chan struct{})}, content: map[int64]store.Broadcast{}}
	}).(*broadcaster)
}

// dbClock places the database's clock on ours. The shared bucket hands
// out slots on the database's clock; sleeping the slot's wait from when
// the answer arrived would add the round trip, which varies by tens of
// milliseconds on a busy host and bunches the sends that Telegram counts
// in one-second windows. As NTP does, the sample with the shortest round
// trip (lately) gives the offset, good to half of that round trip.
type dbClock struct {
	mu     sync.Mutex
	ok     bool
	offset time.Duration // database minus local
	rtt    time.Duration
	at     time.Time
}

func (c *dbClock) sample(sent, recv, db time.Time) {
	rtt := recv.Sub(sent)
	c.mu.Lock()
	defer c.mu.Unlock()
	// An old sample counts as a millisecond worse per second of age, so
	// that drift is followed.
	if !c.ok || rtt <= c.rtt+recv.Sub(c.at)/1000 {
		c.ok, c.offset, c.rtt, c.at = true, db.Sub(sent.Add(rtt/2)), rtt, recv
	}
}

// local converts a time on the database's clock to ours.
func (c *dbClock) local(db time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return db.Add(-c.offset)
}

// notifier wakes everyone waiting on it.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *notifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.ch)
	n.ch = make(chan struct{})
}

// run runs the scheduler, the workers and the reporter until ctx is done
// (bot.RegisterRunner), and waits for them. A worker finishes the message
// it is sending; the deliveries it claimed but did not try go back to
// pending.
func run(ctx context.Context, b *bot.Bot) {
	w := workers(b)
	var wg sync.WaitGroup
	start := func(f func(context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx)
		}()
	}
	start(w.scheduler)
	start(w.reporter)
	for range b.BroadcastOptions().Workers {
		start(w.worker)
	}
	wg.Wait()
}

// idle waits d, or less when woken.
func (w *broadcaster) idle(ctx context.Context, d time.Duration) {
	t := time.NewTimer(max(d, time.Millisecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-w.wake.wait():
	}
}

func (w *broadcaster) scheduler(ctx context.Context) {
	o := w.b.BroadcastOptions()
	var pruned time.Time
	for ctx.Err() == nil {
		ids, err := w.b.Store().StartDueBroadcasts(ctx, w.b.Now())
		if err != nil && ctx.Err() == nil {
			w.b.Log().Error("starting broadcasts", "err", err)
		}
		for _, id := range ids {
			w.b.Log().Info("broadcast started", "broadcast", id)
		}
		// Idle workers sleep long; waking them only when there is work keeps
		// an idle bot from polling the outbox sixteen times a second.
		now := w.b.Now()
		if len(ids) > 0 {
			w.wake.notify()
		} else if w.b.QuietUntil(now).IsZero() {
			due, err := w.b.Store().DeliveriesDue(ctx, now, now.Add(-o.Lease))
			if err != nil && ctx.Err() == nil {
				w.b.Log().Error("looking for due deliveries", "err", err)
			}
			if due {
				w.wake.notify()
			}
		}
		if time.Since(pruned) > time.Minute {
			if err := w.b.Store().PruneRateBuckets(ctx, "chat:", time.Minute); err != nil && ctx.Err() == nil {
				w.b.Log().Warn("pruning rate buckets", "err", err)
			}
			pruned = time.Now()
		}
		w.idle(ctx, o.PollEvery)
	}
}

func (w *broadcaster) worker(ctx context.Context) {
	o := w.b.BroadcastOptions()
	for ctx.Err() == nil {
		now := w.b.Now()
		if end := w.b.QuietUntil(now); !end.IsZero() {
			w.idle(ctx, min(o.PollEvery, end.Sub(now)))
			continue
		}
		ds, err := w.claim(ctx, now, o)
		if err != nil {
			if ctx.Err() == nil {
				w.b.Log().Error("claiming deliveries", "err", err)
			}
			w.idle(ctx, o.PollEvery)
			continue
		}
		if len(ds) == 0 {
			w.idle(ctx, 10*o.PollEvery)
			continue
		}
		if len(ds) == o.Batch {
			w.wake.notify() // there may be more: wake the sleeping workers
		}
		for i, d := range ds {
			if ctx.Err() != nil || !w.b.QuietUntil(w.b.Now()).IsZero() {
				w.release(ds[i:])
				break
			}
			w.deliver(ctx, d)
		}
	}
}

// claim is not cut short by a stop: a claim that committed while the
// caller gave up would leave its rows to wait out the lease.
func (w *broadcaster) claim(ctx context.Context, now time.Time, o bot.BroadcastOptions) ([]store.Delivery, error) {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return w.b.Store().ClaimDeliveries(qctx, now, now.Add(-o.Lease), o.Batch)
}

func (w *broadcaster) release(ds []store.Delivery) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, d := range ds {
		if err := w.b.Store().ReleaseDelivery(ctx, d); err != nil {
			w.b.Log().Warn("releasing delivery, it waits for its lease", "delivery", d.ID, "err", err)
		}
	}
}

// broadcast returns a confirmed broadcast, cached: it no longer changes.
func (w *broadcaster) broadcast(ctx context.Context, id int64) (store.Broadcast, error) {
	w.mu.Lock()
	bc, ok := w.content[id]
	w.mu.Unlock()
	if ok {
		return bc, nil
	}
	bc, err := w.b.Store().Broadcast(ctx, id)
	if err != nil {
		return bc, err
	}
	w.mu.Lock()
	if len(w.content) > 64 {
		clear(w.content)
	}
	w.content[id] = bc
	w.mu.Unlock()
	return bc, nil
}

// stopGrace is how long a message already being sent may take once the
// bot is stopping; after it the send is abandoned (and may go twice).
const stopGrace = 5 * time.Second

// deliver sends one claimed delivery through the sender, paced by the
// shared buckets, and records how it ended.
func (w *broadcaster) deliver(ctx context.Context, d store.Delivery) {
	b, o := w.b, w.b.BroadcastOptions()
	log := b.Log().With("broadcast", d.BroadcastID, "delivery", d.ID)
	// Records outlive a stop: a message that went out must be marked sent.
	record := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	}
	finish := func(st store.DeliveryStatus, reason string, msgID int) {
		rctx, cancel := record()
		defer cancel()
		if err := b.Store().FinishDelivery(rctx, d, st, reason, b.Now(), msgID); err != nil {
			log.Error("recording delivery", "status", st, "err", err)
		}
	}
	// The person may have changed their mind since the broadcast started.
	switch {
	case d.OptedOut:
		finish(store.DeliveryFailed, "opted out", 0)
		return
	case !d.Consented:
		finish(store.DeliveryFailed, "no consent to announcements", 0)
		return
	}
	// The person's messenger: Telegram's chat, or another channel's address.
	ch, other := b.Channel(channel.Name(d.Channel))
	chat, err := strconv.ParseInt(d.ChatRef, 10, 64)
	switch {
	case !other && d.Channel != string(telegram.Name):
		finish(store.DeliveryFailed, "channel "+d.Channel+" is not set up here", 0)
		return
	case !other && err != nil:
		finish(store.DeliveryFailed, "no Telegram chat", 0)
		return
	}
	bc, err := w.broadcast(ctx, d.BroadcastID)
	if err != nil {
		log.Error("reading broadcast", "err", err)
		w.release([]store.Delivery{d})
		return
	}
	rctx, cancelTouch := record()
	mine, running, err := b.Store().TouchDelivery(rctx, &d, b.Now())
	cancelTouch()
	switch {
	case err != nil:
		if ctx.Err() == nil {
			log.Error("renewing delivery", "err", err)
		}
		w.release([]store.Delivery{d})
		return
	case !mine:
		return // another worker took it over after our lease ran out
	case !running:
		finish(store.DeliveryFailed, "cancelled", 0)
		return
	}

	// The send itself is not cut short by a stop, so that a message that
	// went out is recorded as sent; only the wait for a slot is.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stopAfter := context.AfterFunc(ctx, func() { time.AfterFunc(stopGrace, cancel) })
	defer stopAfter()
	var (
		stopped bool
		msgID   int
	)
	slot := func() error {
		overall, perChat := w.buckets(d, ch, other)
		err := w.pace(ctx, overall, perChat, true)
		if err != nil && (ctx.Err() != nil || errors.Is(err, errQuiet)) {
			stopped = true
			cancel()
		}
		return err
	}
	if other {
		// Another channel's Send has its own retry rules: paced once here.
		if err = slot(); err == nil {
			to := channel.Address{Channel: ch.Name(), Ref: d.ChatRef}
			err = b.SendTo(sctx, to, announcementText(b, d.Lang, bc)+"\n\n"+b.Catalog().T(d.Lang, "announce_stop_hint", nil), channel.PurposeAnnouncement)
		}
	} else {
		err = w.paced(sctx, chat, announceMethod(bc), slot, func(c context.Context) error {
			id, err := sendAnnouncement(c, b, chat, d.Lang, bc)
			msgID = id
			return err
		})
	}
	var (
		perm *channel.PermanentError
		nd   *channel.NotDeliveredError
	)
	switch {
	case err == nil:
		finish(store.DeliverySent, "", msgID)
	case stopped || sctx.Err() != nil:
		w.release([]store.Delivery{d})
	case errors.Is(err, channel.ErrUnreachable):
		finish(store.DeliveryUnreachable, "chat unreachable (blocked or deleted)", 0)
	case errors.As(err, &nd):
		finish(store.DeliveryFailed, nd.Error(), 0)
	case errors.As(err, &perm):
		finish(store.DeliveryFailed, perm.Reason, 0)
	case d.Attempts >= o.MaxAttempts:
		finish(store.DeliveryFailed, err.Error(), 0)
	default:
		next := b.Now().Add(o.RetryBase << min(d.Attempts-1, 10))
		log.Warn("delivery failed, will retry", "attempt", d.Attempts, "next", next, "err", err)
		rctx, cancel := record()
		defer cancel()
		if rerr := b.Store().RetryDelivery(rctx, d, next, err.Error()); rerr != nil {
			log.Error("recording retry", "err", rerr)
		}
	}
}

// pace waits for a sending slot in the shared buckets: the overall one and
// the chat's. Telegram counts messages across all of the bot's processes,
// so the buckets live in the database. With quiet, a slot that falls in
// quiet hours is given up (errQuiet): that is for returnees, not authors.
func (w *broadcaster) pace(ctx context.Context, overall, perChat store.Bucket, quiet bool) error {
	o := w.b.BroadcastOptions()
	for {
		if until := time.Unix(0, w.pausedUntil.Load()); time.Now().Before(until) {
			if err := clock.Sleep(ctx, time.Until(until)); err != nil {
				return err
			}
		}
		asked := time.Now()
		r, err := w.b.Store().ReserveRate(ctx, overall, perChat, o.Ahead)
		if err != nil {
			return err
		}
		w.clock.sample(asked, time.Now(), r.At)
		if !r.Reserved {
			if err := clock.Sleep(ctx, max(r.Wait, 5*time.Millisecond)); err != nil {
				return err
			}
			continue
		}
		if err := clock.Sleep(ctx, time.Until(w.clock.local(r.At.Add(r.Wait)))); err != nil {
			return err
		}
		// A 429 seen meanwhile voids the slot: Telegram wants quiet.
		if !time.Now().Before(time.Unix(0, w.pausedUntil.Load())) {
			if quiet && !w.b.QuietUntil(w.b.Now()).IsZero() {
				return errQuiet // the wait ran into the night
			}
			return nil
		}
	}
}

// buckets are the delivery's shared buckets: Telegram's overall one (or
// the other channel's, at the rate it states) and the person's.
func (w *broadcaster) buckets(d store.Delivery, ch bot.Channel, other bool) (overall, perChat store.Bucket) {
	o := w.b.BroadcastOptions()
	if !other {
		return store.Bucket{Key: o.BucketKey, Rate: o.Rate, Burst: o.Burst},
			store.Bucket{Key: "chat:" + d.ChatRef, Rate: o.PerChatRate, Burst: 1}
	}
	rate := ch.Capabilities().Rate
	if rate <= 0 {
		rate = o.Rate
	}
	return store.Bucket{Key: o.BucketKey + ":" + d.Channel, Rate: rate, Burst: 1},
		store.Bucket{Key: "chat:" + d.Channel + ":" + d.ChatRef, Rate: o.PerChatRate, Burst: 1}
}

// errQuiet stops a send whose slot came after quiet hours began.
var errQuiet = errors.New("quiet hours")

// saw429 pauses every worker, here and (through the bucket) in other
// processes, for the retry_after Telegram asked for, when err is a 429.
// Pausing all of them, not just the one that met it, is what honouring a
// flood wait means.
func (w *broadcaster) saw429(ctx context.Context, err error) bool {
	var tooMany *tg.TooManyRequestsError
	if !errors.As(err, &tooMany) {
		return false
	}
	d := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
	until := time.Now().Add(d).UnixNano()
	for {
		old := w.pausedUntil.Load()
		if old >= until || w.pausedUntil.CompareAndSwap(old, until) {
			break
		}
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if perr := w.b.Store().PauseRate(pctx, w.b.BroadcastOptions().BucketKey, d); perr != nil {
		w.b.Log().Error("pausing broadcasts", "err", perr)
	}
	w.b.Log().Warn("flood limit, every worker waits", "retry_after", d)
	return true
}

func announceMethod(bc store.Broadcast) string {
	switch bc.MediaKind.String {
	case "photo":
		return "sendPhoto"
	case "document":
		return "sendDocument"
	}
	return "sendMessage"
}

// announcementText is what a recipient reads: who it is from, then the
// author's text (plain, escaped).
func announcementText(b *bot.Bot, lang string, bc store.Broadcast) string {
	return announce.Text(b.Catalog(), lang, bc)
}

func stopKeyboard(b *bot.Bot, lang string) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: b.Catalog().T(lang, "announce_stop_button", nil), CallbackData: stopData},
	}}}
}

// sendAnnouncement makes the one Bot API call that delivers an
// announcement to chat, as lang reads it; callers wrap it in Sender.Do.
func sendAnnouncement(ctx context.Context, b *bot.Bot, chat int64, lang string, bc store.Broadcast) (int, error) {
	text, kb := announcementText(b, lang, bc), stopKeyboard(b, lang)
	var (
		m   *models.Message
		err error
	)
	switch bc.MediaKind.String {
	case "photo":
		m, err = b.API().SendPhoto(ctx, &tg.SendPhotoParams{
			ChatID: chat, Photo: &models.InputFileString{Data: bc.MediaFileID.String},
			Caption: text, ParseMode: models.ParseModeHTML, ReplyMarkup: telegram.WireMarkup(kb),
		})
	case "document":
		m, err = b.API().SendDocument(ctx, &tg.SendDocumentParams{
			ChatID: chat, Document: &models.InputFileString{Data: bc.MediaFileID.String},
			Caption: text, ParseMode: models.ParseModeHTML, ReplyMarkup: telegram.WireMarkup(kb),
		})
	default:
		m, err = b.API().SendMessage(ctx, &tg.SendMessageParams{
			ChatID: chat, Text: text, ParseMode: models.ParseModeHTML, ReplyMarkup: telegram.WireMarkup(kb),
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tg.True()},
		})
	}
	if err != nil {
		return 0, err
	}
	return m.ID, nil
}

// previewAnnouncement sends the announcement to a staff chat exactly as a
// recipient in lang gets it.
func previewAnnouncement(ctx context.Context, b *bot.Bot, chat int64, lang string, bc store.Broadcast) error {
	err := b.Sender().Do(ctx, telegram.Target{ChatID: chat}, announceMethod(bc), func(ctx context.Context) error {
		_, err := sendAnnouncement(ctx, b, chat, lang, bc)
		return err
	})
	if err != nil {
		b.Log().Error("sending announcement preview", "chat", chat, "broadcast", bc.ID, "err", err)
	}
	return err
}

// reporter keeps the authors' status messages current and sends each
// final summary once.
func (w *broadcaster) reporter(ctx context.Context) {
	o := w.b.BroadcastOptions()
	tick := max(o.StatusEvery/2, 10*time.Millisecond)
	for ctx.Err() == nil {
		ids, err := w.b.Store().BroadcastsToReport(ctx)
		if err != nil && ctx.Err() == nil {
			w.b.Log().Error("listing broadcasts to report", "err", err)
		}
		for _, id := range ids {
			if err := w.report(ctx, id); err != nil && ctx.Err() == nil {
				w.b.Log().Error("reporting broadcast", "broadcast", id, "err", err)
			}
		}
		t := time.NewTimer(tick)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// report updates one broadcast's status message, if this process holds
// the right to (one process edits it, at most every StatusEvery).
func (w *broadcaster) report(ctx context.Context, id int64) error {
	b, o := w.b, w.b.BroadcastOptions()
	now := b.Now()
	bc, ok, err := b.Store().ClaimStatusReport(ctx, id, now, o.StatusEvery)
	if err != nil || !ok {
		return err
	}
	switch bc.Status {
	case store.BroadcastScheduled:
		if bc.StatusMsgID.Valid {
			return nil // nothing changes until it starts
		}
	case store.BroadcastCancelled:
		if err := b.Store().FailAbandoned(ctx, id, now.Add(-o.Lease)); err != nil {
			return err
		}
		if !bc.StatusMsgID.Valid && bc.Total == 0 {
			// Cancelled or rejected before it started: the author was told.
			return b.Store().MarkSummarySent(ctx, id, now)
		}
	case store.BroadcastRunning:
		done, err := b.Store().FinishIfDone(ctx, id, now)
		if err != nil {
			return err
		}
		if done {
			bc.Status = store.BroadcastDone
			b.Log().Info("broadcast done", "broadcast", id)
		}
	}
	f, err := b.Store().BroadcastFigures(ctx, id)
	if err != nil {
		return err
	}
	final := bc.Final() && f.Pending == 0
	if bc.AuthorChatID == 0 {
		// Composed at the web desk by a member without Telegram: the desk's
		// page shows the figures; only the summary's mark ends the reporting.
		if final {
			return b.Store().MarkSummarySent(ctx, id, now)
		}
		return nil
	}
	text := statusText(b, bc, f, now)
	var kb models.ReplyMarkup
	if !final {
		kb = &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
			{Text: b.Catalog().T(bc.AuthorLang, "btn_announce_cancel", nil), CallbackData: announceData("cancel", bc.ID)},
		}}}
	}
	chat := bc.AuthorChatID
	switch {
	case !bc.StatusMsgID.Valid:
		msgID, err := w.sendPaced(ctx, chat, text, kb)
		if err != nil {
			return fmt.Errorf("sending status message: %w", err)
		}
		if err := b.Store().SetStatusMessage(ctx, id, chat, msgID, text); err != nil {
			return err
		}
	case text != bc.StatusText.String:
		msgID := int(bc.StatusMsgID.Int64)
		err := b.Sender().Do(ctx, telegram.Target{ChatID: chat}, "editMessageText", func(ctx context.Context) error {
			_, err := b.API().EditMessageText(ctx, &tg.EditMessageTextParams{
				ChatID: chat, MessageID: msgID, Text: text, ParseMode: models.ParseModeHTML, ReplyMarkup: telegram.WireMarkup(kb),
			})
			return err
		})
		var perm *channel.PermanentError
		if err != nil && !errors.As(err, &perm) {
			return fmt.Errorf("editing status message: %w", err)
		}
		// A refused edit (the message was deleted) is not retried.
		if err := b.Store().SetStatusMessage(ctx, id, chat, msgID, text); err != nil {
			return err
		}
	}
	if !final {
		return nil
	}
	key := "announce_final_done"
	if bc.Status == store.BroadcastCancelled {
		key = "announce_final_cancelled"
	}
	summary := b.Catalog().T(bc.AuthorLang, key, map[string]any{
		"ID": bc.ID, "Sent": f.Sent, "Unreachable": f.Unreachable, "Failed": f.Failed, "Total": f.Total,
	})
	if _, err := w.sendPaced(ctx, chat, summary, nil); err != nil {
		return fmt.Errorf("sending summary: %w", err)
	}
	return b.Store().MarkSummarySent(ctx, id, now)
}

// sendPaced sends a message about a broadcast to its author, taking its
// slot from the shared buckets like the broadcast itself: while one runs,
// Telegram's overall limit is all spoken for. (Edits are not counted.)
func (w *broadcaster) sendPaced(ctx context.Context, chat int64, text string, kb models.ReplyMarkup) (int, error) {
	var id int
	slot := func() error {
		overall, perChat := w.buckets(store.Delivery{Channel: string(telegram.Name), ChatRef: strconv.FormatInt(chat, 10)}, nil, false)
		return w.pace(ctx, overall, perChat, false)
	}
	err := w.paced(ctx, chat, "sendMessage", slot, func(c context.Context) error {
		m, err := w.b.API().SendMessage(c, &tg.SendMessageParams{ChatID: chat, Text: text, ParseMode: models.ParseModeHTML, ReplyMarkup: telegram.WireMarkup(kb)})
		if err == nil {
			id = m.ID
		}
		return err
	})
	return id, err
}

// paced makes one Telegram call at the shared pace: a slot from the
// buckets (slot), then call, through the sender with Target.Paced, which
// neither paces it again nor waits out its 429. A 429 is handled here
// only: every worker pauses (saw429) and the call takes a new slot, which
// comes after the pause.
func (w *broadcaster) paced(ctx context.Context, chat int64, method string, slot func() error, call func(ctx context.Context) error) error {
	for {
		err := w.b.Sender().Do(ctx, telegram.Target{ChatID: chat, Paced: true}, method, func(c context.Context) error {
			if err := slot(); err != nil {
				return err
			}
			return call(c)
		})
		if !w.saw429(ctx, err) {
			return err
		}
	}
}

// statusText is the author's status message: state, figures, percent.
func statusText(b *bot.Bot, bc store.Broadcast, f store.Figures, now time.Time) string {
	lang := bc.AuthorLang
	var state string
	switch bc.Status {
	case store.BroadcastScheduled:
		state = b.Catalog().T(lang, "announce_state_scheduled", map[string]any{"When": whenText(b, lang, bc.ScheduledAt.Time)})
	case store.BroadcastRunning:
		state = b.Catalog().T(lang, "announce_state_running", nil)
		if end := b.QuietUntil(now); !end.IsZero() {
			state = b.Catalog().T(lang, "announce_state_quiet", map[string]any{"When": whenText(b, lang, end)})
		}
	case store.BroadcastDone:
		state = b.Catalog().T(lang, "announce_state_done", nil)
	case store.BroadcastCancelled:
		state = b.Catalog().T(lang, "announce_state_"+bc.CancelReason.String, nil)
	default:
		state = b.Catalog().T(lang, "announce_state_"+string(bc.Status), nil)
	}
	percent := 0
	if f.Total > 0 {
		percent = f.Done() * 100 / f.Total
	} else if bc.Final() {
		percent = 100
	}
	return b.Catalog().T(lang, "announce_status", map[string]any{
		"ID": bc.ID, "State": state, "Sent": f.Sent, "Pending": f.Pending, "Unreachable": f.Unreachable,
		"Failed": f.Failed, "Done": f.Done(), "Total": f.Total, "Percent": percent,
	})
}

// whenText shows a time as people read it: "08:00 24/11".
func whenText(b *bot.Bot, lang string, t time.Time) string {
	return t.In(b.Location()).Format("15:04 02/01")
}
