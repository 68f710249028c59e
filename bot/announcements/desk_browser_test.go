package announcements_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reentrybot/browsertest"
	"reentrybot/desk/desktest"
)

// In Chromium: an officer signs in to the desk with the password and a
// TOTP code, composes an announcement for their commune, reads the
// preview with the counts per channel, sends it, and watches the list
// refresh itself until it is sent; the bot delivers it to the commune's
// people at each channel's pace.
func TestDeskAnnouncementInTheBrowser(t *testing.T) {
	browsertest.Need(t)
	e := newDeskAnnounce(t, 500)
	r := e.r
	secret := desktest.NewBrowser(t, e.desk).Redeem(e.code, "hiephoa", r.DB.Now())
	ctx := browsertest.Start(t, context.Background())
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, time.Minute) // a loaded CI machine is slow
		defer cancel()
		defer func(at time.Time) { t.Logf("%s: %v", what, time.Since(at)) }(time.Now())
		if err := chromedp.Do(sctx, steps...); err != nil {
			page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
			t.Fatalf("%s: %v\n\nthe page:\n%s", what, err, page)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return v
	}

	// The redeem spent this 30-s step's code: the next one (one step of
	// drift is allowed).
	do("open the sign-in page", chromedp.Navigate(e.desk+"/signin"), chromedp.WaitVisible(chromedp.CSS(`#login`)))
	do("fill the sign-in form",
		chromedp.SendKeys(chromedp.CSS(`#login`), "hiephoa"),
		chromedp.SendKeys(chromedp.CSS(`#password`), desktest.Password),
		chromedp.SendKeys(chromedp.CSS(`#code`), desktest.Code(t, secret, r.DB.Now().Add(30*time.Second))),
	)
	do("sign in", chromedp.Click(chromedp.CSS(`form[action="/signin"] button`)), chromedp.WaitVisible(chromedp.CSS(`header a[href="/announce"]`)))
	do("compose",
		chromedp.Click(chromedp.CSS(`header a[href="/announce"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/announce/new"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/announce/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#text`)),
		chromedp.SendKeys(chromedp.CSS(`#text`), deskAnnounceBody),
		chromedp.Click(chromedp.CSS(`form[action="/announce/preview"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#people`)),
	)
	if got := text(`#people`); got != "13 người" {
		t.Fatalf("the preview counts %q, want 13 người", got)
	}
	if got := text(`main dl`); !strings.Contains(got, "Telegram: 8") || !strings.Contains(got, "test: 5") || !strings.Contains(got, "Hiệp Hòa") {
		t.Fatalf("the preview's figures:\n%s", got)
	}
	if got := text(`.preview`); !strings.Contains(got, deskAnnounceBody) || !strings.Contains(got, "UBND xã Hiệp Hoà") {
		t.Fatalf("the preview's text %q", got)
	}
	do("send",
		chromedp.Click(chromedp.CSS(`form[action="/announce/confirm"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`td.state`)),
	)
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('tbody tr').id`))
	if err != nil || !strings.HasPrefix(id, "b") {
		t.Fatalf("the list's row %q: %v", id, err)
	}
	bid, _ := strconv.ParseInt(id[1:], 10, 64)
	e.delivered(bid)

	// The page refreshes itself (meta refresh) until the figures are final;
	// a reload may be under way when the page is read, so read again.
	sent := regexp.MustCompile(`Đã gửi 13/13`)
	r.WaitFor("the list in the browser shows it sent", func() bool {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
		return err == nil && strings.Contains(v, "Đã gửi xong") && sent.MatchString(v)
	})
}
