package channel

import (
	"errors"
	"fmt"
	"time"
)

// The outcomes of the one sender, whatever the channel: what a caller (the
// relay, reminders, announcements, erasure) decides on after the sender
// applied its rules (retries, flood waits, marking a person unreachable).
// A channel's client reports an *Error; the sender turns it into these.

// ErrUnreachable means the person cannot be sent to: they blocked the bot,
// unfollowed or deleted the account. Nothing more is sent to them until
// they write again.
var ErrUnreachable = errors.New("chat unreachable")

// NotDeliveredError means the person's messenger refuses this message now
// (outside Zalo's window, say) though the person stays reachable: nothing
// is marked, and the staff side is told.
type NotDeliveredError struct{ Reason string }

func (e *NotDeliveredError) Error() string { return "not delivered: " + e.Reason }

// HeldError: the channel's rules allow the message from Until, not now
// (Zalo's day-time templates); it stays pending and is tried again.
type HeldError struct {
	Until  time.Time
	Reason string
}

func (e *HeldError) Error() string {
	return "held until " + e.Until.Format(time.RFC3339) + ": " + e.Reason
}

// PermanentError is a refusal that a retry will not change (for Telegram a
// 4xx other than 403 and 429); Reason is the messenger's description.
type PermanentError struct {
	Method string
	Reason string
	Err    error
}

func (e *PermanentError) Error() string { return fmt.Sprintf("%s refused: %s", e.Method, e.Reason) }
func (e *PermanentError) Unwrap() error { return e.Err }
