// Package channel holds what every messenger shares, so that the rest of
// the house never asks which one a person uses: who a person is on a
// messenger (Address), what they did (Event), what the bot says (Message),
// and what a messenger can show (Capabilities). Render turns a flows reply
// into messages under a channel's capabilities, once for all channels:
// text split at the channel's limit, buttons that do not fit turned into a
// numbered list answered by typing the number, formatting dropped where
// the channel has none.
//
// Each messenger lives in a package of its own that turns its API's
// updates into Events and sends Messages; nothing here imports one.
package channel

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Name names a messenger: "telegram", "zalo", "web".
type Name string

// Address is a person (or chat) on one messenger: the channel and the
// messenger's own reference for them, kept as text since each messenger
// spells ids its own way.
type Address struct {
	Channel Name
	Ref     string
}

func (a Address) String() string { return string(a.Channel) + ":" + a.Ref }

// EventKind says what a person did.
type EventKind string

const (
	EvText     EventKind = "text"     // typed text (a command too: "/start x")
	EvButton   EventKind = "button"   // pressed a button; Data is its payload
	EvContact  EventKind = "contact"  // shared their own phone number
	EvMedia    EventKind = "media"    // photo, sticker, voice, file, ...
	EvLocation EventKind = "location" // shared a location
	EvFollow   EventKind = "follow"   // started following / opened the chat
	EvUnfollow EventKind = "unfollow" // blocked or unfollowed: unreachable
)

// Event is one thing a person did, as the messenger told it.
type Event struct {
	// ID is the messenger's id of the event, unique per channel: the intake
	// inbox is keyed by (channel, ID), so a redelivery is recognised.
	ID    string
	From  Address
	Kind  EventKind
	Text  string // EvText
	Data  string // EvButton: the Button.Data pressed
	Phone string // EvContact, as given
	Media string // EvMedia: photo, sticker, voice, document, ...
	// MediaRef is where the channel can fetch an EvMedia's file from (its
	// Fetch reads it; opaque elsewhere), "" when it cannot; MediaName is
	// a document's file name as the person's device gave it.
	MediaRef  string `json:",omitempty"`
	MediaName string `json:",omitempty"`
	Name      string // display name the messenger knows, for greetings
	LangHint  string // language the device reports
	At        time.Time
}

// Markup is the formatting a channel understands.
type Markup int

const (
	MarkupNone Markup = iota // plain text
	MarkupHTML               // Telegram's HTML subset: <b>, <i>, entities
)

// Capabilities is what a messenger can show. Zero values mean "none" for
// counts of buttons; MaxText and MaxLabel must be set.
type Capabilities struct {
	MaxButtons       int  // most buttons in one message; 0: no buttons at all
	MaxButtonsPerRow int  // 0: as many as MaxButtons
	MaxLabel         int  // longest button label, in characters
	MaxText          int  // longest message text, in the channel's unit
	UTF16            bool // MaxText counts UTF-16 code units (Telegram), not characters
	Markup           Markup
	Ack              bool // a button press can be acknowledged (a toast)
	ShareContact     bool // a share-my-phone control exists
	// Carrier names the company whose servers carry the messages, for the
	// privacy notice ("" for a channel served by the bot itself), and
	// Abroad whether those servers are outside Viet Nam.
	Carrier string
	Abroad  bool
	// Rate is how many messages a second the messenger lets the bot send
	// in all (announcements are paced to it); 0: none stated, the
	// announcements' default applies.
	Rate float64
	// Files are the MIME types the channel carries as files, up to
	// MaxFileBytes (pictures, image/*, up to MaxImageBytes when set);
	// anything else goes as a link.
	Files         []string
	MaxFileBytes  int64
	MaxImageBytes int64
}

// CanSendFile reports whether a file of that type and size goes as a file.
func (c Capabilities) CanSendFile(mime string, size int64) bool {
	if c.MaxFileBytes > 0 && size > c.MaxFileBytes {
		return false
	}
	if c.MaxImageBytes > 0 && size > c.MaxImageBytes && strings.HasPrefix(mime, "image/") {
		return false
	}
	for _, m := range c.Files {
		if m == mime {
			return true
		}
	}
	return false
}

// Button is one button of an outgoing message.
type Button struct {
	Label string
	Data  string // ButtonData(version, option id)
}

// Message is one outgoing message, already fitted to a channel.
type Message struct {
	Text    string     // in the channel's markup
	Buttons [][]Button // rows; nil when there are none or they became a Menu
	// Menu, when set, lists the options of a numbered list in the text:
	// typing "2" answers Menu.IDs[1] at Menu.Version.
	Menu *Menu
	// AskContact asks for the channel's share-phone control; ContactLabel
	// is that control's text and ContactHint a line to carry it where a
	// message cannot hold both buttons and the control (Telegram), in the
	// person's language (Render sets both).
	AskContact                bool
	ContactLabel, ContactHint string
	// ClearContact takes the share-phone control away again (the number
	// was just shared), where it stays until removed.
	ClearContact bool
	// Purpose says why the bot sends it: a messenger whose rules depend on
	// it (Zalo's window: a free reply inside it, a template outside) decides
	// how, or whether, it can go.
	Purpose Purpose
	// File, when set, is a file the message carries (its Text the
	// caption); Render sets it only where Capabilities.CanSendFile.
	File *File
}

// File is a file sent to a person (the /mydata export).
type File struct {
	Name string
	MIME string
	Data []byte
}

// Purpose is why a message is sent.
type Purpose string

const (
	PurposeReply        Purpose = ""             // the answer to what the person just wrote (the default)
	PurposeCounsellor   Purpose = "counsellor"   // a counsellor's answer or the case's closing, relayed later
	PurposeReminder     Purpose = "reminder"     // a reminder of the person's own appointment or course
	PurposeFollowUp     Purpose = "followup"     // a follow-up question after a case
	PurposeAnnouncement Purpose = "announcement" // a commune's announcement
)

// Rows lays buttons out in rows of at most caps.MaxButtonsPerRow (one
// row when the channel sets no limit).
func Rows(bs []Button, caps Capabilities) [][]Button {
	per := caps.MaxButtonsPerRow
	if per <= 0 {
		per = len(bs)
	}
	var rows [][]Button
	for len(bs) > 0 {
		k := min(per, len(bs))
		rows, bs = append(rows, bs[:k]), bs[k:]
	}
	return rows
}

// Reach is how a message sent now would reach a set of people on a
// channel whose rules depend on time (Zalo's window), for a preview.
type Reach struct {
	Messages  int // as an ordinary message
	Templates int // as a paid, pre-approved template
	Skipped   int // not at all
}

// Menu is a numbered list of options offered at a conversation version.
type Menu struct {
	Version int64
	IDs     []string
}

// ButtonData is a button's payload: "<conversation version>:<option id>";
// the version lets the flows recognise a stale or doubly-pressed button.
func ButtonData(version int64, id string) string {
	return strconv.FormatInt(version, 10) + ":" + id
}

// ParseButtonData reads ButtonData; ok is false for anything else (a
// forged or foreign payload).
func ParseButtonData(data string) (version int64, id string, ok bool) {
	v, id, found := strings.Cut(data, ":")
	if !found || id == "" {
		return 0, "", false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, "", false
	}
	return n, id, true
}

// Pick reads a typed answer to a numbered menu: "2", " 2 ", "2." or "số 2"
// give the second option. ok is false when text is not a number of the
// menu; stale (a number of an older menu) is the flows' to judge, from
// the returned version.
func (m Menu) Pick(text string) (version int64, id string, ok bool) {
	t := strings.TrimSpace(strings.ToLower(text))
	for _, p := range []string{"số ", "so ", "#"} {
		t = strings.TrimPrefix(t, p)
	}
	t = strings.TrimSuffix(strings.TrimSpace(t), ".")
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 || n > len(m.IDs) {
		return 0, "", false
	}
	return m.Version, m.IDs[n-1], true
}

// Numbered reports whether text looks like a menu number at all ("7"),
// so that a number beyond the menu is answered as such rather than taken
// for a free-text answer.
func Numbered(text string) (int, bool) {
	t := strings.TrimSuffix(strings.TrimSpace(text), ".")
	if len(t) == 0 || len(t) > 2 {
		return 0, false
	}
	n, err := strconv.Atoi(t)
	return n, err == nil && n > 0
}

// Error is a messenger's refusal in channel-neutral terms, for the one
// sender's retry rules.
type Error struct {
	Kind   ErrorKind
	Retry  time.Duration // for Throttled: how long to wait
	Until  time.Time     // for Held: when the messenger allows it
	Reason string
}

// ErrorKind sorts a send failure.
type ErrorKind int

const (
	Permanent   ErrorKind = iota // bad request: log the reason, do not retry
	Throttled                    // too many requests: wait Retry
	Unreachable                  // blocked or unfollowed: do not try again until they write
	Transient                    // 5xx, network: retry with backoff
	// NotDelivered: the messenger's rules refuse this message now (outside
	// Zalo's window, no template for it) though the person stays
	// reachable; the staff side is told rather than left guessing.
	NotDelivered
	// Held: the messenger's rules allow this message later (Zalo's
	// templates go only by day): the sender keeps it and tries again.
	Held
)

func (e *Error) Error() string {
	return fmt.Sprintf("channel: %s: %s", [...]string{"permanent", "throttled", "unreachable", "transient", "not delivered", "held"}[e.Kind], e.Reason)
}
