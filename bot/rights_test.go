package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/store"
)

// scanFor lists "table.column" for every text, varchar, json, jsonb and
// array column of the database that holds one of the needles.
func scanFor(t *testing.T, x *sqlx.DB, needles ...string) []string {
	t.Helper()
	var cols []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
	}
	if err := x.Select(&cols, `
SELECT c.table_name, c.column_name FROM information_schema.columns c
  JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
 WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
   AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')
 ORDER BY 1, 2`); err != nil {
		t.Fatal(err)
	}
	if len(cols) < 20 {
		t.Fatalf("only %d text columns found: the scan looks at the wrong schema", len(cols))
	}
	var found []string
	for _, c := range cols {
		for _, n := range needles {
			var hit bool
			q := fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %q WHERE strpos(%q::text, $1) > 0)`, c.Table, c.Column)
			if err := x.Get(&hit, q, n); err != nil {
				t.Fatal(err)
			}
			if hit {
				found = append(found, c.Table+"."+c.Column+" holds "+n)
			}
		}
	}
	return found
}

func lastDocument(r *rig, chat int64) (botapitest.Message, bool) {
	msgs := r.botMessages(chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Kind == "document" {
			return msgs[i], true
		}
	}
	return botapitest.Message{}, false
}

// A person finishes a job and a loan request, writes to their counsellor
// and gets an answer, downloads their data with /mydata, then /delete and
// confirm: no table keeps their name or phone number, and the anonymous
// figures stay.
func TestDeleteErasesThePerson(t *testing.T) {
	// The topic notice goes out with the relay sweep.
	sweep := func(o *bot.Options, _ *[]botapitest.Option) { o.SweepEvery = 200 * time.Millisecond }
	r := newRig(t, withFastLimits(), sweep)
	r.loadSamples()
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	counsellor := r.staffAccount(store.RoleCounsellor, nil, "Chị Lan")
	g := r.staffGroup(admin)

	const name, phone = "Trần Thị Bích Ngọc", "912345678"
	u := r.api.NewUser("Ngọc", "vi")
	d := r.driver(u)
	d.consentAndProfile("m:job", name)
	for _, id := range []string{"t:garment", "done", "v:none", "v:none", "v:province", "v:full", "v:any", "v:now", "v:no"} {
		d.tap(id)
	}
	d.say("Tôi là " + name + ", biết may, gọi 0" + phone)
	for _, id := range []string{"b:transport", "done", "done", "confirm"} {
		d.tap(id)
	}
	r.waitText(u.ID, "số 1")
	d.tap("m:loan")
	for _, id := range []string{"v:business", "v:lt30", "v:yes", "skip", "v:yes", "v:yes", "v:no"} {
		d.tap(id)
	}
	d.tapFirst("d:")
	d.tap("confirm")
	r.waitText(u.ID, "số 2")

	// The counsellor takes the job case and answers; the person writes back.
	r.waitSeen(r.api.SendText(counsellor, "/take 1"))
	r.waitSeen(r.api.SendText(counsellor, "Chào chị Ngọc, chị gọi lại số 0"+phone+" nhé"))
	r.waitText(u.ID, "chị gọi lại số")
	d.say("Vâng, em là " + name)
	r.waitFor("the reply on the case", func() bool {
		var n int
		_ = r.x.Get(&n, `SELECT count(*) FROM case_events WHERE actor = 'returnee' AND kind = 'message'`)
		return n == 1
	})
	if found := scanFor(t, r.x, name, phone); len(found) < 4 {
		t.Fatalf("the fixture is too thin: %v", found)
	}

	// /mydata: the file first, then the view with its buttons.
	d.say("/mydata")
	r.waitFor("the data file", func() bool { _, ok := lastDocument(r, u.ID); return ok })
	doc, _ := lastDocument(r, u.ID)
	if !strings.HasSuffix(doc.FileName, ".json") || doc.FileSize < 500 || !strings.Contains(doc.Caption, "2 yêu cầu, 1 lịch hẹn và 2 tin nhắn") {
		t.Errorf("data file %q, %d bytes, caption %q", doc.FileName, doc.FileSize, doc.Caption)
	}
	view := r.waitText(u.ID, "Dữ liệu của bạn")
	if view.ID < doc.ID || !strings.Contains(view.Text, name) {
		t.Errorf("the view (%d) should follow the file (%d) and show the name: %q", view.ID, doc.ID, view.Text)
	}

	// /delete asks first; Keep keeps.
	d.say("/delete")
	d.tap("no")
	r.waitText(u.ID, "Dữ liệu của bạn")
	if found := scanFor(t, r.x, name); len(found) == 0 {
		t.Fatal("Keep erased the data")
	}
	d.say("/delete")
	d.tap("yes")
	r.waitText(u.ID, "Đã xóa thông tin của bạn")

	if found := scanFor(t, r.x, name, phone); len(found) > 0 {
		t.Errorf("after /delete the database still holds the person: %v", found)
	}
	// Erasure reaches Telegram: both case topics are deleted with every
	// message in them, and the counsellors are told in the group's
	// General thread, without a case number.
	r.waitFor("both topics deleted and the group told", func() bool {
		told := 0
		for _, m := range r.api.TopicMessages(g.ID, 0) {
			if strings.Contains(m.Text, "Một người dân đã xóa dữ liệu của mình") && !strings.Contains(m.Text, "#") {
				told++
			}
		}
		return len(r.api.Topics(g.ID)) == 0 && told == 2
	})
	// No chat holds anything of the person: neither the staff group, nor
	// the counsellor's private chat, where case 1 was taken (the card, the
	// relayed message and what the counsellor wrote there are deleted),
	// nor the person's own chat with the bot (their answers and the bot's
	// summaries, deleted up to the erasure; the confirmation after it stays).
	r.waitFor("the posts in private chats and the person's chat deleted", func() bool {
		var left int
		return r.x.Get(&left, `SELECT (SELECT count(*) FROM case_posts) + (SELECT count(*) FROM chat_erasures)`) == nil && left == 0
	})
	for chat, texts := range r.api.StoredTexts() {
		for _, s := range texts {
			if strings.Contains(s, name) || strings.Contains(s, phone) || strings.Contains(s, "Ngọc") {
				t.Errorf("chat %d still holds %q", chat, s)
			}
		}
	}
	r.waitFor("no case names a topic", func() bool {
		var linked int
		return r.x.Get(&linked, `SELECT count(*) FROM cases WHERE topic_thread_id IS NOT NULL OR topic_chat_id IS NOT NULL`) == nil && linked == 0
	})
	var person int64
	if err := r.x.Get(&person, `SELECT id FROM people WHERE external_id = $1`, fmt.Sprint(u.ID)); err != nil {
		t.Fatal(err)
	}
	var figures []struct {
		Kind    string `db:"kind"`
		Status  string `db:"status"`
		Outcome string `db:"outcome"`
		Commune string `db:"commune_code"`
		Mine    bool   `db:"mine"`
	}
	if err := r.x.Select(&figures, `SELECT kind, status, outcome, commune_code, person_id = $1 AS mine FROM cases ORDER BY id`, person); err != nil {
		t.Fatal(err)
	}
	if len(figures) != 2 {
		t.Fatalf("cases after erasure: %+v", figures)
	}
	for _, c := range figures {
		if c.Status != "closed" || c.Outcome != store.OutcomeErased || c.Commune != "07840" || c.Mine {
			t.Errorf("case after erasure: %+v", c)
		}
	}
	var booked, mine int
	if err := r.x.QueryRow(`SELECT count(*) FILTER (WHERE status = 'booked'), count(*) FILTER (WHERE person_id = $1) FROM appointments`, person).Scan(&booked, &mine); err != nil || booked != 0 || mine != 0 {
		t.Errorf("appointments: %d still booked, %d linked to the person (%v)", booked, mine, err)
	}

	// The person can start again, as someone new.
	d.say("/start")
	r.waitText(u.ID, "Bạn có đồng ý")
}
