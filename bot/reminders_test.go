package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/store"
)

// The reminder tests call RunReminders themselves, on a fake clock they
// set; the sweeper runs once at start (nothing is due then) and not again.

func withSweepEvery(d time.Duration) rigOption {
	return func(o *bot.Options, _ *[]botapitest.Option) { o.SweepEvery = d }
}

var hanoi = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return loc
}()

func local(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, hanoi)
}

func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// remindRig is a running bot on a fake clock set to start, with the
// communes loaded.
func remindRig(t *testing.T, start time.Time) (*rig, *fakeClock) {
	t.Helper()
	fc := &fakeClock{t: start}
	r := newRig(t, withFastLimits(), withClock(fc.Now), withSweepEvery(time.Hour))
	r.loadCommunes()
	r.run()
	return r, fc
}

// returnee adds a person in commune 07840 who can be written to.
func (r *rig) returnee(name string) (botapitest.User, int64) {
	r.t.Helper()
	u := r.api.NewUser(name, "vi")
	var id int64
	if err := r.x.Get(&id, `
INSERT INTO people (channel, external_id, chat_ref, language, full_name, commune_code)
VALUES ('telegram', $1, $1, 'vi', $2, '07840') RETURNING id`, itoa(u.ID), name); err != nil {
		r.t.Fatal(err)
	}
	return u, id
}

func (r *rig) exec(q string, args ...any) {
	r.t.Helper()
	if _, err := r.x.Exec(q, args...); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) runReminders() {
	r.t.Helper()
	if err := r.bot.RunReminders(r.ctx); err != nil {
		r.t.Fatal(err)
	}
}

// wantReminderState waits for a reminder to reach a state: the
// background sweeper may hold its row a moment.
func (r *rig) wantReminderState(kind string, ref int64, want string) {
	r.t.Helper()
	var got string
	deadline := clock.System().Add(10 * time.Second)
	for got = r.reminderState(kind, ref); got != want && clock.System().Before(deadline); got = r.reminderState(kind, ref) {
		time.Sleep(10 * time.Millisecond)
	}
	if got != want {
		r.t.Fatalf("reminder %s %d is %s, want %s", kind, ref, got, want)
	}
}

// reminderState is a reminder's status and reason, "kind/ref" naming it.
func (r *rig) reminderState(kind string, ref int64) string {
	r.t.Helper()
	var s string
	if err := r.x.Get(&s, `SELECT status || coalesce(':' || reason, '') FROM reminders WHERE kind = $1 AND ref_id = $2`, kind, ref); err != nil {
		r.t.Fatalf("reminder %s %d: %v", kind, ref, err)
	}
	return s
}

func (r *rig) wantBotCount(chat int64, n int, when string) {
	r.t.Helper()
	// The background sweeper may be the one that sends (it runs reminders
	// too, on the same clock): wait for it, then count exactly.
	if n > 0 {
		r.waitFor(when, func() bool { return len(r.botMessages(chat)) >= n })
	}
	if got := r.botMessages(chat); len(got) != n {
		r.t.Fatalf("%s: %d messages to %d, want %d: %+v", when, len(got), chat, n, got)
	}
}

// The day before a booked loan appointment, at 08:00 and not a minute
// before, the person is reminded of the place and time, once; a cancelled
// appointment is not reminded of.
func TestRemindLoanDay(t *testing.T) {
	r, fc := remindRig(t, local(2026, 12, 1, 10, 0))
	u, p := r.returnee("Lê Văn An")
	u2, p2 := r.returnee("Phạm Thị Bích")
	var day int64
	if err := r.x.Get(&day, `
INSERT INTO loan_days (commune_code, day, place, starts_at, ends_at, capacity)
VALUES ('07840', '2026-12-10', 'Điểm giao dịch xã Hoàng Vân', '08:30', '11:00', 20) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	var appt, appt2 int64
	if err := r.x.Get(&appt, `INSERT INTO appointments (loan_day_id, person_id) VALUES ($1, $2) RETURNING id`, day, p); err != nil {
		t.Fatal(err)
	}
	if err := r.x.Get(&appt2, `INSERT INTO appointments (loan_day_id, person_id) VALUES ($1, $2) RETURNING id`, day, p2); err != nil {
		t.Fatal(err)
	}
	r.runReminders()
	r.wantReminderState("loan_day", appt, "pending")
	r.exec(`UPDATE appointments SET status = 'cancelled', cancelled_at = now() WHERE id = $1`, appt2)

	fc.set(local(2026, 12, 9, 7, 59))
	r.runReminders()
	r.wantBotCount(u.ID, 0, "07:59 the day before")

	fc.set(local(2026, 12, 9, 8, 0))
	r.runReminders()
	r.wantBotCount(u.ID, 1, "08:00 the day before")
	m := r.botMessages(u.ID)[0]
	for _, want := range []string{"Điểm giao dịch xã Hoàng Vân", "08:30", "10/12/2026"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("reminder %q lacks %q", m.Text, want)
		}
	}
	fc.set(local(2026, 12, 9, 8, 15))
	r.runReminders()
	r.wantBotCount(u.ID, 1, "a later run")
	r.wantReminderState("loan_day", appt, "sent")
	var sentAt time.Time
	if err := r.x.Get(&sentAt, `SELECT sent_at FROM reminders WHERE kind = 'loan_day' AND ref_id = $1`, appt); err != nil || !sentAt.Equal(local(2026, 12, 9, 8, 0)) {
		t.Fatalf("sent_at %v (%v), want the bot's 08:00", sentAt, err)
	}
	r.wantBotCount(u2.ID, 0, "cancelled appointment")
	r.wantReminderState("loan_day", appt2, "skipped:appointment cancelled")
}

// Three days before a course starts, at 08:00, a person with an open
// course case for it is reminded; one whose case closed otherwise than
// enrolled is not.
func TestRemindCourseStart(t *testing.T) {
	r, fc := remindRig(t, local(2026, 12, 1, 10, 0))
	u, p := r.returnee("Nguyễn Văn Cường")
	u2, p2 := r.returnee("Trần Văn Dũng")
	var course int64
	if err := r.x.Get(&course, `
INSERT INTO courses (trade, title, provider, commune_code, start_date, length_value, length_unit, seats_total, enrol_deadline)
VALUES ('welding', 'Hàn điện cơ bản', 'Trường Cao đẳng Công nghiệp Bắc Ninh', '07840', '2026-12-20', 3, 'week', 20, '2026-12-15')
RETURNING id`); err != nil {
		t.Fatal(err)
	}
	var c1, c2 int64
	if err := r.x.Get(&c1, `INSERT INTO cases (person_id, kind, commune_code, course_id) VALUES ($1, 'course', '07840', $2) RETURNING id`, p, course); err != nil {
		t.Fatal(err)
	}
	if err := r.x.Get(&c2, `
INSERT INTO cases (person_id, kind, status, commune_code, course_id, closed_at, outcome)
VALUES ($1, 'course', 'closed', '07840', $2, $3, 'no_longer_needed') RETURNING id`, p2, course, local(2026, 11, 28, 10, 0)); err != nil {
		t.Fatal(err)
	}
	r.runReminders()
	fc.set(local(2026, 12, 17, 7, 59))
	r.runReminders()
	r.wantBotCount(u.ID, 0, "07:59 three days before")
	fc.set(local(2026, 12, 17, 8, 0))
	r.runReminders()
	r.wantBotCount(u.ID, 1, "08:00 three days before")
	if m := r.botMessages(u.ID)[0]; !strings.Contains(m.Text, "Hàn điện cơ bản") || !strings.Contains(m.Text, "20/12/2026") {
		t.Fatalf("course reminder %q", m.Text)
	}
	r.runReminders()
	r.wantBotCount(u.ID, 1, "a second run")
	r.wantReminderState("course_start", c1, "sent")
	r.wantBotCount(u2.ID, 0, "case closed, not enrolled")
	var n int
	if err := r.x.Get(&n, `SELECT count(*) FROM reminders WHERE kind = 'course_start' AND ref_id = $1`, c2); err != nil || n != 0 {
		t.Fatalf("%d course reminders (%v) for a case closed as no longer needed", n, err)
	}
}

// A job case closed at 22:30 gets its 30-day follow-up at 09:00 on day
// 30, not before; the answer button stores the answer on the case, and a
// forged answer from someone else changes nothing. The 90-day follow-up
// falls due at 09:00 too; the test keeps the bot from running until 22:00
// that day (quiet hours), so it waits until 07:00 the next morning.
func TestRemindFollowups(t *testing.T) {
	r, fc := remindRig(t, local(2026, 11, 1, 23, 0))
	u, p := r.returnee("Hoàng Văn Em")
	other, _ := r.returnee("Vũ Thị Gấm")
	var c int64
	if err := r.x.Get(&c, `
INSERT INTO cases (person_id, kind, status, commune_code, closed_at, outcome)
VALUES ($1, 'job', 'closed', '07840', $2, 'job_found') RETURNING id`, p, local(2026, 11, 1, 22, 30)); err != nil {
		t.Fatal(err)
	}
	r.runReminders()
	var due30, due90 time.Time
	if err := r.x.Get(&due30, `SELECT due_at FROM reminders WHERE kind = 'followup_30' AND ref_id = $1`, c); err != nil {
		t.Fatal(err)
	}
	if err := r.x.Get(&due90, `SELECT due_at FROM reminders WHERE kind = 'followup_90' AND ref_id = $1`, c); err != nil {
		t.Fatal(err)
	}
	if !due30.Equal(local(2026, 12, 1, 9, 0)) || !due90.Equal(local(2027, 1, 30, 9, 0)) {
		t.Fatalf("follow-ups due %v and %v", due30.In(hanoi), due90.In(hanoi))
	}

	fc.set(local(2026, 12, 1, 8, 59))
	r.runReminders()
	r.wantBotCount(u.ID, 0, "08:59 on day 30")
	fc.set(local(2026, 12, 1, 9, 0))
	r.runReminders()
	r.wantBotCount(u.ID, 1, "09:00 on day 30")
	q := r.botMessages(u.ID)[0]
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
	if err := r.x.Get(&rid, `SELECT id FROM reminders WHERE kind = 'followup_30' AND ref_id = $1`, c); err != nil {
		t.Fatal(err)
	}

	// Someone else sends an answer for this reminder: nothing changes.
	forged, err := r.api.InjectUpdate(models.Update{CallbackQuery: &models.CallbackQuery{
		ID: "forged-fu", From: models.User{ID: other.ID, FirstName: other.FirstName, LanguageCode: "vi"},
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &models.Message{
			ID: q.ID, Date: int(clock.System().Unix()), Chat: models.Chat{ID: other.ID, Type: models.ChatTypePrivate},
		}},
		Data: "k:fu:" + itoa(rid) + ":stopped",
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.waitSeen(forged)
	var answer, onCase *string
	if err := r.x.QueryRow(`SELECT r.answer, c.followup_30 FROM reminders r JOIN cases c ON c.id = r.ref_id WHERE r.id = $1`, rid).Scan(&answer, &onCase); err != nil {
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
	id, err := r.api.PressButton(u, q, working)
	if err != nil {
		t.Fatal(err)
	}
	r.waitSeen(id)
	if err := r.x.QueryRow(`SELECT r.answer, c.followup_30 FROM reminders r JOIN cases c ON c.id = r.ref_id WHERE r.id = $1`, rid).Scan(&answer, &onCase); err != nil {
		t.Fatal(err)
	}
	if answer == nil || *answer != "working" || onCase == nil || *onCase != "working" {
		t.Fatalf("answer %v, on the case %v; want working", answer, onCase)
	}
	r.waitText(u.ID, "Cảm ơn bạn")

	// Day 90: the bot next runs at 22:00, in quiet hours.
	before := len(r.botMessages(u.ID))
	fc.set(local(2027, 1, 30, 22, 0))
	r.runReminders()
	fc.set(local(2027, 1, 31, 6, 59))
	r.runReminders()
	r.wantBotCount(u.ID, before, "quiet hours")
	r.wantReminderState("followup_90", c, "pending")
	fc.set(local(2027, 1, 31, 7, 0))
	r.runReminders()
	r.wantBotCount(u.ID, before+1, "07:00 after quiet hours")
	r.wantReminderState("followup_90", c, "sent")
}

// Unreachable people and a case reopened since it was closed get
// nothing; the rows end skipped with the reason. People who turned
// announcements off still get their follow-up: /stop is about
// announcements only.
func TestRemindSkips(t *testing.T) {
	r, fc := remindRig(t, local(2026, 11, 2, 10, 0))
	closeCase := func(p int64) int64 {
		var c int64
		if err := r.x.Get(&c, `
INSERT INTO cases (person_id, kind, status, commune_code, closed_at, outcome)
VALUES ($1, 'loan', 'closed', '07840', $2, 'loan_referred') RETURNING id`, p, local(2026, 11, 1, 15, 0)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	off, pOff := r.returnee("Đặng Văn Hải")
	gone, pGone := r.returnee("Bùi Thị Hoa")
	back, pBack := r.returnee("Lý Văn Khánh")
	cOff, cGone, cBack := closeCase(pOff), closeCase(pGone), closeCase(pBack)
	r.runReminders()
	r.exec(`UPDATE people SET announcements_off = true WHERE id = $1`, pOff)
	r.exec(`UPDATE people SET reachable = false, unreachable_at = now(), unreachable_why = 'blocked' WHERE id = $1`, pGone)
	r.exec(`UPDATE cases SET status = 'new', closed_at = NULL, outcome = NULL WHERE id = $1`, cBack)

	fc.set(local(2026, 12, 1, 9, 0))
	r.runReminders()
	for _, u := range []botapitest.User{gone, back} {
		r.wantBotCount(u.ID, 0, u.FirstName)
	}
	r.wantBotCount(off.ID, 1, off.FirstName)
	for c, want := range map[int64]string{cOff: "sent", cGone: "skipped:unreachable", cBack: "skipped:case reopened"} {
		r.wantReminderState("followup_30", c, want)
	}
}

// A person who erased their data gets no follow-up, and their reminders
// move with the case to the anonymous record.
func TestRemindErased(t *testing.T) {
	r, fc := remindRig(t, local(2026, 11, 2, 10, 0))
	u, p := r.returnee("Đinh Văn Long")
	var c int64
	if err := r.x.Get(&c, `
INSERT INTO cases (person_id, kind, status, commune_code, closed_at, outcome)
VALUES ($1, 'course', 'closed', '07840', $2, 'enrolled') RETURNING id`, p, local(2026, 11, 1, 15, 0)); err != nil {
		t.Fatal(err)
	}
	r.runReminders()
	if err := r.db.InTx(r.ctx, func(tx *store.Tx) error { return tx.ErasePerson(r.ctx, p, fc.Now()) }); err != nil {
		t.Fatal(err)
	}
	// The case took a new number (store/groups.go); its reminder follows.
	old := c
	if err := r.x.Get(&c, `SELECT id FROM cases WHERE kind = 'course'`); err != nil || c == old {
		t.Fatalf("the erased case is %d, was %d (%v)", c, old, err)
	}
	fc.set(local(2026, 12, 1, 9, 0))
	r.runReminders()
	r.wantBotCount(u.ID, 0, "after erasure")
	r.wantReminderState("followup_30", c, "skipped:erased")
	var left int
	if err := r.x.Get(&left, `SELECT count(*) FROM reminders WHERE person_id = $1`, p); err != nil || left != 0 {
		t.Fatalf("%d reminders (%v) still tie the account to the case", left, err)
	}
}
