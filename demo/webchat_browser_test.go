package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reentrybot/browsertest"
)

// The playground shows the bot's real web chat page in a frame beside
// the Telegram columns, and the page works there: Start opens the chat
// and the bot's first question arrives.
func TestPlaygroundFramesWebChat(t *testing.T) {
	p := openPlayground(t)
	p.do("add a web chat returnee",
		chromedp.WaitVisible(css(`[data-testid="new-webchat"]`)),
		chromedp.Click(css(`[data-testid="new-webchat"]`)),
		chromedp.WaitVisible(css(`[data-testid="webchat-frame"]`)),
	)
	inFrame := func(what string, actions ...func(*chromedp.Node) chromedp.Action[chromedp.Void]) {
		p.inFrame("webchat-frame", what, actions...)
	}
	inFrame("the start page in the frame", func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(css(`[data-testid="start"]`), chromedp.FromNode(f))
	})
	inFrame("start in the frame", func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
		return chromedp.Click(css(`[data-testid="start"]`), chromedp.FromNode(f))
	})
	inFrame("the first question in the frame", func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(css(`[data-testid="my-code"]`), chromedp.FromNode(f))
	}, func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(css(`#log .msg.bot button`), chromedp.FromNode(f))
	})
}

// inFrame runs actions inside the frame with data-testid testid until they
// all succeed (40 s at most). A frame loads, then may navigate: its
// document changes under the frame node, so each try looks it up again.
func (p *page) inFrame(testid, what string, actions ...func(*chromedp.Node) chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	frame := func() *chromedp.Node {
		nodes, err := chromedp.Run(p.ctx, chromedp.Nodes(css(`[data-testid="`+testid+`"]`)))
		if err != nil || len(nodes) == 0 {
			p.t.Fatalf("the frame %s: %v", testid, err)
		}
		return nodes[0]
	}
	deadline := time.Now().Add(40 * time.Second)
	for {
		tctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		var err error
		for _, a := range actions {
			if _, err = chromedp.Run(tctx, a(frame())); err != nil {
				break
			}
		}
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: %v", what, err)
		}
	}
}

// openPlayground starts a demo and opens its playground in Chromium, for
// a minute at most.
func openPlayground(t *testing.T) *page {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	browsertest.Need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	d := startDemo(t)
	p := &page{t: t, ctx: browsertest.Start(t, ctx, chromedp.WindowSize(1600, 1000))}
	p.do("open the playground", chromedp.Navigate(d.URL()))
	return p
}
