package botapitest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/go-telegram/bot/models"
)

// NewUser creates a user and its private chat (chat id == user id).
func (s *Server) NewUser(firstName, lang string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUserID++
	u := User{ID: s.nextUserID, FirstName: firstName, Username: fmt.Sprintf("user%d", s.nextUserID), LanguageCode: lang}
	s.userChatLocked(u)
	return u
}

// userChatLocked returns u's private chat, registering users the tests
// built by hand.
func (s *Server) userChatLocked(u User) *chat {
	if c := s.chats[u.ID]; c != nil {
		return c
	}
	if u.ID <= 0 {
		panic(fmt.Sprintf("botapitest: user id must be positive, got %d", u.ID))
	}
	cu := u
	c := &chat{Chat: Chat{ID: u.ID, Type: "private"}, user: &cu, byID: map[int]*Message{}}
	s.chats[u.ID] = c
	return c
}

// NewGroup creates a supergroup (optionally a forum) in which the bot is an
// administrator allowed to manage topics.
func (s *Server) NewGroup(title string, forum bool) Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextGroupSeq++
	c := &chat{Chat: Chat{ID: -(1001000000000 + s.nextGroupSeq), Type: "supergroup", Title: title, Forum: forum}, byID: map[int]*Message{}}
	s.chats[c.ID] = c
	return c.Chat
}

// NewTopic creates a forum topic as a human admin would. It panics if
// chatID is not a forum.
func (s *Server) NewTopic(chatID int64, name string) Topic {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil || !c.Forum {
		panic(fmt.Sprintf("botapitest: NewTopic: chat %d is not a forum", chatID))
	}
	return *s.addTopicLocked(c, name, topicColors[len(c.topics)%len(topicColors)])
}

// userMessageLocked stores a user's message and queues its update.
func (s *Server) userMessageLocked(c *chat, thread int, u User, m *Message) int64 {
	if c.Type == "private" && c.blocked {
		// Writing to a bot you blocked unblocks it, as in the apps.
		s.setBlockedLocked(c, u, false)
	}
	m.FromID, m.ThreadID, m.Date = u.ID, thread, s.now()
	s.addMessageLocked(c, m)
	mm := s.messageModel(c, m)
	return s.enqueueLocked(models.Update{Message: &mm})
}

func textMessage(text string) *Message {
	m := &Message{Kind: "text", Text: text, RawText: text}
	if strings.HasPrefix(text, "/") {
		cmd := text
		if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
			cmd = text[:i]
		}
		m.Entities = []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: utf16Count(cmd)}}
	}
	return m
}

// SendText sends text from u to the bot in their private chat and returns
// the update id. A leading "/command" gets a bot_command entity.
func (s *Server) SendText(u User, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userMessageLocked(s.userChatLocked(u), 0, u, textMessage(text))
}

// SendTextIn sends text from u into a group, or into a forum topic when
// threadID != 0. It panics on an unknown chat or topic (a test bug).
func (s *Server) SendTextIn(chatID int64, threadID int, u User, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		panic(fmt.Sprintf("botapitest: SendTextIn: unknown chat %d", chatID))
	}
	if threadID != 0 && c.topic(threadID) == nil {
		panic(fmt.Sprintf("botapitest: SendTextIn: chat %d has no topic %d", chatID, threadID))
	}
	s.userChatLocked(u)
	c.noteWriterLocked(u)
	return s.userMessageLocked(c, threadID, u, textMessage(text))
}

// PressButton presses the inline button carrying callback data on the
// current state of msg and returns the callback_query update id. It fails
// if the message is gone or its keyboard has no such button any more.
func (s *Server) PressButton(u User, msg Message, data string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[msg.ChatID]
	if c == nil {
		return 0, fmt.Errorf("botapitest: PressButton: unknown chat %d", msg.ChatID)
	}
	m := c.byID[msg.ID]
	switch {
	case m == nil || m.Deleted:
		return 0, fmt.Errorf("botapitest: PressButton: message %d not found in chat %d", msg.ID, msg.ChatID)
	case !m.FromBot:
		return 0, errors.New("botapitest: PressButton: message was not sent by the bot")
	case !hasCallbackData(m.Markup, data):
		return 0, fmt.Errorf("botapitest: PressButton: message %d has no button with callback_data %q", msg.ID, data)
	}
	s.userChatLocked(u)
	s.nextQuerySeq++
	qid := strconv.FormatInt(int64(4200000000000000000)+int64(s.nextQuerySeq), 10)
	s.queries[qid] = false
	mm := s.messageModel(c, m)
	return s.enqueueLocked(models.Update{CallbackQuery: &models.CallbackQuery{
		ID:           qid,
		From:         userModel(u),
		Message:      models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &mm},
		ChatInstance: strconv.FormatInt(-c.ID*31+7, 10),
		Data:         data,
	}}), nil
}

// ShareContact sends u's own contact (as a request_contact button does).
func (s *Server) ShareContact(u User, phone string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userMessageLocked(s.userChatLocked(u), 0, u, &Message{Kind: "contact", Phone: phone, ContactName: u.FirstName, ContactUserID: u.ID})
}

func (s *Server) userFileLocked(u User, kind, name string, size int, caption string) int64 {
	return s.userMessageLocked(s.userChatLocked(u), 0, u, s.fileMessageLocked(kind, name, size, caption))
}

func (s *Server) fileMessageLocked(kind, name string, size int, caption string) *Message {
	mt := guessMime(kind, name)
	id := s.newFileLocked(kind, name, size, mt)
	return &Message{Kind: kind, FileID: id, FileName: name, FileSize: size, MimeType: mt, Caption: caption, RawCaption: caption}
}

// SendPhotoIn sends a photo from u into a group, or into a forum topic
// when threadID != 0. It panics on an unknown chat or topic (a test bug).
func (s *Server) SendPhotoIn(chatID int64, threadID int, u User, caption string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil || (threadID != 0 && c.topic(threadID) == nil) {
		panic(fmt.Sprintf("botapitest: SendPhotoIn: unknown chat %d or topic %d", chatID, threadID))
	}
	s.userChatLocked(u)
	c.noteWriterLocked(u)
	return s.userMessageLocked(c, threadID, u, s.fileMessageLocked("photo", "", 64000, caption))
}

// SendFileIn sends a photo or a document (kind) with its content from u
// into a chat (a forum topic when threadID != 0; u's private chat when
// chatID is u's id): the bot can fetch it with getFile and download it. It
// panics on an unknown chat or topic or kind (a test bug).
func (s *Server) SendFileIn(chatID int64, threadID int, u User, kind, name string, data []byte, caption string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kind != "photo" && kind != "document" {
		panic("botapitest: SendFileIn: kind " + kind)
	}
	var c *chat
	if chatID == u.ID {
		c = s.userChatLocked(u)
	} else if c = s.chats[chatID]; c == nil || (threadID != 0 && c.topic(threadID) == nil) {
		panic(fmt.Sprintf("botapitest: SendFileIn: unknown chat %d or topic %d", chatID, threadID))
	} else {
		s.userChatLocked(u)
		c.noteWriterLocked(u)
	}
	m := s.fileMessageLocked(kind, name, len(data), caption)
	f := s.files[m.FileID]
	f.data = data
	s.files[m.FileID] = f
	return s.userMessageLocked(c, threadID, u, m)
}

// SendPhoto sends a photo (three sizes) with an optional caption.
func (s *Server) SendPhoto(u User, caption string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userFileLocked(u, "photo", "", 64000, caption)
}

// SendSticker sends a sticker.
func (s *Server) SendSticker(u User) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userFileLocked(u, "sticker", "", 24000, "")
}

// SendVoice sends a short voice note.
func (s *Server) SendVoice(u User) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userFileLocked(u, "voice", "", 9000, "")
}

// SendDocument sends a document with the given file name.
func (s *Server) SendDocument(u User, name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userFileLocked(u, "document", name, 2048, "")
}

// SendLocation sends a location.
func (s *Server) SendLocation(u User, lat, lon float64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userMessageLocked(s.userChatLocked(u), 0, u, &Message{Kind: "location", Latitude: lat, Longitude: lon})
}

// Block makes u block the bot: sends to u's chat answer 403 and the bot
// gets a my_chat_member update with status "kicked".
func (s *Server) Block(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.userChatLocked(u); !c.blocked {
		s.setBlockedLocked(c, u, true)
	}
}

// Unblock undoes Block (my_chat_member status "member").
func (s *Server) Unblock(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.userChatLocked(u); c.blocked {
		s.setBlockedLocked(c, u, false)
	}
}

func (s *Server) setBlockedLocked(c *chat, u User, blocked bool) {
	c.blocked = blocked
	bot := s.botModel()
	member := models.ChatMember{Type: models.ChatMemberTypeMember, Member: &models.ChatMemberMember{Status: models.ChatMemberTypeMember, User: &bot}}
	kicked := models.ChatMember{Type: models.ChatMemberTypeBanned, Banned: &models.ChatMemberBanned{Status: models.ChatMemberTypeBanned, User: &bot}}
	upd := &models.ChatMemberUpdated{Chat: chatModel(c), From: userModel(u), Date: int(s.now().Unix()), OldChatMember: member, NewChatMember: kicked}
	if !blocked {
		upd.OldChatMember, upd.NewChatMember = kicked, member
	}
	s.enqueueLocked(models.Update{MyChatMember: upd})
}
