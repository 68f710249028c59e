package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/bot/bottest"
	"reentrybot/channel"
	"reentrybot/store"
)

// On another channel, as on Telegram: an announcement reaches the person
// (text only, with how to stop them), /stop turns announcements off and
// /start asks before turning them back on; a forged case button is
// refused politely.
func TestAnnouncementsOnAnotherChannel(t *testing.T) {
	ctx := context.Background()
	clk := bottest.DayClock()
	r := newRig(t, withFastLimits(), withClock(clk.Now), bottest.WithBroadcast(bot.BroadcastOptions{Rate: 50}))
	r.loadCommunes()
	ch := &testChannel{}
	r.bot.AddChannel(ch)
	r.run()
	var pid, staff int64
	if err := r.x.Get(&pid, `
INSERT INTO people (channel, external_id, chat_ref, language, full_name, commune_code)
VALUES ('test', 'a1', 'a1', 'vi', 'Lê Văn An', '07840') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	r.x.MustExec(`INSERT INTO consents (person_id, purpose, granted, text_version, decided_at) VALUES ($1, 'announcements', true, 'v', $2)`, pid, clk.Now())
	if err := r.x.Get(&staff, `INSERT INTO staff (role, communes, display_name, telegram_user_id) VALUES ('officer', '{07840}', 'UBND xã Hoàng Vân', 4242) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	announce := func(body string) int64 {
		t.Helper()
		var id int64
		err := r.db.InTx(ctx, func(tx *store.Tx) error {
			d, err := tx.NewDraft(ctx, staff, 4242, "vi")
			if err != nil {
				return err
			}
			d.Body, d.Communes, d.Interest, d.Step = body, []string{"07840"}, "all", "confirm"
			if err := tx.SaveDraft(ctx, d); err != nil {
				return err
			}
			id = d.ID
			return tx.ConfirmBroadcast(ctx, d.ID, store.BroadcastScheduled, 1, clk.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	p := &person{r: r, ch: ch, ref: "a1"}

	first := announce("Hội chợ việc làm thứ Năm tại nhà văn hoá xã")
	r.waitFor("the announcement on the test channel", func() bool {
		for _, m := range ch.Messages("a1") {
			if strings.Contains(m.Text, "Hội chợ việc làm thứ Năm") {
				return true
			}
		}
		return false
	})
	r.waitFor("the delivery recorded as sent", func() bool { return r.DeliveryCounts(first)["sent"] == 1 })
	var all string
	for _, m := range ch.Messages("a1") {
		all += m.Text + "\n"
	}
	if !strings.Contains(all, "/stop") {
		t.Errorf("the announcement does not say how to stop them:\n%s", all)
	}

	p.say("/stop")
	var off bool
	if err := r.x.Get(&off, `SELECT announcements_off FROM people WHERE id = $1`, pid); err != nil || !off {
		t.Fatalf("after /stop announcements_off = %v (%v)", off, err)
	}
	second := announce("Lớp học nghề hàn bắt đầu tháng sau")
	r.waitFor("the second announcement started", func() bool {
		var started bool
		_ = r.x.Get(&started, `SELECT started_at IS NOT NULL FROM broadcasts WHERE id = $1`, second)
		return started
	})
	time.Sleep(200 * time.Millisecond)
	if got := r.DeliveryCounts(second); len(got) != 0 {
		t.Errorf("an announcement after /stop: deliveries %v", got)
	}
	for _, m := range ch.Messages("a1") {
		if strings.Contains(m.Text, "Lớp học nghề hàn") {
			t.Errorf("an announcement reached a person who sent /stop: %q", m.Text)
		}
	}

	p.say("/start")
	var question *channel.Message
	for _, m := range ch.Messages("a1")[p.seen:] {
		if len(m.Buttons) == 1 && len(m.Buttons[0]) == 2 {
			question = &m
		}
	}
	if question == nil {
		t.Fatal("/start after /stop did not ask whether to receive announcements again")
	}
	if err := r.x.Get(&off, `SELECT announcements_off FROM people WHERE id = $1`, pid); err != nil || !off {
		t.Fatalf("/start alone turned announcements back on")
	}
	p.event(channel.Event{Kind: channel.EvButton, Data: question.Buttons[0][0].Data})
	if err := r.x.Get(&off, `SELECT announcements_off FROM people WHERE id = $1`, pid); err != nil || off {
		t.Fatalf("after Có announcements_off = %v (%v)", off, err)
	}

	// A button naming a case action a returnee may not take.
	p.event(channel.Event{Kind: channel.EvButton, Data: "k:close:1"})
	var denied int
	if err := r.x.Get(&denied, `SELECT count(*) FROM audit_log WHERE action = 'denied_callback'`); err != nil || denied != 1 {
		t.Fatalf("forged case button: %d audit rows (%v)", denied, err)
	}
}
