package casework

import (
	"context"
	"errors"
	"strconv"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/bot"
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

// handleChatMember records a change of membership in a staff group and
// removes the account if it may not be there.
func (b desk) handleChatMember(ctx context.Context, upd *models.Update) error {
	cm := upd.ChatMember
	status, u := memberStatus(cm.NewChatMember)
	check := false
	dup, err := b.InUpdateTx(ctx, upd, nil, func(tx *store.Tx) error {
		check = false
		if _, bound, err := tx.StaffGroup(ctx, cm.Chat.ID); err != nil || !bound || u.ID == 0 || u.ID == b.BotUser().ID {
			return err
		}
		if cm.From.ID == b.BotUser().ID && (status == "left" || status == "kicked") {
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
func (b desk) noteJoinsAndLeaves(ctx context.Context, tx *store.Tx, fx *bot.Effects, g store.StaffGroup, m *models.Message) error {
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
		fx.Add(func() { go b.enforceGroup(b.SendContext(), g.ChatID) })
	}
	return nil
}

// learnAdmins records a group's administrators (members the bot could not
// otherwise know of until they act).
func (b desk) learnAdmins(ctx context.Context, chat int64) {
	var admins []models.ChatMember
	err := b.Sender().Do(ctx, telegram.Target{ChatID: chat, Group: true, Fresh: true}, "getChatAdministrators", func(ctx context.Context) error {
		var err error
		admins, err = b.API().GetChatAdministrators(ctx, &tg.GetChatAdministratorsParams{ChatID: chat})
		return err
	})
	if err != nil {
		b.Log().Warn("listing a staff group's administrators", "chat", chat, "err", err)
		return
	}
	for _, a := range admins {
		status, u := memberStatus(a)
		if u.ID == 0 || u.IsBot && u.ID != b.BotUser().ID {
			continue
		}
		// The bot itself is noted too (never removed): the group is learnt.
		if err := b.Store().NoteMember(ctx, chat, u.ID, u.FirstName, status); err != nil {
			b.Log().Warn("recording a staff group's administrator", "chat", chat, "err", err)
		}
	}
}

// learnGroups lists the administrators of groups the bot knows no member
// of, e.g. the group bound before members were kept (migration 00120).
func (b desk) learnGroups(ctx context.Context) {
	groups, err := b.Store().UnlearntGroups(ctx)
	if err != nil {
		b.Log().Warn("sweep: staff groups to learn", "err", err)
		return
	}
	for _, g := range groups {
		b.learnAdmins(ctx, g)
	}
}

// enforceGroup removes from a staff group (0: every group) whoever may not
// sit there, and tells the group in its General topic.
func (b desk) enforceGroup(ctx context.Context, chat int64) {
	mu := b.members()
	mu.Lock()
	defer mu.Unlock()
	out, err := b.Store().Intruders(ctx, chat, b.BotUser().ID)
	if err != nil {
		b.Log().Warn("checking staff group members", "chat", chat, "err", err)
		return
	}
	for _, in := range out {
		if err := b.removeMember(ctx, in); err != nil {
			b.Log().Warn("removing from a staff group, the next check retries", "chat", in.ChatID, "user", in.UserID, "err", err)
		}
	}
}

// removeMember takes one account out of a group: ban, then lift the ban.
// A refusal (the owner, an administrator the bot did not promote) is
// recorded and the group's admins are asked to do it.
func (b desk) removeMember(ctx context.Context, in store.Intruder) error {
	t := telegram.Target{ChatID: in.ChatID, Group: true, Fresh: true}
	if in.Status == "" {
		// A revoked member the bot never saw in this group: ask first, so
		// that the group hears only of someone who was there.
		var m *models.ChatMember
		err := b.Sender().Do(ctx, t, "getChatMember", func(ctx context.Context) error {
			var err error
			m, err = b.API().GetChatMember(ctx, &tg.GetChatMemberParams{ChatID: in.ChatID, UserID: in.UserID})
			return err
		})
		var perm *channel.PermanentError
		switch {
		case errors.As(err, &perm): // unknown to Telegram here: not in it
			return b.Store().NoteMember(ctx, in.ChatID, in.UserID, "", "left")
		case err != nil:
			return err
		}
		status, _ := memberStatus(*m)
		if status == "left" || status == "kicked" {
			return b.Store().NoteMember(ctx, in.ChatID, in.UserID, "", status)
		}
		in.Status = status
	}
	err := errors.New("the owner of a group cannot be removed")
	if in.Status != "creator" {
		err = b.Sender().Do(ctx, t, "banChatMember", func(ctx context.Context) error {
			_, err := b.API().BanChatMember(ctx, &tg.BanChatMemberParams{ChatID: in.ChatID, UserID: in.UserID})
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
		err = b.Sender().Do(ctx, t, "unbanChatMember", func(ctx context.Context) error {
			_, err := b.API().UnbanChatMember(ctx, &tg.UnbanChatMemberParams{ChatID: in.ChatID, UserID: in.UserID, OnlyIfBanned: true})
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
	if err := b.Store().NoteMember(ctx, in.ChatID, in.UserID, in.FirstName, status); err != nil {
		return err
	}
	if err := b.Store().Audit(ctx, 0, in.UserID, action, 0, strconv.FormatInt(in.ChatID, 10)); err != nil {
		return err
	}
	name := in.FirstName
	if name == "" {
		name = strconv.FormatInt(in.UserID, 10)
	}
	return b.sendGroup(ctx, in.ChatID, 0, b.Catalog().T(groupLang, key, map[string]any{"Name": bot.Escape(name)}), nil)
}
