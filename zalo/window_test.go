package zalo_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"reentrybot/bot/reminders"
	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/refdata"
	"reentrybot/store"
	"reentrybot/zalo"
	"reentrybot/zalotest"
)

// returnee is a Zalo follower who wrote to the bot (the window opens) and
// whose profile holds phone, consented to purposes.
func (r *rig) returnee(phone string, purposes ...flows.Purpose) (zalotest.User, int64) {
	r.t.Helper()
	u := r.fake.AddFollower("Minh")
	r.fake.SetPhone(u.ID, strings.TrimPrefix(phone, "+"))
	r.say(u.ID, "/help")
	p, err := r.db.PersonByExternal(r.ctx, "zalo", u.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	err = r.db.InTx(r.ctx, func(tx *store.Tx) error {
		for _, pur := range purposes {
			if err := tx.RecordConsent(r.ctx, flows.Consent{PersonID: p.ID, Purpose: pur, Granted: true, TextVersion: flows.ConsentTextVersion, At: r.clk.Now()}); err != nil {
				return err
			}
		}
		if phone == "" {
			return nil
		}
		return tx.SaveProfile(r.ctx, p.ID, flows.Profile{FullName: "Lê Văn Minh", BirthYear: 1990, Gender: "male", Phone: phone})
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return u, p.ID
}

func notDelivered(err error) string {
	var ce *channel.Error
	if errors.As(err, &ce) && ce.Kind == channel.NotDelivered {
		return ce.Reason
	}
	return ""
}

// What Send does with each kind of message at each distance from the
// person's last message: inside the window a consultation message,
// outside it the purpose's ZNS template (phone, consent, hour, cap
// permitting) or a refusal that says why; never a consultation message
// Zalo would refuse.
func TestWindowPolicy(t *testing.T) {
	monday9 := time.Date(2026, 11, 16, 9, 0, 0, 0, vn)
	tests := []struct {
		name    string
		after   time.Duration // since the person's last message
		purpose channel.Purpose
		phone   string
		consent []flows.Purpose
		paidCap int
		want    string // "cs", "zns:<template>" or a piece of the refusal
	}{
		{"reply inside", time.Hour, channel.PurposeReply, "", nil, 0, "cs"},
		{"counsellor inside", 47 * time.Hour, channel.PurposeCounsellor, "+84912345678", flows.Purposes, 0, "cs"},
		{"counsellor 50 h after: ZNS", 50 * time.Hour, channel.PurposeCounsellor, "+84912345678", flows.Purposes, 0, "zns:care-1"},
		{"counsellor 50 h after, no phone", 50 * time.Hour, channel.PurposeCounsellor, "", flows.Purposes, 0, "no phone"},
		{"counsellor 50 h after, consent withdrawn", 50 * time.Hour, channel.PurposeCounsellor, "+84912345678", []flows.Purpose{flows.PurposeAnnouncements}, 0, "no phone"},
		{"counsellor at 23:00: held until 06:00", 62 * time.Hour, channel.PurposeCounsellor, "+84912345678", flows.Purposes, 0, "held:2026-11-19T06:00:00+07:00"},
		{"follow-up at 23:00", 62 * time.Hour, channel.PurposeFollowUp, "+84912345678", flows.Purposes, 0, "06:00–22:00"},
		{"reminder at 23:00: a transaction", 62 * time.Hour, channel.PurposeReminder, "+84912345678", flows.Purposes, 0, "zns:remind-1"},
		{"announcement 8 days after", 8 * 24 * time.Hour, channel.PurposeAnnouncement, "+84912345678", flows.Purposes, 0, "zns:news-1"},
		{"announcement without its consent", 8 * 24 * time.Hour, channel.PurposeAnnouncement, "+84912345678", []flows.Purpose{flows.PurposeJob}, 0, "no phone"},
		{"a reply outside has no template", 50 * time.Hour, channel.PurposeReply, "+84912345678", flows.Purposes, 0, "no ZNS template"},
		{"paid cap spent", 50 * time.Hour, channel.PurposeCounsellor, "+84912345678", flows.Purposes, -1, "paid Zalo messages are spent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, rigOpts{start: monday9, paidCap: tt.paidCap})
			u, _ := r.returnee(tt.phone, tt.consent...)
			if tt.paidCap == -1 { // another message took the month's only paid send
				if _, err := r.x.Exec(`INSERT INTO zalo_paid (oa_id, month, sends) VALUES ($1, '2026-11-01', 100)`, r.fake.Options().OAID); err != nil {
					t.Fatal(err)
				}
			}
			r.clk.Advance(tt.after)
			before := len(r.fake.Messages(u.ID))
			calls := len(r.fake.Calls())
			err := r.ch.Send(r.ctx, channel.Address{Channel: zalo.Name, Ref: u.ID}, channel.Message{Text: "Chào anh, tôi là tư vấn viên. Thứ Hai anh qua Trung tâm nhé.", Purpose: tt.purpose})
			got := r.fake.Messages(u.ID)[before:]
			for _, c := range r.fake.Calls()[calls:] {
				if c.Error != 0 {
					t.Errorf("the fake refused %s: %d %s", c.Path, c.Error, c.Desc)
				}
			}
			switch {
			case tt.want == "cs":
				if err != nil || len(got) != 1 || got[0].Kind != "cs" {
					t.Fatalf("err %v, sent %+v; want a consultation message", err, got)
				}
			case strings.HasPrefix(tt.want, "zns:"):
				if err != nil || len(got) != 1 || got[0].Kind != "zns" || got[0].TemplateID != strings.TrimPrefix(tt.want, "zns:") || !strings.Contains(got[0].Data["message"], "tư vấn viên") {
					t.Fatalf("err %v, sent %+v; want %s", err, got, tt.want)
				}
				n, err := r.db.ZaloPaidSends(r.ctx, r.fake.Options().OAID, r.clk.Now().In(vn))
				if err != nil || n != 1 {
					t.Fatalf("%d paid sends counted (%v)", n, err)
				}
			case strings.HasPrefix(tt.want, "held:"):
				var ce *channel.Error
				if !errors.As(err, &ce) || ce.Kind != channel.Held || ce.Until.Format(time.RFC3339) != strings.TrimPrefix(tt.want, "held:") || len(got) != 0 {
					t.Fatalf("err %v, sent %+v; want %s", err, got, tt.want)
				}
			default:
				if why := notDelivered(err); !strings.Contains(why, tt.want) || len(got) != 0 {
					t.Fatalf("err %v, sent %+v; want not delivered, %q", err, got, tt.want)
				}
			}
		})
	}
}

// Zalo allows 8 consultation messages after an interaction: the ninth
// counsellor message goes as the template, not as a message Zalo would
// refuse.
func TestNinthReplyGoesAsTemplate(t *testing.T) {
	r := newRig(t, rigOpts{})
	u, _ := r.returnee("+84912345678", flows.Purposes...)
	to := channel.Address{Channel: zalo.Name, Ref: u.ID}
	used := 0
	for _, m := range r.fake.Messages(u.ID) {
		if m.Kind == "cs" {
			used++
		}
	}
	for i := used; i < 9; i++ {
		if err := r.ch.Send(r.ctx, to, channel.Message{Text: "Tin nhắn", Purpose: channel.PurposeCounsellor}); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	ms := r.fake.Messages(u.ID)
	if last := ms[len(ms)-1]; last.Kind != "zns" {
		t.Fatalf("the ninth message went as %s", last.Kind)
	}
	for _, c := range r.fake.Calls() {
		if c.Error != 0 {
			t.Errorf("the fake refused %s: %d %s", c.Path, c.Error, c.Desc)
		}
	}
}

// The day before a loan appointment, eight days after the person last
// wrote, the reminder goes as the transaction template at 08:00.
func TestLoanDayReminderOutsideWindowIsZNS(t *testing.T) {
	r := newRig(t, rigOpts{start: time.Date(2026, 12, 1, 10, 0, 0, 0, vn)})
	u, person := r.returnee("+84912345678", flows.Purposes...)
	var day, appt int64
	if err := r.db.InTx(r.ctx, func(tx *store.Tx) error { _, err := refdata.LoadCommunes(r.ctx, tx); return err }); err != nil {
		t.Fatal(err)
	}
	if err := r.x.Get(&day, `
INSERT INTO loan_days (commune_code, day, place, starts_at, ends_at, capacity)
VALUES ('07840', '2026-12-10', 'Điểm giao dịch xã Hoàng Vân', '08:30', '11:00', 20) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := r.x.Get(&appt, `INSERT INTO appointments (loan_day_id, person_id, created_at) VALUES ($1, $2, $3) RETURNING id`, day, person, r.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if err := reminders.Run(r.ctx, r.bot); err != nil {
		t.Fatal(err)
	}
	r.clk.Set(time.Date(2026, 12, 9, 8, 0, 0, 0, vn))
	if err := reminders.Run(r.ctx, r.bot); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the reminder sent", func() bool {
		var s string
		return r.x.Get(&s, `SELECT status FROM reminders WHERE kind = 'loan_day' AND ref_id = $1`, appt) == nil && s == "sent"
	})
	ms := r.fake.Messages(u.ID)
	last := ms[len(ms)-1]
	if last.Kind != "zns" || last.TemplateID != "remind-1" || !strings.Contains(last.Data["message"], "Hoàng Vân") || last.At.In(vn).Hour() != 8 {
		t.Fatalf("reminder went as %+v", last)
	}
}

// The composer's preview: who an announcement reaches by message, by
// template, or not at all, now.
func TestAnnouncementPreview(t *testing.T) {
	r := newRig(t, rigOpts{start: time.Date(2026, 11, 16, 9, 0, 0, 0, vn)})
	old, _ := r.returnee("+84912345678", flows.Purposes...)
	noConsent, _ := r.returnee("+84987654321", flows.PurposeJob)
	r.clk.Advance(72 * time.Hour) // Thursday 09:00: both outside the window
	recent, _ := r.returnee("+84911111111", flows.Purposes...)
	refs := []string{old.ID, noConsent.ID, recent.ID}
	got, err := r.ch.Preview(r.ctx, refs)
	if err != nil || got != (zalo.Reach{Messages: 1, Templates: 1, Skipped: 1}) {
		t.Fatalf("at 09:00: %+v (%v)", got, err)
	}
	r.clk.Advance(14 * time.Hour) // 23:00: no announcement template goes
	if got, err := r.ch.Preview(r.ctx, refs); err != nil || got != (zalo.Reach{Messages: 1, Templates: 0, Skipped: 2}) {
		t.Fatalf("at 23:00: %+v (%v)", got, err)
	}
	if n, _ := r.db.ZaloPaidSends(r.ctx, r.fake.Options().OAID, r.clk.Now()); n != 0 {
		t.Fatalf("a preview counted %d paid sends", n)
	}
}

// A counsellor's answer through the bot's relay, 50 h after the person's
// last message (Wednesday 11:00): it reaches them as the care template.
// The next, at 23:00, cannot go before 06:00: the case's topic is told
// once (however often the sweep tries), and the answer goes by itself in
// the morning, before the one written after it. Zalo never refused a
// message on the way.
func TestCounsellorAnswerAfter50Hours(t *testing.T) {
	r := newRig(t, rigOpts{sweep: 100 * time.Millisecond})
	u, person := r.returnee("+84912345678", flows.Purposes...)
	var caseID int64
	if err := r.x.Get(&caseID, `INSERT INTO cases (person_id, kind, status, opened_at, updated_at) VALUES ($1, 'other', 'assigned', $2, $2) RETURNING id`, person, r.clk.Now()); err != nil {
		t.Fatal(err)
	}
	answer := func(text string) int64 {
		t.Helper()
		var id int64
		err := r.db.InTx(r.ctx, func(tx *store.Tx) error {
			var err error
			id, err = tx.AddCaseEvent(r.ctx, store.NewEvent{CaseID: caseID, Actor: "staff", Kind: "message", Body: text, RelayTo: "returnee"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	r.clk.Advance(50 * time.Hour)
	answer("Thứ Hai anh qua Trung tâm nhé")
	r.waitFor("the answer as ZNS", func() bool {
		ms := r.fake.Messages(u.ID)
		last := ms[len(ms)-1]
		return last.Kind == "zns" && last.TemplateID == "care-1" && strings.Contains(last.Data["message"], "Thứ Hai anh qua")
	})
	r.clk.Advance(12 * time.Hour) // 23:00
	ev := answer("Anh nhớ mang giấy tờ")
	next := answer("Mai 8 giờ nhé")
	notices := func(key string) int {
		var n int
		if err := r.x.Get(&n, `SELECT count(*) FROM case_events WHERE case_id = $1 AND kind = 'notice' AND body = $2`, caseID, key); err != nil {
			t.Fatal(err)
		}
		return n
	}
	r.waitFor("the topic told the answer waits", func() bool { return notices("topic_held") == 1 })
	// Several sweeps later: still one notice, nothing sent, nothing failed.
	sent := len(r.fake.Messages(u.ID))
	time.Sleep(300 * time.Millisecond) // three sweeps at 100 ms: nothing may happen
	var held struct {
		Until  time.Time `db:"held_until"`
		Failed string    `db:"failed"`
		Sent   bool      `db:"sent"`
	}
	if err := r.x.Get(&held, `SELECT held_until, coalesce(relay_error, '') AS failed, relayed_at IS NOT NULL AS sent FROM case_events WHERE id = $1`, ev); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 19, 6, 0, 0, 0, vn); !held.Until.Equal(want) || held.Failed != "" || held.Sent {
		t.Fatalf("held answer %+v, want held until %s", held, want)
	}
	if notices("topic_held") != 1 || notices("topic_not_delivered") != 0 || len(r.fake.Messages(u.ID)) != sent {
		t.Fatalf("at night: %d held notices, %d not delivered, %d sent", notices("topic_held"), notices("topic_not_delivered"), len(r.fake.Messages(u.ID))-sent)
	}
	r.clk.Advance(7 * time.Hour) // 06:00
	r.waitFor("both answers in the morning, in order", func() bool {
		ms := r.fake.Messages(u.ID)
		return len(ms) == sent+2 && strings.Contains(ms[sent].Data["message"], "mang giấy tờ") && strings.Contains(ms[sent+1].Data["message"], "8 giờ")
	})
	r.waitFor("both answers marked relayed", func() bool {
		var pending int
		return r.x.Get(&pending, `SELECT count(*) FROM case_events WHERE id IN ($1, $2) AND relayed_at IS NULL`, ev, next) == nil && pending == 0
	})
	for _, c := range r.fake.Calls() {
		if c.Error != 0 {
			t.Errorf("the fake refused %s: %d %s", c.Path, c.Error, c.Desc)
		}
	}
}
