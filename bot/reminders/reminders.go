// Package reminders sends reminders and follow-ups (issue 7, item 5), a
// feature of package bot (bot/features.go): it registers from init, and
// app imports it. The sweeper runs Run: it plans what is due from appointments and cases (one
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

package reminders

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"reentrybot/bot"
	"reentrybot/channel"
	"reentrybot/i18n"
	"reentrybot/store"
)

// feature is the name the routes know reminders by.
const feature = "reminders"

// remindersPerRun caps the sends of one run, so a big morning batch does
// not hold up the rest of the sweep for long; the next sweep goes on.
const remindersPerRun = 200

// followupLate is how late a follow-up may still go out (the bot was down,
// or the day was quiet); after it the moment has passed.
const followupLate = 3 * 24 * time.Hour

// Callback data of a follow-up answer: "k:fu:<reminder>:<answer>".
const followupAction = "fu"

// Run plans reminders and sends those due now, unless it is quiet
// hours. It returns the first error that stopped it; what was not sent is
// tried again by the next run.
func Run(ctx context.Context, b *bot.Bot) error {
	zone := pgZone(b.Location())
	if _, err := b.Store().PlanReminders(ctx, b.Now(), zone); err != nil {
		return err
	}
	for range remindersPerRun {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !b.QuietUntil(b.Now()).IsZero() {
			return nil // what is due waits for the morning
		}
		more, err := sendOne(ctx, b, zone)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// sendOne claims the oldest due reminder, sends it or skips it, and
// records which; more is false when none was due.
func sendOne(ctx context.Context, b *bot.Bot, zone string) (more bool, err error) {
	// Once claimed, a reminder is finished even if the bot is stopping,
	// so that one that went out is recorded as sent.
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	err = b.Store().InTx(tctx, func(tx *store.Tx) error {
		now := b.Now()
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
		caps, known := b.Capabilities(channel.Name(r.Channel))
		switch {
		case why != "":
		case !known:
			why = "no chat on " + r.Channel
		case strings.HasPrefix(r.Kind, "followup") && caps.MaxButtons < len(store.FollowupAnswers[store.FollowupGroup(ref.CaseKind)]):
			// Its answers are buttons: not on a channel with too few.
			why = "follow-up on " + r.Channel + ": too few buttons"
		}
		if why != "" {
			b.Log().Info("reminder skipped", "reminder", r.ID, "kind", r.Kind, "why", why)
			return tx.FinishReminder(tctx, r.ID, store.ReminderSkipped, why, now)
		}
		text, buttons := reminderMessage(b, r, ref)
		purpose := channel.PurposeReminder
		if len(buttons) > 0 {
			purpose = channel.PurposeFollowUp
		}
		sendErr := b.SendTo(tctx, channel.Address{Channel: channel.Name(r.Channel), Ref: r.ChatRef}, text, purpose, buttons...)
		var perm *channel.PermanentError
		var nd *channel.NotDeliveredError
		// Finished at the time it was claimed: the run's one "now", not a
		// second reading of the clock after the send returned (a test's
		// clock may have moved on by then).
		switch {
		case sendErr == nil:
			return tx.FinishReminder(tctx, r.ID, store.ReminderSent, "", now)
		case errors.Is(sendErr, bot.ErrNoChat):
			return tx.FinishReminder(tctx, r.ID, store.ReminderSkipped, "no chat on "+r.Channel, now)
		case errors.As(sendErr, &nd):
			return tx.FinishReminder(tctx, r.ID, store.ReminderSkipped, nd.Error(), now)
		case errors.Is(sendErr, channel.ErrUnreachable):
			return tx.FinishReminder(tctx, r.ID, store.ReminderSkipped, "unreachable", now)
		case errors.As(sendErr, &perm):
			return tx.FinishReminder(tctx, r.ID, store.ReminderFailed, perm.Reason, now)
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
func reminderMessage(b *bot.Bot, r store.DueReminder, ref store.ReminderRef) (string, []channel.Button) {
	cat, lang := b.Catalog(), i18n.Normalize(r.Language)
	switch r.Kind {
	case store.ReminderLoanDay:
		at := ref.StartsAt.In(b.Location())
		return cat.T(lang, "remind_loan_day", map[string]any{
			"Place": bot.Escape(ref.Place), "Time": at.Format("15:04"), "Date": at.Format("02/01/2006"),
		}), nil
	case store.ReminderCourseStart:
		return cat.T(lang, "remind_course_start", map[string]any{
			"Title": bot.Escape(ref.Title), "Provider": bot.Escape(ref.Provider), "Date": ref.StartsAt.In(b.Location()).Format("02/01/2006"),
		}), nil
	}
	group := store.FollowupGroup(ref.CaseKind)
	var row []channel.Button
	for _, a := range store.FollowupAnswers[group] {
		row = append(row, channel.Button{Label: cat.T(lang, "followup_answer_"+a, nil), Data: bot.CaseData(followupAction, r.ID, a)})
	}
	return cat.T(lang, "followup_question_"+group, nil), row
}

// A returnee's answer to a follow-up, on Telegram and on other channels
// (bot/routes.go): inside the desk's "k:" case buttons, the longer prefix
// wins.
func init() {
	bot.RegisterJob(feature, 0, Run)
	bot.RegisterButtonPrefix(feature, "k:"+followupAction+":", answerFollowup)
}

// answerFollowup stores the answer to a follow-up question on the case,
// thanks the person and takes the buttons away; a case button that is not
// a follow-up's answer is forged (a returnee has no other but the rating,
// whose prefix is shorter).
func answerFollowup(ctx context.Context, b *bot.Bot, e *bot.ChannelEvent) (bool, []channel.Message, error) {
	action, id, arg, ok := bot.ParseCaseData(e.Event.Data)
	if !ok {
		return false, nil, nil
	}
	if action != followupAction || arg == "" {
		msgs, err := e.Forged(ctx)
		return true, msgs, err
	}
	stored, err := e.Tx.AnswerFollowup(ctx, id, e.Person.ID, arg, b.Now())
	if err != nil || !stored {
		return true, e.Note("button_stale"), err
	}
	e.DropButtons()
	return true, e.Text("followup_thanks_" + arg), nil
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
