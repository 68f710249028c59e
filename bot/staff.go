package bot

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/channel/telegram"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

// InvitePrefix starts the /start payload of a staff invitation link
// (redeemed by bot/casework; the codes are made here, for the server's
// staff command, the staff import, the web desk and the demo too).
const InvitePrefix = "s_"

// NewInviteCode returns a fresh one-time code and the hash stored for it.
func NewInviteCode() (code string, hash []byte) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	code = base64.RawURLEncoding.EncodeToString(b)
	return code, HashInviteCode(code)
}

// HashInviteCode is how codes are stored.
func HashInviteCode(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

// InviteLink is the deep link that redeems code with the bot.
func InviteLink(botUsername, code string) string {
	return "https://t.me/" + botUsername + "?start=" + InvitePrefix + code
}

// staffHelp is the help text of the staff member's role.
func staffHelp(s store.Staff) string {
	switch s.Role {
	case store.RoleOfficer:
		return "staff_help_officer"
	case store.RoleAdmin:
		return "staff_help_admin"
	}
	return "staff_help"
}

// staffLang is the language of staff-facing texts in a private chat.
func staffLang(u models.User) string { return i18n.Normalize(u.LanguageCode) }

// effects are what a handler does after its transaction commits.
type Effects struct{ fns []func() }

func (e *Effects) Add(f func()) { e.fns = append(e.fns, f) }
func (e *Effects) Run() {
	for _, f := range e.fns {
		f()
	}
}

// inUpdateTx runs fn in the transaction that records upd as handled. dup
// is true when it was handled before (fn does not run). fx (may be nil)
// starts empty on each attempt: a retried transaction must not keep the
// effects of the one that rolled back.
func (b *Bot) inUpdateTx(ctx context.Context, upd *models.Update, fx *Effects, fn func(tx *store.Tx) error) (dup bool, err error) {
	err = b.db.InTx(ctx, func(tx *store.Tx) error {
		dup = false
		if fx != nil {
			fx.fns = nil
		}
		first, err := tx.MarkUpdateSeen(ctx, upd.ID, telegram.ChatKey(upd))
		if err != nil {
			return err
		}
		if !first {
			dup = true
			return nil
		}
		return fn(tx)
	})
	return dup, err
}

// reply queues a message to a private chat after commit.
func (b *Bot) replyAfter(fx *Effects, chatID int64, text string, markup models.ReplyMarkup) {
	fx.Add(func() {
		b.outbox.submit(b.sendCtx, chatID, func(ctx context.Context) error {
			_ = b.sendText(b.sendCtx, chatID, text, markup)
			return nil
		})
	})
}

// refuseStaffCommand answers a non-staff user's staff command exactly like
// an unknown command, and logs the attempt.
func (b *Bot) refuseStaffCommand(ctx context.Context, upd *models.Update, from models.User, cmd string) error {
	fx := &Effects{}
	dup, err := b.inUpdateTx(ctx, upd, fx, func(tx *store.Tx) error {
		b.log.Warn("staff command from non-staff", "user", from.ID, "command", cmd)
		if err := tx.Audit(ctx, 0, from.ID, "denied_command", 0, cmd); err != nil {
			return err
		}
		b.replyAfter(fx, from.ID, b.cat.T(i18n.Normalize(from.LanguageCode), "unknown_command", nil), nil)
		return nil
	})
	if err != nil || dup {
		return err
	}
	fx.Run()
	b.Metrics.Updates.WithLabelValues("command", "refused").Inc()
	return nil
}

// handleStaffPrivate handles what a staff member does in a private chat.
func (b *Bot) handleStaffPrivate(ctx context.Context, upd *models.Update, s store.Staff, from models.User, in flows.Input, cq *models.CallbackQuery) error {
	fx := &Effects{}
	toast := ""
	dup, err := b.inUpdateTx(ctx, upd, fx, func(tx *store.Tx) error {
		// Features first (bot/announcements: the composer's inputs, its buttons).
		if ok, t, err := routes.staffInput(b, ctx, tx, fx, s, from, upd.Message, in, cq); ok {
			toast = t
			return err
		}
		if in.Kind == flows.InCommand && cq == nil {
			return routes.staffCommand(b, ctx, tx, fx, s, from, upd.Message, in) // routes.go
		}
		// The desk's: case buttons, and what a counsellor writes to the
		// case they took (bot/casework).
		si := &StaffInput{
			StaffCommand: &StaffCommand{Tx: tx, Staff: s, From: from, Lang: staffLang(from), Message: upd.Message, b: b, fx: fx},
			Input:        in, Callback: cq,
		}
		switch d := routes.desk; {
		case cq != nil && d.StaffPress != nil:
			var err error
			toast, err = d.StaffPress(ctx, b, si)
			return err
		case cq != nil:
			return tx.Audit(ctx, s.ID, from.ID, "denied_callback", 0, "no desk")
		case upd.Message != nil && d.StaffText != nil:
			return d.StaffText(ctx, b, si)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if cq != nil {
		b.answerCallbackText(ctx, cq.ID, toast)
	}
	if dup {
		return nil
	}
	fx.Run()
	b.Metrics.Updates.WithLabelValues(telegram.Kind(upd), "handled").Inc()
	return nil
}

// staffHelpCmd answers a staff member's /start, /help, /menu and the
// returnees' own commands with their role's help.
func staffHelpCmd(b *Bot, _ context.Context, _ *store.Tx, fx *Effects, s store.Staff, from models.User, _ *models.Message, _ flows.Input) error {
	b.replyAfter(fx, from.ID, b.cat.T(staffLang(from), staffHelp(s), nil), nil)
	return nil
}

func (b *Bot) answerCallbackText(ctx context.Context, id, text string) {
	if _, err := b.api.AnswerCallbackQuery(ctx, &tg.AnswerCallbackQueryParams{CallbackQueryID: id, Text: text}); err != nil {
		b.log.Warn("answerCallbackQuery", "err", err)
	}
}

// Callback data of the transport's own buttons: "<ns>:<action>:<id>[:<arg>]",
// ns "k" for cases, "a" for announcements. The flows' own buttons start
// with a digit, so they never mix.
func buttonData(ns, action string, id int64, arg ...string) string {
	s := ns + ":" + action + ":" + strconv.FormatInt(id, 10)
	for _, a := range arg {
		s += ":" + a
	}
	return s
}

func parseButtonData(ns, data string) (action string, id int64, arg string, ok bool) {
	parts := strings.SplitN(data, ":", 4)
	if len(parts) < 3 || parts[0] != ns {
		return "", 0, "", false
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || id <= 0 {
		return "", 0, "", false
	}
	if len(parts) == 4 {
		arg = parts[3]
	}
	return parts[1], id, arg, true
}

func caseData(action string, id int64, arg ...string) string {
	return buttonData("k", action, id, arg...)
}

func parseCaseData(data string) (string, int64, string, bool) { return parseButtonData("k", data) }

// dropButtonsAfter removes the keyboard of an answered question after
// commit, so it is not pressed again.
func (b *Bot) dropButtonsAfter(fx *Effects, cq *models.CallbackQuery) {
	m := cq.Message.Message
	if m == nil {
		return
	}
	chat, msg := m.Chat.ID, m.ID
	fx.Add(func() {
		b.outbox.submit(b.sendCtx, chat, func(context.Context) error {
			err := b.send.Do(b.sendCtx, telegram.Target{ChatID: chat, Group: chat < 0}, "editMessageReplyMarkup", func(ctx context.Context) error {
				_, err := b.api.EditMessageReplyMarkup(ctx, &tg.EditMessageReplyMarkupParams{ChatID: chat, MessageID: msg})
				return err
			})
			if err != nil {
				b.log.Warn("removing answered buttons", "chat", chat, "err", err)
			}
			return nil
		})
	})
}

// escape is for user and reference data inside HTML texts.
func escape(s string) string { return escapeParams(map[string]any{"s": s})["s"].(string) }
