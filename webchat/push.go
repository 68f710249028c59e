package webchat

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	webpush "github.com/SherClockHolmes/webpush-go"

	"reentrybot/store"
)

func generateVAPIDKeys() (private, public string, err error) { return webpush.GenerateVAPIDKeys() }

// pushPayload is all a notification says: that there is something to
// read, in both languages; never who wrote, nor what.
var pushPayload = mustJSON(map[string]string{
	"title": "Có tin nhắn mới · New message",
	"body":  "Mở trang để đọc · Open the page to read it",
	"url":   Path,
})

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// notify sends the content-free notification to every browser of the
// person that subscribed; a subscription the push service says is gone
// is forgotten.
func (c *Channel) notify(ctx context.Context, ref string) {
	subs, err := c.db.WebPushes(ctx, ref)
	if err != nil {
		c.log.Warn("push: reading subscriptions", "err", err)
		return
	}
	for _, s := range subs {
		resp, err := webpush.SendNotificationWithContext(ctx, pushPayload, &webpush.Subscription{
			Endpoint: s.Endpoint, Keys: webpush.Keys{P256dh: s.P256dh, Auth: s.Auth},
		}, &webpush.Options{
			HTTPClient:      c.opts.PushClient,
			Subscriber:      c.opts.PushSubject,
			VAPIDPublicKey:  c.vapidPublic,
			VAPIDPrivateKey: c.vapidPrivate,
			TTL:             24 * 3600,
			Topic:           "answer", // a newer notification replaces one not yet shown
			Urgency:         webpush.UrgencyNormal,
			// The smallest record size: the payload is short, and padding
			// to 4 KB would cost a 3G phone more than it hides.
			RecordSize: 512,
		})
		if err != nil {
			c.log.Warn("push: sending", "host", hostOf(s.Endpoint), "err", err)
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
			if err := c.db.DropWebPush(ctx, s.Endpoint); err != nil {
				c.log.Warn("push: dropping a gone subscription", "err", err)
			}
		case resp.StatusCode >= 300:
			c.log.Warn("push: refused", "host", hostOf(s.Endpoint), "status", resp.StatusCode)
		}
	}
}

// validSubscription checks a subscription the page sends: an endpoint at
// a known push service (https), and keys of the right length.
func (c *Channel) validSubscription(p store.WebPush) bool {
	u, err := url.Parse(p.Endpoint)
	if err != nil || len(p.Endpoint) > 1000 || u.Host == "" || u.User != nil {
		return false
	}
	if u.Scheme != "https" && !(c.opts.AllowHTTPPush && u.Scheme == "http") {
		return false
	}
	host, known := u.Hostname(), false
	for _, h := range c.opts.PushHosts {
		if host == h || strings.HasSuffix(host, "."+h) {
			known = true
		}
	}
	// P-256 public key: 65 bytes (87 base64url characters); auth: 16 (22).
	return known && len(p.P256dh) >= 86 && len(p.P256dh) <= 90 && len(p.Auth) >= 22 && len(p.Auth) <= 24
}

func hostOf(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil {
		return u.Host
	}
	return "?"
}
