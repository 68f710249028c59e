package botapitest

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"
)

func (s *Server) getMe(_ context.Context, _ *params) (any, *apiError) {
	u := s.botModel()
	u.CanJoinGroups = true
	return u, nil
}

// openChatLocked resolves chat_id to a chat the bot may act in: a
// private chat whose user blocked the bot refuses every call.
func (s *Server) openChatLocked(p *params) (*chat, *apiError) {
	c, e := s.chatByParam(p, "chat_id")
	if e != nil {
		return nil, e
	}
	if c.blocked {
		return nil, errBlocked
	}
	return c, nil
}

// targetLocked resolves chat_id and message_thread_id of a send.
func (s *Server) targetLocked(p *params) (*chat, int, *apiError) {
	c, e := s.openChatLocked(p)
	if e != nil {
		return nil, 0, e
	}
	thread, e := p.integer("message_thread_id")
	if e != nil {
		return nil, 0, e
	}
	if !c.Forum {
		return c, 0, nil // outside forums the thread id is not a topic
	}
	if thread != 0 {
		t := c.topic(int(thread))
		if t == nil {
			return nil, 0, badRequest("message thread not found")
		}
		if t.Closed {
			return nil, 0, badRequest("TOPIC_CLOSED")
		}
	}
	return c, int(thread), nil
}

// replyLocked resolves reply_parameters / reply_to_message_id.
func (s *Server) replyLocked(c *chat, p *params) (int, *apiError) {
	var rp struct {
		MessageID                int  `json:"message_id"`
		AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
	}
	if _, err := p.jsonField("reply_parameters", &rp); err != nil {
		return 0, badRequest("can't parse reply parameters JSON object")
	}
	if rp.MessageID == 0 {
		id, e := p.integer("reply_to_message_id")
		if e != nil {
			return 0, e
		}
		rp.MessageID = int(id)
		rp.AllowSendingWithoutReply = p.boolean("allow_sending_without_reply")
	}
	if rp.MessageID == 0 {
		return 0, nil
	}
	if m := c.byID[rp.MessageID]; m == nil || m.Deleted {
		if rp.AllowSendingWithoutReply {
			return 0, nil
		}
		return 0, badRequest("message to be replied not found")
	}
	return rp.MessageID, nil
}

func (s *Server) outgoing(thread int, kind string) *Message {
	return &Message{FromBot: true, FromID: s.cfg.botID, ThreadID: thread, Kind: kind, Date: s.now()}
}

func (m *Message) applyMarkup(mk markup) {
	m.Markup, m.ReplyKeyboard, m.RemoveKeyboard, m.ForceReply = mk.inline, mk.reply, mk.remove, mk.force
}

func validText(text string) *apiError {
	if text == "" {
		return badRequest("message text is empty")
	}
	if utf16Count(text) > maxTextLen {
		return badRequest("message is too long")
	}
	return nil
}

func (s *Server) sendMessage(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, thread, e := s.targetLocked(p)
	if e != nil {
		return nil, e
	}
	text, ents, e := formatText(p.str("text"), p.str("parse_mode"), p.str("entities"))
	if e != nil {
		return nil, e
	}
	if e := validText(text); e != nil {
		return nil, e
	}
	mk, e := parseMarkup(p.str("reply_markup"))
	if e != nil {
		return nil, e
	}
	reply, e := s.replyLocked(c, p)
	if e != nil {
		return nil, e
	}
	if e := s.floodCheckLocked(c); e != nil {
		return nil, e
	}
	m := s.outgoing(thread, "text")
	m.Text, m.RawText, m.ParseMode, m.Entities, m.ReplyTo = text, p.str("text"), p.str("parse_mode"), ents, reply
	m.applyMarkup(mk)
	s.addMessageLocked(c, m)
	return s.messageModel(c, m), nil
}

// editableLocked finds the bot message an edit method targets.
func (s *Server) editableLocked(p *params) (*chat, *Message, *apiError) {
	if p.str("inline_message_id") != "" {
		return nil, nil, badRequest("inline messages are not supported by botapitest")
	}
	c, e := s.openChatLocked(p)
	if e != nil {
		return nil, nil, e
	}
	id, e := p.integer("message_id")
	if e != nil {
		return nil, nil, e
	}
	m := c.byID[int(id)]
	if m == nil || m.Deleted {
		return nil, nil, badRequest("message to edit not found")
	}
	if !m.FromBot {
		return nil, nil, badRequest("message can't be edited")
	}
	return c, m, nil
}

func inlineOnly(raw string) (*models.InlineKeyboardMarkup, *apiError) {
	mk, e := parseMarkup(raw)
	if e != nil {
		return nil, e
	}
	if mk.reply != nil || mk.remove || mk.force {
		return nil, badRequest("inline keyboard expected")
	}
	return mk.inline, nil
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

var errNotModified = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

func (m *Message) effectiveKind() string {
	if m.Kind == "copy" || m.Kind == "forward" {
		return m.SourceKind
	}
	return m.Kind
}

func (s *Server) editMessageText(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, e := s.editableLocked(p)
	if e != nil {
		return nil, e
	}
	if m.effectiveKind() != "text" || m.Kind == "forward" {
		return nil, badRequest("there is no text in the message to edit")
	}
	text, ents, e := formatText(p.str("text"), p.str("parse_mode"), p.str("entities"))
	if e != nil {
		return nil, e
	}
	if e := validText(text); e != nil {
		return nil, e
	}
	// Like Telegram, an edit without reply_markup removes the keyboard.
	kb, e := inlineOnly(p.str("reply_markup"))
	if e != nil {
		return nil, e
	}
	if text == m.Text && sameJSON(ents, m.Entities) && sameJSON(kb, m.Markup) {
		return nil, errNotModified
	}
	m.Text, m.RawText, m.ParseMode, m.Entities, m.Markup = text, p.str("text"), p.str("parse_mode"), ents, kb
	m.Edited++
	m.EditDate = s.now()
	s.publishLocked("edited", m)
	return s.messageModel(c, m), nil
}

func (s *Server) editMessageCaption(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, e := s.editableLocked(p)
	if e != nil {
		return nil, e
	}
	if k := m.effectiveKind(); k == "text" || k == "location" || k == "contact" || k == "sticker" {
		return nil, badRequest("there is no caption in the message to edit")
	}
	caption, ents, e := formatText(p.str("caption"), p.str("parse_mode"), p.str("caption_entities"))
	if e != nil {
		return nil, e
	}
	if utf16Count(caption) > maxCaptionLen {
		return nil, badRequest("message caption is too long")
	}
	kb, e := inlineOnly(p.str("reply_markup"))
	if e != nil {
		return nil, e
	}
	if caption == m.Caption && sameJSON(ents, m.CaptionEntities) && sameJSON(kb, m.Markup) {
		return nil, errNotModified
	}
	m.Caption, m.RawCaption, m.ParseMode, m.CaptionEntities, m.Markup = caption, p.str("caption"), p.str("parse_mode"), ents, kb
	m.Edited++
	m.EditDate = s.now()
	s.publishLocked("edited", m)
	return s.messageModel(c, m), nil
}

func (s *Server) editMessageReplyMarkup(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, e := s.editableLocked(p)
	if e != nil {
		return nil, e
	}
	kb, e := inlineOnly(p.str("reply_markup"))
	if e != nil {
		return nil, e
	}
	if sameJSON(kb, m.Markup) {
		return nil, errNotModified
	}
	m.Markup = kb
	m.Edited++
	s.publishLocked("edited", m)
	return s.messageModel(c, m), nil
}

func (s *Server) answerCallbackQuery(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := p.str("callback_query_id")
	if answered, known := s.queries[id]; !known || answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if utf16Count(p.str("text")) > 200 {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	s.queries[id] = true
	s.answers = append(s.answers, CallbackAnswer{QueryID: id, Text: p.str("text"), ShowAlert: p.boolean("show_alert"), URL: p.str("url"), At: s.now()})
	return true, nil
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
}

func (s *Server) sendChatAction(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, _, e := s.targetLocked(p); e != nil {
		return nil, e
	}
	if !chatActions[p.str("action")] {
		return nil, badRequest("wrong parameter action in request")
	}
	return true, nil
}

// relayLocked implements copyMessage and forwardMessage.
func (s *Server) relayLocked(p *params, kind string) (*chat, *Message, *apiError) {
	c, thread, e := s.targetLocked(p)
	if e != nil {
		return nil, nil, e
	}
	from, e := s.chatByParam(p, "from_chat_id")
	if e != nil {
		return nil, nil, e
	}
	id, e := p.integer("message_id")
	if e != nil {
		return nil, nil, e
	}
	src := from.byID[int(id)]
	if src == nil || src.Deleted {
		return nil, nil, badRequest("message to " + kind + " not found")
	}
	m := s.outgoing(thread, kind)
	m.SourceKind = src.effectiveKind()
	m.Text, m.RawText, m.Entities, m.ParseMode = src.Text, src.RawText, src.Entities, src.ParseMode
	m.Caption, m.RawCaption, m.CaptionEntities = src.Caption, src.RawCaption, src.CaptionEntities
	m.FileID, m.FileName, m.FileSize, m.MimeType = src.FileID, src.FileName, src.FileSize, src.MimeType
	m.Phone, m.ContactName, m.ContactUserID = src.Phone, src.ContactName, src.ContactUserID
	m.Latitude, m.Longitude = src.Latitude, src.Longitude
	m.FromChatID, m.FromMessageID = from.ID, src.ID
	if kind == "copy" {
		if p.has("caption") && m.SourceKind != "text" {
			caption, ents, e := formatText(p.str("caption"), p.str("parse_mode"), p.str("caption_entities"))
			if e != nil {
				return nil, nil, e
			}
			if utf16Count(caption) > maxCaptionLen {
				return nil, nil, badRequest("message caption is too long")
			}
			m.Caption, m.RawCaption, m.CaptionEntities, m.ParseMode = caption, p.str("caption"), ents, p.str("parse_mode")
		}
		mk, e := parseMarkup(p.str("reply_markup"))
		if e != nil {
			return nil, nil, e
		}
		m.applyMarkup(mk)
		if m.ReplyTo, e = s.replyLocked(c, p); e != nil {
			return nil, nil, e
		}
	}
	if e := s.floodCheckLocked(c); e != nil {
		return nil, nil, e
	}
	s.addMessageLocked(c, m)
	return c, m, nil
}

func (s *Server) copyMessage(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, e := s.relayLocked(p, "copy")
	if e != nil {
		return nil, e
	}
	return models.MessageID{ID: m.ID}, nil
}

func (s *Server) forwardMessage(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, e := s.relayLocked(p, "forward")
	if e != nil {
		return nil, e
	}
	return s.messageModel(c, m), nil
}

var filePrefix = map[string]string{"photo": "AgACAgI", "document": "BQACAgI", "voice": "AwACAgI", "sticker": "CAACAgI"}

// newFileLocked registers a file and returns its file_id.
func (s *Server) newFileLocked(kind, name string, size int, mimeType string) string {
	s.nextFileSeq++
	id := fmt.Sprintf("%s-%s-%06d", filePrefix[kind], kind, s.nextFileSeq)
	f := fileInfo{kind: kind, name: name, size: size, mime: mimeType}
	s.files[id] = f
	if kind == "photo" {
		s.files[id+"-s"], s.files[id+"-m"] = f, f
	}
	return id
}

func guessMime(kind, name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return strings.TrimSpace(strings.Split(t, ";")[0])
	}
	switch kind {
	case "photo":
		return "image/jpeg"
	case "voice":
		return "audio/ogg"
	case "sticker":
		return "image/webp"
	}
	return "application/octet-stream"
}

// fileLocked resolves an InputFile: an upload, attach://name, a URL or a
// known file_id.
func (s *Server) fileLocked(p *params, kind string) (string, fileInfo, *apiError) {
	up, ok := p.files[kind]
	v := p.str(kind)
	if name, isAttach := strings.CutPrefix(v, "attach://"); !ok && isAttach {
		up, ok = p.files[name]
	}
	switch {
	case ok:
		if up.size == 0 {
			return "", fileInfo{}, badRequest("file must be non-empty")
		}
		mt := up.mime
		if mt == "" || mt == "application/octet-stream" {
			mt = guessMime(kind, up.name)
		}
		id := s.newFileLocked(kind, up.name, up.size, mt)
		return id, s.files[id], nil
	case strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://"):
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return "", fileInfo{}, badRequest("wrong file identifier/HTTP URL specified")
		}
		name := path.Base(u.Path)
		id := s.newFileLocked(kind, name, 0, guessMime(kind, name))
		return id, s.files[id], nil
	case v != "":
		f, known := s.files[v]
		if !known {
			return "", fileInfo{}, badRequest("wrong file identifier/HTTP URL specified")
		}
		return v, f, nil
	}
	return "", fileInfo{}, badRequest("there is no " + kind + " in the request")
}

func mediaSender(kind string) handlerFunc {
	return func(s *Server, _ context.Context, p *params) (any, *apiError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		c, thread, e := s.targetLocked(p)
		if e != nil {
			return nil, e
		}
		id, f, e := s.fileLocked(p, kind)
		if e != nil {
			return nil, e
		}
		var caption string
		var ents []models.MessageEntity
		if kind != "sticker" {
			if caption, ents, e = formatText(p.str("caption"), p.str("parse_mode"), p.str("caption_entities")); e != nil {
				return nil, e
			}
			if utf16Count(caption) > maxCaptionLen {
				return nil, badRequest("message caption is too long")
			}
		}
		mk, e := parseMarkup(p.str("reply_markup"))
		if e != nil {
			return nil, e
		}
		reply, e := s.replyLocked(c, p)
		if e != nil {
			return nil, e
		}
		if e := s.floodCheckLocked(c); e != nil {
			return nil, e
		}
		m := s.outgoing(thread, kind)
		m.FileID, m.FileName, m.FileSize, m.MimeType = id, f.name, f.size, f.mime
		m.Caption, m.RawCaption, m.CaptionEntities, m.ParseMode, m.ReplyTo = caption, p.str("caption"), ents, p.str("parse_mode"), reply
		m.applyMarkup(mk)
		s.addMessageLocked(c, m)
		return s.messageModel(c, m), nil
	}
}

// simpleSendLocked is the common tail of sends without text or files.
func (s *Server) simpleSendLocked(p *params, kind string, fill func(*Message)) (any, *apiError) {
	c, thread, e := s.targetLocked(p)
	if e != nil {
		return nil, e
	}
	mk, e := parseMarkup(p.str("reply_markup"))
	if e != nil {
		return nil, e
	}
	reply, e := s.replyLocked(c, p)
	if e != nil {
		return nil, e
	}
	if e := s.floodCheckLocked(c); e != nil {
		return nil, e
	}
	m := s.outgoing(thread, kind)
	m.ReplyTo = reply
	fill(m)
	m.applyMarkup(mk)
	s.addMessageLocked(c, m)
	return s.messageModel(c, m), nil
}

func (s *Server) sendLocation(_ context.Context, p *params) (any, *apiError) {
	lat, e := p.float("latitude")
	if e != nil {
		return nil, e
	}
	lon, e := p.float("longitude")
	if e != nil {
		return nil, e
	}
	if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return nil, badRequest("wrong location specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.simpleSendLocked(p, "location", func(m *Message) { m.Latitude, m.Longitude = lat, lon })
}

func (s *Server) sendContact(_ context.Context, p *params) (any, *apiError) {
	phone, name := strings.TrimSpace(p.str("phone_number")), strings.TrimSpace(p.str("first_name"))
	if phone == "" {
		return nil, badRequest("phone number is empty")
	}
	if name == "" {
		return nil, badRequest("contact first name is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.simpleSendLocked(p, "contact", func(m *Message) { m.Phone, m.ContactName = phone, name })
}

var commandRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// commandsKey identifies a (scope, language) pair for bot commands.
func commandsKey(p *params) (string, *apiError) {
	var sc struct {
		Type   string `json:"type"`
		ChatID any    `json:"chat_id"`
		UserID int64  `json:"user_id"`
	}
	if _, err := p.jsonField("scope", &sc); err != nil {
		return "", badRequest("can't parse BotCommandScope JSON object")
	}
	key := sc.Type
	if key == "" {
		key = "default"
	}
	if f, ok := sc.ChatID.(float64); ok {
		key += ":" + strconv.FormatInt(int64(f), 10) // a JSON number, not 1e+09
	} else if sc.ChatID != nil {
		key += fmt.Sprintf(":%v", sc.ChatID)
	}
	if sc.UserID != 0 {
		key += fmt.Sprintf(":%d", sc.UserID)
	}
	return key + "|" + p.str("language_code"), nil
}

func (s *Server) setMyCommands(_ context.Context, p *params) (any, *apiError) {
	var cmds []models.BotCommand
	if _, err := p.jsonField("commands", &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands")
	}
	for _, c := range cmds {
		if !commandRe.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf16Count(c.Description); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	key, e := commandsKey(p)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands[key] = cmds
	return true, nil
}

func (s *Server) getMyCommands(_ context.Context, p *params) (any, *apiError) {
	key, e := commandsKey(p)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]models.BotCommand{}, s.commands[key]...), nil
}

func (s *Server) deleteMyCommands(_ context.Context, p *params) (any, *apiError) {
	key, e := commandsKey(p)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, key)
	return true, nil
}

func (s *Server) deleteMessage(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.openChatLocked(p)
	if e != nil {
		return nil, e
	}
	id, e := p.integer("message_id")
	if e != nil {
		return nil, e
	}
	m := c.byID[int(id)]
	if m == nil || m.Deleted {
		return nil, badRequest("message to delete not found")
	}
	m.Deleted = true
	s.publishLocked("deleted", m)
	return true, nil
}

// deleteMessages deletes 1–100 messages of a chat; ids that cannot be
// found are skipped, as Telegram does.
func (s *Server) deleteMessages(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.openChatLocked(p)
	if e != nil {
		return nil, e
	}
	var ids []int
	if ok, err := p.jsonField("message_ids", &ids); err != nil || !ok {
		return nil, badRequest("message_ids must be an array of integers")
	}
	if len(ids) < 1 || len(ids) > 100 {
		return nil, badRequest("message_ids must hold 1-100 ids")
	}
	for _, id := range ids {
		if m := c.byID[id]; m != nil && !m.Deleted {
			m.Deleted = true
			s.publishLocked("deleted", m)
		}
	}
	return true, nil
}

// Telegram only accepts these topic icon colours.
var topicColors = []int{7322096, 16766590, 13338331, 9367192, 16749490, 16478047}

func (s *Server) forumLocked(p *params) (*chat, *apiError) {
	c, e := s.chatByParam(p, "chat_id")
	if e != nil {
		return nil, e
	}
	if !c.Forum {
		return nil, badRequest("the chat is not a forum")
	}
	return c, nil
}

func validTopicName(name string) *apiError {
	if strings.TrimSpace(name) == "" {
		return badRequest("TOPIC_TITLE_EMPTY")
	}
	if utf16Count(name) > 128 {
		return badRequest("TOPIC_TITLE_TOO_LONG")
	}
	return nil
}

func (s *Server) createForumTopic(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.forumLocked(p)
	if e != nil {
		return nil, e
	}
	name := p.str("name")
	if e := validTopicName(name); e != nil {
		return nil, e
	}
	color64, e := p.integer("icon_color")
	if e != nil {
		return nil, e
	}
	color := int(color64)
	if color == 0 {
		color = topicColors[len(c.topics)%len(topicColors)]
	}
	valid := false
	for _, v := range topicColors {
		valid = valid || v == color
	}
	if !valid {
		return nil, badRequest("TOPIC_ICON_COLOR_INVALID")
	}
	t := s.addTopicLocked(c, name, color)
	t.IconCustomEmojiID = p.str("icon_custom_emoji_id")
	return models.ForumTopic{MessageThreadID: t.ThreadID, Name: t.Name, IconColor: t.IconColor, IconCustomEmojiID: t.IconCustomEmojiID}, nil
}

// addTopicLocked creates a topic; like Telegram its thread id is the id of
// the (unstored) "topic created" service message.
func (s *Server) addTopicLocked(c *chat, name string, color int) *Topic {
	t := &Topic{ThreadID: c.newMessageID(), Name: name, IconColor: color}
	c.topics = append(c.topics, t)
	s.wakeLocked()
	return t
}

func (s *Server) topicLocked(p *params) (*Topic, *apiError) {
	c, e := s.forumLocked(p)
	if e != nil {
		return nil, e
	}
	id, e := p.integer("message_thread_id")
	if e != nil {
		return nil, e
	}
	t := c.topic(int(id))
	if t == nil {
		return nil, badRequest("message thread not found")
	}
	return t, nil
}

var errTopicNotModified = badRequest("TOPIC_NOT_MODIFIED")

func (s *Server) editForumTopic(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.topicLocked(p)
	if e != nil {
		return nil, e
	}
	name, emoji := p.str("name"), p.str("icon_custom_emoji_id")
	if name != "" {
		if e := validTopicName(name); e != nil {
			return nil, e
		}
	}
	if (name == "" || name == t.Name) && (!p.has("icon_custom_emoji_id") || emoji == t.IconCustomEmojiID) {
		return nil, errTopicNotModified
	}
	if name != "" {
		t.Name = name
	}
	if p.has("icon_custom_emoji_id") {
		t.IconCustomEmojiID = emoji
	}
	s.wakeLocked()
	return true, nil
}

func (s *Server) setTopicClosed(p *params, closed bool) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.topicLocked(p)
	if e != nil {
		return nil, e
	}
	if t.Closed == closed {
		return nil, errTopicNotModified
	}
	t.Closed = closed
	s.wakeLocked()
	return true, nil
}

func (s *Server) closeForumTopic(_ context.Context, p *params) (any, *apiError) {
	return s.setTopicClosed(p, true)
}

func (s *Server) reopenForumTopic(_ context.Context, p *params) (any, *apiError) {
	return s.setTopicClosed(p, false)
}

func (s *Server) getChat(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.chatByParam(p, "chat_id")
	if e != nil {
		return nil, e
	}
	mc := chatModel(c)
	return models.ChatFullInfo{
		ID: mc.ID, Type: mc.Type, Title: mc.Title, Username: mc.Username,
		FirstName: mc.FirstName, LastName: mc.LastName, IsForum: mc.IsForum,
		MaxReactionCount: 11,
	}, nil
}

// describer implements setMyDescription and setMyShortDescription: the
// text (up to limit characters, empty removes it) for a language, or the
// default one.
func describer(field string, limit int) handlerFunc {
	return func(s *Server, _ context.Context, p *params) (any, *apiError) {
		text := p.str(field)
		if utf16Count(text) > limit {
			return nil, badRequest(strings.ToUpper(field) + "_TOO_LONG")
		}
		lang := p.str("language_code")
		if lang != "" && len(lang) != 2 {
			return nil, badRequest("LANGUAGE_CODE_INVALID")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if text == "" {
			delete(s.descriptions, field+"|"+lang)
		} else {
			s.descriptions[field+"|"+lang] = text
		}
		return true, nil
	}
}

// deleteForumTopic deletes a topic and every message in it, as Telegram
// does: what the messages said is gone from the server, not just hidden.
func (s *Server) deleteForumTopic(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.forumLocked(p)
	if e != nil {
		return nil, e
	}
	id, e := p.integer("message_thread_id")
	if e != nil {
		return nil, e
	}
	thread := int(id)
	kept := c.topics[:0]
	found := false
	for _, t := range c.topics {
		if t.ThreadID == thread {
			found = true
			continue
		}
		kept = append(kept, t)
	}
	if !found {
		return nil, badRequest("message thread not found")
	}
	c.topics = kept
	for _, m := range c.msgs {
		if m.ThreadID == thread && !m.Deleted {
			purge(m)
			s.publishLocked("deleted", m)
		}
	}
	return true, nil
}

// purge deletes a message and forgets its content.
func purge(m *Message) {
	*m = Message{ID: m.ID, ChatID: m.ChatID, ThreadID: m.ThreadID, FromBot: m.FromBot, FromID: m.FromID,
		Kind: m.Kind, Deleted: true, Date: m.Date}
}
