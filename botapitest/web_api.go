package botapitest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// The playground's JSON API. GET api/state and api/chat?id= read; every
// other call is a POST with a JSON object body (Content-Type
// application/json, which also keeps other web pages from posting here
// without a CORS preflight) and answers {"ok":true,...} or, with a 4xx/5xx
// status, {"ok":false,"error":"..."}.

const (
	maxAPIBody         = 64 << 10
	maxMessagesPerChat = 500
	maxNameLen         = 64
	maxFileNameLen     = 128
	maxClockAdvance    = 366 * 24 * time.Hour
)

// webUser is a user as the page sees it.
type webUser struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
	Lang      string `json:"lang,omitempty"`
	Label     string `json:"label,omitempty"` // persona label
	Persona   bool   `json:"persona"`
	Group     bool   `json:"group"` // acts in the staff group
	Blocked   bool   `json:"blocked"`
}

type webTopic struct {
	ThreadID  int    `json:"thread_id"`
	Name      string `json:"name"`
	Closed    bool   `json:"closed"`
	IconColor int    `json:"icon_color"`
}

type webGroup struct {
	ID     int64      `json:"id"`
	Title  string     `json:"title"`
	Forum  bool       `json:"forum"`
	UserID int64      `json:"user_id"` // the persona acting in it
	Topics []webTopic `json:"topics"`
}

// webMeta is what changes rarely: who is on the page and the group's topics.
type webMeta struct {
	Users []webUser `json:"users"`
	Group *webGroup `json:"group"`
}

type webState struct {
	Bot   webBot `json:"bot"`
	Clock bool   `json:"clock"` // AdvanceClock is available
	webMeta
	Chats map[string][]webMessage `json:"chats"` // chat id -> messages, oldest first
}

type webBot struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

type webButton struct {
	Text string `json:"text"`
	Data string `json:"data,omitempty"` // callback_data
	URL  string `json:"url,omitempty"`
}

type webKey struct {
	Text     string `json:"text"`
	Contact  bool   `json:"contact,omitempty"`
	Location bool   `json:"location,omitempty"`
}

type webReplyKeyboard struct {
	Rows        [][]webKey `json:"rows"`
	OneTime     bool       `json:"one_time,omitempty"`
	Placeholder string     `json:"placeholder,omitempty"`
}

// webMessage is a Message as the page renders it.
type webMessage struct {
	ID              int                    `json:"id"`
	ChatID          int64                  `json:"chat_id"`
	ThreadID        int                    `json:"thread_id,omitempty"`
	FromBot         bool                   `json:"from_bot"`
	FromID          int64                  `json:"from_id"`
	FromName        string                 `json:"from_name,omitempty"`
	Kind            string                 `json:"kind"`
	SourceKind      string                 `json:"source_kind,omitempty"`
	Text            string                 `json:"text,omitempty"`
	Entities        []models.MessageEntity `json:"entities,omitempty"`
	Caption         string                 `json:"caption,omitempty"`
	CaptionEntities []models.MessageEntity `json:"caption_entities,omitempty"`
	Inline          [][]webButton          `json:"inline,omitempty"`
	ReplyKeyboard   *webReplyKeyboard      `json:"reply_keyboard,omitempty"`
	RemoveKeyboard  bool                   `json:"remove_keyboard,omitempty"`
	ForceReply      bool                   `json:"force_reply,omitempty"`
	ReplyTo         int                    `json:"reply_to,omitempty"`
	Edited          int                    `json:"edited,omitempty"`
	Deleted         bool                   `json:"deleted,omitempty"`
	Date            int64                  `json:"date"` // Unix milliseconds
	FileName        string                 `json:"file_name,omitempty"`
	FileSize        int                    `json:"file_size,omitempty"`
	MimeType        string                 `json:"mime_type,omitempty"`
	Phone           string                 `json:"phone,omitempty"`
	ContactName     string                 `json:"contact_name,omitempty"`
	Latitude        float64                `json:"latitude,omitempty"`
	Longitude       float64                `json:"longitude,omitempty"`
}

func (s *Server) webMessageLocked(m *Message) webMessage {
	wm := webMessage{
		ID: m.ID, ChatID: m.ChatID, ThreadID: m.ThreadID, FromBot: m.FromBot, FromID: m.FromID,
		Kind: m.Kind, SourceKind: m.SourceKind, Text: m.Text, Entities: m.Entities,
		Caption: m.Caption, CaptionEntities: m.CaptionEntities,
		RemoveKeyboard: m.RemoveKeyboard, ForceReply: m.ForceReply, ReplyTo: m.ReplyTo,
		Edited: m.Edited, Deleted: m.Deleted, Date: m.Date.UnixMilli(),
		FileName: m.FileName, FileSize: m.FileSize, MimeType: m.MimeType,
		Phone: m.Phone, ContactName: m.ContactName, Latitude: m.Latitude, Longitude: m.Longitude,
	}
	if !m.FromBot {
		if c := s.chats[m.FromID]; c != nil && c.user != nil {
			wm.FromName = strings.TrimSpace(c.user.FirstName + " " + c.user.LastName)
		}
	}
	if m.Markup != nil {
		for _, row := range m.Markup.InlineKeyboard {
			out := make([]webButton, 0, len(row))
			for _, b := range row {
				out = append(out, webButton{Text: b.Text, Data: b.CallbackData, URL: b.URL})
			}
			wm.Inline = append(wm.Inline, out)
		}
	}
	if rk := m.ReplyKeyboard; rk != nil {
		kb := &webReplyKeyboard{OneTime: rk.OneTimeKeyboard, Placeholder: rk.InputFieldPlaceholder}
		for _, row := range rk.Keyboard {
			out := make([]webKey, 0, len(row))
			for _, b := range row {
				out = append(out, webKey{Text: b.Text, Contact: b.RequestContact, Location: b.RequestLocation})
			}
			kb.Rows = append(kb.Rows, out)
		}
		wm.ReplyKeyboard = kb
	}
	return wm
}

// chatMessagesLocked returns the last maxMessagesPerChat messages of a chat.
func (s *Server) chatMessagesLocked(c *chat) []webMessage {
	msgs := c.msgs
	if len(msgs) > maxMessagesPerChat {
		msgs = msgs[len(msgs)-maxMessagesPerChat:]
	}
	out := make([]webMessage, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, s.webMessageLocked(m))
	}
	return out
}

func (p *playground) hiddenSet() map[int64]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := make(map[int64]bool, len(p.hidden))
	for k, v := range p.hidden {
		h[k] = v
	}
	return h
}

func (p *playground) persona(id int64) (Persona, bool) {
	for _, per := range p.opts.Personas {
		if per.User.ID == id {
			return per, true
		}
	}
	return Persona{}, false
}

func userJSON(u *User, blocked bool) webUser {
	return webUser{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, Lang: u.LanguageCode, Blocked: blocked}
}

// metaLocked lists the returnees still shown (oldest first), then the
// personas in the order given, and the staff group. Callers hold s.mu.
func (p *playground) metaLocked(hidden map[int64]bool) webMeta {
	meta := webMeta{Users: []webUser{}}
	for _, c := range p.s.chats {
		if c.user == nil || hidden[c.ID] {
			continue
		}
		if _, isPersona := p.persona(c.ID); isPersona {
			continue
		}
		meta.Users = append(meta.Users, userJSON(c.user, c.blocked))
	}
	slices.SortFunc(meta.Users, func(a, b webUser) int { return cmp.Compare(a.ID, b.ID) })
	for _, per := range p.opts.Personas {
		c := p.s.chats[per.User.ID]
		if c == nil || c.user == nil {
			continue
		}
		u := userJSON(c.user, c.blocked)
		u.Label, u.Persona, u.Group = per.Label, true, per.User.ID == p.groupUser
		meta.Users = append(meta.Users, u)
	}
	if c := p.s.chats[p.opts.GroupChatID]; c != nil && p.groupUser != 0 {
		g := &webGroup{ID: c.ID, Title: c.Title, Forum: c.Forum, UserID: p.groupUser, Topics: []webTopic{}}
		for _, t := range c.topics {
			g.Topics = append(g.Topics, webTopic{ThreadID: t.ThreadID, Name: t.Name, Closed: t.Closed, IconColor: t.IconColor})
		}
		meta.Group = g
	}
	return meta
}

func (p *playground) meta() webMeta {
	hidden := p.hiddenSet()
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.metaLocked(hidden)
}

func (p *playground) state() webState {
	hidden := p.hiddenSet()
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st := webState{
		Bot:     webBot{ID: s.cfg.botID, Username: s.cfg.botUsername},
		Clock:   p.opts.AdvanceClock != nil,
		webMeta: p.metaLocked(hidden),
		Chats:   map[string][]webMessage{},
	}
	for _, u := range st.Users {
		if c := s.chats[u.ID]; c != nil {
			st.Chats[strconv.FormatInt(u.ID, 10)] = s.chatMessagesLocked(c)
		}
	}
	if st.Group != nil {
		st.Chats[strconv.FormatInt(st.Group.ID, 10)] = s.chatMessagesLocked(s.chats[st.Group.ID])
	}
	return st
}

// apiError answers of the playground API.
type webError struct {
	status int
	msg    string
}

func (e *webError) Error() string { return e.msg }

func badInput(format string, args ...any) *webError {
	return &webError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"ok":false,"error":"cannot encode the answer"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, err error) {
	var we *webError
	if !errors.As(err, &we) {
		we = &webError{status: http.StatusInternalServerError, msg: err.Error()}
	}
	writeJSON(w, we.status, map[string]any{"ok": false, "error": we.msg})
}

func ok(extra map[string]any) map[string]any {
	out := map[string]any{"ok": true}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// decodeBody reads one JSON object into dst, strictly.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &webError{status: http.StatusUnsupportedMediaType, msg: "Content-Type must be application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return &webError{status: http.StatusRequestEntityTooLarge, msg: "request body too large"}
		case errors.Is(err, io.EOF):
			return badInput("request body must be a JSON object")
		}
		return badInput("bad JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badInput("bad JSON: one object expected")
	}
	return nil
}

type postHandler func(p *playground, w http.ResponseWriter, r *http.Request) (map[string]any, error)

var webActions = map[string]postHandler{
	"users":   (*playground).apiNewUser,
	"reset":   (*playground).apiReset,
	"hide":    (*playground).apiHide,
	"send":    (*playground).apiSend,
	"press":   (*playground).apiPress,
	"contact": (*playground).apiContact,
	"media":   (*playground).apiMedia,
	"block":   (*playground).apiBlock,
	"clock":   (*playground).apiClock,
}

func (p *playground) serveAPI(w http.ResponseWriter, r *http.Request, name string) {
	switch name {
	case "state", "chat":
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			writeError(w, &webError{status: http.StatusMethodNotAllowed, msg: "use GET"})
			return
		}
		if name == "state" {
			writeJSON(w, http.StatusOK, p.state())
			return
		}
		msgs, err := p.chatMessages(r.URL.Query().Get("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, ok(map[string]any{"messages": msgs}))
		return
	}
	h, known := webActions[name]
	if !known {
		writeError(w, &webError{status: http.StatusNotFound, msg: "no such API call"})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, &webError{status: http.StatusMethodNotAllowed, msg: "use POST"})
		return
	}
	res, err := h(p, w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ok(res))
}

func (p *playground) chatMessages(rawID string) ([]webMessage, error) {
	id, err := strconv.ParseInt(rawID, 10, 64)
	if err != nil {
		return nil, badInput("id must be a chat id")
	}
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	c := p.s.chats[id]
	if c == nil {
		return nil, badInput("unknown chat %d", id)
	}
	return p.s.chatMessagesLocked(c), nil
}

// user returns the known user with that id; personas included.
func (p *playground) user(id int64) (User, error) {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	if c := p.s.chats[id]; c != nil && c.user != nil {
		return *c.user, nil
	}
	return User{}, badInput("unknown user_id %d", id)
}

// cleanText validates typed text: UTF-8, not blank, at most max UTF-16
// units (Telegram's measure).
func cleanText(field, s string, max int, required bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", badInput("%s must be UTF-8", field)
	}
	if strings.TrimSpace(s) == "" {
		if required {
			return "", badInput("%s is empty", field)
		}
		return "", nil
	}
	if utf16Count(s) > max {
		return "", badInput("%s is longer than %d characters", field, max)
	}
	return s, nil
}

func validName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxNameLen || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", badInput("%s must be at most %d printable characters", field, maxNameLen)
	}
	return s, nil
}

func (p *playground) newReturnee(first, lang string) webUser {
	if first == "" {
		first = p.randomName()
	}
	u := p.s.NewUser(first, lang)
	p.poke()
	return userJSON(&u, false)
}

func (p *playground) apiNewUser(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		FirstName string `json:"first_name"`
		Lang      string `json:"lang"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return nil, err
	}
	first, err := validName("first_name", in.FirstName)
	if err != nil {
		return nil, err
	}
	switch in.Lang {
	case "":
		in.Lang = "vi"
	case "vi", "en":
	default:
		return nil, badInput("lang must be vi or en")
	}
	return map[string]any{"user": p.newReturnee(first, in.Lang)}, nil
}

// apiReset closes every returnee column and opens one new returnee.
func (p *playground) apiReset(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct{}
	if err := decodeBody(w, r, &in); err != nil {
		return nil, err
	}
	p.s.mu.Lock()
	var ids []int64
	for id, c := range p.s.chats {
		if _, isPersona := p.persona(id); c.user != nil && !isPersona {
			ids = append(ids, id)
		}
	}
	p.s.mu.Unlock()
	p.mu.Lock()
	for _, id := range ids {
		p.hidden[id] = true
	}
	p.mu.Unlock()
	return map[string]any{"user": p.newReturnee("", "vi")}, nil
}

func (p *playground) apiHide(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		UserID int64 `json:"user_id"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return nil, err
	}
	if _, err := p.user(in.UserID); err != nil {
		return nil, err
	}
	if _, isPersona := p.persona(in.UserID); isPersona {
		return nil, badInput("personas cannot be hidden")
	}
	p.mu.Lock()
	p.hidden[in.UserID] = true
	p.mu.Unlock()
	p.poke()
	return nil, nil
}

// apiSend sends text as a user: to the bot in their private chat, or into
// a group (and forum topic) with chat_id and thread_id.
func (p *playground) apiSend(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		UserID   int64  `json:"user_id"`
		Text     string `json:"text"`
		ChatID   int64  `json:"chat_id"`
		ThreadID int    `json:"thread_id"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return nil, err
	}
	u, err := p.user(in.UserID)
	if err != nil {
		return nil, err
	}
	text, err := cleanText("text", in.Text, maxTextLen, true)
	if err != nil {
		return nil, err
	}
	if in.ChatID == 0 || in.ChatID == u.ID {
		if in.ThreadID != 0 {
			return nil, badInput("private chats have no topics")
		}
		return map[string]any{"update_id": p.s.SendText(u, text)}, nil
	}
	// SendTextIn panics on unknown chats and topics; topics are never
	// removed, so checking first is enough.
	p.s.mu.Lock()
	c := p.s.chats[in.ChatID]
	var problem error
	switch {
	case c == nil:
		problem = badInput("unknown chat_id %d", in.ChatID)
	case c.Type == "private":
		problem = badInput("chat %d is another user's private chat", in.ChatID)
	case in.ThreadID < 0 || (in.ThreadID != 0 && c.topic(in.ThreadID) == nil):
		problem = badInput("chat %d has no topic %d", in.ChatID, in.ThreadID)
	}
	p.s.mu.Unlock()
	if problem != nil {
		return nil, problem
	}
	return map[string]any{"update_id": p.s.SendTextIn(in.ChatID, in.ThreadID, u, text)}, nil
}

func (p *playground) apiPress(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		UserID    int64  `json:"user_id"`
		ChatID    int64  `json:"chat_id"`
		MessageID int    `json:"message_id"`
		Data      string `json:"data"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return nil, err
	}
	u, err := p.user(in.UserID)
	if err != nil {
		return nil, err
	}
	if in.ChatID == 0 {
		in.ChatID = u.ID
	}
	p.s.mu.Lock()
	var msg Message
	c := p.s.chats[in.ChatID]
	switch {
	case c == nil:
		err = badInput("unknown chat_id %d", in.ChatID)
	case c.Type == "private" && c.ID != u.ID:
		err = badInput("chat %d is another user's private chat", in.ChatID)
	case c.byID[in.MessageID] == nil:
		err = badInput("chat %d has no message %d", in.ChatID, in.MessageID)
	default:
		msg = *c.byID[in.MessageID]
	}
	p.s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	id, err := p.s.PressButton(u, msg, in.Data)
	if err != nil {
		return nil, badInput("%v", err)
	}
	return map[string]any{"update_id": id}, nil
}

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 .\-]{2,19}$`)

func (p *playground) apiContact(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		UserID int64  `json:"user_id"`
		Phone  string `json:"phone"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return nil, err
	}
	u, err := p.user(in.UserID)
	if err != nil {
		return nil, err
	}
	phone := strings.TrimSpace(in.Phone)
	if !phonePattern.MatchString(phone) {
		return nil, badInput("phone must look like 0912 345 678 or +84912345678")
	}
	return map[string]any{"update_id": p.s.ShareContact(u, phone)}, nil
}

func (p *playground) apiMedia(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		UserID    int64    `json:"user_id"`
		Kind      string   `json:"kind"`
		Caption   string   `json:"caption"`
		FileName  string   `json:"file_name"`
		Latitude  *float64 `json:"latitude"`
		Longitude *float64 `json:"longitude"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return nil, err
	}
	u, err := p.user(in.UserID)
	if err != nil {
		return nil, err
	}
	caption, err := cleanText("caption", in.Caption, maxCaptionLen, false)
	if err != nil {
		return nil, err
	}
	var id int64
	switch in.Kind {
	case "photo":
		id = p.s.SendPhoto(u, caption)
	case "sticker":
		id = p.s.SendSticker(u)
	case "voice":
		id = p.s.SendVoice(u)
	case "document":
		name := strings.TrimSpace(in.FileName)
		if name == "" {
			name = "ho-so.pdf"
		}
		if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxFileNameLen ||
			strings.ContainsAny(name, `/\`) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			return nil, badInput("file_name must be a plain file name of at most %d characters", maxFileNameLen)
		}
		id = p.s.SendDocument(u, name)
	case "location":
		lat, lon := 21.1861, 106.0763 // Bắc Ninh
		if in.Latitude != nil || in.Longitude != nil {
			if in.Latitude == nil || in.Longitude == nil {
				return nil, badInput("latitude and longitude go together")
			}
			lat, lon = *in.Latitude, *in.Longitude
		}
		if math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			return nil, badInput("latitude must be in [-90, 90] and longitude in [-180, 180]")
		}
		id = p.s.SendLocation(u, lat, lon)
	default:
		return nil, badInput("kind must be photo, sticker, voice, document or location")
	}
	return map[string]any{"update_id": id}, nil
}

func (p *playground) apiBlock(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		UserID  int64 `json:"user_id"`
		Blocked *bool `json:"blocked"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return nil, err
	}
	u, err := p.user(in.UserID)
	if err != nil {
		return nil, err
	}
	if in.Blocked == nil {
		return nil, badInput("blocked (true or false) is required")
	}
	if *in.Blocked {
		p.s.Block(u)
	} else {
		p.s.Unblock(u)
	}
	return map[string]any{"blocked": *in.Blocked}, nil
}

func (p *playground) apiClock(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		Seconds int64 `json:"seconds"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return nil, err
	}
	if p.opts.AdvanceClock == nil {
		return nil, &webError{status: http.StatusNotFound, msg: "the clock cannot be moved in this setup"}
	}
	if limit := int64(maxClockAdvance / time.Second); in.Seconds <= 0 || in.Seconds > limit {
		return nil, badInput("seconds must be between 1 and %d", limit)
	}
	if err := p.opts.AdvanceClock(time.Duration(in.Seconds) * time.Second); err != nil {
		return nil, &webError{status: http.StatusInternalServerError, msg: "moving the clock: " + err.Error()}
	}
	p.poke()
	return map[string]any{"advanced": in.Seconds}, nil
}
