package bot

import (
	"context"
	"errors"
	"strconv"
	"sync"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/store"
)

// Who sits in a staff group. Telegram lets a bot list only a group's
// administrators, so the bot keeps what it learns (chat_member updates,
// messages, getChatAdministrators at /setup) in group_members, and removes
// whoever may not be there: at each such update, before each card it
// posts, and in the sweep (revocation is a command on the server). Removal
// is a ban lifted at once: the account is out and can be invited again.

// membership serialises the checks of a process: a chat_member update and
// the sweep must not both remove (and announce) the same account. Another
// process may still repeat a removal: harmless but for a second notice.
type membership struct{ mu sync.Mutex }

// memberStatus is the status a ChatMember carries.
func memberStatus(m models.ChatMember) (string, models.User) {
	var u *models.User
	switch m.Type {
	case models.ChatMemberTypeOwner:
		u = m.Owner.User
	case models.ChatMemberTypeAdministrator:
		u = &m.Administrator.User
	case models.ChatMemberTypeMember:
		u = m.Member.User
	case models.ChatMemberTypeRestricted:
		u = m.Restricted.User
	case models.ChatMemberTypeLeft:
		u = m.Left.User
	case models.ChatMemberTypeBanned:
		u = m.Banned.User
	}
	if u == nil {
		return string(m.Type), models.User{}
	}
	return string(m.Type), *u
}

// chat_member updates (routes.go).
func init() {
	routes.update("membership", func(upd *models.Update) bool { return upd.ChatMember != nil }, (*Bot).handleChatMember)
}

// handleChatMember records a change of membership in a staff group and
// removes the account if it may not be there.
func (b *Bot) handleChatMember(ctx context.Context, upd *models.Update) error {
	cm := upd.ChatMember
	status, u := memberStatus(cm.NewChatMember)
	check := false
	dup, err := b.inUpdateTx(ctx, upd, nil, func(tx *store.Tx) error {
		check = false
		if _, bound, err := tx.StaffGroup(ctx, cm.Chat.ID); err != nil || !bound || u.ID == 0 || u.ID == b.me.ID {
			return err
		}
		if cm.From.ID == b.me.ID && (status == "left" || status == "kicked") {
			return nil // the bot's own removal, already recorded as 'removed'
		}
		check = status != "left" && status != "kicked"
		return tx.NoteMember(ctx, cm.Chat.ID, u.ID, u.FirstName, status)
	})
	if err != nil || dup {
		return err
	}
	if check {
		b.enforceGroup(ctx, cm.Chat.ID)
	}
	b.Metrics.Updates.WithLabelValues("chat_member", "handled").Inc()
	return nil
}

// noteJoinsAndLeaves records the service messages of people joining or
// leaving a staff group (a second source besides chat_member updates) and
// checks the group when someone joined.
func (b *Bot) noteJoinsAndLeaves(ctx context.Context, tx *store.Tx, fx *effects, g store.StaffGroup, m *models.Message) error {
	for _, u := range m.NewChatMembers {
		if u.IsBot {
			continue
		}
		if err := tx.NoteSeen(ctx, g.ChatID, u.ID, u.FirstName); err != nil {
			return err
		}
	}
	if u := m.LeftChatMember; u != nil && !u.IsBot {
		if err := tx.NoteMember(ctx, g.ChatID, u.ID, u.FirstName, "left"); err != nil {
			return err
		}
	}
	if len(m.NewChatMembers) > 0 {
		fx.add(func() { go b.enforceGroup(b.sendCtx, g.ChatID) })
	}
	return nil
}

// learnAdmins records a group's administrators (members the bot could not
// otherwise know of until they act).
func (b *Bot) learnAdmins(ctx context.Context, chat int64) {
	var admins []models.ChatMember
	err := b.send.Do(ctx, telegram.Target{ChatID: chat, Group: true, Fresh: true}, "getChatAdministrators", func(ctx context.Context) error {
		var err error
		admins, err = b.api.GetChatAdministrators(ctx, &tg.GetChatAdministratorsParams{ChatID: chat})
		return err
	})
	if err != nil {
		b.log.Warn("listing a staff group's administrators", "chat", chat, "err", err)
		return
	}
	for _, a := range admins {
		status, u := memberStatus(a)
		if u.ID == 0 || u.IsBot && u.ID != b.me.ID {
			continue
		}
		// The bot itself is noted too (never removed): the group is learnt.
		if err := b.db.NoteMember(ctx, chat, u.ID, u.FirstName, status); err != nil {
			b.log.Warn("recording a staff group's administrator", "chat", chat, "err", err)
		}
	}
}

// learnGroups lists the administrators of groups the bot knows no member
// of, e.g. the group bound before members were kept (migration 00120).
func (b *Bot) learnGroups(ctx context.Context) {
	groups, err := b.db.UnlearntGroups(ctx)
	if err != nil {
		b.log.Warn("sweep: staff groups to learn", "err", err)
		return
	}
	for _, g := range groups {
		b.learnAdmins(ctx, g)
	}
}

// enforceGroup removes from a staff group (0: every group) whoever may not
// sit there, and tells the group in its General topic.
func (b *Bot) enforceGroup(ctx context.Context, chat int64) {
	b.members.mu.Lock()
	defer b.members.mu.Unlock()
	out, err := b.db.Intruders(ctx, chat, b.me.ID)
	if err != nil {
		b.log.Warn("checking staff group members", "chat", chat, "err", err)
		return
	}
	for _, in := range out {
		if err := b.removeMember(ctx, in); err != nil {
			b.log.Warn("removing from a staff group, the next check retries", "chat", in.ChatID, "user", in.UserID, "err", err)
		}
	}
}

// removeMember takes one account out of a group: ban, then lift the ban.
// A refusal (the owner, an administrator the bot did not promote) is
// recorded and the group's admins are asked to do it.
func (b *Bot) removeMember(ctx context.Context, in store.Intruder) error {
	t := telegram.Target{ChatID: in.ChatID, Group: true, Fresh: true}
	if in.Status == "" {
		// A revoked member the bot never saw in this group: ask first, so
		// that the group hears only of someone who was there.
		var m *models.ChatMember
		err := b.send.Do(ctx, t, "getChatMember", func(ctx context.Context) error {
			var err error
			m, err = b.api.GetChatMember(ctx, &tg.GetChatMemberParams{ChatID: in.ChatID, UserID: in.UserID})
			return err
		})
		var perm *channel.PermanentError
		switch {
		case errors.As(err, &perm): // unknown to Telegram here: not in it
			return b.db.NoteMember(ctx, in.ChatID, in.UserID, "", "left")
		case err != nil:
			return err
		}
		status, _ := memberStatus(*m)
		if status == "left" || status == "kicked" {
			return b.db.NoteMember(ctx, in.ChatID, in.UserID, "", status)
		}
		in.Status = status
	}
	err := errors.New("the owner of a group cannot be removed")
	if in.Status != "creator" {
		err = b.send.Do(ctx, t, "banChatMember", func(ctx context.Context) error {
			_, err := b.api.BanChatMember(ctx, &tg.BanChatMemberParams{ChatID: in.ChatID, UserID: in.UserID})
			return err
		})
	} else {
		err = &channel.PermanentError{Method: "banChatMember", Reason: err.Error()}
	}
	var perm *channel.PermanentError
	refused := errors.As(err, &perm)
	if err != nil && !refused {
		return err
	}
	if !refused {
		err = b.send.Do(ctx, t, "unbanChatMember", func(ctx context.Context) error {
			_, err := b.api.UnbanChatMember(ctx, &tg.UnbanChatMemberParams{ChatID: in.ChatID, UserID: in.UserID, OnlyIfBanned: true})
			return err
		})
		if err != nil {
			// Out of the group, but banned: retried at the next check.
			return err
		}
	}
	status, action, key := store.MemberRemoved, "group_removed", "group_member_removed"
	if refused {
		status, action, key = store.MemberRefused, "group_remove_refused", "group_member_refused"
	}
	if err := b.db.NoteMember(ctx, in.ChatID, in.UserID, in.FirstName, status); err != nil {
		return err
	}
	if err := b.db.Audit(ctx, 0, in.UserID, action, 0, strconv.FormatInt(in.ChatID, 10)); err != nil {
		return err
	}
	name := in.FirstName
	if name == "" {
		name = strconv.FormatInt(in.UserID, 10)
	}
	return b.sendGroup(ctx, in.ChatID, 0, b.cat.T(groupLang, key, map[string]any{"Name": escape(name)}), nil)
}
