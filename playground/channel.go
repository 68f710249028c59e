package playground

import (
	"cmp"
	"fmt"
	"slices"

	"reentrybot/botapitest"
)

// Person is someone who writes to the bot in a private chat.
type Person struct {
	ID        int64
	FirstName string
	LastName  string
	Username  string
	Lang      string
	Blocked   bool // blocked the bot
}

// Media is something other than text a person sends: Kind is photo,
// sticker, voice, document (with FileName) or location.
type Media struct {
	Kind      string
	Caption   string
	FileName  string
	Latitude  float64
	Longitude float64
}

// Returnees is one messenger's side of the page: the people who write to the
// bot through it, and what they can do in their private chat with it. Each
// action returns the id of the update the bot will get. Telegram (the test
// Bot API server) is the only channel today; a Zalo or web-chat column
// would be a second implementation.
type Returnees interface {
	People() []Person // oldest first
	Person(id int64) (Person, bool)
	NewPerson(firstName, lang string) Person
	SendText(id int64, text string) (int64, error)
	Press(id int64, messageID int, data string) (int64, error)
	ShareContact(id int64, phone string) (int64, error)
	SendMedia(id int64, m Media) (int64, error)
	SetBlocked(id int64, blocked bool) error
}

// telegram is the returnees' channel through the test Bot API server.
type telegram struct{ s *botapitest.Server }

func person(c botapitest.Chat) Person {
	u := c.User
	return Person{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, Lang: u.LanguageCode, Blocked: c.Blocked}
}

func (t telegram) People() []Person {
	var out []Person
	for _, c := range t.s.Chats() {
		if c.User != nil {
			out = append(out, person(c))
		}
	}
	slices.SortFunc(out, func(a, b Person) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (t telegram) Person(id int64) (Person, bool) {
	c, ok := t.s.Chat(id)
	if !ok || c.User == nil {
		return Person{}, false
	}
	return person(c), true
}

func (t telegram) NewPerson(firstName, lang string) Person {
	u := t.s.NewUser(firstName, lang)
	p, _ := t.Person(u.ID)
	return p
}

// user is the botapitest user of a person.
func (t telegram) user(id int64) (botapitest.User, error) {
	c, ok := t.s.Chat(id)
	if !ok || c.User == nil {
		return botapitest.User{}, badInput("unknown user_id %d", id)
	}
	return *c.User, nil
}

func (t telegram) SendText(id int64, text string) (int64, error) {
	u, err := t.user(id)
	if err != nil {
		return 0, err
	}
	return t.s.SendText(u, text), nil
}

func (t telegram) Press(id int64, messageID int, data string) (int64, error) {
	u, err := t.user(id)
	if err != nil {
		return 0, err
	}
	m, ok := t.s.Message(id, messageID)
	if !ok {
		return 0, badInput("chat %d has no message %d", id, messageID)
	}
	upd, err := t.s.PressButton(u, m, data)
	if err != nil {
		return 0, badInput("%v", err)
	}
	return upd, nil
}

func (t telegram) ShareContact(id int64, phone string) (int64, error) {
	u, err := t.user(id)
	if err != nil {
		return 0, err
	}
	return t.s.ShareContact(u, phone), nil
}

func (t telegram) SendMedia(id int64, m Media) (int64, error) {
	u, err := t.user(id)
	if err != nil {
		return 0, err
	}
	switch m.Kind {
	case "photo":
		return t.s.SendPhoto(u, m.Caption), nil
	case "sticker":
		return t.s.SendSticker(u), nil
	case "voice":
		return t.s.SendVoice(u), nil
	case "document":
		return t.s.SendDocument(u, m.FileName), nil
	case "location":
		return t.s.SendLocation(u, m.Latitude, m.Longitude), nil
	}
	return 0, fmt.Errorf("playground: media kind %q", m.Kind)
}

func (t telegram) SetBlocked(id int64, blocked bool) error {
	u, err := t.user(id)
	if err != nil {
		return err
	}
	if blocked {
		t.s.Block(u)
	} else {
		t.s.Unblock(u)
	}
	return nil
}
