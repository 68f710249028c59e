package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// poll is the long-polling intake. Unlike go-telegram/bot's own loop, it
// moves the offset only past updates whose handling has committed: an
// update id is confirmed to Telegram by asking with a higher offset, so a
// crash before commit gets the update delivered again.
func (b *Bot) poll(ctx context.Context) error {
	var offset int64
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		if backoff > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
		}
		updates, retryAfter, err := b.getUpdates(ctx, offset, b.opts.PollTimeout)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			backoff = min(max(backoff*2, 200*time.Millisecond), 10*time.Second)
			if retryAfter > 0 {
				backoff = retryAfter
			}
			b.log.Warn("getUpdates failed", "err", err, "wait", backoff)
			continue
		}
		backoff = 0
		if len(updates) == 0 {
			continue
		}
		results := b.dispatchBatch(ctx, updates)
		// The offset may pass only a committed prefix; later updates that
		// did commit come again and are recognised as duplicates.
		next, failed := offset, false
		for i, res := range results {
			err := <-res
			if err != nil && !failed {
				failed = true
				b.log.Error("update not committed, will be fetched again", "update", updates[i].ID, "err", err)
			}
			if !failed {
				next = updates[i].ID + 1
			}
		}
		offset = next
		if failed {
			backoff = time.Second
		}
	}
	// Confirm what was handled, so a restart does not fetch it again.
	if offset > 0 {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		if _, _, err := b.getUpdates(cctx, offset, 0); err != nil {
			b.log.Warn("confirming offset at shutdown", "err", err)
		}
	}
	return nil
}

// errHeldBack: an earlier update of the same chat in the batch did not
// commit, so this one waits to be fetched again behind it.
var errHeldBack = errors.New("held back behind an earlier update of its chat that did not commit")

// dispatchBatch queues a batch of updates. Once an update of a chat fails
// (the database is away), the chat's later updates in the batch are held
// back rather than handled: all come again from the failed one on, and
// the chat keeps its order.
func (b *Bot) dispatchBatch(ctx context.Context, updates []models.Update) []<-chan error {
	var (
		mu     sync.Mutex
		failed = map[int64]bool{}
	)
	results := make([]<-chan error, len(updates))
	for i := range updates {
		upd := &updates[i]
		key := chatKey(upd)
		results[i] = b.lanes.submit(ctx, key, func(ctx context.Context) error {
			mu.Lock()
			held := failed[key]
			mu.Unlock()
			if held {
				return errHeldBack
			}
			err := b.handleUpdate(ctx, upd)
			if err != nil {
				mu.Lock()
				failed[key] = true
				mu.Unlock()
			}
			return err
		})
	}
	return results
}

type getUpdatesRequest struct {
	Offset         int64    `json:"offset,omitempty"`
	Limit          int      `json:"limit"`
	Timeout        int      `json:"timeout"`
	AllowedUpdates []string `json:"allowed_updates"`
}

type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// getUpdates calls the Bot API directly: go-telegram/bot keeps its
// getUpdates private and confirms updates before they are handled.
func (b *Bot) getUpdates(ctx context.Context, offset int64, wait time.Duration) ([]models.Update, time.Duration, error) {
	body, err := json.Marshal(getUpdatesRequest{Offset: offset, Limit: 100, Timeout: int(wait.Seconds()), AllowedUpdates: allowedUpdates})
	if err != nil {
		return nil, 0, err
	}
	url := b.opts.APIURL + "/bot" + b.opts.Token + "/getUpdates"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("getUpdates request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		// The URL holds the token: keep it out of logs.
		var uerr interface{ Unwrap() error }
		if errors.As(err, &uerr) {
			return nil, 0, fmt.Errorf("getUpdates: %w", uerr.Unwrap())
		}
		return nil, 0, errors.New("getUpdates: request failed")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("getUpdates: reading answer: %w", err)
	}
	var r apiResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, 0, fmt.Errorf("getUpdates: HTTP %d, undecodable answer: %w", resp.StatusCode, err)
	}
	if !r.OK {
		return nil, time.Duration(r.Parameters.RetryAfter) * time.Second,
			fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
	}
	var ups []models.Update
	if err := json.Unmarshal(r.Result, &ups); err != nil {
		return nil, 0, fmt.Errorf("getUpdates: decoding updates: %w", err)
	}
	return ups, 0, nil
}
