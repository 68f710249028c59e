package bot

import (
	"context"
	"reentrybot/channel/telegram"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

func msgUpdate(id, chat int64) *models.Update {
	return &models.Update{ID: id, Message: &models.Message{Chat: models.Chat{ID: chat}}}
}

// One chat's updates run one at a time and in order, while other chats run
// beside them.
func TestLanesOrderAndParallelism(t *testing.T) {
	var (
		mu        sync.Mutex
		seen      = map[int64][]int64{}
		inChat    = map[int64]int{}
		running   atomic.Int32
		peak      atomic.Int32
		overlapIn atomic.Bool
	)
	handle := func(ctx context.Context, u *models.Update) error {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		chat := telegram.ChatKey(u)
		mu.Lock()
		inChat[chat]++
		if inChat[chat] > 1 {
			overlapIn.Store(true)
		}
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		inChat[chat]--
		seen[chat] = append(seen[chat], u.ID)
		mu.Unlock()
		running.Add(-1)
		return nil
	}
	l := newLanes(16)
	var results []<-chan error
	id := int64(0)
	for i := 0; i < 50; i++ {
		id++
		u1 := msgUpdate(id, 1)
		results = append(results, l.submit(context.Background(), telegram.ChatKey(u1), func(ctx context.Context) error { return handle(ctx, u1) }))
		id++
		u2 := msgUpdate(id, int64(100+i))
		results = append(results, l.submit(context.Background(), telegram.ChatKey(u2), func(ctx context.Context) error { return handle(ctx, u2) }))
	}
	for _, r := range results {
		if err := <-r; err != nil {
			t.Fatal(err)
		}
	}
	l.wait()
	if overlapIn.Load() {
		t.Fatal("two updates of one chat ran at the same time")
	}
	got := seen[1]
	if len(got) != 50 {
		t.Fatalf("chat 1 handled %d updates, want 50", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("chat 1 out of order: %v", got)
		}
	}
	if peak.Load() < 4 {
		t.Fatalf("other chats did not run in parallel: peak concurrency %d", peak.Load())
	}
	if peak.Load() > 16 {
		t.Fatalf("more than the 16 workers ran at once: %d", peak.Load())
	}
	if len(l.chats) != 0 {
		t.Fatalf("idle lanes left behind: %d", len(l.chats))
	}
}
