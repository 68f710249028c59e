package playground

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"reentrybot/zalotest"
)

// The page's Zalo columns: followers of the fake OA (Options.Zalo), shown
// with what the OA recorded as sent to them and what they did on the
// page. They have their own calls (api/zalo-*) and their own event
// ("zalo", the whole snapshot whenever it changes): Zalo user ids are not
// Telegram chat ids, and the Telegram columns' code stays as it is.

// maxZaloShown is how many of a follower's latest entries the page gets.
const maxZaloShown = 200

type webZaloButton struct {
	Title   string `json:"title"`
	Type    string `json:"type"`
	Payload string `json:"payload,omitempty"`
}

// webZaloMessage is one entry of a Zalo chat: from the OA (N is its place
// among the OA's messages, which a press names) or the follower's own.
type webZaloMessage struct {
	N          int               `json:"n,omitempty"`
	FromOA     bool              `json:"from_oa"`
	Kind       string            `json:"kind"` // cs, zns; text, press, contact, media
	Text       string            `json:"text,omitempty"`
	Buttons    []webZaloButton   `json:"buttons,omitempty"`
	AskInfo    bool              `json:"ask_info,omitempty"`
	InfoTitle  string            `json:"info_title,omitempty"`
	TemplateID string            `json:"template_id,omitempty"`
	Data       map[string]string `json:"data,omitempty"`
	Date       int64             `json:"date"` // Unix milliseconds
}

type webZaloUser struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Following bool   `json:"following"`
}

// webZalo is the Zalo side of the page.
type webZalo struct {
	MaxText    int                         `json:"max_text"`
	MaxButtons int                         `json:"max_buttons"`
	Users      []webZaloUser               `json:"users"`
	Chats      map[string][]webZaloMessage `json:"chats"`
}

// ZaloSent is the fake OA's OnSend listener: it wakes the page's event
// streams. Set it when making the fake (zalotest.Options.OnSend).
func (p *Playground) ZaloSent(string, zalotest.Message) { p.poke() }

func (p *Playground) zaloState() *webZalo {
	if p.zalo == nil {
		return nil
	}
	p.mu.Lock()
	hidden := make(map[int64]bool, len(p.zaloHidden))
	for k, v := range p.zaloHidden {
		hidden[k] = v
	}
	p.mu.Unlock()
	out := &webZalo{MaxText: zalotest.MaxText, MaxButtons: zalotest.MaxButtons, Users: []webZaloUser{}, Chats: map[string][]webZaloMessage{}}
	for _, per := range p.zalo.People() {
		if hidden[per.ID] {
			continue
		}
		out.Users = append(out.Users, webZaloUser{ID: per.ID, Name: per.FirstName, Following: !per.Blocked})
		out.Chats[strconv.FormatInt(per.ID, 10)] = p.zaloChat(per.ID)
	}
	return out
}

// zaloChat merges the OA's messages with the follower's actions, each
// action placed after the OA messages that came before it.
func (p *Playground) zaloChat(id int64) []webZaloMessage {
	sent, said := p.zalo.History(id), p.zalo.said1(id)
	out := make([]webZaloMessage, 0, len(sent)+len(said))
	for i := 0; i <= len(sent); i++ {
		for len(said) > 0 && said[0].after <= i {
			s := said[0]
			said = said[1:]
			out = append(out, webZaloMessage{Kind: s.kind, Text: s.text, Date: s.at.UnixMilli()})
		}
		if i == len(sent) {
			break
		}
		m := sent[i]
		wm := webZaloMessage{N: i + 1, FromOA: true, Kind: m.Kind, Text: m.Text, AskInfo: m.AskInfo, InfoTitle: m.InfoTitle,
			TemplateID: m.TemplateID, Data: m.Data, Date: m.At.UnixMilli()}
		if a := m.Attachment; a != nil { // a picture or a file: named, as the page draws text only
			wm.Text = strings.TrimSpace(wm.Text + "\n📎 " + a.Name)
		}
		for j, b := range m.Buttons {
			if j == zalotest.MaxButtons {
				break // the fake refuses more; never draw more than Zalo would
			}
			pl, _ := b.Payload.(string)
			wm.Buttons = append(wm.Buttons, webZaloButton{Title: b.Title, Type: b.Type, Payload: pl})
		}
		out = append(out, wm)
	}
	if len(out) > maxZaloShown {
		out = out[len(out)-maxZaloShown:]
	}
	return out
}

func init() {
	for name, h := range map[string]postHandler{
		"zalo-users":   (*Playground).apiZaloNewUser,
		"zalo-send":    (*Playground).apiZaloSend,
		"zalo-press":   (*Playground).apiZaloPress,
		"zalo-contact": (*Playground).apiZaloContact,
		"zalo-media":   (*Playground).apiZaloMedia,
		"zalo-block":   (*Playground).apiZaloBlock,
		"zalo-hide":    (*Playground).apiZaloHide,
	} {
		webActions[name] = h
	}
}

// zaloUser decodes the body and checks its user_id is a follower.
func (p *Playground) zaloUser(w http.ResponseWriter, r *http.Request, in interface{ userID() int64 }) (int64, error) {
	if p.zalo == nil {
		return 0, &webError{status: http.StatusNotFound, msg: "no Zalo OA in this setup"}
	}
	if err := decodeBody(w, r, in); err != nil {
		return 0, err
	}
	id := in.userID()
	if _, ok := p.zalo.Person(id); !ok {
		return 0, badInput("unknown Zalo user_id %d", id)
	}
	return id, nil
}

type zaloIn struct {
	UserID int64 `json:"user_id"`
}

func (z *zaloIn) userID() int64 { return z.UserID }

// acted wakes the page after a follower's action and answers it.
func (p *Playground) acted(upd int64, err error) (map[string]any, error) {
	p.poke()
	return updated(upd, err)
}

func (p *Playground) apiZaloNewUser(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	if p.zalo == nil {
		return nil, &webError{status: http.StatusNotFound, msg: "no Zalo OA in this setup"}
	}
	var in struct {
		FirstName string `json:"first_name"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return nil, err
	}
	first, err := validName("first_name", in.FirstName)
	if err != nil {
		return nil, err
	}
	if first == "" {
		first = p.randomName()
	}
	u := p.zalo.NewPerson(first, "")
	p.poke()
	return map[string]any{"user": webZaloUser{ID: u.ID, Name: u.FirstName, Following: !u.Blocked}}, nil
}

func (p *Playground) apiZaloSend(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		zaloIn
		Text string `json:"text"`
	}
	id, err := p.zaloUser(w, r, &in)
	if err != nil {
		return nil, err
	}
	// Zalo counts characters, not UTF-16 units.
	switch {
	case !utf8.ValidString(in.Text):
		return nil, badInput("text must be UTF-8")
	case strings.TrimSpace(in.Text) == "":
		return nil, badInput("text is empty")
	case utf8.RuneCountInString(in.Text) > zalotest.MaxText:
		return nil, badInput("text is longer than %d characters", zalotest.MaxText)
	}
	return p.acted(p.zalo.SendText(id, in.Text))
}

func (p *Playground) apiZaloPress(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		zaloIn
		N       int    `json:"n"`
		Payload string `json:"payload"`
	}
	id, err := p.zaloUser(w, r, &in)
	if err != nil {
		return nil, err
	}
	return p.acted(p.zalo.Press(id, in.N, in.Payload))
}

func (p *Playground) apiZaloContact(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		zaloIn
		Phone string `json:"phone"`
	}
	id, err := p.zaloUser(w, r, &in)
	if err != nil {
		return nil, err
	}
	phone := strings.TrimSpace(in.Phone)
	if !phonePattern.MatchString(phone) {
		return nil, badInput("phone must look like 0912 345 678 or +84912345678")
	}
	return p.acted(p.zalo.ShareContact(id, phone))
}

func (p *Playground) apiZaloMedia(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		zaloIn
		Kind string `json:"kind"`
	}
	id, err := p.zaloUser(w, r, &in)
	if err != nil {
		return nil, err
	}
	switch in.Kind {
	case "photo", "sticker", "voice", "document", "location":
	default:
		return nil, badInput("kind must be photo, sticker, voice, document or location")
	}
	return p.acted(p.zalo.SendMedia(id, Media{Kind: in.Kind}))
}

func (p *Playground) apiZaloBlock(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in struct {
		zaloIn
		Blocked *bool `json:"blocked"`
	}
	id, err := p.zaloUser(w, r, &in)
	if err != nil {
		return nil, err
	}
	if in.Blocked == nil {
		return nil, badInput("blocked (true or false) is required")
	}
	if err := p.zalo.SetBlocked(id, *in.Blocked); err != nil {
		return nil, err
	}
	p.poke()
	return map[string]any{"blocked": *in.Blocked}, nil
}

func (p *Playground) apiZaloHide(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	var in zaloIn
	id, err := p.zaloUser(w, r, &in)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.zaloHidden[id] = true
	p.mu.Unlock()
	p.poke()
	return nil, nil
}

// hideZalo closes every Zalo column (start over).
func (p *Playground) hideZalo() {
	if p.zalo == nil {
		return
	}
	people := p.zalo.People()
	p.mu.Lock()
	for _, u := range people {
		p.zaloHidden[u.ID] = true
	}
	p.mu.Unlock()
}
