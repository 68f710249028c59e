package playground

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"reentrybot/zalotest"
)

// Zalo is the returnees' side through the fake Zalo OA: followers who
// write to the OA, press its buttons (the payload comes back as their
// text) and answer its share-phone card. People are numbered by their
// Zalo user id; a press names the message by its place in the
// follower's history (1 = the first the OA sent) and its button's
// payload. Following is starting; unfollowing is Blocked.
type Zalo struct {
	S   *zalotest.Server
	seq atomic.Int64 // stands for an update id: Zalo events have none

	mu    sync.Mutex
	said  map[int64][]zaloSaid // what each follower did, for the page
	noted int64
}

// zaloSaid is one of a follower's actions as the page shows it: the fake
// records only what the OA sent, so the page keeps the other side.
type zaloSaid struct {
	n     int64  // tells the action apart, to take it back if it failed
	after int    // how many OA messages the follower had before it
	kind  string // text, press, contact or media
	text  string
	at    time.Time
}

// note records an action about to be posted and returns its number.
func (z *Zalo) note(id int64, after int, kind, text string) int64 {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.said == nil {
		z.said = map[int64][]zaloSaid{}
	}
	z.noted++
	z.said[id] = append(z.said[id], zaloSaid{n: z.noted, after: after, kind: kind, text: text, at: z.S.Options().Now()})
	return z.noted
}

// unnote takes back an action the bot did not take.
func (z *Zalo) unnote(id, n int64) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.said[id] = slices.DeleteFunc(z.said[id], func(s zaloSaid) bool { return s.n == n })
}

// said1 is what the follower did on the page, oldest first.
func (z *Zalo) said1(id int64) []zaloSaid {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]zaloSaid(nil), z.said[id]...)
}

var _ Returnees = (*Zalo)(nil)

func zaloPerson(u zalotest.User) Person {
	id, _ := strconv.ParseInt(u.ID, 10, 64)
	return Person{ID: id, FirstName: u.Name, Lang: "vi", Blocked: !u.Following}
}

// People lists the followers, oldest first.
func (z *Zalo) People() []Person {
	var out []Person
	for _, u := range z.S.Users() {
		out = append(out, zaloPerson(u))
	}
	return out
}

// Person is one follower.
func (z *Zalo) Person(id int64) (Person, bool) {
	u, ok := z.S.User(strconv.FormatInt(id, 10))
	if !ok {
		return Person{}, false
	}
	return zaloPerson(u), true
}

// NewPerson makes a Zalo user who follows the OA (Zalo's "start"); Zalo
// tells no language, so lang is not used.
func (z *Zalo) NewPerson(firstName, _ string) Person {
	u := z.S.NewUser(firstName)
	_, _ = z.S.Follow(u.ID)
	p, _ := z.Person(zaloPerson(u).ID)
	return p
}

func (z *Zalo) user(id int64) (string, error) {
	ref := strconv.FormatInt(id, 10)
	if _, ok := z.S.User(ref); !ok {
		return "", badInput("unknown user_id %d", id)
	}
	return ref, nil
}

// delivered turns a webhook delivery into the page's answer.
func (z *Zalo) delivered(d zalotest.Delivery, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	if d.Err != nil || d.Status != 200 {
		return 0, fmt.Errorf("playground: the bot answered Zalo's webhook with %d (%v)", d.Status, d.Err)
	}
	return z.seq.Add(1), nil
}

// SendText is a typed message.
func (z *Zalo) SendText(id int64, text string) (int64, error) {
	return z.act(id, "text", text, func(ref string) (zalotest.Delivery, error) { return z.S.SendText(ref, text) })
}

// act runs one of the follower's actions and, once the bot took it,
// notes it for the page.
func (z *Zalo) act(id int64, kind, text string, do func(ref string) (zalotest.Delivery, error)) (int64, error) {
	ref, err := z.user(id)
	if err != nil {
		return 0, err
	}
	// Noted before posting: the bot may answer before the delivery
	// returns, and the page must show the question before the answer.
	n := z.note(id, len(z.S.Messages(ref)), kind, text)
	upd, err := z.delivered(do(ref))
	if err != nil {
		z.unnote(id, n)
		return 0, err
	}
	return upd, nil
}

// Press taps button data of the follower's messageID-th message.
func (z *Zalo) Press(id int64, messageID int, data string) (int64, error) {
	ref, err := z.user(id)
	if err != nil {
		return 0, err
	}
	ms := z.S.Messages(ref)
	if messageID < 1 || messageID > len(ms) {
		return 0, badInput("chat %d has no message %d", id, messageID)
	}
	for _, b := range ms[messageID-1].Buttons {
		if p, _ := b.Payload.(string); p == data {
			return z.act(id, "press", b.Title, func(ref string) (zalotest.Delivery, error) { return z.S.Press(ref, b) })
		}
	}
	return 0, badInput("message %d has no button %q", messageID, data)
}

// ShareContact answers the share-phone card; Zalo gives the phone as 84….
func (z *Zalo) ShareContact(id int64, phone string) (int64, error) {
	p := strings.NewReplacer("+", "", " ", "", ".", "").Replace(phone)
	if strings.HasPrefix(p, "0") {
		p = "84" + p[1:]
	}
	return z.act(id, "contact", p, func(ref string) (zalotest.Delivery, error) { return z.S.SubmitInfo(ref, p) })
}

// SendMedia sends a photo, sticker, voice, document or location.
func (z *Zalo) SendMedia(id int64, m Media) (int64, error) {
	kind, ok := map[string]string{"photo": "image", "sticker": "sticker", "voice": "audio", "document": "file", "location": "location"}[m.Kind]
	if !ok {
		return 0, fmt.Errorf("playground: media kind %q", m.Kind)
	}
	return z.act(id, "media", m.Kind, func(ref string) (zalotest.Delivery, error) {
		switch kind {
		case "image": // a picture of papers, as a returnee sends one, which the bot fetches
			return z.S.SendFile(ref, kind, "anh-giay-to.png", "image/png", samplePicture())
		case "file":
			name := m.FileName
			if name == "" {
				name = "giay-to.pdf"
			}
			return z.S.SendFile(ref, kind, name, "application/pdf", samplePDF)
		}
		return z.S.SendMedia(ref, kind)
	})
}

// samplePDF is the document a playground person sends: a PDF with one
// empty page.
var samplePDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// samplePicture is the picture a playground person sends: a small PNG.
var samplePicture = sync.OnceValue(func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for x := range 120 {
		for y := range 80 {
			img.Set(x, y, color.RGBA{uint8(200 - y), uint8(120 + x/2), 90, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // writing to memory does not fail
	return b.Bytes()
})

// SetBlocked unfollows (or follows again).
func (z *Zalo) SetBlocked(id int64, blocked bool) error {
	ref, err := z.user(id)
	if err != nil {
		return err
	}
	if blocked {
		_, err = z.S.Unfollow(ref)
	} else {
		_, err = z.S.Follow(ref)
	}
	return err
}

// History is what the OA sent the follower, oldest first (the page's
// view of a Zalo chat).
func (z *Zalo) History(id int64) []zalotest.Message {
	return z.S.Messages(strconv.FormatInt(id, 10))
}
