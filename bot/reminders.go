package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

// Reminders and follow-ups (issue 7, item 5). The sweeper calls
// RunReminders: it plans what is due from appointments and cases (one
// INSERT … SELECT … ON CONFLICT DO NOTHING, so each is planned once), then
// sends what is due by the bot's clock, one reminder per transaction: the
// row stays locked (FOR UPDATE SKIP LOCKED) while it is sent and is marked
// sent in the same transaction, so it goes out once; a crash between the
// send and the commit may send that one again.
//
// Nothing is sent in quiet hours (the announcements' 21:00–07:00): what
// falls due then waits until they end. People who turned announcements
// off (/stop) still get them: /stop is about announcements only, and a
// reminder is about the person's own appointment or case (issue 16, item
// 5). Rows of unreachable people end skipped with the reason.

// remindersPerRun caps the sends of one run, so a big morning batch does
// not hold up the rest of the sweep for long; the next sweep goes on.
const remindersPerRun = 200

// followupLate is how late a follow-up may still go out (the bot was down,
// or the day was quiet); after it the moment has passed.
const followupLate = 3 * 24 * time.Hour

// Callback data of a follow-up answer: "k:fu:<reminder>:<answer>".
const followupAction = "fu"

// RunReminders plans reminders and sends those due now, unless it is
// quiet hours. It returns the first error that stopped it; what was not
// sent is tried again by the next run.
func (b *Bot) RunReminders(ctx context.Context) error {
	zone := pgZone(b.loc)
	if _, err := b.db.PlanReminders(ctx, b.now(), zone); err != nil {
		return err
	}
	for range remindersPerRun {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !b.bopts().quietUntil(b.now(), b.loc).IsZero() {
			return nil // what is due waits for the morning
		}
		more, err := b.sendOneReminder(ctx, zone)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// sendOneReminder claims the oldest due reminder, sends it or skips it,
// and records which; more is false when none was due.
func (b *Bot) sendOneReminder(ctx context.Context, zone string) (more bool, err error) {
	// Once claimed, a reminder is finished even if the bot is stopping,
	// so that one that went out is recorded as sent.
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	err = b.db.InTx(tctx, func(tx *store.Tx) error {
		now := b.now()
		r, ok, err := tx.ClaimDueReminder(tctx, now)
		if err != nil || !ok {
			return err
		}
		more = true
		ref, err := tx.ReminderRef(tctx, r.Kind, r.RefID, zone)
		if err != nil {
			return err
		}
		why := reminderSkip(r, ref, now)
		ch, other := b.channels[channel.Name(r.Channel)]
		chat, perr := strconv.ParseInt(r.ChatRef, 10, 64)
		switch {
		case why != "":
		case other && strings.HasPrefix(r.Kind, "followup") && ch.Capabilities().MaxButtons < len(store.FollowupAnswers[store.FollowupGroup(ref.CaseKind)]):
			// Its answers are buttons (channel_extras.go): not on a channel
			// with too few.
			why = "follow-up on " + r.Channel + ": too few buttons"
		case !other && (r.Channel != "telegram" || perr != nil):
			why = "no chat on " + r.Channel
		}
		if why != "" {
			b.log.Info("reminder skipped", "reminder", r.ID, "kind", r.Kind, "why", why)
			return tx.FinishReminder(tctx, r.ID, store.ReminderSkipped, why, now)
		}
		text, kb := b.reminderMessage(r, ref)
		var sendErr error
		if other {
			why, buttons := channel.PurposeReminder, channelButtons(kb)
			if len(buttons) > 0 {
				why = channel.PurposeFollowUp
			}
			sendErr = b.sendTextOn(tctx, ch, channel.Address{Channel: ch.Name(), Ref: r.ChatRef}, text, why, buttons...)
		} else {
			sendErr = b.sendText(tctx, chat, text, kb)
		}
		var perm *PermanentError
		var nd *NotDeliveredError
		switch {
		case sendErr == nil:
			return tx.FinishReminder(tctx, r.ID, store.ReminderSent, "", b.now())
		case errors.As(sendErr, &nd):
			return tx.FinishReminder(tctx, r.ID, store.ReminderSkipped, nd.Error(), b.now())
		case errors.Is(sendErr, ErrUnreachable):
			return tx.FinishReminder(tctx, r.ID, store.ReminderSkipped, "unreachable", b.now())
		case errors.As(sendErr, &perm):
			return tx.FinishReminder(tctx, r.ID, store.ReminderFailed, perm.Reason, b.now())
		}
		return fmt.Errorf("sending reminder %d: %w", r.ID, sendErr) // stays pending
	})
	return more, err
}

// reminderSkip says why a due reminder must not be sent, or "".
func reminderSkip(r store.DueReminder, ref store.ReminderRef, now time.Time) string {
	switch {
	case r.Erased || !ref.Found || ref.PersonID != r.PersonID || ref.Outcome == store.OutcomeErased:
		return "erased" // the person erased their data: what it was about moved away
	case !r.Reachable:
		return "unreachable"
	case ref.Outcome == store.OutcomeWithdrawn:
		return "consent withdrawn" // nothing more about that purpose
	}
	switch r.Kind {
	case store.ReminderLoanDay:
		if ref.Status != "booked" {
			return "appointment " + ref.Status
		}
		if !now.Before(ref.StartsAt) {
			return "too late"
		}
	case store.ReminderCourseStart:
		if ref.Status == "closed" && ref.Outcome != "enrolled" {
			return "case closed"
		}
		if !ref.Active {
			return "course withdrawn"
		}
		if !now.Before(ref.StartsAt) {
			return "too late"
		}
	case store.ReminderFollowup30, store.ReminderFollowup90:
		if ref.Status != "closed" {
			return "case reopened"
		}
		if now.After(r.DueAt.Add(followupLate)) {
			return "too late"
		}
	}
	return ""
}

// reminderMessage is the text (and for a follow-up, the answer buttons)
// of a reminder, in the person's language.
func (b *Bot) reminderMessage(r store.DueReminder, ref store.ReminderRef) (string, models.ReplyMarkup) {
	lang := i18n.Normalize(r.Language)
	switch r.Kind {
	case store.ReminderLoanDay:
		at := ref.StartsAt.In(b.loc)
		return b.cat.T(lang, "remind_loan_day", map[string]any{
			"Place": escape(ref.Place), "Time": at.Format("15:04"), "Date": at.Format("02/01/2006"),
		}), nil
	case store.ReminderCourseStart:
		return b.cat.T(lang, "remind_course_start", map[string]any{
			"Title": escape(ref.Title), "Provider": escape(ref.Provider), "Date": ref.StartsAt.In(b.loc).Format("02/01/2006"),
		}), nil
	}
	group := store.FollowupGroup(ref.CaseKind)
	var row []models.InlineKeyboardButton
	for _, a := range store.FollowupAnswers[group] {
		row = append(row, models.InlineKeyboardButton{
			Text: b.cat.T(lang, "followup_answer_"+a, nil), CallbackData: caseData(followupAction, r.ID, a),
		})
	}
	return b.cat.T(lang, "followup_question_"+group, nil), &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{row}}
}

// channelButtons is a Telegram keyboard's buttons for another channel.
func channelButtons(kb models.ReplyMarkup) []channel.Button {
	ik, _ := kb.(*models.InlineKeyboardMarkup)
	if ik == nil {
		return nil
	}
	var out []channel.Button
	for _, row := range ik.InlineKeyboard {
		for _, btn := range row {
			out = append(out, channel.Button{Label: btn.Text, Data: btn.CallbackData})
		}
	}
	return out
}

// A returnee's answer to a follow-up (routes.go): inside the desk's "k:"
// case buttons, the longer prefix wins.
func init() {
	routes.buttonPrefix("k:"+followupAction+":", button{feature: "reminders", others: func(b *Bot, ctx context.Context, upd *models.Update, _ models.User, _ flows.Input) error {
		return b.handleFollowup(ctx, upd, upd.CallbackQuery)
	}})
}

// handleFollowup stores a returnee's answer to their own follow-up, on the
// reminder and on its case. Anyone else's, a second answer or a made-up
// one changes nothing.
func (b *Bot) handleFollowup(ctx context.Context, upd *models.Update, cq *models.CallbackQuery) error {
	lang := i18n.Normalize(cq.From.LanguageCode)
	action, id, answer, ok := parseCaseData(cq.Data)
	fx := &effects{}
	toast := ""
	dup, err := b.inUpdateTx(ctx, upd, fx, func(tx *store.Tx) error {
		ref := strconv.FormatInt(cq.From.ID, 10)
		p, err := tx.TouchPerson(ctx, "telegram", ref, ref, lang)
		if err != nil {
			return err
		}
		lang = p.Language
		if !ok || action != followupAction || answer == "" {
			b.log.Warn("forged follow-up button", "user", cq.From.ID, "data", cq.Data)
			return tx.Audit(ctx, 0, cq.From.ID, "denied_callback", 0, "returnee")
		}
		stored, err := tx.AnswerFollowup(ctx, id, p.ID, answer, b.now())
		if err != nil {
			return err
		}
		if !stored {
			toast = b.cat.T(lang, "button_stale", nil)
			return nil
		}
		b.replyAfter(fx, cq.From.ID, b.cat.T(lang, "followup_thanks_"+answer, nil), nil)
		b.dropButtonsAfter(fx, cq)
		return nil
	})
	if err != nil {
		return err
	}
	b.answerCallbackText(ctx, cq.ID, toast)
	if !dup {
		fx.run()
		b.Metrics.Updates.WithLabelValues("callback", "handled").Inc()
	}
	return nil
}

// pgZone names loc for PostgreSQL: its IANA name, or for a fixed zone
// (no tz database on this machine) a POSIX offset, whose sign is west of
// Greenwich.
func pgZone(loc *time.Location) string {
	name := loc.String()
	if strings.Contains(name, "/") || name == "UTC" {
		return name
	}
	_, off := time.Date(2000, 1, 1, 0, 0, 0, 0, loc).Zone() // a fixed zone has one offset
	return fmt.Sprintf("%+03d:%02d", -off/3600, abs(off)%3600/60)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
