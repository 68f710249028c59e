package demo_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// The playground shows the staff desk in a frame beside the chats, and a
// newcomer signs in there with the details the column gives: the desk's
// queue opens inside the frame.
func TestPlaygroundFramesDesk(t *testing.T) {
	p := openPlayground(t)
	p.do("the desk's column",
		chromedp.WaitVisible(css(`[data-testid="desk-frame"]`)),
		chromedp.WaitVisible(css(`[data-testid="desk-login"]`)),
	)
	login, password := p.text(`[data-testid="desk-login"]`), p.text(`[data-testid="desk-password"]`)
	p.inFrame("desk-frame", "the desk's sign-in in the frame", func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(css(`#login`), chromedp.FromNode(f))
	})
	// The code changes every 30 seconds: read it just before signing in.
	p.inFrame("desk-frame", "signing in inside the frame", func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(css(`#login`), login, chromedp.FromNode(f))
	}, func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(css(`#password`), password, chromedp.FromNode(f))
	}, func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(css(`#code`), p.text(`[data-testid="desk-code"]`), chromedp.FromNode(f))
	}, func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
		return chromedp.Click(css(`button[type="submit"]`), chromedp.FromNode(f))
	})
	p.inFrame("desk-frame", "the queue inside the frame", func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(css(`#live-queue`), chromedp.FromNode(f))
	})
}
