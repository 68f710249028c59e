package bot

import (
	"context"
	"fmt"
	"slices"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/channel/telegram"
	"reentrybot/i18n"
	"reentrybot/store"
)

// What Telegram itself shows (issue 18): the description a person reads
// before pressing Start, and command menus by role, so that staff find
// their commands by typing "/" and returnees never see them.

// roleCommands is a staff member's menu in their private chat: the
// commands registered for their role (RegisterStaffCommand's menu), the
// features' own first (what the role mainly does: the queue, announcements,
// reports), then the core desk's commands on a case, help last.
func (r *router) roleCommands(role store.Role) []string {
	var features, core []string
	help := false
	for _, name := range r.order {
		c := r.commands[name]
		if !slices.Contains(c.menu, role) {
			continue
		}
		switch {
		case name == "help":
			help = true
		case c.core:
			core = append(core, name)
		default:
			features = append(features, name)
		}
	}
	names := append(features, core...)
	if help {
		names = append(names, "help")
	}
	return names
}

// groupCommands are the staff group's menu once /setup bound it.
func (r *router) groupCommands() []string {
	var names []string
	for _, name := range r.order {
		if r.commands[name].group {
			names = append(names, name)
		}
	}
	return names
}

// describe sets the bot's description and short description from the
// catalog, in every language (the default one without a language code).
func (b *Bot) describe(ctx context.Context) error {
	for _, lang := range b.cat.Langs() {
		code := lang
		if lang == i18n.Default {
			code = ""
		}
		if _, err := b.api.SetMyDescription(ctx, &tg.SetMyDescriptionParams{Description: b.cat.T(lang, "bot_description", nil), LanguageCode: code}); err != nil {
			return fmt.Errorf("setMyDescription %s: %w", lang, err)
		}
		if _, err := b.api.SetMyShortDescription(ctx, &tg.SetMyShortDescriptionParams{ShortDescription: b.cat.T(lang, "bot_short_description", nil), LanguageCode: code}); err != nil {
			return fmt.Errorf("setMyShortDescription %s: %w", lang, err)
		}
	}
	return nil
}

// setChatMenu shows names (catalog keys cmd_<name>) as chat's command
// menu, in every language.
func (b *Bot) setChatMenu(ctx context.Context, chat int64, names []string) error {
	for _, lang := range b.cat.Langs() {
		cmds := make([]models.BotCommand, len(names))
		for i, n := range names {
			cmds[i] = models.BotCommand{Command: n, Description: b.cat.T(lang, "cmd_"+n, nil)}
		}
		p := &tg.SetMyCommandsParams{Commands: cmds, Scope: &models.BotCommandScopeChat{ChatID: chat}}
		if lang != i18n.Default {
			p.LanguageCode = lang
		}
		err := b.send.Do(ctx, telegram.Target{ChatID: chat, Group: chat < 0, Fresh: true}, "setMyCommands", func(ctx context.Context) error {
			_, err := b.api.SetMyCommands(ctx, p)
			return err
		})
		if err != nil {
			return fmt.Errorf("command menu of %d (%s): %w", chat, lang, err)
		}
	}
	return nil
}

// dropChatMenu removes a chat's own menu: the chat sees the returnees'
// commands again.
func (b *Bot) dropChatMenu(ctx context.Context, chat int64) error {
	for _, lang := range b.cat.Langs() {
		p := &tg.DeleteMyCommandsParams{Scope: &models.BotCommandScopeChat{ChatID: chat}}
		if lang != i18n.Default {
			p.LanguageCode = lang
		}
		err := b.send.Do(ctx, telegram.Target{ChatID: chat, Group: chat < 0, Fresh: true}, "deleteMyCommands", func(ctx context.Context) error {
			_, err := b.api.DeleteMyCommands(ctx, p)
			return err
		})
		if err != nil {
			return fmt.Errorf("removing the command menu of %d (%s): %w", chat, lang, err)
		}
	}
	return nil
}

// staffMenuAfter shows a new staff member their commands, after commit.
func (b *Bot) staffMenuAfter(fx *Effects, s store.Staff, chat int64) {
	names := routes.roleCommands(s.Role)
	fx.Add(func() {
		b.outbox.submit(b.sendCtx, chat, func(ctx context.Context) error {
			if err := b.setChatMenu(b.sendCtx, chat, names); err != nil {
				b.log.Warn("staff command menu", "staff", s.ID, "err", err)
				return nil
			}
			if err := b.db.SetStaffMenu(b.sendCtx, s.ID, chat); err != nil {
				b.log.Warn("recording the staff command menu", "staff", s.ID, "err", err)
			}
			return nil
		})
	})
}

// dropRevokedMenus takes the staff commands away from revoked members
// (revocation is a command on the server: the bot finds it here).
func (b *Bot) dropRevokedMenus(ctx context.Context) {
	stale, err := b.db.StaleStaffMenus(ctx)
	if err != nil {
		b.log.Warn("sweep: revoked staff menus", "err", err)
		return
	}
	for _, m := range stale {
		if err := b.dropChatMenu(ctx, m.Chat); err != nil {
			b.log.Warn("sweep: removing a revoked member's menu", "staff", m.StaffID, "err", err)
			continue
		}
		if err := b.db.SetStaffMenu(ctx, m.StaffID, 0); err != nil {
			b.log.Warn("sweep: recording a removed menu", "staff", m.StaffID, "err", err)
		}
	}
}

// uploading shows "sending a file…" in chat while a file is prepared.
func (b *Bot) uploading(ctx context.Context, chat int64) {
	err := b.send.Do(ctx, telegram.Target{ChatID: chat, Fresh: true}, "sendChatAction", func(ctx context.Context) error {
		_, err := b.api.SendChatAction(ctx, &tg.SendChatActionParams{ChatID: chat, Action: models.ChatActionUploadDocument})
		return err
	})
	if err != nil {
		b.log.Debug("chat action", "chat", chat, "err", err)
	}
}
