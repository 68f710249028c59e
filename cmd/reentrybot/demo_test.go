package main

import (
	"testing"

	"github.com/go-telegram/bot/models"

	"reentrybot/botapitest"
)

// In the terminal chat a number presses the button shown with it; a number
// that is no button's (a birth year) is sent as text.
func TestDemoChatTypedNumbers(t *testing.T) {
	api := botapitest.New()
	t.Cleanup(api.Close)
	user := api.NewUser("Minh", "vi")
	shown := &botapitest.Message{ChatID: user.ID, ID: 999, Markup: &models.InlineKeyboardMarkup{
		InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "Có", CallbackData: "yes"}, {Text: "Không", CallbackData: "no"}}},
	}}
	tests := []struct {
		line     string
		wantText string // what reaches the chat as the person's text; "" for none
		wantErr  bool
	}{
		{"1990", "1990", false},
		{"2", "", true}, // a button's number: pressed (the made-up message is unknown to the server)
		{"hello", "hello", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			before := len(api.History(user.ID))
			err := act(api, user, shown, tt.line)
			if (err != nil) != tt.wantErr {
				t.Fatalf("act(%q): error %v, want error %v", tt.line, err, tt.wantErr)
			}
			msgs := api.History(user.ID)
			switch {
			case tt.wantText == "" && len(msgs) != before:
				t.Fatalf("act(%q) sent a message", tt.line)
			case tt.wantText != "" && (len(msgs) != before+1 || msgs[len(msgs)-1].Text != tt.wantText):
				t.Fatalf("act(%q): messages %+v, want the text %q", tt.line, msgs, tt.wantText)
			}
		})
	}
}
