// Package browsertest starts the real Chromium for the browser tests
// (chromedp), and keeps a test's log for its failure report. The tests
// need Debian's chromium (scripts/install-browser.sh): without it they
// skip, and fail on CI.
package browsertest

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's package puts the browser.
const ChromiumPath = "/usr/bin/chromium"

// Need skips the test without Chromium, or fails it on CI.
func Need(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		msg := "browser test needs Chromium at " + ChromiumPath + ": run scripts/install-browser.sh (apt-get install chromium)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// Start starts a headless Chromium in Vietnamese, stopped when the test
// ends, and returns its first tab's context. opts add to (or override)
// the defaults, e.g. chromedp.WindowSize.
func Start(t *testing.T, ctx context.Context, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	Need(t)
	all := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "vi-VN"),
		chromedp.Flag("accept-lang", "vi-VN,vi"),
		chromedp.UserDataDir(t.TempDir()),
	}, opts...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, all...)
	bctx, cancel := chromedp.NewContext(alloc, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first run starts the browser; it must not carry a step's
	// timeout, whose end would stop the browser.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return bctx
}

// Log collects a test's log for a failure report.
type Log struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *Log) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Tail is the last n lines.
func (b *Log) Tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimRight(b.buf.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
