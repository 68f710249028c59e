package telegram

import (
	"encoding/json"
	"testing"

	"github.com/go-telegram/bot/models"
)

func TestWireMarkup(t *testing.T) {
	tests := []struct {
		name   string
		markup models.ReplyMarkup
		want   string
	}{
		{"callback button without copy_text",
			&models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "Có", CallbackData: "y"}, {Text: "Web", URL: "https://example.com"}}}},
			`{"inline_keyboard":[[{"text":"Có","callback_data":"y"},{"text":"Web","url":"https://example.com"}]]}`},
		{"copy button kept",
			models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "Copy", CopyText: models.CopyTextButton{Text: "0912"}}}}},
			`{"inline_keyboard":[[{"text":"Copy","copy_text":{"text":"0912"}}]]}`},
		{"no rows", &models.InlineKeyboardMarkup{}, `{"inline_keyboard":[]}`},
		{"reply keyboard unchanged",
			&models.ReplyKeyboardRemove{RemoveKeyboard: true},
			`{"remove_keyboard":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(WireMarkup(tt.markup))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
