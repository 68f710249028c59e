package botapitest

import (
	"math"
	"strconv"
	"time"
)

// limiter implements Telegram-like flood control: a 1 s sliding window for
// all sends, a token bucket per private chat and a 60 s sliding window per
// group. Only accepted sends consume capacity.
type limiter struct {
	overall []time.Time
	buckets map[int64]*bucket
	groups  map[int64][]time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter() limiter {
	return limiter{buckets: map[int64]*bucket{}, groups: map[int64][]time.Time{}}
}

func prune(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cutoff) {
		i++
	}
	return ts[i:]
}

// retrySeconds rounds a wait up to whole seconds, at least 1.
func retrySeconds(d time.Duration) int {
	n := int(math.Ceil(d.Seconds()))
	return max(n, 1)
}

// check returns the retry_after in seconds and whether the limit hit was the
// overall one, or 0 if a send to c is allowed now.
func (l *limiter) check(lim Limits, c *chat, now time.Time) (retryAfter int, overall bool) {
	l.overall = prune(l.overall, now.Add(-time.Second))
	if len(l.overall) >= lim.Overall {
		return retrySeconds(l.overall[len(l.overall)-lim.Overall].Add(time.Second).Sub(now)), true
	}
	if c.Type == "private" {
		b := l.refill(lim, c.ID, now)
		if b.tokens < 1 {
			wait := time.Duration((1 - b.tokens) / float64(lim.PerChat) * float64(time.Second))
			return retrySeconds(wait), false
		}
		return 0, false
	}
	g := prune(l.groups[c.ID], now.Add(-time.Minute))
	l.groups[c.ID] = g
	if len(g) >= lim.PerGroupPerMinute {
		return retrySeconds(g[len(g)-lim.PerGroupPerMinute].Add(time.Minute).Sub(now)), false
	}
	return 0, false
}

func (l *limiter) refill(lim Limits, chatID int64, now time.Time) *bucket {
	b := l.buckets[chatID]
	if b == nil {
		b = &bucket{tokens: float64(lim.PerChatBurst), last: now}
		l.buckets[chatID] = b
	}
	if now.After(b.last) {
		b.tokens = math.Min(float64(lim.PerChatBurst), b.tokens+now.Sub(b.last).Seconds()*float64(lim.PerChat))
		b.last = now
	}
	return b
}

func (l *limiter) commit(c *chat, now time.Time) {
	l.overall = append(l.overall, now)
	if c.Type == "private" {
		l.buckets[c.ID].tokens--
		return
	}
	l.groups[c.ID] = append(l.groups[c.ID], now)
}

// floodCheckLocked consumes capacity for a send to c or returns the 429.
func (s *Server) floodCheckLocked(c *chat) *apiError {
	if s.cfg.limits.Disabled {
		return nil
	}
	now := s.now()
	ra, overall := s.lim.check(s.cfg.limits, c, now)
	if ra == 0 {
		s.lim.commit(c, now)
		return nil
	}
	s.note429Locked(c.ID, overall, ra, now)
	return &apiError{Code: 429, Desc: "Too Many Requests: retry after " + strconv.Itoa(ra), RetryAfter: ra}
}
