// Package casework is the counsellor desk: everything done around a case
// once a returnee's request became one. The relay both ways (what the
// person writes reaches the case's topic or the counsellor who took it;
// a counsellor's answer, the closing notice and the rating question reach
// the person on their channel), the case's topic and card in the staff
// group bound to its communes, take, close and notes (in the topic, in a
// private chat, and from the web desk through DeskChanged), who may sit in
// a staff group, a counsellor's queue, the ratings, and the redemption of
// staff invitation links. The core (package bot) calls it at the points
// named by bot.Desk and runs its share of the sweeper's round.
package casework

import (
	"context"
	"strings"
	"sync"

	"reentrybot/bot"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"

	"github.com/go-telegram/bot/models"
)

// desk is the bot as the counsellor desk uses it: the bot's parts and
// sending (bot/features.go, bot/desk_hooks.go), and the desk's own work
// as methods.
type desk struct{ *bot.Bot }

// groupLang is the language of the shared staff group.
const groupLang = i18n.Default

// The desk at the core's points (bot.Desk), its share of the sweeper's
// round, and the staff group's and membership updates.
func init() {
	bot.RegisterDesk(feature, bot.Desk{
		Relay: func(ctx context.Context, b *bot.Bot, tx *store.Tx, fx *bot.Effects, t *bot.ReturneeTurn) (bool, error) {
			return desk{b}.relayFromReturnee(ctx, tx, fx, t)
		},
		CasesChanged: func(ctx context.Context, b *bot.Bot, cases []flows.CaseRef) { desk{b}.casesChanged(ctx, cases) },
		StaffPress: func(ctx context.Context, b *bot.Bot, in *bot.StaffInput) (string, error) {
			return desk{b}.caseCallback(ctx, in.Tx, in.Effects(), in.Staff, in.From, in.Callback)
		},
		StaffText: func(ctx context.Context, b *bot.Bot, in *bot.StaffInput) error {
			text := in.Input.Text
			note := strings.HasPrefix(text, "!")
			return desk{b}.privateCaseMessage(ctx, in.Tx, in.Effects(), in.Staff, in.From, in.Message, strings.TrimPrefix(text, "!"), note)
		},
	})
	bot.RegisterJob(feature, 0, func(ctx context.Context, b *bot.Bot) error { desk{b}.sweep(ctx); return nil })
	bot.RegisterUpdate("desk group", isGroupUpdate, func(ctx context.Context, b *bot.Bot, upd *models.Update) error {
		return desk{b}.handleGroup(ctx, upd)
	})
	bot.RegisterUpdate("membership", func(upd *models.Update) bool { return upd.ChatMember != nil }, func(ctx context.Context, b *bot.Bot, upd *models.Update) error {
		return desk{b}.handleChatMember(ctx, upd)
	})
}

// members serialises a process's checks of the staff groups, per bot: a
// chat_member update and the sweep must not both remove (and announce)
// the same account. Another process may still repeat a removal: harmless
// but for a second notice.
func (b desk) members() *sync.Mutex {
	return b.State(feature+" membership", func() any { return new(sync.Mutex) }).(*sync.Mutex)
}

// sweep retries the desk's pending work: topics of new cases, relays, the
// staff groups' members, the erasure of posts about erased people, and the
// web desk's posts. It runs on every round of the sweeper (at start, then
// periodically), so a crash or an outage delays these but never drops them.
func (b desk) sweep(ctx context.Context) {
	ids, err := b.Store().CasesWithoutTopic(ctx)
	if err != nil {
		b.Log().Warn("sweep: cases without topic", "err", err)
	}
	for _, id := range ids {
		if err := b.ensureTopic(ctx, id); err != nil {
			b.Log().Warn("sweep: topic", "case", id, "err", err)
			break
		}
	}
	pend, err := b.Store().PendingRelays(ctx)
	if err != nil {
		b.Log().Warn("sweep: pending relays", "err", err)
	}
	for _, p := range pend {
		b.kickRelay(p.CaseID, p.RelayTo)
	}
	b.learnGroups(ctx)     // membership.go
	b.enforceGroup(ctx, 0) // membership.go: revoked staff leave every group
	b.erasePosts(ctx)      // erasure.go
	b.sweepDeskPosts(ctx)  // bridge.go
}
