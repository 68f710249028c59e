package playground

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"reentrybot/botapitest"
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
	// WebChat is the web chat page to frame, if any.
	WebChat string `json:"webchat,omitempty"`
	// Zalo is the fake OA's followers and their chats, if any.
	Zalo *webZalo `json:"zalo,omitempty"`
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

func (p *Playground) webMessage(m botapitest.Message) webMessage {
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
		if who, ok := p.returnees.Person(m.FromID); ok {
			wm.FromName = strings.TrimSpace(who.FirstName + " " + who.LastName)
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

// chatMessages returns the last maxMessagesPerChat messages of a chat.
func (p *Playground) chatMessages(id int64) []webMessage {
	msgs := p.s.History(id)
	if len(msgs) > maxMessagesPerChat {
		msgs = msgs[len(msgs)-maxMessagesPerChat:]
	}
	out := make([]webMessage, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, p.webMessage(m))
	}
	return out
}

func (p *Playground) hiddenSet() map[int64]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := make(map[int64]bool, len(p.hidden))
	for k, v := range p.hidden {
		h[k] = v
	}
	return h
}

func (p *Playground) persona(id int64) (Persona, bool) {
	for _, per := range p.opts.Personas {
		if per.User.ID == id {
			return per, true
		}
	}
	return Persona{}, false
}

func userJSON(u Person) webUser {
	return webUser{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, Lang: u.Lang, Blocked: u.Blocked}
}

// meta lists the returnees still shown (oldest first), then the personas
// in the order given, and the staff group.
func (p *Playground) meta() webMeta {
	hidden := p.hiddenSet()
	meta := webMeta{Users: []webUser{}}
	for _, u := range p.returnees.People() {
		if _, isPersona := p.persona(u.ID); !isPersona && !hidden[u.ID] {
			meta.Users = append(meta.Users, userJSON(u))
		}
	}
	for _, per := range p.opts.Personas {
		u, ok := p.returnees.Person(per.User.ID)
		if !ok {
			continue
		}
		wu := userJSON(u)
		wu.Label, wu.Persona, wu.Group = per.Label, true, per.User.ID == p.groupUser
		meta.Users = append(meta.Users, wu)
	}
	if c, ok := p.s.Chat(p.opts.GroupChatID); ok && p.groupUser != 0 {
		g := &webGroup{ID: c.ID, Title: c.Title, Forum: c.Forum, UserID: p.groupUser, Topics: []webTopic{}}
		for _, t := range p.s.Topics(c.ID) {
			g.Topics = append(g.Topics, webTopic{ThreadID: t.ThreadID, Name: t.Name, Closed: t.Closed, IconColor: t.IconColor})
		}
		meta.Group = g
	}
	return meta
}

func (p *Playground) state() webState {
	bot := p.s.BotUser()
	st := webState{
		Bot:     webBot{ID: bot.ID, Username: bot.Username},
		Clock:   p.opts.AdvanceClock != nil,
		WebChat: p.opts.WebChatURL,
		Zalo:    p.zaloState(),
		webMeta: p.meta(),
		Chats:   map[string][]webMessage{},
	}
	for _, u := range st.Users {
		st.Chats[strconv.FormatInt(u.ID, 10)] = p.chatMessages(u.ID)
	}
	if st.Group != nil {
		st.Chats[strconv.FormatInt(st.Group.ID, 10)] = p.chatMessages(st.Group.ID)
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

type postHandler func(p *Playground, w http.ResponseWriter, r *http.Request) (map[string]any, error)

var webActions = map[string]postHandler{
	"users":   (*Playground).apiNewUser,
	"reset":   (*Playground).apiReset,
	"hide":    (*Playground).apiHide,
	"send":    (*Playground).apiSend,
	"press":   (*Playground).apiPress,
	"contact": (*Playground).apiContact,
	"media":   (*Playground).apiMedia,
	"block":   (*Playground).apiBlock,
	"clock":   (*Playground).apiClock,
}

func (p *Playground) serveAPI(w http.ResponseWriter, r *http.Request, name string) {
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
		msgs, err := p.chatByID(r.URL.Query().Get("id"))
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

func (p *Playground) chatByID(rawID string) ([]webMessage, error) {
	id, err := strconv.ParseInt(rawID, 10, 64)
	if err != nil {
		return nil, badInput("id must be a chat id")
	}
	if _, ok := p.s.Chat(id); !ok {
		return nil, badInput("unknown chat %d", id)
	}
	return p.chatMessages(id), nil
}

// user returns the known user with that id; personas included.
func (p *Playground) user(id int64) (Person, error) {
	if u, ok := p.returnees.Person(id); ok {
		return u, nil
	}
	return Person{}, badInput("unknown user_id %d", id)
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

func (p *Playground) newReturnee(first, lang string) webUser {
	if first == "" {
		first = p.randomName()
	}
	u := p.returnees.NewPerson(first, lang)
	p.poke()
	return userJSON(u)
}

func (p *Playground) apiNewUser(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
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
func (p *Playground) apiReset(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct{}
	if err := decodeBody(w, r, &in); err != nil {
		return nil, err
	}
	people := p.returnees.People()
	p.mu.Lock()
	for _, u := range people {
		if _, isPersona := p.persona(u.ID); !isPersona {
			p.hidden[u.ID] = true
		}
	}
	p.mu.Unlock()
	p.hideZalo()
	return map[string]any{"user": p.newReturnee("", "vi")}, nil
}

func (p *Playground) apiHide(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
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
func (p *Playground) apiSend(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
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
		return updated(p.returnees.SendText(u.ID, text))
	}
	// SendTextIn panics on unknown chats and topics; topics are never
	// removed, so checking first is enough.
	c, ok := p.s.Chat(in.ChatID)
	switch {
	case !ok:
		return nil, badInput("unknown chat_id %d", in.ChatID)
	case c.Type == "private":
		return nil, badInput("chat %d is another user's private chat", in.ChatID)
	case in.ThreadID < 0 || (in.ThreadID != 0 && !hasTopic(p.s.Topics(c.ID), in.ThreadID)):
		return nil, badInput("chat %d has no topic %d", in.ChatID, in.ThreadID)
	}
	tu, err := p.tgUser(u.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"update_id": p.s.SendTextIn(in.ChatID, in.ThreadID, tu, text)}, nil
}

func (p *Playground) apiPress(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
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
	if in.ChatID == 0 || in.ChatID == u.ID {
		return updated(p.returnees.Press(u.ID, in.MessageID, in.Data))
	}
	c, ok := p.s.Chat(in.ChatID)
	if !ok {
		return nil, badInput("unknown chat_id %d", in.ChatID)
	}
	if c.Type == "private" {
		return nil, badInput("chat %d is another user's private chat", in.ChatID)
	}
	msg, ok := p.s.Message(in.ChatID, in.MessageID)
	if !ok {
		return nil, badInput("chat %d has no message %d", in.ChatID, in.MessageID)
	}
	tu, err := p.tgUser(u.ID)
	if err != nil {
		return nil, err
	}
	id, err := p.s.PressButton(tu, msg, in.Data)
	if err != nil {
		return nil, badInput("%v", err)
	}
	return map[string]any{"update_id": id}, nil
}

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 .\-]{2,19}$`)

func (p *Playground) apiContact(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
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
	return updated(p.returnees.ShareContact(u.ID, phone))
}

func (p *Playground) apiMedia(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
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
	m := Media{Kind: in.Kind, Caption: caption}
	switch in.Kind {
	case "photo", "sticker", "voice":
	case "document":
		name := strings.TrimSpace(in.FileName)
		if name == "" {
			name = "ho-so.pdf"
		}
		if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxFileNameLen ||
			strings.ContainsAny(name, `/\`) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			return nil, badInput("file_name must be a plain file name of at most %d characters", maxFileNameLen)
		}
		m.FileName = name
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
		m.Latitude, m.Longitude = lat, lon
	default:
		return nil, badInput("kind must be photo, sticker, voice, document or location")
	}
	return updated(p.returnees.SendMedia(u.ID, m))
}

func (p *Playground) apiBlock(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
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
	if err := p.returnees.SetBlocked(u.ID, *in.Blocked); err != nil {
		return nil, err
	}
	return map[string]any{"blocked": *in.Blocked}, nil
}

func (p *Playground) apiClock(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
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

// updated is the answer to an action: the id of the update the bot gets.
func updated(id int64, err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{"update_id": id}, nil
}

// tgUser is the Telegram user behind a person, for the staff group.
func (p *Playground) tgUser(id int64) (botapitest.User, error) { return telegram{p.s}.user(id) }

func hasTopic(topics []botapitest.Topic, threadID int) bool {
	for _, t := range topics {
		if t.ThreadID == threadID {
			return true
		}
	}
	return false
}

// Telegram's limits, in UTF-16 code units, which is how it counts.
const (
	maxTextLen    = 4096
	maxCaptionLen = 1024
)

func utf16Count(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
