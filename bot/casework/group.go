package casework

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"

	"reentrybot/bot"
	"reentrybot/channel/telegram"
	"reentrybot/store"
	"reentrybot/textfold"
)

// isGroupUpdate reports updates from groups (the staff workspace).
func isGroupUpdate(upd *models.Update) bool {
	switch {
	case upd.Message != nil:
		return upd.Message.Chat.Type == models.ChatTypeGroup || upd.Message.Chat.Type == models.ChatTypeSupergroup
	case upd.CallbackQuery != nil && upd.CallbackQuery.Message.Message != nil:
		t := upd.CallbackQuery.Message.Message.Chat.Type
		return t == models.ChatTypeGroup || t == models.ChatTypeSupergroup
	}
	return false
}

// handleGroup handles the staff group: /setup, counsellors writing in case
// topics, and the case buttons. Anything from someone who is not staff is
// ignored and logged.
func (b desk) handleGroup(ctx context.Context, upd *models.Update) error {
	var (
		from  models.User
		chat  models.Chat
		m     = upd.Message
		cq    = upd.CallbackQuery
		toast string
	)
	if cq != nil {
		from, chat = cq.From, cq.Message.Message.Chat
	} else {
		if m.From == nil || m.From.IsBot {
			return b.MarkHandled(ctx, upd, "ignored")
		}
		from, chat = *m.From, m.Chat
	}
	fx := &bot.Effects{}
	dup, err := b.InUpdateTx(ctx, upd, fx, func(tx *store.Tx) error {
		s, isStaff, err := tx.StaffByTelegram(ctx, from.ID)
		if err != nil {
			return err
		}
		g, inWorkspace, err := tx.StaffGroup(ctx, chat.ID)
		if err != nil {
			return err
		}
		var cmd, arg string
		if m != nil {
			cmd, arg, _ = telegram.ParseCommand(textfold.Clean(m.Text), b.BotUser().Username)
		}
		if cmd == "setup" {
			if !isStaff || s.Role != store.RoleAdmin {
				b.Log().Warn("setup refused", "user", from.ID, "chat", chat.ID)
				return tx.Audit(ctx, s.ID, from.ID, "denied_setup", 0, strconv.FormatInt(chat.ID, 10))
			}
			if !chat.IsForum {
				b.groupReplyAfter(fx, chat.ID, 0, b.Catalog().T(groupLang, "setup_not_forum", nil), nil)
				return nil
			}
			return b.bindGroup(ctx, tx, fx, s, from, chat, arg) // scope.go
		}
		if !inWorkspace {
			return nil // a group the bot was added to but is not a staff group
		}
		if m != nil && (len(m.NewChatMembers) > 0 || m.LeftChatMember != nil) {
			return b.noteJoinsAndLeaves(ctx, tx, fx, g, m) // membership.go
		}
		// Whoever writes here is a member; one who may not be is removed.
		if err := tx.NoteSeen(ctx, chat.ID, from.ID, from.FirstName); err != nil {
			return err
		}
		if !isStaff || !mayJoin(s, g) {
			fx.Add(func() { go b.enforceGroup(b.SendContext(), g.ChatID) }) // membership.go
		}
		if !isStaff {
			b.Log().Warn("non-staff action in the staff group", "user", from.ID)
			return tx.Audit(ctx, 0, from.ID, "denied_group", 0, telegram.Kind(upd))
		}
		if cq != nil {
			toast, err = b.caseCallback(ctx, tx, fx, s, from, cq)
			return err
		}
		if !m.IsTopicMessage || m.MessageThreadID == 0 {
			return nil // the General topic: staff talk among themselves
		}
		c, err := tx.CaseByTopic(ctx, chat.ID, m.MessageThreadID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !s.HandlesCases() || !s.InScope(c.CommuneCode.String) {
			b.groupReplyAfter(fx, chat.ID, m.MessageThreadID, b.Catalog().T(groupLang, "case_not_in_scope", nil), nil)
			return tx.Audit(ctx, s.ID, from.ID, "denied_message", c.ID, "out of scope")
		}
		text := textfold.Clean(m.Text)
		switch {
		case cmd == "take":
			if err := tx.Audit(ctx, s.ID, from.ID, "view", c.ID, "topic"); err != nil {
				return err
			}
			return b.assign(ctx, tx, fx, s, from, c)
		case cmd == "close":
			b.groupReplyAfter(fx, chat.ID, m.MessageThreadID, b.Catalog().T(groupLang, "choose_outcome", map[string]any{"ID": c.ID}), b.outcomeKeyboard(groupLang, c.ID))
			return nil
		case cmd == "note" || strings.HasPrefix(text, "!"):
			body := strings.TrimSpace(strings.TrimPrefix(text, "!"))
			if cmd == "note" {
				body = arg
			}
			if body == "" {
				return nil
			}
			return b.addNote(ctx, tx, fx, s, from, c, body)
		case cmd != "":
			return nil // other commands are not messages to the returnee
		case !c.Open():
			b.groupReplyAfter(fx, chat.ID, m.MessageThreadID, b.Catalog().T(groupLang, "case_is_closed", map[string]any{"ID": c.ID}), nil)
			return nil
		}
		return b.counsellorMessage(ctx, tx, fx, s, from, c, m, text)
	})
	if err != nil {
		return err
	}
	if cq != nil {
		b.AnswerPress(ctx, cq.ID, toast)
	}
	if !dup {
		fx.Run()
		b.Metrics.Updates.WithLabelValues(telegram.Kind(upd), "handled").Inc()
	}
	return nil
}
