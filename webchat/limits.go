package webchat

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"reentrybot/clientaddr"
)

// limits are the abuse limits of one process: messages a minute per
// network address and per session, as token buckets. They measure elapsed
// time (the machine's clock), not program time.
type limits struct {
	mu                   sync.Mutex
	perAddress, perSess  rate.Limit
	burstAddr, burstSess int
	buckets              map[string]*bucket
}

type bucket struct {
	l    *rate.Limiter
	used time.Time
}

func newLimits(perAddressMin, perSessionMin int) *limits {
	return &limits{
		perAddress: rate.Limit(float64(perAddressMin) / 60), burstAddr: max(1, perAddressMin/2),
		perSess: rate.Limit(float64(perSessionMin) / 60), burstSess: max(1, perSessionMin/2),
		buckets: map[string]*bucket{},
	}
}

// allow takes a token from the address's bucket and, when ref is set,
// the session's; it reports how long to wait when either is empty.
func (l *limits) allow(addr, ref string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if len(l.buckets) > 50000 {
		for k, b := range l.buckets {
			if now.Sub(b.used) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
	}
	get := func(key string, r rate.Limit, burst int) *rate.Limiter {
		b := l.buckets[key]
		if b == nil {
			b = &bucket{l: rate.NewLimiter(r, burst)}
			l.buckets[key] = b
		}
		b.used = now
		return b.l
	}
	keys := []*rate.Limiter{get("a:"+addr, l.perAddress, l.burstAddr)}
	if ref != "" {
		keys = append(keys, get("s:"+ref, l.perSess, l.burstSess))
	}
	var wait time.Duration
	for _, lim := range keys {
		r := lim.ReserveN(now, 1)
		if d := r.DelayFrom(now); d > 0 {
			r.CancelAt(now)
			wait = max(wait, d)
		}
	}
	if wait > 0 {
		return false, wait
	}
	return true, 0
}

// clientAddr is who sent the request (reentrybot/clientaddr: the desk's
// sign-in limits count addresses the same way).
func clientAddr(r *http.Request) string { return clientaddr.Of(r) }
