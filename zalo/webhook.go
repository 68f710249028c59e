package zalo

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"reentrybot/channel"
)

// WebhookPath is where Zalo posts events (set it in the OA's app).
const WebhookPath = "/zalo/webhook"

// MaxBody bounds a webhook body.
const MaxBody = 1 << 20

// Receiver takes events durably (*bot.Bot).
type Receiver interface {
	Receive(ctx context.Context, evs ...channel.Event) error
}

// zaloEvent is the part of a webhook body the bot reads.
type zaloEvent struct {
	AppID     string `json:"app_id"`
	EventName string `json:"event_name"`
	Timestamp stamp  `json:"timestamp"`
	OAID      string `json:"oa_id"`
	Sender    struct {
		ID string `json:"id"`
	} `json:"sender"`
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	Follower struct {
		ID string `json:"id"`
	} `json:"follower"`
	Message struct {
		MsgID       string `json:"msg_id"`
		Text        string `json:"text"`
		Attachments []struct {
			Type    string `json:"type"`
			Payload struct {
				URL  string `json:"url"`
				Name string `json:"name"` // a file's
			} `json:"payload"`
		} `json:"attachments"`
	} `json:"message"`
	Info struct {
		Phone string `json:"phone"`
	} `json:"info"`
}

// stamp is the body's timestamp as its text: Zalo sends it as a string
// of milliseconds; a number is taken too.
type stamp string

func (s *stamp) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err == nil {
		*s = stamp(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*s = stamp(n.String())
	return nil
}

// Verify checks Zalo's signature of a body: X-ZEvent-Signature is the hex
// SHA-256 of app id, raw body, the body's timestamp and the OA secret
// key, with or without a "mac=" prefix.
func (c *Channel) Verify(body []byte, header, timestamp string) bool {
	got, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(header), "mac="))
	if err != nil || len(got) != sha256.Size || timestamp == "" || c.cfg.OASecret == "" {
		return false
	}
	sum := sha256.Sum256([]byte(c.cfg.AppID + string(body) + timestamp + c.cfg.OASecret))
	return subtle.ConstantTimeCompare(got, sum[:]) == 1
}

// Webhook is the handler for WebhookPath: it reads the raw body (at most
// MaxBody), refuses an unsigned or forged one with 401, writes the event
// to the bot's inbox and answers 200 at once; handling follows in the
// person's lane. Echoes of the OA's own messages and receipts are
// acknowledged and dropped.
func (c *Channel) Webhook(rcv Receiver) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		var ze zaloEvent
		if err := json.Unmarshal(body, &ze); err != nil {
			http.Error(w, "not JSON", http.StatusBadRequest)
			return
		}
		if !c.Verify(body, r.Header.Get("X-ZEvent-Signature"), string(ze.Timestamp)) {
			c.log.Warn("zalo webhook: bad signature", "remote", r.RemoteAddr, "event", ze.EventName)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		ev, ok := c.toEvent(ze)
		if !ok {
			w.WriteHeader(http.StatusOK) // an echo, a receipt, another OA's
			return
		}
		ctx := r.Context()
		t0 := time.Now()
		if ev.Kind != channel.EvUnfollow {
			if err := c.intake.TouchZaloWindow(ctx, c.cfg.OAID, ev.From.Ref, ev.At); err != nil {
				c.log.Error("zalo webhook: window", "err", err)
				http.Error(w, "try again", http.StatusInternalServerError)
				return
			}
			if ev.Kind == channel.EvFollow { // the greeting names them; other events need no name
				nctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
				ev.Name = c.DisplayName(nctx, ev.From.Ref)
				cancel()
			}
		}
		t1 := time.Now()
		if err := rcv.Receive(ctx, ev); err != nil {
			c.log.Error("zalo webhook: intake", "event", ev.ID, "err", err)
			http.Error(w, "try again", http.StatusInternalServerError) // Zalo retries
			return
		}
		c.log.Debug("zalo webhook: taken", "event", ev.ID, "window", t1.Sub(t0), "inbox", time.Since(t1))
		w.WriteHeader(http.StatusOK)
	})
}

// toEvent turns a Zalo event into the bot's; ok is false for what is not
// a person's input.
func (c *Channel) toEvent(ze zaloEvent) (channel.Event, bool) {
	user := ze.Sender.ID
	if ze.EventName == "follow" || ze.EventName == "unfollow" {
		user = ze.Follower.ID
		if ze.OAID != "" && ze.OAID != c.cfg.OAID {
			return channel.Event{}, false
		}
	} else if ze.Recipient.ID != c.cfg.OAID {
		return channel.Event{}, false // oa_send_* echoes come from the OA
	}
	if user == "" {
		return channel.Event{}, false
	}
	id := ze.Message.MsgID
	if id == "" {
		id = ze.EventName + ":" + user + ":" + string(ze.Timestamp)
	}
	// When the person acted: Zalo's timestamp, unless it is ahead of the
	// program's clock. A retried delivery keeps its time, so a number
	// typed for a list that was replaced meanwhile is recognised as stale.
	at := c.now()
	if ms, err := strconv.ParseInt(string(ze.Timestamp), 10, 64); err == nil && ms > 0 {
		if t := time.UnixMilli(ms); t.Before(at) {
			at = t
		}
	}
	ev := channel.Event{ID: id, From: channel.Address{Channel: Name, Ref: user}, At: at, LangHint: "vi"}
	switch ze.EventName {
	case "follow":
		ev.Kind = channel.EvFollow
	case "unfollow":
		ev.Kind = channel.EvUnfollow
	case "user_submit_info":
		ev.Kind, ev.Phone = channel.EvContact, phoneOf(ze.Info.Phone)
	case "user_send_text":
		if data, ok := strings.CutPrefix(ze.Message.Text, ButtonPrefix); ok {
			ev.Kind, ev.Data = channel.EvButton, data
		} else {
			ev.Kind, ev.Text = channel.EvText, ze.Message.Text
		}
	case "user_send_location":
		ev.Kind, ev.Media = channel.EvLocation, "location"
	case "user_send_image", "user_send_gif":
		ev.Kind, ev.Media = channel.EvMedia, "photo"
		ev.MediaRef = c.mediaURL(ze)
	case "user_send_sticker":
		ev.Kind, ev.Media = channel.EvMedia, "sticker" // a picture of a feeling, not content: named, not fetched
	case "user_send_audio":
		ev.Kind, ev.Media = channel.EvMedia, "voice"
		ev.MediaRef = c.mediaURL(ze)
	case "user_send_file":
		ev.Kind, ev.Media = channel.EvMedia, "document"
		ev.MediaRef = c.mediaURL(ze)
		if a := ze.Message.Attachments; len(a) > 0 {
			ev.MediaName = a[0].Payload.Name
		}
	case "user_send_video":
		ev.Kind, ev.Media = channel.EvMedia, "video"
		ev.MediaRef = c.mediaURL(ze)
	default:
		return channel.Event{}, false
	}
	return ev, true
}

// mediaURL is where Zalo keeps the file of a media event (the first
// attachment's), if it names one Fetch may read.
func (c *Channel) mediaURL(ze zaloEvent) string {
	if a := ze.Message.Attachments; len(a) > 0 && c.fetchable(a[0].Payload.URL) == nil {
		return a[0].Payload.URL
	}
	return ""
}

// phoneOf turns Zalo's 84… into +84…, as a person would write it.
func phoneOf(p string) string {
	p = strings.TrimSpace(p)
	if strings.HasPrefix(p, "84") {
		return "+" + p
	}
	return p
}
