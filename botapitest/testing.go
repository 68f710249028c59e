package botapitest

import (
	"encoding/json"
	"testing"

	"github.com/go-telegram/bot/models"
)

// NewTest starts a server for a test: it is closed when the test ends, and
// the test fails, naming each call, if the code under test broke the Bot
// API specification (see Violations) in any call.
func NewTest(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := New(opts...)
	// Cleanups run last-in first-out: the server closes, then its record
	// is read, after the code under test (set up later) has stopped.
	tb.Cleanup(func() {
		for _, v := range s.Violations() {
			tb.Errorf("botapitest: a call broke the Bot API specification: %s", v)
		}
	})
	tb.Cleanup(s.Close)
	return s
}

// InlineKeyboard is an inline keyboard for tests that drive go-telegram/bot
// directly. That library sends "copy_text":{"text":""} on every button (its
// CopyText is a struct value, which omitempty never omits), which breaks the
// rule of one kind per button; this markup leaves the empty one out.
func InlineKeyboard(kb *models.InlineKeyboardMarkup) models.ReplyMarkup {
	return specKeyboard(*kb)
}

type specKeyboard models.InlineKeyboardMarkup

func (k specKeyboard) MarshalJSON() ([]byte, error) {
	raw, err := json.Marshal(models.InlineKeyboardMarkup(k))
	if err != nil {
		return nil, err
	}
	var m struct {
		Rows [][]map[string]json.RawMessage `json:"inline_keyboard"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	for _, row := range m.Rows {
		for _, b := range row {
			if string(b["copy_text"]) == `{"text":""}` {
				delete(b, "copy_text")
			}
		}
	}
	return json.Marshal(m)
}
