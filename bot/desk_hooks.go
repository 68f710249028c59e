package bot

import (
	"context"
	"errors"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/flows"
	"reentrybot/store"
)

// What bot/casework (the counsellor desk) needs beyond the other features,
// and why: it works on cases at four points of the core's own handling
// (Desk: what a returnee writes while a case is theirs, inside that
// input's transaction; the cases an input opened; a staff member's button
// or message in their private chat that no feature took), it takes the
// staff group's updates whole (RegisterUpdate), and it relays in a lane
// per case and direction (InCaseLane), apart from the chats' outboxes.

// Desk is what the counsellor desk does at the core's points; bot/casework
// registers it once (RegisterDesk). A nil field does nothing there.
type Desk struct {
	// Relay takes what a returnee writes into their case, in the input's
	// transaction; taken false leaves the input to the flows.
	Relay func(ctx context.Context, b *Bot, tx *store.Tx, fx *Effects, t *ReturneeTurn) (taken bool, err error)
	// CasesChanged hands the cases an input opened or updated to the
	// counsellors, after commit.
	CasesChanged func(ctx context.Context, b *Bot, cases []flows.CaseRef)
	// StaffPress is a staff member's button in their private chat that no
	// feature took; it returns the toast to show.
	StaffPress func(ctx context.Context, b *Bot, in *StaffInput) (toast string, err error)
	// StaffText is a staff member's message in their private chat that no
	// feature and no command took.
	StaffText func(ctx context.Context, b *Bot, in *StaffInput) error
}

// RegisterDesk makes d the desk (a second claim panics).
func RegisterDesk(feature string, d Desk) {
	routes.claim("desk", "desk", feature)
	routes.desk = d
}

// ReturneeTurn is a returnee's input on any channel as the desk sees it,
// inside the input's transaction.
type ReturneeTurn struct {
	Person     store.Person
	Conv       flows.Conversation
	Conversing bool // a counsellor holds one of the person's cases
	Input      flows.Input
	// CopyFrom is where a file the person sent can be copied from into a
	// topic (a Telegram message); nil on the other messengers, where
	// MediaRef (and MediaName) is what FetchFile reads, "" if nothing.
	CopyFrom            *MediaSource
	MediaRef, MediaName string
	// Answer sends a text (HTML) to the person on their channel after
	// commit.
	Answer func(html string)
}

// MediaSource is a Telegram message a file can be copied from.
type MediaSource struct {
	Kind, Caption string
	Chat          int64
	Msg           int
}

// RegisterUpdate gives feature the Telegram updates match selects, whole
// (the staff group, membership changes), before the private-chat routes.
func RegisterUpdate(feature string, match func(*models.Update) bool, handle func(ctx context.Context, b *Bot, upd *models.Update) error) {
	routes.update(feature, match, func(b *Bot, ctx context.Context, upd *models.Update) error { return handle(ctx, b, upd) })
}

// InUpdateTx runs fn in the transaction that records upd as handled; dup
// is true when it was handled before (fn does not run). fx (may be nil)
// starts empty on each attempt; run it after a commit that was not dup.
func (b *Bot) InUpdateTx(ctx context.Context, upd *models.Update, fx *Effects, fn func(tx *store.Tx) error) (dup bool, err error) {
	return b.inUpdateTx(ctx, upd, fx, fn)
}

// MarkHandled records an update as handled without doing anything, under
// outcome in the metrics.
func (b *Bot) MarkHandled(ctx context.Context, upd *models.Update, outcome string) error {
	dup, err := b.inUpdateTx(ctx, upd, nil, func(*store.Tx) error { return nil })
	if err == nil && !dup {
		b.Metrics.Updates.WithLabelValues(telegram.Kind(upd), outcome).Inc()
	}
	return err
}

// ReplyAfter sends text (HTML) with markup to a private chat after
// commit, in the chat's outbox lane.
func (b *Bot) ReplyAfter(fx *Effects, chatID int64, html string, markup models.ReplyMarkup) {
	b.replyAfter(fx, chatID, html, markup)
}

// AnswerPress acknowledges a button press with an optional toast.
func (b *Bot) AnswerPress(ctx context.Context, id, text string) { b.answerCallbackText(ctx, id, text) }

// InCaseLane runs fn after what is queued under key in the relay's lanes
// (one per case and direction), with the send context.
func (b *Bot) InCaseLane(key int64, fn func(ctx context.Context)) {
	ctx := b.sendCtx
	b.relays.submit(ctx, key, func(context.Context) error {
		fn(ctx)
		return nil
	})
}

// BotUser is the bot's own Telegram account.
func (b *Bot) BotUser() models.User { return *b.me }

// Engine is the conversations' engine (the desk reads a case's answers
// the way the person confirmed them).
func (b *Bot) Engine() *flows.Engine { return b.engine }

// SetGroupMenu sets the staff group's command menu (the commands
// registered for the group).
func (b *Bot) SetGroupMenu(ctx context.Context, chat int64) error {
	return b.setChatMenu(ctx, chat, routes.groupCommands())
}

// StaffLang is the language of staff-facing texts in u's private chat.
func StaffLang(u models.User) string { return staffLang(u) }

// Fetcher is a channel that can hand over a file a person sent, by the
// reference its event carried (channel.Event.MediaRef).
type Fetcher interface {
	Fetch(ctx context.Context, ref string) (channel.File, error)
}

// FetchFile reads a file sent on channel ch: a person's, by their event's
// MediaRef, or a counsellor's on Telegram, by its file_id. A file that
// cannot be had (gone, too large, a channel that cannot fetch) is a
// *channel.PermanentError; any other error may pass.
func (b *Bot) FetchFile(ctx context.Context, ch channel.Name, ref string) (channel.File, error) {
	c, ok := b.channel(ch)
	f, can := c.(Fetcher)
	if !ok || !can || ref == "" {
		return channel.File{}, &channel.PermanentError{Method: "fetch", Reason: string(ch) + " cannot hand over files"}
	}
	file, err := f.Fetch(ctx, ref)
	var ce *channel.Error
	if errors.As(err, &ce) && ce.Kind == channel.Permanent {
		return file, &channel.PermanentError{Method: "fetch", Reason: ce.Reason}
	}
	return file, err
}

// Upload sends a file (a picture with photo) to t (a topic with t.Thread)
// through the sender, and returns its message's id.
func (b *Bot) Upload(ctx context.Context, t telegram.Target, photo bool, name string, data []byte, caption string) (int, error) {
	return b.tg.UploadFile(ctx, t, photo, name, data, caption)
}
