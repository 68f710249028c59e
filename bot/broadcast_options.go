package bot

import (
	"time"

	"reentrybot/announce"
)

// The announcements' options live here, not in bot/announcements: they
// are part of Options, which the program fills from its settings, and
// the quiet hours they set hold for reminders too (QuietUntil).

// BroadcastOptions configure the delivery of announcements. Zero fields
// take the defaults in brackets.
type BroadcastOptions struct {
	// Rate is messages a second across every worker of every bot process
	// (BROADCAST_RATE) [25]; Burst how many may go at once [1].
	Rate  float64
	Burst float64
	// PerChatRate is messages a second to one chat, shared the same way [1].
	PerChatRate float64
	Workers     int           // delivery workers in this process [16]
	Batch       int           // deliveries a worker claims at once [4]
	Lease       time.Duration // a delivery claimed longer ago by a silent worker is sent again [1m]
	MaxAttempts int           // tries of a delivery that meets 5xx or network errors [3]
	RetryBase   time.Duration // wait before the second try, doubled after [30s]
	StatusEvery time.Duration // edit the author's status message at most this often [3s]
	PollEvery   time.Duration // look for due broadcasts and deliveries this often when idle [1s]
	Ahead       time.Duration // reserve sending slots at most this far ahead [1s]
	// ApprovalOver is the audience size above which an officer's broadcast
	// needs an admin's approval (ANNOUNCE_APPROVAL_OVER) [500].
	ApprovalOver int
	// Quiet hours in Loc: nothing is delivered from QuietStart until
	// QuietEnd (since midnight) [21:00 to 07:00].
	QuietStart, QuietEnd time.Duration
	// BucketKey names the shared overall bucket ["broadcast"].
	BucketKey string
}

func (o BroadcastOptions) withDefaults() BroadcastOptions {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.Rate <= 0 {
		o.Rate = 25
	}
	if o.Burst <= 0 {
		o.Burst = 1
	}
	if o.PerChatRate <= 0 {
		o.PerChatRate = 1
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.Batch <= 0 {
		o.Batch = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.ApprovalOver <= 0 {
		o.ApprovalOver = announce.DefaultApprovalOver
	}
	if o.QuietStart == 0 && o.QuietEnd == 0 {
		o.QuietStart, o.QuietEnd = 21*time.Hour, 7*time.Hour
	}
	if o.BucketKey == "" {
		o.BucketKey = "broadcast"
	}
	def(&o.Lease, time.Minute)
	def(&o.RetryBase, 30*time.Second)
	def(&o.StatusEvery, 3*time.Second)
	def(&o.PollEvery, time.Second)
	def(&o.Ahead, time.Second)
	return o
}

// quietUntil returns when the quiet hours around t end, or the zero time
// when t is outside them.
func (o BroadcastOptions) quietUntil(t time.Time, loc *time.Location) time.Time {
	if o.QuietStart == o.QuietEnd {
		return time.Time{}
	}
	t = t.In(loc)
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	since := t.Sub(midnight)
	at := func(day int, d time.Duration) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day()+day, 0, 0, 0, 0, loc).Add(d)
	}
	if o.QuietStart < o.QuietEnd { // within one day
		if since >= o.QuietStart && since < o.QuietEnd {
			return at(0, o.QuietEnd)
		}
		return time.Time{}
	}
	switch {
	case since >= o.QuietStart:
		return at(1, o.QuietEnd)
	case since < o.QuietEnd:
		return at(0, o.QuietEnd)
	}
	return time.Time{}
}

func (b *Bot) bopts() BroadcastOptions { return b.opts.Broadcast.withDefaults() }
