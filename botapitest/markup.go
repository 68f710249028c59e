package botapitest

import (
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

const (
	maxTextLen    = 4096
	maxCaptionLen = 1024
)

// formatText applies parse_mode (or explicit entities) and Telegram's
// whitespace trimming. MarkdownV2/Markdown are accepted but not parsed.
func formatText(text, parseMode, entitiesJSON string) (string, []models.MessageEntity, *apiError) {
	if !utf8.ValidString(text) {
		return "", nil, badRequest("strings must be encoded in UTF-8")
	}
	var ents []models.MessageEntity
	switch strings.ToLower(parseMode) {
	case "":
		if strings.TrimSpace(entitiesJSON) != "" {
			if err := json.Unmarshal([]byte(entitiesJSON), &ents); err != nil {
				return "", nil, badRequest("can't parse entities JSON object")
			}
		}
	case "html":
		plain, e, problem := parseHTML(text)
		if problem != "" {
			return "", nil, badRequest("can't parse entities: " + problem)
		}
		text, ents = plain, e
	case "markdown", "markdownv2":
	default:
		return "", nil, badRequest("unsupported parse_mode")
	}
	text, ents = trimFormatted(text, ents)
	return text, ents, nil
}

type markup struct {
	inline *models.InlineKeyboardMarkup
	reply  *models.ReplyKeyboardMarkup
	remove bool
	force  bool
}

// parseMarkup validates reply_markup the way Telegram rejects it.
func parseMarkup(raw string) (markup, *apiError) {
	var m markup
	if strings.TrimSpace(raw) == "" {
		return m, nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &keys); err != nil {
		return m, badRequest("can't parse reply keyboard markup JSON object")
	}
	switch {
	case keys["inline_keyboard"] != nil:
		var rows [][]map[string]json.RawMessage
		if err := json.Unmarshal(keys["inline_keyboard"], &rows); err != nil {
			return m, badRequest("can't parse inline keyboard markup JSON object")
		}
		kb := &models.InlineKeyboardMarkup{InlineKeyboard: make([][]models.InlineKeyboardButton, 0, len(rows))}
		for _, row := range rows {
			out := make([]models.InlineKeyboardButton, 0, len(row))
			for _, fields := range row {
				b, e := inlineButton(fields)
				if e != nil {
					return m, e
				}
				out = append(out, b)
			}
			kb.InlineKeyboard = append(kb.InlineKeyboard, out)
		}
		m.inline = kb
	case keys["keyboard"] != nil:
		// Buttons may be objects or plain strings, so rows are decoded by
		// hand and the remaining options separately.
		var rows [][]json.RawMessage
		if err := json.Unmarshal(keys["keyboard"], &rows); err != nil {
			return m, badRequest("can't parse keyboard markup JSON object")
		}
		delete(keys, "keyboard")
		var rk models.ReplyKeyboardMarkup
		opts, _ := json.Marshal(keys)
		if err := json.Unmarshal(opts, &rk); err != nil {
			return m, badRequest("can't parse keyboard markup JSON object")
		}
		for _, row := range rows {
			var out []models.KeyboardButton
			for _, rb := range row {
				var b models.KeyboardButton
				var txt string
				if json.Unmarshal(rb, &txt) == nil {
					b.Text = txt
				} else if err := json.Unmarshal(rb, &b); err != nil {
					return m, badRequest("can't parse keyboard button")
				}
				if b.Text == "" {
					return m, badRequest("keyboard button text must be non-empty")
				}
				out = append(out, b)
			}
			rk.Keyboard = append(rk.Keyboard, out)
		}
		m.reply = &rk
	case keys["remove_keyboard"] != nil:
		m.remove = true
	case keys["force_reply"] != nil:
		m.force = true
	default:
		return m, badRequest("can't parse reply keyboard markup JSON object")
	}
	return m, nil
}

func inlineButton(fields map[string]json.RawMessage) (models.InlineKeyboardButton, *apiError) {
	var b models.InlineKeyboardButton
	raw, _ := json.Marshal(fields)
	if err := json.Unmarshal(raw, &b); err != nil {
		return b, badRequest("can't parse inline keyboard button: " + err.Error())
	}
	if b.Text == "" {
		return b, badRequest("can't parse inline keyboard button: Text must be non-empty")
	}
	actions := 0
	if _, ok := fields["callback_data"]; ok {
		// The limit is in bytes, which multi-byte scripts hit early.
		if n := len(b.CallbackData); n < 1 || n > 64 {
			return b, badRequest("BUTTON_DATA_INVALID")
		}
		actions++
	}
	if _, ok := fields["url"]; ok {
		u, err := url.Parse(b.URL)
		if err != nil || u.Scheme == "" || (u.Host == "" && u.Scheme != "tg") {
			return b, badRequest("inline keyboard button URL '" + b.URL + "' is invalid: Wrong HTTP URL")
		}
		actions++
	}
	for _, k := range []string{"web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "callback_game"} {
		if _, ok := fields[k]; ok {
			actions++
		}
	}
	// go-telegram/bot always sends "copy_text":{"text":""}; empty means absent.
	if b.CopyText.Text != "" {
		actions++
	}
	if b.Pay {
		actions++
	}
	if actions == 0 {
		return b, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	return b, nil
}

// hasCallbackData reports whether kb has a button carrying data.
func hasCallbackData(kb *models.InlineKeyboardMarkup, data string) bool {
	if kb == nil {
		return false
	}
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == data {
				return true
			}
		}
	}
	return false
}
