package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"reentrybot/channel"
	"reentrybot/clock"
)

// Reachability is what the sender needs to know and record about chats.
type Reachability interface {
	Reachable(ctx context.Context, channel, chatRef string) (bool, error)
	MarkUnreachable(ctx context.Context, channel, chatRef, why string) error
}

// Limits are the sender's pacing. Telegram publishes no exact numbers;
// these stay under the commonly observed ones, and 429s are honoured.
type Limits struct {
	PerSecond      float64 // all chats together
	Burst          int
	PerChatSecond  float64 // one private chat, sustained
	PerChatBurst   int     // a reply of two or three messages goes at once
	PerGroupMinute float64 // one group or supergroup
	GroupBurst     int
	MaxAttempts    int           // for 5xx and network errors
	BaseBackoff    time.Duration // doubled after each 5xx or network error
}

// DefaultLimits stay under Telegram's limits.
func DefaultLimits(perSecond float64) Limits {
	return Limits{
		PerSecond: perSecond, Burst: 5,
		PerChatSecond: 1, PerChatBurst: 3,
		PerGroupMinute: 20, GroupBurst: 3,
		MaxAttempts: 6, BaseBackoff: 500 * time.Millisecond,
	}
}

// Target is where a call sends.
type Target struct {
	ChatID int64
	Group  bool // groups have their own, slower limit
	// Thread is the forum topic of a group a message goes to (0: none);
	// the limits are the group's.
	Thread int
	// Fresh: the person wrote in the transaction that just committed,
	// which marked them reachable, so the lookup before sending is skipped.
	Fresh bool
	// Paced: the caller has taken a slot in the buckets every process
	// shares (bot/announcements): the in-process limiters are not waited
	// on again, and a 429 is returned at once (a *tg.TooManyRequestsError
	// inside) for the caller to pause every sender of those buckets and
	// take a new slot: one pacing and one flood wait, the caller's.
	Paced bool
}

// Sender is the one path for every outgoing Bot API call that delivers
// something to a chat: it paces calls, honours 429, retries transient
// failures and records unreachable people.
type Sender struct {
	limits Limits
	global *rate.Limiter
	reach  Reachability
	log    *slog.Logger
	sends  *prometheus.CounterVec // by method and result; may be nil
	sleep  func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	chats map[int64]*chatLimiter
}

type chatLimiter struct {
	lim  *rate.Limiter
	used time.Time
}

// NewSender returns a sender with the given limits. sends counts the
// calls by method and result (nil: not counted); sleep waits out a 429's
// retry_after or a backoff (nil: the machine's clock; tests pass a fake).
func NewSender(l Limits, reach Reachability, sends *prometheus.CounterVec, sleep func(ctx context.Context, d time.Duration) error, log *slog.Logger) *Sender {
	if sleep == nil {
		sleep = clock.Sleep
	}
	return &Sender{
		limits: l,
		global: rate.NewLimiter(rate.Limit(l.PerSecond), l.Burst),
		reach:  reach,
		log:    log.With("comp", "sender"),
		sends:  sends,
		sleep:  sleep,
		chats:  map[int64]*chatLimiter{},
	}
}

func (s *Sender) chatLimiter(t Target) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[t.ChatID]
	if c == nil {
		if len(s.chats) > 10000 {
			s.forgetIdle()
		}
		l := rate.NewLimiter(rate.Limit(s.limits.PerChatSecond), s.limits.PerChatBurst)
		if t.Group {
			l = rate.NewLimiter(rate.Limit(s.limits.PerGroupMinute/60), s.limits.GroupBurst)
		}
		c = &chatLimiter{lim: l}
		s.chats[t.ChatID] = c
	}
	c.used = time.Now()
	return c.lim
}

// forgetIdle drops limiters unused for a minute: they are full again by
// then, so a new one behaves the same. Called with mu held.
func (s *Sender) forgetIdle() {
	cutoff := time.Now().Add(-time.Minute)
	for id, c := range s.chats {
		if c.used.Before(cutoff) {
			delete(s.chats, id)
		}
	}
}

// Do makes one delivering call (method names it for metrics and logs) to
// target, paced and retried. It returns channel.ErrUnreachable for a blocked or
// deleted chat, *channel.PermanentError for a refusal, or the last error after the
// retries ran out.
func (s *Sender) Do(ctx context.Context, t Target, method string, call func(ctx context.Context) error) error {
	ref := strconv.FormatInt(t.ChatID, 10)
	if !t.Group && !t.Fresh && s.reach != nil {
		ok, err := s.reach.Reachable(ctx, string(Name), ref)
		if err != nil {
			// Most sends answer an update whose handling has committed:
			// a database that is briefly away (a restart) must not
			// drop them. Send as if reachable; a blocked person's 403
			// says so.
			if ctx.Err() != nil {
				return fmt.Errorf("%s to %d: %w", method, t.ChatID, ctx.Err())
			}
			s.log.Warn("reachability unknown, sending anyway", "chat", t.ChatID, "method", method, "err", err)
			ok = true
		}
		if !ok {
			s.count(method, "unreachable")
			return channel.ErrUnreachable
		}
	}
	var chat *rate.Limiter
	if !t.Paced {
		chat = s.chatLimiter(t)
	}
	backoff := s.limits.BaseBackoff
	for attempt := 1; ; attempt++ {
		if !t.Paced {
			if err := chat.Wait(ctx); err != nil {
				return fmt.Errorf("%s to %d: %w", method, t.ChatID, err)
			}
			if err := s.global.Wait(ctx); err != nil {
				return fmt.Errorf("%s to %d: %w", method, t.ChatID, err)
			}
		}
		err := call(ctx)
		if err == nil {
			s.count(method, "ok")
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s to %d: %w", method, t.ChatID, ctx.Err())
		}
		var tooMany *tg.TooManyRequestsError
		switch {
		case errors.As(err, &tooMany) && t.Paced:
			s.count(method, "paced_429")
			return fmt.Errorf("%s to %d: %w", method, t.ChatID, err)
		case errors.As(err, &tooMany):
			wait := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
			s.count(method, "retried_429")
			s.log.Warn("flood limit, waiting", "chat", t.ChatID, "method", method, "retry_after", wait)
			if err := s.sleep(ctx, wait); err != nil {
				return fmt.Errorf("%s to %d: %w", method, t.ChatID, err)
			}
			continue // a 429 is not a failed attempt: it is Telegram pacing us
		case errors.Is(err, tg.ErrorForbidden) && !t.Group:
			s.count(method, "unreachable")
			why := strings.TrimPrefix(err.Error(), tg.ErrorForbidden.Error()+", ")
			s.log.Info("chat unreachable", "chat", t.ChatID, "why", why)
			if s.reach != nil {
				if merr := s.reach.MarkUnreachable(context.WithoutCancel(ctx), string(Name), ref, why); merr != nil {
					s.log.Error("recording unreachable chat", "chat", t.ChatID, "err", merr)
				}
			}
			return channel.ErrUnreachable
		case permanent(err):
			s.count(method, "failed")
			reason := err.Error()
			s.log.Error("bot api refused", "chat", t.ChatID, "method", method, "reason", reason)
			return &channel.PermanentError{Method: method, Reason: reason, Err: err}
		}
		if attempt >= s.limits.MaxAttempts {
			s.count(method, "failed")
			return fmt.Errorf("%s to %d after %d attempts: %w", method, t.ChatID, attempt, err)
		}
		s.count(method, "retried_error")
		s.log.Warn("bot api call failed, retrying", "chat", t.ChatID, "method", method, "attempt", attempt, "err", err)
		if err := s.sleep(ctx, backoff); err != nil {
			return fmt.Errorf("%s to %d: %w", method, t.ChatID, err)
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// permanent reports a 4xx that a retry will not mend.
func permanent(err error) bool {
	var migrate *tg.MigrateError
	return errors.As(err, &migrate) ||
		errors.Is(err, tg.ErrorBadRequest) || errors.Is(err, tg.ErrorUnauthorized) ||
		errors.Is(err, tg.ErrorNotFound) || errors.Is(err, tg.ErrorConflict) ||
		errors.Is(err, tg.ErrorForbidden)
}

func (s *Sender) count(method, result string) {
	if s.sends != nil {
		s.sends.WithLabelValues(method, result).Inc()
	}
}
