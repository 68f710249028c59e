package bot_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"reentrybot/bot"
	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/channel"
	"reentrybot/clock"
	"reentrybot/store"
)

// testChannel is bottest's test channel, under the names these tests knew.
type testChannel = bottest.Channel

var testCaps = bottest.ChannelCaps

// person drives one person of the test channel.
type person struct {
	r   *rig
	ch  *testChannel
	ref string
	n   int // events sent
	// seen is how many messages had arrived when the person last acted.
	seen int
}

func (p *person) event(ev channel.Event) {
	p.r.t.Helper()
	p.n++
	ev.ID, ev.From, ev.Name = fmt.Sprintf("%s-%d", p.ref, p.n), channel.Address{Channel: "test", Ref: p.ref}, "Minh"
	if ev.At.IsZero() {
		ev.At = clock.System()
	}
	before := len(p.ch.Messages(p.ref))
	if err := <-p.r.bot.HandleEvent(p.r.ctx, ev); err != nil {
		p.r.t.Fatalf("event %+v: %v", ev, err)
	}
	p.seen = before
	p.r.waitFor("the answer to "+ev.Text+ev.Data, func() bool { return len(p.ch.Messages(p.ref)) > before })
	time.Sleep(20 * time.Millisecond) // a split answer arrives whole
}

func (p *person) say(text string) { p.event(channel.Event{Kind: channel.EvText, Text: text}) }

// choose answers with option id: its button in the newest message that
// offers it, or its number in that message's list; it reports which.
func (p *person) choose(id string) (numbered bool) {
	p.r.t.Helper()
	ms := p.ch.Messages(p.ref)
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		for _, row := range m.Buttons {
			for _, b := range row {
				if _, bid, _ := channel.ParseButtonData(b.Data); bid == id {
					p.event(channel.Event{Kind: channel.EvButton, Data: b.Data})
					return false
				}
			}
		}
		if m.Menu != nil {
			for k, mid := range m.Menu.IDs {
				if mid == id {
					p.say(fmt.Sprint(k + 1))
					return true
				}
			}
		}
	}
	for _, m := range ms[p.seen:] {
		p.r.t.Logf("offered: %q buttons %v menu %v", m.Text, m.Buttons, m.Menu)
	}
	p.r.t.Fatalf("option %s not offered", id)
	return false
}

func (p *person) lastText() string {
	ms := p.ch.Messages(p.ref)
	return ms[len(ms)-1].Text
}

// The job flow end to end on a messenger with 3 buttons, 160 characters
// and no markup (issue 13): menus become numbered lists answered by
// typing the number, long texts are split, a number typed for a list no
// longer shown is refused politely, and the case is the same as on
// Telegram.
func TestSmallChannelCarriesJobFlow(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadCommunes()
	ch := &testChannel{}
	r.bot.AddChannel(ch)
	r.run()
	p := &person{r: r, ch: ch, ref: "u1"}

	p.event(channel.Event{Kind: channel.EvFollow})
	numbered := 0
	pick := func(ids ...string) {
		for _, id := range ids {
			if p.choose(id) {
				numbered++
			}
		}
	}
	pick("agree_all", "m:job")
	p.say("Nguyễn Văn Minh")
	p.say("1990")
	pick("g:male")
	p.say("0912345678")
	p.say("hiep hoa")
	pick("c:07840", "ed:upper_secondary", "t:garment", "t:factory", "done")

	// A number that names no choice of the list shown.
	p.say("42")
	if !strings.Contains(p.lastText(), "Không có lựa chọn số 42") {
		t.Errorf("number out of the list answered %q", p.lastText())
	}
	// A number typed before the newest list was shown meant an older one.
	p.event(channel.Event{Kind: channel.EvText, Text: "1", At: clock.System().Add(-time.Minute)})
	if !strings.Contains(p.lastText(), "cũ") {
		t.Errorf("stale number answered %q", p.lastText())
	}
	pick("v:none", "v:none", "v:province", "v:full", "v:any", "v:now", "v:no", "skip", "b:transport", "done", "done", "confirm")
	r.waitFor("the job case", func() bool {
		var n int
		return r.x.Get(&n, `SELECT count(*) FROM cases WHERE kind = 'job'`) == nil && n == 1
	})

	var c struct {
		Commune string          `db:"commune_code"`
		Answers json.RawMessage `db:"answers"`
		Channel string          `db:"channel"`
		Phone   string          `db:"phone"`
	}
	if err := r.x.Get(&c, `SELECT c.commune_code, c.answers, p.channel, p.phone FROM cases c JOIN people p ON p.id = c.person_id`); err != nil {
		t.Fatal(err)
	}
	if c.Commune != "07840" || c.Channel != "test" || c.Phone != "+84912345678" || !strings.Contains(string(c.Answers), `"garment"`) {
		t.Errorf("case %+v", c)
	}
	split := 0
	for i, m := range ch.Messages("u1") {
		if utf8.RuneCountInString(m.Text) > 160 {
			t.Errorf("message %d over 160 characters", i)
		}
		if utf8.RuneCountInString(m.Text) > 120 && m.Menu == nil && m.Buttons == nil {
			split++ // a long text's first pieces carry no buttons
		}
	}
	if numbered == 0 || split == 0 {
		t.Errorf("%d answers by number, %d split texts: the test channel did not exercise them", numbered, split)
	}
	// The same event again (a messenger's redelivery) is handled once.
	before := len(ch.Messages("u1"))
	if err := <-r.bot.HandleEvent(r.ctx, channel.Event{ID: "u1-1", From: channel.Address{Channel: "test", Ref: "u1"}, Kind: channel.EvFollow}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if after := len(ch.Messages("u1")); after != before {
		t.Errorf("a redelivered event was answered again: %d → %d messages", before, after)
	}
	var people int
	if err := r.x.Get(&people, `SELECT count(*) FROM people WHERE channel = 'test'`); err != nil || people != 1 {
		t.Errorf("%d people on the test channel (%v)", people, err)
	}
}

// A process that wrote events to the inbox and died before handling them
// (here: events written, no bot running) loses none: the next process's
// sweep handles each once, in order per person; redeliveries add nothing.
func TestInboxSurvivesACrashBeforeHandling(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadCommunes()
	ch := &testChannel{}
	r.bot.AddChannel(ch)
	var rows []store.InboxEvent
	people := []string{"a", "b", "c"}
	for k, text := range []string{"/start", "/help", "/start"} {
		for _, ref := range people {
			ev := channel.Event{ID: fmt.Sprintf("%s-%d", ref, k), From: channel.Address{Channel: "test", Ref: ref}, Kind: channel.EvText, Text: text, At: clock.System()}
			raw, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, store.InboxEvent{Channel: "test", EventID: ev.ID, Address: ref, Event: raw})
		}
	}
	for round, want := range []int64{9, 0} { // the second round is a redelivery
		n, err := r.db.AddToInbox(r.ctx, rows)
		if err != nil || n != want {
			t.Fatalf("round %d: %d added (%v), want %d", round, n, err, want)
		}
	}
	r.run() // the sweep at start finds them
	for _, ref := range people {
		r.waitFor("every event of "+ref+" handled", func() bool {
			var left int
			return r.x.Get(&left, `SELECT count(*) FROM inbox WHERE address = $1 AND (handled_at IS NULL OR event IS NOT NULL)`, ref) == nil && left == 0
		})
	}
	time.Sleep(200 * time.Millisecond) // the last answers leave the outbox
	for _, ref := range people {
		var order []string
		for _, m := range ch.Messages(ref) {
			switch {
			case strings.Contains(m.Text, "Xin chào"):
				order = append(order, "start")
			case strings.Contains(m.Text, "Các lệnh"):
				order = append(order, "help")
			}
		}
		if strings.Join(order, " ") != "start help start" {
			t.Errorf("%s: answers in the order %v, want start help start, once each", ref, order)
		}
	}
}

// The day before a loan appointment, a person on another channel gets the
// reminder there, fitted to it; a follow-up, whose answer buttons only
// Telegram routes today, is skipped with the reason.
func TestReminderOnAnotherChannel(t *testing.T) {
	fc := &fakeClock{t: local(2026, 12, 1, 10, 0)}
	r := newRig(t, withFastLimits(), withClock(fc.Now), withSweepEvery(time.Hour))
	r.loadCommunes()
	ch := &testChannel{}
	r.bot.AddChannel(ch)
	r.run()
	var p, day, appt int64
	if err := r.x.Get(&p, `
INSERT INTO people (channel, external_id, chat_ref, language, full_name, commune_code)
VALUES ('test', 'z1', 'z1', 'vi', 'Lê Văn An', '07840') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := r.x.Get(&day, `
INSERT INTO loan_days (commune_code, day, place, starts_at, ends_at, capacity)
VALUES ('07840', '2026-12-10', 'Điểm giao dịch xã Hoàng Vân', '08:30', '11:00', 20) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := r.x.Get(&appt, `INSERT INTO appointments (loan_day_id, person_id, created_at) VALUES ($1, $2, $3) RETURNING id`, day, p, fc.Now()); err != nil {
		t.Fatal(err)
	}
	var closed int64
	if err := r.x.Get(&closed, `
INSERT INTO cases (person_id, kind, commune_code, status, outcome, opened_at, closed_at)
VALUES ($1, 'job', '07840', 'closed', 'job_found', $2, $2) RETURNING id`, p, local(2026, 11, 1, 9, 0)); err != nil {
		t.Fatal(err)
	}
	r.runReminders()
	fc.set(local(2026, 12, 9, 8, 0))
	r.runReminders()
	r.wantReminderState("loan_day", appt, "sent")
	// The follow-up (three answers fit three buttons) and the loan day.
	ms := ch.Messages("z1")
	if len(ms) != 2 || !strings.Contains(ms[1].Text, "Điểm giao dịch xã Hoàng Vân") || strings.Contains(ms[1].Text, "<b>") {
		t.Fatalf("reminders on the test channel: %+v", ms)
	}
	r.wantReminderState("followup_30", closed, "sent")
	fu := ms[0]
	if fu.Purpose != channel.PurposeFollowUp || len(fu.Buttons) != 1 || len(fu.Buttons[0]) != 3 {
		t.Fatalf("follow-up on the test channel: %+v", fu)
	}
	// The person answers with a button; the answer is stored on the case.
	p0 := &person{r: r, ch: ch, ref: "z1"}
	p0.event(channel.Event{Kind: channel.EvButton, Data: fu.Buttons[0][0].Data})
	var answer string
	if err := r.x.Get(&answer, `SELECT coalesce(followup_30, '') FROM cases WHERE id = $1`, closed); err != nil || answer != "working" {
		t.Fatalf("follow-up answer on the case %q (%v), want working", answer, err)
	}
}

// An answer lost on another channel (the process stopped between the
// commit and the send) is asked again there, as on Telegram: the sweep of
// unanswered conversations covers every channel the bot runs.
func TestLostAnswerAskedAgainOnAnotherChannel(t *testing.T) {
	fc := &fakeClock{t: local(2026, 12, 1, 10, 0)}
	r := newRig(t, withFastLimits(), withClock(fc.Now), func(o *bot.Options, _ *[]botapitest.Option) { o.RepeatAfter = time.Second })
	ch := &testChannel{}
	r.bot.AddChannel(ch)
	r.run()
	p := &person{r: r, ch: ch, ref: "l1"}
	p.event(channel.Event{Kind: channel.EvFollow})
	lag := func() int {
		var n int
		if err := r.x.Get(&n, `SELECT c.version - c.answered_version FROM conversations c JOIN people p ON p.id = c.person_id WHERE p.external_id = 'l1'`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	r.waitFor("the answer recorded as sent", func() bool { return lag() == 0 })
	// As if the process had stopped after the commit, before the send.
	r.x.MustExec(`UPDATE conversations SET answered_version = version - 1 WHERE person_id = (SELECT id FROM people WHERE external_id = 'l1')`)
	before := len(ch.Messages("l1"))
	fc.set(fc.Now().Add(time.Minute))
	r.waitFor("the question asked again", func() bool { return len(ch.Messages("l1")) > before })
	if again := ch.Messages("l1")[before]; !strings.Contains(again.Text, repeatNote) {
		t.Errorf("asked again with %q, want the note %q", again.Text, repeatNote)
	}
	r.waitFor("the repeat recorded as sent", func() bool { return lag() == 0 })
}

// Writing at the menu long after a case was closed opens a new case on
// another channel too, as on Telegram (TestLateMessageOpensNewCase): the
// person is told the case number rather than shown the menu.
func TestLateTextOnAnotherChannelOpensNewCase(t *testing.T) {
	fc := &fakeClock{t: local(2026, 12, 1, 10, 0)}
	r := newRig(t, withFastLimits(), withClock(fc.Now))
	r.loadCommunes()
	ch := &testChannel{}
	r.bot.AddChannel(ch)
	r.run()
	var pid int64
	if err := r.x.Get(&pid, `
INSERT INTO people (channel, external_id, chat_ref, language, full_name, commune_code)
VALUES ('test', 'n1', 'n1', 'vi', 'Lê Văn An', '07840') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	r.x.MustExec(`INSERT INTO consents (person_id, purpose, granted, text_version, decided_at) VALUES ($1, 'other', true, 'v', $2)`, pid, fc.Now())
	r.x.MustExec(`
INSERT INTO cases (person_id, kind, commune_code, status, outcome, opened_at, closed_at)
VALUES ($1, 'job', '07840', 'closed', 'job_found', $2, $2)`, pid, local(2026, 10, 1, 9, 0))
	r.x.MustExec(`INSERT INTO conversations (person_id, flow, state, data, version, answered_version, updated_at)
VALUES ($1, 'menu', 'menu', '{}', 5, 5, $2)`, pid, local(2026, 10, 1, 9, 0)) // at the menu since
	p := &person{r: r, ch: ch, ref: "n1"}
	p.say("Em lai can tim viec")
	r.waitFor("a second case", func() bool {
		var n int
		return r.x.Get(&n, `SELECT count(*) FROM cases WHERE person_id = $1 AND kind = 'other' AND status = 'new'`, pid) == nil && n == 1
	})
	var said string
	for _, m := range ch.Messages("n1") {
		said += m.Text + "\n"
	}
	if !strings.Contains(said, "yêu cầu số 2") {
		t.Errorf("answered %q, want the new case's number", said)
	}
}

// A counsellor's conversation with a person on another channel: a photo
// the person sends cannot be copied into the topic from another
// messenger, so the topic says what came instead of an empty line.
func TestMediaFromAnotherChannelNamedInTopic(t *testing.T) {
	r := newRig(t, withFastLimits(), withClock(workingTime))
	r.loadCommunes()
	ch := &testChannel{}
	r.bot.AddChannel(ch)
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	counsellor := r.staffAccount(store.RoleCounsellor, []string{"07840"}, "Chị Lan")
	g := r.staffGroup(admin)
	p := &person{r: r, ch: ch, ref: "m1"}
	p.event(channel.Event{Kind: channel.EvFollow})
	p.choose("agree_all")
	p.choose("m:counsel")
	p.say("Trần Bình")
	p.say("0912345678")
	p.say("hiep hoa")
	p.choose("c:07840")
	p.say("Cần tư vấn")
	r.waitFor("a topic", func() bool { return len(r.api.Topics(g.ID)) == 1 })
	topic := r.api.Topics(g.ID)[0]
	r.waitFor("the card recorded", func() bool {
		var n int
		return r.x.Get(&n, `SELECT count(*) FROM cases WHERE id = 1 AND topic_card_msg_id IS NOT NULL`) == nil && n == 1
	})
	r.waitSeen(r.api.SendTextIn(g.ID, topic.ThreadID, counsellor, "/take"))
	r.waitFor("the case assigned", func() bool { return caseStatus(r, 1) == "assigned" })

	p.n++
	if err := <-r.bot.HandleEvent(r.ctx, channel.Event{ID: "m1-photo", From: channel.Address{Channel: "test", Ref: "m1"}, Kind: channel.EvMedia, Media: "photo", At: clock.System()}); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the topic told of the photo", func() bool {
		for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
			if strings.Contains(m.Text, "gửi một tệp (photo)") {
				return true
			}
		}
		return false
	})
	for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
		if strings.TrimSpace(strings.TrimPrefix(m.Text, "💬")) == "" || strings.HasSuffix(strings.TrimSpace(m.Text), ":") {
			t.Errorf("an empty line in the topic: %q", m.Text)
		}
	}

	// The counsellor's photo stays in the topic; the person is told one
	// was sent, not promised it with a line that ends in a colon.
	before := len(ch.Messages("m1"))
	r.waitSeen(r.api.SendPhotoIn(g.ID, topic.ThreadID, counsellor, "Giấy hẹn"))
	r.waitFor("the person told of the file", func() bool { return len(ch.Messages("m1")) > before })
	if got := ch.Messages("m1")[before].Text; !strings.Contains(got, "Chị Lan") || !strings.Contains(got, "chưa xem được") {
		t.Errorf("the person read %q", got)
	}
}
