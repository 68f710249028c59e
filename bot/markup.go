package bot

import (
	"encoding/json"

	"github.com/go-telegram/bot/models"
)

// wireMarkup returns reply markup as the Bot API wants it. go-telegram/bot's
// InlineKeyboardButton holds CopyText as a struct value, which omitempty
// never omits, so every button would go out with "copy_text":{"text":""}
// beside its callback_data or url, while a button must use exactly one of
// them (https://core.telegram.org/bots/api#inlinekeyboardbutton). Other
// markup passes through unchanged.
func wireMarkup(m models.ReplyMarkup) models.ReplyMarkup {
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
