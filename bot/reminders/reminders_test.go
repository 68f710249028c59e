package reminders_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// The reminder tests call reminders.Run themselves, on a fake clock they
// set (bottest.Reminding).
func remindRig(t *testing.T, start time.Time) (*rig, *clock.Fake) {
	t.Helper()
	r, fc := bottest.Reminding(t, start)
	return &rig{r}, fc
}

// rig adds the counting of the bot's messages these tests need.
type rig struct{ *bottest.Rig }

func (r *rig) wantBotCount(chat int64, n int, when string) {
	r.T.Helper()
	// The background sweeper may be the one that sends (it runs reminders
	// too, on the same clock): wait for it, then count exactly.
	if n > 0 {
		r.WaitFor(when, func() bool { return len(r.BotMessages(chat)) >= n })
	}
	if got := r.BotMessages(chat); len(got) != n {
		r.T.Fatalf("%s: %d messages to %d, want %d: %+v", when, len(got), chat, n, got)
	}
}

// The day before a booked loan appointment, at 08:00 and not a minute
// before, the person is reminded of the place and time, once; a cancelled
// appointment is not reminded of.
func TestRemindLoanDay(t *testing.T) {
	r, fc := remindRig(t, bottest.Local(2026, 12, 1, 10, 0))
	u, p := r.Returnee("Lê Văn An")
	u2, p2 := r.Returnee("Phạm Thị Bích")
	var day int64
	if err := r.X.Get(&day, `
INSERT INTO loan_days (commune_code, day, place, starts_at, ends_at, capacity)
VALUES ('07840', '2026-12-10', 'Điểm giao dịch xã Hoàng Vân', '08:30', '11:00', 20) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	var appt, appt2 int64
	if err := r.X.Get(&appt, `INSERT INTO appointments (loan_day_id, person_id) VALUES ($1, $2) RETURNING id`, day, p); err != nil {
		t.Fatal(err)
	}
	if err := r.X.Get(&appt2, `INSERT INTO appointments (loan_day_id, person_id) VALUES ($1, $2) RETURNING id`, day, p2); err != nil {
		t.Fatal(err)
	}
	r.RunReminders()
	r.WantReminderState("loan_day", appt, "pending")
	r.Exec(`UPDATE appointments SET status = 'cancelled', cancelled_at = now() WHERE id = $1`, appt2)

	fc.Set(bottest.Local(2026, 12, 9, 7, 59))
	r.RunReminders()
	r.wantBotCount(u.ID, 0, "07:59 the day before")

	fc.Set(bottest.Local(2026, 12, 9, 8, 0))
	r.RunReminders()
	r.wantBotCount(u.ID, 1, "08:00 the day before")
	m := r.BotMessages(u.ID)[0]
	for _, want := range []string{"Điểm giao dịch xã Hoàng Vân", "08:30", "10/12/2026"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("reminder %q lacks %q", m.Text, want)
		}
	}
	fc.Set(bottest.Local(2026, 12, 9, 8, 15))
	r.RunReminders()
	r.wantBotCount(u.ID, 1, "a later run")
	r.WantReminderState("loan_day", appt, "sent")
	var sentAt time.Time
	if err := r.X.Get(&sentAt, `SELECT sent_at FROM reminders WHERE kind = 'loan_day' AND ref_id = $1`, appt); err != nil || !sentAt.Equal(bottest.Local(2026, 12, 9, 8, 0)) {
		t.Fatalf("sent_at %v (%v), want the bot's 08:00", sentAt, err)
	}
	r.wantBotCount(u2.ID, 0, "cancelled appointment")
	r.WantReminderState("loan_day", appt2, "skipped:appointment cancelled")
}

// Three days before a course starts, at 08:00, a person with an open
// course case for it is reminded; one whose case closed otherwise than
// enrolled is not.
func TestRemindCourseStart(t *testing.T) {
	r, fc := remindRig(t, bottest.Local(2026, 12, 1, 10, 0))
	u, p := r.Returnee("Nguyễn Văn Cường")
	u2, p2 := r.Returnee("Trần Văn Dũng")
	var course int64
	if err := r.X.Get(&course, `
INSERT INTO courses (trade, title, provider, commune_code, start_date, length_value, length_unit, seats_total, enrol_deadline)
VALUES ('welding', 'Hàn điện cơ bản', 'Trường Cao đẳng Công nghiệp Bắc Ninh', '07840', '2026-12-20', 3, 'week', 20, '2026-12-15')
RETURNING id`); err != nil {
		t.Fatal(err)
	}
	var c1, c2 int64
	if err := r.X.Get(&c1, `INSERT INTO cases (person_id, kind, commune_code, course_id) VALUES ($1, 'course', '07840', $2) RETURNING id`, p, course); err != nil {
		t.Fatal(err)
	}
	if err := r.X.Get(&c2, `
INSERT INTO cases (person_id, kind, status, commune_code, course_id, closed_at, outcome)
VALUES ($1, 'course', 'closed', '07840', $2, $3, 'no_longer_needed') RETURNING id`, p2, course, bottest.Local(2026, 11, 28, 10, 0)); err != nil {
		t.Fatal(err)
	}
	r.RunReminders()
	fc.Set(bottest.Local(2026, 12, 17, 7, 59))
	r.RunReminders()
	r.wantBotCount(u.ID, 0, "07:59 three days before")
	fc.Set(bottest.Local(2026, 12, 17, 8, 0))
	r.RunReminders()
	r.wantBotCount(u.ID, 1, "08:00 three days before")
	if m := r.BotMessages(u.ID)[0]; !strings.Contains(m.Text, "Hàn điện cơ bản") || !strings.Contains(m.Text, "20/12/2026") {
		t.Fatalf("course reminder %q", m.Text)
	}
	r.RunReminders()
	r.wantBotCount(u.ID, 1, "a second run")
	r.WantReminderState("course_start", c1, "sent")
	r.wantBotCount(u2.ID, 0, "case closed, not enrolled")
	var n int
	if err := r.X.Get(&n, `SELECT count(*) FROM reminders WHERE kind = 'course_start' AND ref_id = $1`, c2); err != nil || n != 0 {
		t.Fatalf("%d course reminders (%v) for a case closed as no longer needed", n, err)
	}
}

// A job case closed at 22:30 gets its 30-day follow-up at 09:00 on day
// 30, not before; the answer button stores the answer on the case, and a
// forged answer from someone else changes nothing. The 90-day follow-up
// falls due at 09:00 too; the test keeps the bot from running until 22:00
// that day (quiet hours), so it waits until 07:00 the next morning.
func TestRemindFollowups(t *testing.T) {
	r, fc := remindRig(t, bottest.Local(2026, 11, 1, 23, 0))
	u, p := r.Returnee("Hoàng Văn Em")
	other, _ := r.Returnee("Vũ Thị Gấm")
	var c int64
	if err := r.X.Get(&c, `
INSERT INTO cases (person_id, kind, status, commune_code, closed_at, outcome)
VALUES ($1, 'job', 'closed', '07840', $2, 'job_found') RETURNING id`, p, bottest.Local(2026, 11, 1, 22, 30)); err != nil {
		t.Fatal(err)
	}
	r.RunReminders()
	var due30, due90 time.Time
	if err := r.X.Get(&due30, `SELECT due_at FROM reminders WHERE kind = 'followup_30' AND ref_id = $1`, c); err != nil {
		t.Fatal(err)
	}
	if err := r.X.Get(&due90, `SELECT due_at FROM reminders WHERE kind = 'followup_90' AND ref_id = $1`, c); err != nil {
		t.Fatal(err)
	}
	if !due30.Equal(bottest.Local(2026, 12, 1, 9, 0)) || !due90.Equal(bottest.Local(2027, 1, 30, 9, 0)) {
		t.Fatalf("follow-ups due %v and %v", due30.In(bottest.Hanoi), due90.In(bottest.Hanoi))
	}

	fc.Set(bottest.Local(2026, 12, 1, 8, 59))
	r.RunReminders()
	r.wantBotCount(u.ID, 0, "08:59 on day 30")
	fc.Set(bottest.Local(2026, 12, 1, 9, 0))
	r.RunReminders()
	r.wantBotCount(u.ID, 1, "09:00 on day 30")
	q := r.BotMessages(u.ID)[0]
	if !strings.Contains(q.Text, "hiện bạn đã có việc làm chưa?") {
		t.Fatalf("follow-up %q", q.Text)
	}
	var buttons []models.InlineKeyboardButton
	if q.Markup != nil {
		for _, row := range q.Markup.InlineKeyboard {
			buttons = append(buttons, row...)
		}
	}
	if len(buttons) < 2 || len(buttons) > 3 {
		t.Fatalf("follow-up has %d buttons", len(buttons))
	}
	var rid int64
	if err := r.X.Get(&rid, `SELECT id FROM reminders WHERE kind = 'followup_30' AND ref_id = $1`, c); err != nil {
		t.Fatal(err)
	}

	// Someone else sends an answer for this reminder: nothing changes.
	forged, err := r.API.InjectUpdate(models.Update{CallbackQuery: &models.CallbackQuery{
		ID: "forged-fu", From: models.User{ID: other.ID, FirstName: other.FirstName, LanguageCode: "vi"},
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &models.Message{
			ID: q.ID, Date: int(clock.System().Unix()), Chat: models.Chat{ID: other.ID, Type: models.ChatTypePrivate},
		}},
		Data: "k:fu:" + strconv.FormatInt(rid, 10) + ":stopped",
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.WaitSeen(forged)
	var answer, onCase *string
	if err := r.X.QueryRow(`SELECT r.answer, c.followup_30 FROM reminders r JOIN cases c ON c.id = r.ref_id WHERE r.id = $1`, rid).Scan(&answer, &onCase); err != nil {
		t.Fatal(err)
	}
	if answer != nil || onCase != nil {
		t.Fatalf("a forged answer was stored: %v %v", answer, onCase)
	}

	// The person answers.
	var working string
	for _, b := range buttons {
		if strings.HasSuffix(b.CallbackData, ":working") {
			working = b.CallbackData
		}
	}
	id, err := r.API.PressButton(u, q, working)
	if err != nil {
		t.Fatal(err)
	}
	r.WaitSeen(id)
	if err := r.X.QueryRow(`SELECT r.answer, c.followup_30 FROM reminders r JOIN cases c ON c.id = r.ref_id WHERE r.id = $1`, rid).Scan(&answer, &onCase); err != nil {
		t.Fatal(err)
	}
	if answer == nil || *answer != "working" || onCase == nil || *onCase != "working" {
		t.Fatalf("answer %v, on the case %v; want working", answer, onCase)
	}
	r.WaitText(u.ID, "Cảm ơn bạn")

	// Day 90: the bot next runs at 22:00, in quiet hours.
	before := len(r.BotMessages(u.ID))
	fc.Set(bottest.Local(2027, 1, 30, 22, 0))
	r.RunReminders()
	fc.Set(bottest.Local(2027, 1, 31, 6, 59))
	r.RunReminders()
	r.wantBotCount(u.ID, before, "quiet hours")
	r.WantReminderState("followup_90", c, "pending")
	fc.Set(bottest.Local(2027, 1, 31, 7, 0))
	r.RunReminders()
	r.wantBotCount(u.ID, before+1, "07:00 after quiet hours")
	r.WantReminderState("followup_90", c, "sent")
}

// Unreachable people and a case reopened since it was closed get
// nothing; the rows end skipped with the reason. People who turned
// announcements off still get their follow-up: /stop is about
// announcements only.
func TestRemindSkips(t *testing.T) {
	r, fc := remindRig(t, bottest.Local(2026, 11, 2, 10, 0))
	closeCase := func(p int64) int64 {
		var c int64
		if err := r.X.Get(&c, `
INSERT INTO cases (person_id, kind, status, commune_code, closed_at, outcome)
VALUES ($1, 'loan', 'closed', '07840', $2, 'loan_referred') RETURNING id`, p, bottest.Local(2026, 11, 1, 15, 0)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	off, pOff := r.Returnee("Đặng Văn Hải")
	gone, pGone := r.Returnee("Bùi Thị Hoa")
	back, pBack := r.Returnee("Lý Văn Khánh")
	cOff, cGone, cBack := closeCase(pOff), closeCase(pGone), closeCase(pBack)
	r.RunReminders()
	r.Exec(`UPDATE people SET announcements_off = true WHERE id = $1`, pOff)
	r.Exec(`UPDATE people SET reachable = false, unreachable_at = now(), unreachable_why = 'blocked' WHERE id = $1`, pGone)
	r.Exec(`UPDATE cases SET status = 'new', closed_at = NULL, outcome = NULL WHERE id = $1`, cBack)

	fc.Set(bottest.Local(2026, 12, 1, 9, 0))
	r.RunReminders()
	for _, u := range []botapitest.User{gone, back} {
		r.wantBotCount(u.ID, 0, u.FirstName)
	}
	r.wantBotCount(off.ID, 1, off.FirstName)
	for c, want := range map[int64]string{cOff: "sent", cGone: "skipped:unreachable", cBack: "skipped:case reopened"} {
		r.WantReminderState("followup_30", c, want)
	}
}

// A person who erased their data gets no follow-up, and their reminders
// move with the case to the anonymous record.
func TestRemindErased(t *testing.T) {
	r, fc := remindRig(t, bottest.Local(2026, 11, 2, 10, 0))
	u, p := r.Returnee("Đinh Văn Long")
	var c int64
	if err := r.X.Get(&c, `
INSERT INTO cases (person_id, kind, status, commune_code, closed_at, outcome)
VALUES ($1, 'course', 'closed', '07840', $2, 'enrolled') RETURNING id`, p, bottest.Local(2026, 11, 1, 15, 0)); err != nil {
		t.Fatal(err)
	}
	r.RunReminders()
	if err := r.DB.InTx(r.Ctx, func(tx *store.Tx) error { return tx.ErasePerson(r.Ctx, p, fc.Now()) }); err != nil {
		t.Fatal(err)
	}
	// The case took a new number (store/groups.go); its reminder follows.
	old := c
	if err := r.X.Get(&c, `SELECT id FROM cases WHERE kind = 'course'`); err != nil || c == old {
		t.Fatalf("the erased case is %d, was %d (%v)", c, old, err)
	}
	fc.Set(bottest.Local(2026, 12, 1, 9, 0))
	r.RunReminders()
	r.wantBotCount(u.ID, 0, "after erasure")
	r.WantReminderState("followup_30", c, "skipped:erased")
	var left int
	if err := r.X.Get(&left, `SELECT count(*) FROM reminders WHERE person_id = $1`, p); err != nil || left != 0 {
		t.Fatalf("%d reminders (%v) still tie the account to the case", left, err)
	}
}
