package desk_test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"reentrybot/browsertest"
	"reentrybot/store"
)

// In Chromium, under the desk's content security policy: the report's
// chart shows, and an import file is uploaded, previewed and applied.
func TestAdminInBrowser(t *testing.T) {
	browsertest.Need(t)
	r := newRig(t)
	for i := 0; i < 6; i++ {
		r.newCase(communeA, "telegram", "Người A "+string(rune('a'+i)))
	}
	admin, _ := r.member(store.RoleAdmin, "Quản trị", "quantri")
	u, _ := url.Parse(r.srv.URL)
	var token string
	for _, c := range admin.c.Jar.Cookies(u) {
		if c.Name == "desk_session" {
			token = c.Value
		}
	}
	ctx := browsertest.Start(t, context.Background())
	file, err := filepath.Abs("testdata/courses.csv")
	if err != nil {
		t.Fatal(err)
	}
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 3000) : ''`))
			t.Fatalf("%s: %v\n\nthe page:\n%s", what, err, text)
		}
	}
	// waitFor waits until expr is true in the page; a page still
	// navigating after a click answers with an error, and is asked again.
	waitFor := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			tick := time.NewTicker(25 * time.Millisecond)
			defer tick.Stop()
			for {
				ok, err := chromedp.Evaluate[bool](expr)(ctx, tg)
				if err == nil && ok {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("waiting for %s: %w (last error %v)", expr, ctx.Err(), err)
				case <-tick.C:
				}
			}
		})
	}
	step("the session cookie", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: "desk_session", Value: token, URL: r.srv.URL})
		return err
	}))
	step("the report's chart", chromedp.Navigate(r.srv.URL+"/report?month=2026-12"),
		waitFor(`(() => { const i = document.querySelector('img.chart'); return !!i && i.complete && i.naturalWidth > 100 })()`))
	step("the preview", chromedp.Navigate(r.srv.URL+"/import"),
		chromedp.SetValue(chromedp.CSS(`#kind`), "courses"),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{file}),
		chromedp.Click(chromedp.CSS(`form[action="/import/preview"] button`)),
		waitFor(`document.body.innerText.includes('2 thêm mới')`))
	if n := r.count(`SELECT count(*) FROM courses WHERE code LIKE 'DESK-%'`); n != 0 {
		t.Fatalf("the preview wrote %d courses", n)
	}
	step("applying", chromedp.Click(chromedp.CSS(`form[action="/import/apply"] button`)),
		waitFor(`document.body.innerText.includes('Đã nhập')`))
	if n := r.count(`SELECT count(*) FROM courses WHERE code LIKE 'DESK-%'`); n != 2 {
		t.Errorf("%d courses after applying, want 2", n)
	}
}
