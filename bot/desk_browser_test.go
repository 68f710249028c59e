package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reentrybot/browsertest"
	"reentrybot/desk"
	"reentrybot/desk/desktest"
	"reentrybot/store"
)

// A counsellor works a case from the web desk in Chromium: signs in with
// password and TOTP, sees the returnee's new case arrive in the queue and
// the returnee's reply arrive on the case page without reloading, takes,
// answers (the answer reaches the returnee on Telegram, and the topic),
// notes and closes; the audit log has each step.
func TestDeskInTheBrowser(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadCommunes()
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	g := r.staffGroup(admin)
	base := r.deskServer(desk.Options{LivePoll: 50 * time.Millisecond})
	// The invite is redeemed over HTTP (its page is tested in desk/); the
	// sign-in is the browser's.
	secret := desktest.NewBrowser(t, base).Redeem(r.deskInvite("Anh Minh"), "minh", r.db.Now())
	var staffID int64
	if err := r.x.Get(&staffID, `SELECT staff_id FROM desk_accounts WHERE login = 'minh'`); err != nil {
		t.Fatal(err)
	}

	bctx := browsertest.Start(t, r.ctx)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			page, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
			t.Fatalf("%s: %v\n\nthe page:\n%s", what, err, page)
		}
	}
	// until waits for a condition in the page (no fixed sleeps).
	until := func(what, fn string, args ...any) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.PollFunction[bool](fn, chromedp.WithPollingInterval(25*time.Millisecond),
			chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingArgs(args...))); err != nil {
			page, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
			t.Fatalf("%s: %v\n\nthe page:\n%s", what, err, page)
		}
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	// notice is the status line of the page an action led to.
	notice := func(text string) chromedp.Search {
		return chromedp.Search(`//p[@role="status"][contains(., "` + text + `")]`)
	}

	do("sign in with password and TOTP",
		chromedp.Navigate(base+"/signin"),
		chromedp.SendKeys(css("#login"), "minh"),
		chromedp.SendKeys(css("#password"), desktest.Password),
		// The redeem spent this step's code; the next step's is accepted.
		chromedp.SendKeys(css("#code"), desktest.Code(t, secret, r.db.Now().Add(30*time.Second))),
		chromedp.Click(css(`form[action="/signin"] button`)),
		chromedp.WaitVisible(css("#live-queue")),
	)
	// A mark on the page: it is still there only if the page never reloaded.
	do("mark the queue page", chromedp.Evaluate[chromedp.Void](`window.stayed = 1`))
	until("the queue's stream open", `() => Number(document.documentElement.dataset.liveUpdates || 0) >= 1`)

	u := r.api.NewUser("Bình", "vi")
	r.driver(u).consentAndProfile("m:counsel", "Trần Văn Bình")
	r.driver(u).say("Tôi cần hỏi về việc làm")
	until("the new case in the queue without reload", `() => window.stayed === 1 && !!document.querySelector('#live-queue a[href="/case/1"]')`)

	do("open the case and take it",
		chromedp.Click(css(`#live-queue a[href="/case/1"]`)),
		chromedp.WaitVisible(css("#take")),
		chromedp.Click(css("#take")),
		chromedp.WaitVisible(notice("Bạn đã nhận ca này")),
		chromedp.WaitVisible(css(`#live-actions[data-state="open=true,mine=true"]`)),
	)
	const answer = "Chào anh Bình, thứ Hai tuần sau có phiên việc làm ở xã."
	do("answer",
		chromedp.SendKeys(css("#text"), answer),
		chromedp.Click(css("#send")),
		chromedp.WaitVisible(notice("Đã gửi câu trả lời")),
	)
	if got := r.waitText(u.ID, "thứ Hai tuần sau"); !strings.Contains(got.Text, "Anh Minh") {
		t.Errorf("the answer reached the returnee unsigned: %q", got.Text)
	}
	r.waitFor("the answer in the topic", func() bool {
		for _, tp := range r.api.Topics(g.ID) {
			for _, m := range r.api.TopicMessages(g.ID, tp.ThreadID) {
				if strings.Contains(m.Text, "(web) Anh Minh") && strings.Contains(m.Text, "thứ Hai tuần sau") {
					return true
				}
			}
		}
		return false
	})

	do("mark the case page", chromedp.Evaluate[chromedp.Void](`window.stayed = 2`))
	r.waitSeen(r.api.SendText(u, "Cảm ơn anh, em sẽ đến"))
	until("the returnee's reply on the case page without reload",
		`() => window.stayed === 2 && document.querySelector('#live-history').innerText.includes('Cảm ơn anh, em sẽ đến')`)

	do("note",
		chromedp.SendKeys(css("#note"), "Anh Bình biết lái xe nâng"),
		chromedp.Click(css("#save-note")),
		chromedp.WaitVisible(notice("Đã lưu ghi chú")),
	)
	until("the note in the history", `() => document.querySelector('#live-history').innerText.includes('(ghi chú nội bộ) Anh Bình biết lái xe nâng')`)
	do("close",
		chromedp.SetValue(css("#outcome"), "job_found"),
		chromedp.Click(css("#close")),
		chromedp.WaitVisible(notice("Đã đóng ca")),
		chromedp.WaitVisible(css("#reopen")),
	)
	r.waitFor("the case closed", func() bool {
		var st string
		return r.x.Get(&st, `SELECT status FROM cases WHERE id = 1`) == nil && st == "closed"
	})

	var actions []string
	if err := r.x.Select(&actions, `SELECT action FROM audit_log WHERE staff_id = $1 ORDER BY id`, staffID); err != nil {
		t.Fatal(err)
	}
	want := []string{"desk_signin", "queue", "view", "take", "message", "note", "close"}
	i := 0
	for _, a := range actions {
		if i < len(want) && a == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Errorf("audit log %v lacks, in order, %v", actions, want[i:])
	}
	if slices.Contains(actions, "denied_view") {
		t.Errorf("a refusal in the audit log: %v", actions)
	}
}
