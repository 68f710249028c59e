package bot

import (
	"strings"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/textfold"
)

// toInput translates a private-chat update into a flow input. ok is false
// for updates the flows do not see (groups, edits, membership changes).
func (b *Bot) toInput(upd *models.Update) (in flows.Input, from models.User, ok bool) {
	if cq := upd.CallbackQuery; cq != nil {
		m := cq.Message.Message
		if m == nil || m.Chat.Type != models.ChatTypePrivate {
			return in, from, false
		}
		in.Kind = flows.InChoice
		in.Version, in.Choice = parseCallback(cq.Data)
		in.At = timeOf(m.Date)
		return in, cq.From, true
	}
	m := upd.Message
	if m == nil || m.Chat.Type != models.ChatTypePrivate || m.From == nil {
		return in, from, false
	}
	in.At = timeOf(m.Date)
	from = *m.From
	switch {
	case m.Text != "":
		text := CleanText(m.Text)
		if cmd, arg, isCmd := parseCommand(text, b.me.Username); isCmd {
			in.Kind, in.Command, in.Arg = flows.InCommand, cmd, arg
		} else {
			in.Kind, in.Text = flows.InText, text
		}
	case m.Contact != nil && m.Contact.UserID == m.From.ID:
		in.Kind, in.Phone = flows.InContact, m.Contact.PhoneNumber
	default:
		in.Kind, in.Media = flows.InMedia, mediaKind(m)
	}
	return in, from, true
}

// CleanText makes typed text safe to store and compare: valid UTF-8, NFC,
// no control characters but newlines and tabs, trimmed.
func CleanText(s string) string { return textfold.Clean(s) }

// parseCommand splits "/start@bot arg" into ("start", "arg"). A command
// addressed to another bot is not ours.
func parseCommand(text, me string) (cmd, arg string, ok bool) {
	if !strings.HasPrefix(text, "/") || len(text) < 2 {
		return "", "", false
	}
	word, rest, _ := strings.Cut(text[1:], " ")
	word, at, addressed := strings.Cut(word, "@")
	if addressed && !strings.EqualFold(at, me) {
		return "", "", false
	}
	for _, r := range word {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", "", false
		}
	}
	if word == "" {
		return "", "", false
	}
	return strings.ToLower(word), strings.TrimSpace(rest), true
}

// Callback data is channel.ButtonData: "<conversation version>:<option
// id>"; the version lets the flows recognise a stale or doubly-tapped
// button.
func callbackData(version int64, id string) string { return channel.ButtonData(version, id) }

// parseCallback reads callback data; version -1 (never current) for a
// forged or foreign payload.
func parseCallback(data string) (int64, string) {
	v, id, ok := channel.ParseButtonData(data)
	if !ok {
		return -1, ""
	}
	return v, id
}

func mediaKind(m *models.Message) string {
	switch {
	case m.Sticker != nil:
		return "sticker"
	case len(m.Photo) > 0:
		return "photo"
	case m.Voice != nil:
		return "voice"
	case m.Audio != nil:
		return "audio"
	case m.Video != nil || m.VideoNote != nil:
		return "video"
	case m.Document != nil:
		return "document"
	case m.Location != nil:
		return "location"
	case m.Contact != nil:
		return "contact"
	}
	return "other"
}
