package bot_test

import (
	"strconv"
	"strings"
	"testing"

	"reentrybot/store"
)

// A poster's Telegram link (t.me/<bot>?start=c_<code>) arrives as
// "/start c_<code>": the profile then offers that commune first, and a
// tap on Đúng saves it.
func TestDeepLinkOffersTheCommune(t *testing.T) {
	r := newRig(t, withFastLimits()) // the migrations bring the communes
	r.run()
	u := r.api.NewUser("Minh", "vi")
	d := r.driver(u)
	d.say("/start c_09370")
	d.tap("agree_all")
	d.tap("m:counsel")
	d.say("Minh")
	d.share("+84 912 345 678")
	m, _ := d.findButton(u.ID, "hint:yes", d.Pressed)
	if !strings.Contains(m.Text, "Bạn ở Phường Tam Sơn?") {
		t.Fatalf("commune question %q, want it to offer Phường Tam Sơn", m.Text)
	}
	d.tap("hint:yes")
	r.waitFor("the commune saved", func() bool {
		var code string
		err := r.db.InTx(r.ctx, func(tx *store.Tx) error {
			p, err := r.db.PersonByExternal(r.ctx, "telegram", strconv.FormatInt(u.ID, 10))
			if err != nil {
				return err
			}
			prof, err := tx.Profile(r.ctx, p.ID)
			code = prof.CommuneCode
			return err
		})
		return err == nil && code == "09370"
	})
}

// Another channel (the web chat sends "/start c_<code>" as the first event
// of a person who opened /chat?c=<code>) carries the same hint; Không
// falls back to typing the name.
func TestDeepLinkOnAnotherChannel(t *testing.T) {
	r := newRig(t, withFastLimits())
	ch := &testChannel{}
	r.bot.AddChannel(ch)
	r.run()
	p := &person{r: r, ch: ch, ref: "w1"}
	p.say("/start c_09370")
	p.choose("agree_all")
	p.choose("m:counsel")
	p.say("Minh")
	p.say("0912345678")
	if !strings.Contains(p.lastText(), "Bạn ở Phường Tam Sơn?") {
		t.Fatalf("commune question %q, want it to offer Phường Tam Sơn", p.lastText())
	}
	p.choose("hint:no")
	if !strings.Contains(p.lastText(), "xã/phường nào") {
		t.Fatalf("after Không: %q, want the commune search", p.lastText())
	}
	p.say("hiep hoa")
	p.choose("c:07840")
	var code string
	if err := r.x.Get(&code, `SELECT commune_code FROM people WHERE channel = 'test' AND external_id = 'w1'`); err != nil || code != "07840" {
		t.Errorf("commune %q (%v), want 07840", code, err)
	}
}
