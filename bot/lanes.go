package bot

import (
	"context"
	"sync"
)

// lanes runs jobs of one key (a chat) one at a time, in submission order,
// and different keys in parallel, at most `workers` at once.
// go-telegram/bot's own dispatch gives either no order or no parallelism,
// so we own it. The bot uses one set of lanes for handling updates and one
// for delivering replies, so that a chat's replies, paced at Telegram's
// one message a second, never hold up the handling of its next update.
type lanes struct {
	sem chan struct{}

	mu    sync.Mutex
	chats map[int64]*lane
	wg    sync.WaitGroup
}

type lane struct{ queue []job }

type job struct {
	ctx  context.Context
	fn   func(ctx context.Context) error
	done chan error
}

func newLanes(workers int) *lanes {
	return &lanes{sem: make(chan struct{}, workers), chats: map[int64]*lane{}}
}

// submit queues fn behind the key's earlier jobs. The returned channel
// yields fn's result once. ctx is detached from cancellation so that work
// in hand is finished during shutdown.
func (l *lanes) submit(ctx context.Context, key int64, fn func(ctx context.Context) error) <-chan error {
	j := job{ctx: context.WithoutCancel(ctx), fn: fn, done: make(chan error, 1)}
	l.mu.Lock()
	ln := l.chats[key]
	if ln == nil {
		ln = &lane{}
		l.chats[key] = ln
		l.wg.Add(1)
		go l.run(key, ln)
	}
	ln.queue = append(ln.queue, j)
	l.mu.Unlock()
	return j.done
}

func (l *lanes) run(key int64, ln *lane) {
	defer l.wg.Done()
	for {
		l.mu.Lock()
		if len(ln.queue) == 0 {
			delete(l.chats, key)
			l.mu.Unlock()
			return
		}
		j := ln.queue[0]
		ln.queue = ln.queue[1:]
		l.mu.Unlock()

		l.sem <- struct{}{}
		err := j.fn(j.ctx)
		<-l.sem
		j.done <- err
	}
}

// wait blocks until every queued job is done.
func (l *lanes) wait() { l.wg.Wait() }
