package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-telegram/bot/models"
)

// AllowedUpdates are the kinds of update the bot asks Telegram for.
var AllowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member", "chat_member"}

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

// GetUpdates asks the Bot API at apiURL for the updates from offset on,
// waiting up to wait for one, and returns them decoded and as Telegram
// sent them (raws, to be stored unchanged). retryAfter is Telegram's
// flood wait when it refused. It calls the API directly: go-telegram/bot
// keeps its getUpdates private and confirms updates before they are
// handled, while the bot confirms them only once they are durable.
func GetUpdates(ctx context.Context, client *http.Client, apiURL, token string, offset int64, wait time.Duration) (ups []models.Update, raws []json.RawMessage, retryAfter time.Duration, err error) {
	body, err := json.Marshal(getUpdatesRequest{Offset: offset, Limit: 100, Timeout: int(wait.Seconds()), AllowedUpdates: AllowedUpdates})
	if err != nil {
		return nil, nil, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+"/bot"+token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("getUpdates request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		// The URL holds the token: keep it out of logs.
		var uerr interface{ Unwrap() error }
		if errors.As(err, &uerr) {
			return nil, nil, 0, fmt.Errorf("getUpdates: %w", uerr.Unwrap())
		}
		return nil, nil, 0, errors.New("getUpdates: request failed")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("getUpdates: reading answer: %w", err)
	}
	var r apiResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, nil, 0, fmt.Errorf("getUpdates: HTTP %d, undecodable answer: %w", resp.StatusCode, err)
	}
	if !r.OK {
		return nil, nil, time.Duration(r.Parameters.RetryAfter) * time.Second,
			fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
	}
	if err := json.Unmarshal(r.Result, &raws); err != nil {
		return nil, nil, 0, fmt.Errorf("getUpdates: decoding updates: %w", err)
	}
	ups = make([]models.Update, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &ups[i]); err != nil {
			return nil, nil, 0, fmt.Errorf("getUpdates: decoding an update: %w", err)
		}
	}
	return ups, raws, 0, nil
}
