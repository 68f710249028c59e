package telegram

import (
	"encoding/json"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
)

// WireMarkup returns reply markup as the Bot API wants it. go-telegram/bot's
// InlineKeyboardButton holds CopyText as a struct value, which omitempty
// never omits, so every button would go out with "copy_text":{"text":""}
// beside its callback_data or url, while a button must use exactly one of
// them (https://core.telegram.org/bots/api#inlinekeyboardbutton). Other
// markup passes through unchanged.
func WireMarkup(m models.ReplyMarkup) models.ReplyMarkup {
	switch kb := m.(type) {
	case *models.InlineKeyboardMarkup:
		if kb != nil {
			return inlineKeyboard(*kb)
		}
	case models.InlineKeyboardMarkup:
		return inlineKeyboard(kb)
	}
	return m
}

type inlineKeyboard models.InlineKeyboardMarkup

// wireButton shadows the embedded CopyText with a pointer, which omitempty
// leaves out when unset.
type wireButton struct {
	models.InlineKeyboardButton
	CopyText *models.CopyTextButton `json:"copy_text,omitempty"`
}

func (k inlineKeyboard) MarshalJSON() ([]byte, error) {
	rows := make([][]wireButton, len(k.InlineKeyboard))
	for i, row := range k.InlineKeyboard {
		rows[i] = make([]wireButton, len(row))
		for j, b := range row {
			rows[i][j].InlineKeyboardButton = b
			if b.CopyText.Text != "" {
				rows[i][j].CopyText = &b.CopyText
			}
		}
	}
	return json.Marshal(struct {
		InlineKeyboard [][]wireButton `json:"inline_keyboard"`
	}{rows})
}

// Keyboard turns rendered buttons into an inline keyboard, nil for none.
// A button whose data is over the Bot API's 64 bytes would make Telegram
// refuse the whole message: it is left out and named in dropped (only a
// bug makes one).
func Keyboard(rows [][]channel.Button) (kb models.ReplyMarkup, dropped []string) {
	if len(rows) == 0 {
		return nil, nil
	}
	k := &models.InlineKeyboardMarkup{}
	for _, row := range rows {
		var buttons []models.InlineKeyboardButton
		for _, bt := range row {
			if len(bt.Data) > MaxCallbackData {
				dropped = append(dropped, bt.Data)
				continue
			}
			buttons = append(buttons, models.InlineKeyboardButton{Text: bt.Label, CallbackData: bt.Data})
		}
		if len(buttons) > 0 {
			k.InlineKeyboard = append(k.InlineKeyboard, buttons)
		}
	}
	return k, dropped
}

// ContactKeyboard asks for the person's own phone number with one button.
func ContactKeyboard(label string) models.ReplyMarkup {
	return &models.ReplyKeyboardMarkup{
		Keyboard:        [][]models.KeyboardButton{{{Text: label, RequestContact: true}}},
		ResizeKeyboard:  true,
		OneTimeKeyboard: true,
	}
}
