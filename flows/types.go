// Package flows holds the returnee's conversations as state machines. It
// speaks in channel-neutral values, an Input in and Replies out, so that
// Telegram, another messenger or a web chat can carry the same flows. It
// imports no messenger library and writes no SQL.
package flows

import "time"

// InputKind says what a person did.
type InputKind string

const (
	InText    InputKind = "text"    // typed text
	InChoice  InputKind = "choice"  // pressed a button offered in a Reply
	InContact InputKind = "contact" // shared their own phone number
	InCommand InputKind = "command" // /start, /menu, /help, /language, ...
	InMedia   InputKind = "media"   // sticker, photo, voice, document, location, ...
)

// Input is one thing a person did, already translated by the channel.
type Input struct {
	Kind    InputKind
	Text    string // typed text, NFC-normalised and trimmed by the channel
	Command string // command name without the slash, lower case
	Arg     string // command argument (deep-link payload of /start)
	Choice  string // Option.ID of the pressed button
	// Version is the conversation version the pressed button was offered at;
	// a stale version means an old or doubly-tapped button.
	Version int64
	Phone   string // shared contact's phone number, as given
	Media   string // kind of media for InMedia: photo, sticker, voice, ...
	At      time.Time
}

// Person is who the input comes from.
type Person struct {
	ID       int64
	Lang     string // "vi" or "en"
	Name     string // name the channel knows (Telegram first name), for greetings
	LangHint string // language the device reports, used before the person chose
	// Carrier names the company whose servers carry the person's messages
	// (the channel says: "Telegram", "Zalo"; empty: only this service's
	// own), and CarrierAbroad whether they are abroad: the notice says so.
	Carrier       string
	CarrierAbroad bool
}

// Option is one button. Its label is a catalog message (Key, Params) or,
// for data such as a commune or a course title, a literal Label.
type Option struct {
	ID     string
	Key    string
	Params map[string]any
	Label  string
}

// Reply is one message to show. Its text is a catalog message; parameter
// values are user or reference data and must be escaped by the channel.
type Reply struct {
	Key     string
	Params  map[string]any
	Options [][]Option // rows of buttons
	// AskContact asks the channel to offer its share-phone-number control.
	AskContact bool
	// File, when set, is sent just before the text (rights.go).
	File *Attachment
}

// Outcome is what handling one input produced.
type Outcome struct {
	Replies []Reply
	// Toast is a short catalog message for the channel's button
	// acknowledgement (Telegram's answerCallbackQuery), if any.
	Toast string
	// Version is the conversation version after this input; buttons in
	// Replies carry it so that a stale press can be recognised.
	Version int64
	// Lang is the language the replies are in (the person may just have
	// switched); empty means Person.Lang.
	Lang string
	// Cases lists the cases this input opened or updated, for the channel
	// to hand to the counsellors after commit.
	Cases []CaseRef
	// Erased: this input erased the person's data; the channel clears
	// what it holds of them too (Telegram: the messages in their chat).
	Erased bool
}
