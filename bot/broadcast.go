package bot

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
	"reentrybot/channel"
	"reentrybot/store"
)

// BroadcastOptions configure the delivery of announcements. Zero fields
// take the defaults in brackets.
type BroadcastOptions struct {
	// Rate is messages a second across every worker of every bot process
	// (BROADCAST_RATE) [25]; Burst how many may go at once [1].
	Rate  float64
	Burst float64
	// PerChatRate is messages a second to one chat, shared the same way [1].
	PerChatRate float64
	Workers     int           // delivery workers in this process [16]
	Batch       int           // deliveries a worker claims at once [4]
	Lease       time.Duration // a delivery claimed longer ago by a silent worker is sent again [1m]
	MaxAttempts int           // tries of a delivery that meets 5xx or network errors [3]
	RetryBase   time.Duration // wait before the second try, doubled after [30s]
	StatusEvery time.Duration // edit the author's status message at most this often [3s]
	PollEvery   time.Duration // look for due broadcasts and deliveries this often when idle [1s]
	Ahead       time.Duration // reserve sending slots at most this far ahead [1s]
	// ApprovalOver is the audience size above which an officer's broadcast
	// needs an admin's approval (ANNOUNCE_APPROVAL_OVER) [500].
	ApprovalOver int
	// Quiet hours in Loc: nothing is delivered from QuietStart until
	// QuietEnd (since midnight) [21:00 to 07:00].
	QuietStart, QuietEnd time.Duration
	// BucketKey names the shared overall bucket ["broadcast"].
	BucketKey string
}

func (o BroadcastOptions) withDefaults() BroadcastOptions {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.Rate <= 0 {
		o.Rate = 25
	}
	if o.Burst <= 0 {
		o.Burst = 1
	}
	if o.PerChatRate <= 0 {
		o.PerChatRate = 1
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.Batch <= 0 {
		o.Batch = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.ApprovalOver <= 0 {
		o.ApprovalOver = announce.DefaultApprovalOver
	}
	if o.QuietStart == 0 && o.QuietEnd == 0 {
		o.QuietStart, o.QuietEnd = 21*time.Hour, 7*time.Hour
	}
	if o.BucketKey == "" {
		o.BucketKey = "broadcast"
	}
	def(&o.Lease, time.Minute)
	def(&o.RetryBase, 30*time.Second)
	def(&o.StatusEvery, 3*time.Second)
	def(&o.PollEvery, time.Second)
	def(&o.Ahead, time.Second)
	return o
}

// quietUntil returns when the quiet hours around t end, or the zero time
// when t is outside them.
func (o BroadcastOptions) quietUntil(t time.Time, loc *time.Location) time.Time {
	if o.QuietStart == o.QuietEnd {
		return time.Time{}
	}
	t = t.In(loc)
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	since := t.Sub(midnight)
	at := func(day int, d time.Duration) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day()+day, 0, 0, 0, 0, loc).Add(d)
	}
	if o.QuietStart < o.QuietEnd { // within one day
		if since >= o.QuietStart && since < o.QuietEnd {
			return at(0, o.QuietEnd)
		}
		return time.Time{}
	}
	switch {
	case since >= o.QuietStart:
		return at(1, o.QuietEnd)
	case since < o.QuietEnd:
		return at(0, o.QuietEnd)
	}
	return time.Time{}
}

// Limits of announcement texts, in UTF-16 units as Telegram counts them;
// they leave room for the header within Telegram's 4096 and 1024.
const (
	maxAnnounceText    = announce.MaxText
	maxAnnounceCaption = announce.MaxCaption
)

// Callback data of the stop button under every announcement.
const stopData = "n:stop"

// broadcaster delivers announcements: a scheduler starts due broadcasts,
// workers send their deliveries at the shared pace, and a reporter keeps
// each author's status message current.
type broadcaster struct {
	b    *Bot
	wake notifier

	pausedUntil atomic.Int64 // unix nanoseconds: a 429 seen in this process
	clock       dbClock

	mu      sync.Mutex
	content map[int64]store.Broadcast // a confirmed broadcast does not change
}

func newBroadcaster(b *Bot) *broadcaster {
	return &broadcaster{b: b, wake: notifier{ch: make(chan struct{})}, content: map[int64]store.Broadcast{}}
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

func (b *Bot) bopts() BroadcastOptions { return b.opts.Broadcast.withDefaults() }

// startBroadcasts starts the scheduler, the workers and the reporter; the
// returned func stops them and waits. A worker finishes the message it is
// sending; the deliveries it claimed but did not try go back to pending.
func (b *Bot) startBroadcasts(ctx context.Context) (stop func()) {
	o := b.bopts()
	w := b.bcast
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx)
		}()
	}
	run(w.scheduler)
	run(w.reporter)
	for range o.Workers {
		run(w.worker)
	}
	return func() { cancel(); wg.Wait() }
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
	o := w.b.bopts()
	var pruned time.Time
	for ctx.Err() == nil {
		ids, err := w.b.db.StartDueBroadcasts(ctx, w.b.now())
		if err != nil && ctx.Err() == nil {
			w.b.log.Error("starting broadcasts", "err", err)
		}
		for _, id := range ids {
			w.b.log.Info("broadcast started", "broadcast", id)
		}
		// Idle workers sleep long; waking them only when there is work keeps
		// an idle bot from polling the outbox sixteen times a second.
		now := w.b.now()
		if len(ids) > 0 {
			w.wake.notify()
		} else if o.quietUntil(now, w.b.loc).IsZero() {
			due, err := w.b.db.DeliveriesDue(ctx, now, now.Add(-o.Lease))
			if err != nil && ctx.Err() == nil {
				w.b.log.Error("looking for due deliveries", "err", err)
			}
			if due {
				w.wake.notify()
			}
		}
		if time.Since(pruned) > time.Minute {
			if err := w.b.db.PruneRateBuckets(ctx, "chat:", time.Minute); err != nil && ctx.Err() == nil {
				w.b.log.Warn("pruning rate buckets", "err", err)
			}
			pruned = time.Now()
		}
		w.idle(ctx, o.PollEvery)
	}
}

func (w *broadcaster) worker(ctx context.Context) {
	o := w.b.bopts()
	for ctx.Err() == nil {
		now := w.b.now()
		if end := o.quietUntil(now, w.b.loc); !end.IsZero() {
			w.idle(ctx, min(o.PollEvery, end.Sub(now)))
			continue
		}
		ds, err := w.claim(ctx, now, o)
		if err != nil {
			if ctx.Err() == nil {
				w.b.log.Error("claiming deliveries", "err", err)
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
			if ctx.Err() != nil || !o.quietUntil(w.b.now(), w.b.loc).IsZero() {
				w.release(ds[i:])
				break
			}
			w.deliver(ctx, d)
		}
	}
}

// claim is not cut short by a stop: a claim that committed while the
// caller gave up would leave its rows to wait out the lease.
func (w *broadcaster) claim(ctx context.Context, now time.Time, o BroadcastOptions) ([]store.Delivery, error) {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return w.b.db.ClaimDeliveries(qctx, now, now.Add(-o.Lease), o.Batch)
}

func (w *broadcaster) release(ds []store.Delivery) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, d := range ds {
		if err := w.b.db.ReleaseDelivery(ctx, d); err != nil {
			w.b.log.Warn("releasing delivery, it waits for its lease", "delivery", d.ID, "err", err)
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
	bc, err := w.b.db.Broadcast(ctx, id)
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
	b, o := w.b, w.b.bopts()
	log := b.log.With("broadcast", d.BroadcastID, "delivery", d.ID)
	// Records outlive a stop: a message that went out must be marked sent.
	record := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	}
	finish := func(st store.DeliveryStatus, reason string, msgID int) {
		rctx, cancel := record()
		defer cancel()
		if err := b.db.FinishDelivery(rctx, d, st, reason, b.now(), msgID); err != nil {
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
	ch, other := b.channels[channel.Name(d.Channel)]
	chat, err := strconv.ParseInt(d.ChatRef, 10, 64)
	switch {
	case !other && d.Channel != "telegram":
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
	mine, running, err := b.db.TouchDelivery(rctx, &d, b.now())
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
			err = b.sendTextOn(sctx, ch, to, b.announcementText(d.Lang, bc)+"\n\n"+b.cat.T(d.Lang, "announce_stop_hint", nil), channel.PurposeAnnouncement)
		}
	} else {
		err = b.send.Do(sctx, Target{ChatID: chat, Paced: true}, announceMethod(bc), func(c context.Context) error {
			if err := slot(); err != nil {
				return err
			}
			id, err := b.sendAnnouncement(c, chat, d.Lang, bc)
			if err != nil {
				w.saw429(c, err)
				return err
			}
			msgID = id
			return nil
		})
	}
	var (
		perm *PermanentError
		nd   *NotDeliveredError
	)
	switch {
	case err == nil:
		finish(store.DeliverySent, "", msgID)
	case stopped || sctx.Err() != nil:
		w.release([]store.Delivery{d})
	case errors.Is(err, ErrUnreachable):
		finish(store.DeliveryUnreachable, "chat unreachable (blocked or deleted)", 0)
	case errors.As(err, &nd):
		finish(store.DeliveryFailed, nd.Error(), 0)
	case errors.As(err, &perm):
		finish(store.DeliveryFailed, perm.Reason, 0)
	case d.Attempts >= o.MaxAttempts:
		finish(store.DeliveryFailed, err.Error(), 0)
	default:
		next := b.now().Add(o.RetryBase << min(d.Attempts-1, 10))
		log.Warn("delivery failed, will retry", "attempt", d.Attempts, "next", next, "err", err)
		rctx, cancel := record()
		defer cancel()
		if rerr := b.db.RetryDelivery(rctx, d, next, err.Error()); rerr != nil {
			log.Error("recording retry", "err", rerr)
		}
	}
}

// pace waits for a sending slot in the shared buckets: the overall one and
// the chat's. Telegram counts messages across all of the bot's processes,
// so the buckets live in the database. With quiet, a slot that falls in
// quiet hours is given up (errQuiet): that is for returnees, not authors.
func (w *broadcaster) pace(ctx context.Context, overall, perChat store.Bucket, quiet bool) error {
	o := w.b.bopts()
	for {
		if until := time.Unix(0, w.pausedUntil.Load()); time.Now().Before(until) {
			if err := sleepCtx(ctx, time.Until(until)); err != nil {
				return err
			}
		}
		asked := time.Now()
		r, err := w.b.db.ReserveRate(ctx, overall, perChat, o.Ahead)
		if err != nil {
			return err
		}
		w.clock.sample(asked, time.Now(), r.At)
		if !r.Reserved {
			if err := sleepCtx(ctx, max(r.Wait, 5*time.Millisecond)); err != nil {
				return err
			}
			continue
		}
		if err := sleepCtx(ctx, time.Until(w.clock.local(r.At.Add(r.Wait)))); err != nil {
			return err
		}
		// A 429 seen meanwhile voids the slot: Telegram wants quiet.
		if !time.Now().Before(time.Unix(0, w.pausedUntil.Load())) {
			if quiet && !o.quietUntil(w.b.now(), w.b.loc).IsZero() {
				return errQuiet // the wait ran into the night
			}
			return nil
		}
	}
}

// buckets are the delivery's shared buckets: Telegram's overall one (or
// the other channel's, at the rate it states) and the person's.
func (w *broadcaster) buckets(d store.Delivery, ch Channel, other bool) (overall, perChat store.Bucket) {
	o := w.b.bopts()
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
// processes, for the retry_after Telegram asked for. Pausing all of them,
// not just the one that met it, is what honouring a flood wait means.
func (w *broadcaster) saw429(ctx context.Context, err error) {
	var tooMany *tg.TooManyRequestsError
	if !errors.As(err, &tooMany) {
		return
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
	if perr := w.b.db.PauseRate(pctx, w.b.bopts().BucketKey, d); perr != nil {
		w.b.log.Error("pausing broadcasts", "err", perr)
	}
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
func (b *Bot) announcementText(lang string, bc store.Broadcast) string {
	return announce.Text(b.cat, lang, bc)
}

func (b *Bot) stopKeyboard(lang string) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: b.cat.T(lang, "announce_stop_button", nil), CallbackData: stopData},
	}}}
}

// sendAnnouncement makes the one Bot API call that delivers an
// announcement to chat, as lang reads it; callers wrap it in Sender.Do.
func (b *Bot) sendAnnouncement(ctx context.Context, chat int64, lang string, bc store.Broadcast) (int, error) {
	text, kb := b.announcementText(lang, bc), b.stopKeyboard(lang)
	var (
		m   *models.Message
		err error
	)
	switch bc.MediaKind.String {
	case "photo":
		m, err = b.api.SendPhoto(ctx, &tg.SendPhotoParams{
			ChatID: chat, Photo: &models.InputFileString{Data: bc.MediaFileID.String},
			Caption: text, ParseMode: models.ParseModeHTML, ReplyMarkup: wireMarkup(kb),
		})
	case "document":
		m, err = b.api.SendDocument(ctx, &tg.SendDocumentParams{
			ChatID: chat, Document: &models.InputFileString{Data: bc.MediaFileID.String},
			Caption: text, ParseMode: models.ParseModeHTML, ReplyMarkup: wireMarkup(kb),
		})
	default:
		m, err = b.api.SendMessage(ctx, &tg.SendMessageParams{
			ChatID: chat, Text: text, ParseMode: models.ParseModeHTML, ReplyMarkup: wireMarkup(kb),
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
func (b *Bot) previewAnnouncement(ctx context.Context, chat int64, lang string, bc store.Broadcast) error {
	err := b.send.Do(ctx, Target{ChatID: chat}, announceMethod(bc), func(ctx context.Context) error {
		_, err := b.sendAnnouncement(ctx, chat, lang, bc)
		return err
	})
	if err != nil {
		b.log.Error("sending announcement preview", "chat", chat, "broadcast", bc.ID, "err", err)
	}
	return err
}

// reporter keeps the authors' status messages current and sends each
// final summary once.
func (w *broadcaster) reporter(ctx context.Context) {
	o := w.b.bopts()
	tick := max(o.StatusEvery/2, 10*time.Millisecond)
	for ctx.Err() == nil {
		ids, err := w.b.db.BroadcastsToReport(ctx)
		if err != nil && ctx.Err() == nil {
			w.b.log.Error("listing broadcasts to report", "err", err)
		}
		for _, id := range ids {
			if err := w.report(ctx, id); err != nil && ctx.Err() == nil {
				w.b.log.Error("reporting broadcast", "broadcast", id, "err", err)
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
	b, o := w.b, w.b.bopts()
	now := b.now()
	bc, ok, err := b.db.ClaimStatusReport(ctx, id, now, o.StatusEvery)
	if err != nil || !ok {
		return err
	}
	switch bc.Status {
	case store.BroadcastScheduled:
		if bc.StatusMsgID.Valid {
			return nil // nothing changes until it starts
		}
	case store.BroadcastCancelled:
		if err := b.db.FailAbandoned(ctx, id, now.Add(-o.Lease)); err != nil {
			return err
		}
		if !bc.StatusMsgID.Valid && bc.Total == 0 {
			// Cancelled or rejected before it started: the author was told.
			return b.db.MarkSummarySent(ctx, id, now)
		}
	case store.BroadcastRunning:
		done, err := b.db.FinishIfDone(ctx, id, now)
		if err != nil {
			return err
		}
		if done {
			bc.Status = store.BroadcastDone
			b.log.Info("broadcast done", "broadcast", id)
		}
	}
	f, err := b.db.BroadcastFigures(ctx, id)
	if err != nil {
		return err
	}
	final := bc.Final() && f.Pending == 0
	if bc.AuthorChatID == 0 {
		// Composed at the web desk by a member without Telegram: the desk's
		// page shows the figures; only the summary's mark ends the reporting.
		if final {
			return b.db.MarkSummarySent(ctx, id, now)
		}
		return nil
	}
	text := b.statusText(bc, f, now)
	var kb models.ReplyMarkup
	if !final {
		kb = &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
			{Text: b.cat.T(bc.AuthorLang, "btn_announce_cancel", nil), CallbackData: announceData("cancel", bc.ID)},
		}}}
	}
	chat := bc.AuthorChatID
	switch {
	case !bc.StatusMsgID.Valid:
		msgID, err := w.sendPaced(ctx, chat, text, kb)
		if err != nil {
			return fmt.Errorf("sending status message: %w", err)
		}
		if err := b.db.SetStatusMessage(ctx, id, chat, msgID, text); err != nil {
			return err
		}
	case text != bc.StatusText.String:
		msgID := int(bc.StatusMsgID.Int64)
		err := b.send.Do(ctx, Target{ChatID: chat}, "editMessageText", func(ctx context.Context) error {
			_, err := b.api.EditMessageText(ctx, &tg.EditMessageTextParams{
				ChatID: chat, MessageID: msgID, Text: text, ParseMode: models.ParseModeHTML, ReplyMarkup: wireMarkup(kb),
			})
			return err
		})
		var perm *PermanentError
		if err != nil && !errors.As(err, &perm) {
			return fmt.Errorf("editing status message: %w", err)
		}
		// A refused edit (the message was deleted) is not retried.
		if err := b.db.SetStatusMessage(ctx, id, chat, msgID, text); err != nil {
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
	summary := b.cat.T(bc.AuthorLang, key, map[string]any{
		"ID": bc.ID, "Sent": f.Sent, "Unreachable": f.Unreachable, "Failed": f.Failed, "Total": f.Total,
	})
	if _, err := w.sendPaced(ctx, chat, summary, nil); err != nil {
		return fmt.Errorf("sending summary: %w", err)
	}
	return b.db.MarkSummarySent(ctx, id, now)
}

// sendPaced sends a message about a broadcast to its author, taking its
// slot from the shared buckets like the broadcast itself: while one runs,
// Telegram's overall limit is all spoken for. (Edits are not counted.)
func (w *broadcaster) sendPaced(ctx context.Context, chat int64, text string, kb models.ReplyMarkup) (int, error) {
	var id int
	err := w.b.send.Do(ctx, Target{ChatID: chat}, "sendMessage", func(c context.Context) error {
		overall, perChat := w.buckets(store.Delivery{Channel: "telegram", ChatRef: strconv.FormatInt(chat, 10)}, nil, false)
		if err := w.pace(ctx, overall, perChat, false); err != nil {
			return err
		}
		m, err := w.b.api.SendMessage(c, &tg.SendMessageParams{ChatID: chat, Text: text, ParseMode: models.ParseModeHTML, ReplyMarkup: wireMarkup(kb)})
		if err != nil {
			w.saw429(ctx, err)
			return err
		}
		id = m.ID
		return nil
	})
	return id, err
}

// statusText is the author's status message: state, figures, percent.
func (b *Bot) statusText(bc store.Broadcast, f store.Figures, now time.Time) string {
	lang := bc.AuthorLang
	var state string
	switch bc.Status {
	case store.BroadcastScheduled:
		state = b.cat.T(lang, "announce_state_scheduled", map[string]any{"When": b.whenText(lang, bc.ScheduledAt.Time)})
	case store.BroadcastRunning:
		state = b.cat.T(lang, "announce_state_running", nil)
		if end := b.bopts().quietUntil(now, b.loc); !end.IsZero() {
			state = b.cat.T(lang, "announce_state_quiet", map[string]any{"When": b.whenText(lang, end)})
		}
	case store.BroadcastDone:
		state = b.cat.T(lang, "announce_state_done", nil)
	case store.BroadcastCancelled:
		state = b.cat.T(lang, "announce_state_"+bc.CancelReason.String, nil)
	default:
		state = b.cat.T(lang, "announce_state_"+string(bc.Status), nil)
	}
	percent := 0
	if f.Total > 0 {
		percent = f.Done() * 100 / f.Total
	} else if bc.Final() {
		percent = 100
	}
	return b.cat.T(lang, "announce_status", map[string]any{
		"ID": bc.ID, "State": state, "Sent": f.Sent, "Pending": f.Pending, "Unreachable": f.Unreachable,
		"Failed": f.Failed, "Done": f.Done(), "Total": f.Total, "Percent": percent,
	})
}

// whenText shows a time as people read it: "08:00 24/11".
func (b *Bot) whenText(lang string, t time.Time) string {
	return t.In(b.loc).Format("15:04 02/01")
}
