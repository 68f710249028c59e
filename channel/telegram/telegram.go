// Package telegram is Telegram's side of the channel layer: what the Bot
// API can show (Caps), its wire formats (inline keyboards without the
// empty copy_text go-telegram/bot adds, the share-phone keyboard), reading
// an update (Input, ChatKey, Kind), receiving updates (GetUpdates for long
// polling, Webhook for the webhook) and the Sender, the one path of every
// delivering Bot API call with Telegram's pacing and its 429/403/5xx rules.
//
// Only this package and the core (bot/, whose staff desk is Telegram's
// groups and topics) speak go-telegram/bot; nothing here knows the store,
// the flows' engine or the bot.
package telegram

import (
	"time"

	"reentrybot/channel"
)

// Name is Telegram's channel name in addresses and the inbox.
const Name channel.Name = "telegram"

// Caps is what Telegram shows (Bot API): HTML text of up to 4096 UTF-16
// code units after entities, inline keyboards of at most 100 buttons and 8
// a row, acknowledged presses, the share-contact keyboard.
var Caps = channel.Capabilities{
	MaxButtons: 100, MaxButtonsPerRow: 8, MaxText: MaxText, UTF16: true,
	Markup: channel.MarkupHTML, Ack: true, ShareContact: true,
	Carrier: "Telegram", Abroad: true,
	// The Bot API uploads files of up to 50 MB; the /mydata export is JSON.
	Files: []string{"application/json"}, MaxFileBytes: 50 << 20,
}

// MaxText is Telegram's message limit, in UTF-16 code units after entities.
const MaxText = 4096

// MaxCaption is the Bot API's limit on a file's caption, after entities.
const MaxCaption = 1024

// MaxCallbackData is the Bot API's limit on a button's callback data.
const MaxCallbackData = 64

// TimeOf turns the Bot API's Unix seconds into a time.
func TimeOf(unix int) time.Time { return time.Unix(int64(unix), 0).UTC() }
