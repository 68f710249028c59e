package botapitest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// User is a fake Telegram user; its private chat id equals ID.
type User struct {
	ID           int64
	FirstName    string
	LastName     string
	Username     string
	LanguageCode string
}

// Chat describes a chat known to the server.
type Chat struct {
	ID      int64
	Type    string // "private" or "supergroup"
	Title   string
	Forum   bool
	User    *User // the user of a private chat, nil for groups
	Blocked bool  // the user of a private chat blocked the bot
}

// Topic is a forum topic.
type Topic struct {
	ThreadID          int
	Name              string
	Closed            bool
	IconColor         int
	IconCustomEmojiID string
}

// Message is the server's view of a message, with edits applied.
type Message struct {
	ID       int
	ChatID   int64
	ThreadID int  // forum topic, 0 for none/General
	FromBot  bool // false for messages users sent via SendText and friends
	FromID   int64

	// Kind is text, photo, document, voice, sticker, location, contact,
	// copy or forward; for the last two SourceKind is the original's kind
	// and the content fields are copied from the original.
	Kind       string
	SourceKind string

	Text            string // plain text after entity parsing
	RawText         string // text as sent, e.g. the HTML source
	ParseMode       string
	Entities        []models.MessageEntity
	Caption         string // plain caption after entity parsing
	RawCaption      string
	CaptionEntities []models.MessageEntity

	Markup         *models.InlineKeyboardMarkup
	ReplyKeyboard  *models.ReplyKeyboardMarkup
	RemoveKeyboard bool
	ForceReply     bool
	ReplyTo        int // reply_parameters.message_id

	Edited   int  // successful edits of text, caption or keyboard
	Deleted  bool // deleted messages stay listed so counts remain stable
	Date     time.Time
	EditDate time.Time

	FileID        string
	FileName      string
	FileSize      int
	MimeType      string
	Phone         string // contact
	ContactName   string
	ContactUserID int64
	Latitude      float64
	Longitude     float64

	FromChatID    int64 // copy/forward source
	FromMessageID int
}

// CallbackAnswer is one answerCallbackQuery call.
type CallbackAnswer struct {
	QueryID   string
	Text      string
	ShowAlert bool
	URL       string
	At        time.Time
}

// Event reports a change to a chat's messages (for live UIs).
type Event struct {
	Type    string // "message", "edited" or "deleted"
	Message Message
}

// Delivery is one webhook POST attempt.
type Delivery struct {
	UpdateID int64
	URL      string
	Status   int    // HTTP status, 0 on network error
	Err      string // network error, if any
	At       time.Time
}

type chat struct {
	Chat
	user    *User
	blocked bool
	nextMsg int
	msgs    []*Message
	byID    map[int]*Message
	topics  []*Topic
	members map[int64]*member // groups: who is in, by user id (members.go)
}

type fileInfo struct {
	kind string
	name string
	size int
	mime string
	// data is the content of a file a test user sent with SendFileIn,
	// which getFile's download serves; nil for the rest (uploads are only
	// measured).
	data []byte
}

func (c *chat) newMessageID() int {
	c.nextMsg++
	return c.nextMsg
}

func (c *chat) topic(id int) *Topic {
	for _, t := range c.topics {
		if t.ThreadID == id {
			return t
		}
	}
	return nil
}

// addMessageLocked stores m, assigns its id and notifies watchers.
func (s *Server) addMessageLocked(c *chat, m *Message) {
	m.ID = c.newMessageID()
	m.ChatID = c.ID
	c.msgs = append(c.msgs, m)
	c.byID[m.ID] = m
	s.publishLocked("message", m)
}

func (s *Server) publishLocked(typ string, m *Message) {
	s.wakeLocked()
	ev := Event{Type: typ, Message: *m}
	for _, ch := range s.subs {
		select {
		case ch <- ev:
		default: // slow subscriber: drop rather than stall the API
		}
	}
}

func (s *Server) chatByParam(p *params, key string) (*chat, *apiError) {
	// "@username" never resolves: fake chats have no public usernames.
	id, err := strconv.ParseInt(strings.TrimSpace(p.str(key)), 10, 64)
	if err != nil {
		return nil, errChatNotFound
	}
	c := s.chats[id]
	if c == nil {
		return nil, errChatNotFound
	}
	return c, nil
}

func (s *Server) messagesLocked(chatID int64, pred func(*Message) bool) []Message {
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.msgs {
		if pred(m) {
			out = append(out, *m)
		}
	}
	return out
}

func botOnly(m *Message) bool { return m.FromBot }

// Chats lists all chats by id. For private chats Title is the user's name.
func (s *Server) Chats() []Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Chat, 0, len(s.chats))
	for _, c := range s.chats {
		out = append(out, c.view())
	}
	slices.SortFunc(out, func(a, b Chat) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Chat returns the chat with that id (a private chat's id is its user's).
func (s *Server) Chat(id int64) (Chat, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[id]
	if c == nil {
		return Chat{}, false
	}
	return c.view(), true
}

// view is a copy of the chat's description for callers.
func (c *chat) view() Chat {
	ch := c.Chat
	if c.user != nil {
		u := *c.user
		ch.User, ch.Blocked = &u, c.blocked
		ch.Title = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	return ch
}

// Message returns one message of a chat, whoever sent it, with edits
// applied.
func (s *Server) Message(chatID int64, id int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		if m := c.byID[id]; m != nil {
			return *m, true
		}
	}
	return Message{}, false
}

// BotUser is the bot as getMe describes it.
func (s *Server) BotUser() User {
	u := s.botModel()
	return User{ID: u.ID, FirstName: u.FirstName, Username: u.Username}
}

// Changed returns a channel that is closed at the next change of a chat,
// a message, a topic or a user's blocked flag, or when the server closes:
// take a new one after each wake-up.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return s.changed
}

// Done is closed when the server closes.
func (s *Server) Done() <-chan struct{} { return s.ctx.Done() }

// Messages returns the messages the bot sent to chatID, in order, with edits
// applied. Deleted messages are included with Deleted set.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(chatID, botOnly)
}

// History returns every message in chatID, the users' ones included.
func (s *Server) History(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(chatID, func(*Message) bool { return true })
}

// TopicMessages returns the bot's messages in one forum topic.
func (s *Server) TopicMessages(chatID int64, threadID int) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(chatID, func(m *Message) bool { return m.FromBot && m.ThreadID == threadID })
}

// Topics returns the forum topics of chatID in creation order.
func (s *Server) Topics(chatID int64) []Topic {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	out := make([]Topic, 0, len(c.topics))
	for _, t := range c.topics {
		out = append(out, *t)
	}
	return out
}

// WaitMessages blocks until the bot has sent at least n messages to chatID
// and returns them. On ctx expiry the error lists what the chat has.
func (s *Server) WaitMessages(ctx context.Context, chatID int64, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		msgs := s.messagesLocked(chatID, botOnly)
		ch, closed := s.changed, s.closed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs, nil
		}
		if closed {
			return msgs, errClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			var b strings.Builder
			for _, m := range msgs {
				fmt.Fprintf(&b, "\n  #%d %s %q", m.ID, m.Kind, m.Text+m.Caption)
			}
			return msgs, fmt.Errorf("botapitest: chat %d has %d bot messages, want %d: %w%s", chatID, len(msgs), n, ctx.Err(), b.String())
		}
	}
}

// Subscribe streams message events. Events are dropped for subscribers that
// do not keep up (buffer 256); call the returned func to unsubscribe. The
// channel is closed on unsubscribe or Close.
func (s *Server) Subscribe() (<-chan Event, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan Event, 256)
	if s.closed {
		close(ch)
		return ch, func() {}
	}
	id := s.nextSub
	s.nextSub++
	s.subs[id] = ch
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if c, ok := s.subs[id]; ok {
			close(c)
			delete(s.subs, id)
		}
	}
}

// CallbackAnswers returns all answerCallbackQuery calls that succeeded.
func (s *Server) CallbackAnswers() []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CallbackAnswer(nil), s.answers...)
}

// WebhookDeliveries returns every webhook POST attempt, in order.
func (s *Server) WebhookDeliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// Commands returns what setMyCommands stored for a scope and language.
// scope is the scope type ("default", "all_private_chats", ...), with
// ":<chat_id>" and ":<user_id>" appended for chat-specific scopes.
func (s *Server) Commands(scope, lang string) []models.BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]models.BotCommand(nil), s.commands[scope+"|"+lang]...)
}

// Model conversion: stored state -> the JSON shapes Telegram sends.

func (s *Server) botModel() models.User {
	return models.User{ID: s.cfg.botID, IsBot: true, FirstName: "Test Bot", Username: s.cfg.botUsername}
}

func userModel(u User) models.User {
	return models.User{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, LanguageCode: u.LanguageCode}
}

func chatModel(c *chat) models.Chat {
	mc := models.Chat{ID: c.ID, Type: models.ChatType(c.Type)}
	if c.user != nil {
		mc.FirstName, mc.LastName, mc.Username = c.user.FirstName, c.user.LastName, c.user.Username
	} else {
		mc.Title, mc.IsForum = c.Title, c.Forum
	}
	return mc
}

func (s *Server) senderModel(c *chat, m *Message) *models.User {
	if m.FromBot {
		u := s.botModel()
		return &u
	}
	if c.user != nil && c.user.ID == m.FromID {
		u := userModel(*c.user)
		return &u
	}
	if pc := s.chats[m.FromID]; pc != nil && pc.user != nil {
		u := userModel(*pc.user)
		return &u
	}
	return &models.User{ID: m.FromID, FirstName: "User"}
}

func photoSizes(fileID string, size int) []models.PhotoSize {
	return []models.PhotoSize{
		{FileID: fileID + "-s", FileUniqueID: "u" + fileID + "-s", Width: 90, Height: 90, FileSize: size / 16},
		{FileID: fileID + "-m", FileUniqueID: "u" + fileID + "-m", Width: 320, Height: 320, FileSize: size / 4},
		{FileID: fileID, FileUniqueID: "u" + fileID, Width: 800, Height: 800, FileSize: size},
	}
}

func (s *Server) messageModel(c *chat, m *Message) models.Message {
	mm := models.Message{
		ID:              m.ID,
		From:            s.senderModel(c, m),
		Date:            int(m.Date.Unix()),
		Chat:            chatModel(c),
		Caption:         m.Caption,
		CaptionEntities: m.CaptionEntities,
		ReplyMarkup:     m.Markup,
	}
	if m.ThreadID != 0 {
		mm.MessageThreadID, mm.IsTopicMessage = m.ThreadID, c.Forum
	}
	if !m.EditDate.IsZero() {
		mm.EditDate = int(m.EditDate.Unix())
	}
	if r := c.byID[m.ReplyTo]; r != nil && m.ReplyTo != 0 {
		rm := s.messageModel(c, &Message{ID: r.ID, FromBot: r.FromBot, FromID: r.FromID, Kind: r.Kind, SourceKind: r.SourceKind,
			Text: r.Text, Entities: r.Entities, Caption: r.Caption, Date: r.Date, FileID: r.FileID, FileName: r.FileName})
		mm.ReplyToMessage = &rm
	}
	kind := m.Kind
	if kind == "copy" || kind == "forward" {
		kind = m.SourceKind
	}
	switch kind {
	case "text":
		mm.Text, mm.Entities = m.Text, m.Entities
	case "photo":
		mm.Photo = photoSizes(m.FileID, m.FileSize)
	case "document":
		mm.Document = &models.Document{FileID: m.FileID, FileUniqueID: "u" + m.FileID, FileName: m.FileName, MimeType: m.MimeType, FileSize: int64(m.FileSize)}
	case "voice":
		mm.Voice = &models.Voice{FileID: m.FileID, FileUniqueID: "u" + m.FileID, Duration: 3, MimeType: m.MimeType, FileSize: int64(m.FileSize)}
	case "sticker":
		mm.Sticker = &models.Sticker{FileID: m.FileID, FileUniqueID: "u" + m.FileID, Type: "regular", Width: 512, Height: 512, Emoji: "\U0001F44D", FileSize: m.FileSize}
	case "location":
		mm.Location = &models.Location{Latitude: m.Latitude, Longitude: m.Longitude}
	case "contact":
		mm.Contact = &models.Contact{PhoneNumber: m.Phone, FirstName: m.ContactName, UserID: m.ContactUserID}
	}
	if m.Kind == "forward" {
		date, sender := int(m.Date.Unix()), s.botModel()
		if sc := s.chats[m.FromChatID]; sc != nil {
			if src := sc.byID[m.FromMessageID]; src != nil {
				date, sender = int(src.Date.Unix()), *s.senderModel(sc, src)
			}
		}
		mm.ForwardOrigin = &models.MessageOrigin{Type: models.MessageOriginTypeUser,
			MessageOriginUser: &models.MessageOriginUser{Type: models.MessageOriginTypeUser, Date: date, SenderUser: sender}}
	}
	return mm
}

// Description returns what setMyDescription (short false) or
// setMyShortDescription (short true) set for a language ("" the default).
func (s *Server) Description(short bool, lang string) string {
	field := "description"
	if short {
		field = "short_description"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.descriptions[field+"|"+lang]
}

// StoredTexts returns, by chat, every text the server still holds: what
// the messages not deleted say (text, caption, file name, contact), and
// the topic names. An erasure test scans it.
func (s *Server) StoredTexts() map[int64][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int64][]string{}
	for _, c := range s.chats {
		for _, t := range c.topics {
			out[c.ID] = append(out[c.ID], t.Name)
		}
		for _, m := range c.msgs {
			if m.Deleted {
				continue
			}
			for _, v := range []string{m.Text, m.RawText, m.Caption, m.RawCaption, m.FileName, m.Phone, m.ContactName} {
				if v != "" {
					out[c.ID] = append(out[c.ID], v)
				}
			}
		}
	}
	return out
}
