package bot_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/channel"
	"reentrybot/clock"
	"reentrybot/store"
)

// On a channel that carries no file (the test channel: 160 characters,
// no files) /mydata's export goes as a download link after the caption;
// the hourly job prunes the file once the link has expired by the
// program's clock, not before.
func TestMyDataLinkPrunedAfterExpiry(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
	const base = "https://bot.example.org/chat/dl/"
	links := func(o *bot.Options, _ *[]botapitest.Option) { o.FileLinks = base }
	r := newRig(t, withFastLimits(), withClock(fc.Now), links)
	ch := &testChannel{}
	r.bot.AddChannel(ch)
	r.run()
	p := &person{r: r, ch: ch, ref: "d1"}
	p.event(channel.Event{Kind: channel.EvFollow})
	p.choose("agree_all")
	p.say("/mydata")
	var said string
	for _, m := range ch.Messages("d1")[p.seen:] {
		if m.File != nil {
			t.Errorf("a file sent to a channel that carries none: %+v", m.File)
		}
		said += m.Text + "\n"
	}
	if !strings.Contains(said, "Tệp này có toàn bộ dữ liệu") || !regexp.MustCompile(regexp.QuoteMeta(base)+`[A-Za-z0-9_-]{22}\b`).MatchString(said) {
		t.Fatalf("no caption and link in the answer to /mydata: %q", said)
	}
	count := func() int {
		var n int
		if err := r.x.Get(&n, `SELECT count(*) FROM file_links`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, st := range []struct {
		name    string
		advance time.Duration
		want    int
	}{
		{"just made", 0, 1},
		{"an hour before expiry", store.FileLinkTTL - time.Hour, 1},
		{"at expiry", time.Hour, 0},
	} {
		fc.Advance(st.advance)
		if err := bot.RunJob(r.ctx, r.bot, "file_links"); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != st.want {
			t.Errorf("%s: %d linked files, want %d", st.name, n, st.want)
		}
	}
}
