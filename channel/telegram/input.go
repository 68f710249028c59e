package telegram

import (
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/textfold"
)

// Input translates a private-chat update into a flow input; me is the
// bot's username (a command addressed to another bot is not ours). ok is
// false for updates the flows do not see (groups, edits, membership
// changes).
func Input(upd *models.Update, me string) (in flows.Input, from models.User, ok bool) {
	if cq := upd.CallbackQuery; cq != nil {
		m := cq.Message.Message
		if m == nil || m.Chat.Type != models.ChatTypePrivate {
			return in, from, false
		}
		in.Kind = flows.InChoice
		in.Version, in.Choice = ParseCallback(cq.Data)
		in.At = TimeOf(m.Date)
		return in, cq.From, true
	}
	m := upd.Message
	if m == nil || m.Chat.Type != models.ChatTypePrivate || m.From == nil {
		return in, from, false
	}
	in.At = TimeOf(m.Date)
	from = *m.From
	switch {
	case m.Text != "":
		text := textfold.Clean(m.Text)
		if cmd, arg, isCmd := ParseCommand(text, me); isCmd {
			in.Kind, in.Command, in.Arg = flows.InCommand, cmd, arg
		} else {
			in.Kind, in.Text = flows.InText, text
		}
	case m.Contact != nil && m.Contact.UserID == m.From.ID:
		in.Kind, in.Phone = flows.InContact, m.Contact.PhoneNumber
	default:
		in.Kind, in.Media = flows.InMedia, MediaKind(m)
	}
	return in, from, true
}

// ParseCommand splits "/start@bot arg" into ("start", "arg"). A command
// addressed to another bot is not ours.
func ParseCommand(text, me string) (cmd, arg string, ok bool) {
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

// ParseCallback reads callback data (channel.ButtonData: "<conversation
// version>:<option id>"; the version lets the flows recognise a stale or
// doubly-tapped button); version -1 (never current) for a forged or
// foreign payload.
func ParseCallback(data string) (int64, string) {
	v, id, ok := channel.ParseButtonData(data)
	if !ok {
		return -1, ""
	}
	return v, id
}

// MediaKind names what a message without text carries.
func MediaKind(m *models.Message) string {
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

// ChatKey is the chat an update belongs to; updates without a chat share
// chat 0.
func ChatKey(u *models.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.EditedMessage != nil:
		return u.EditedMessage.Chat.ID
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		return u.CallbackQuery.From.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	case u.ChatMember != nil:
		return u.ChatMember.Chat.ID
	}
	return 0
}

// Kind names the update's kind for metrics and logs.
func Kind(u *models.Update) string {
	switch {
	case u.Message != nil:
		m := u.Message
		switch {
		case m.Text != "" && m.Text[0] == '/':
			return "command"
		case m.Text != "":
			return "text"
		case m.Contact != nil:
			return "contact"
		default:
			return "media"
		}
	case u.CallbackQuery != nil:
		return "callback"
	case u.EditedMessage != nil:
		return "edited_message"
	case u.MyChatMember != nil:
		return "my_chat_member"
	}
	return "other"
}

// Event is a private-chat update as the channel layer tells it (what a
// feature's handler of returnees' events reads on every channel), from
// what Input read of it (in, from). A command keeps its text, without the
// bot's @username.
func Event(upd *models.Update, in flows.Input, from models.User) channel.Event {
	ev := channel.Event{
		ID:   strconv.FormatInt(upd.ID, 10),
		From: channel.Address{Channel: Name, Ref: strconv.FormatInt(from.ID, 10)},
		Name: from.FirstName, LangHint: from.LanguageCode, At: in.At,
	}
	switch in.Kind {
	case flows.InChoice:
		ev.Kind, ev.Data = channel.EvButton, upd.CallbackQuery.Data
	case flows.InCommand:
		ev.Kind, ev.Text = channel.EvText, strings.TrimSpace("/"+in.Command+" "+in.Arg)
	case flows.InText:
		ev.Kind, ev.Text = channel.EvText, in.Text
	case flows.InContact:
		ev.Kind, ev.Phone = channel.EvContact, in.Phone
	default:
		ev.Kind, ev.Media = channel.EvMedia, in.Media
		if in.Media == "location" {
			ev.Kind = channel.EvLocation
		}
	}
	return ev
}
