package zalo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"reentrybot/channel"
)

// ButtonPrefix marks a button's payload: Zalo sends an oa.query.hide
// payload back as the person's text, and the prefix tells it from typing.
const ButtonPrefix = "#btn:"

// infoTitle is the share-phone card's title (≤ 100 characters); the
// question itself goes just before it.
const infoTitle = "Chia sẻ số điện thoại / Share your phone number"

// maxParam is the longest value of a template parameter we send.
const maxParam = 400

// Send delivers one message under Zalo's window. Inside it (the person
// interacted less than FreeWindow ago and fewer than MaxFreeReplies went
// out since) it goes as a consultation message, buttons and share-phone
// card included. Outside it, a counsellor's answer, a reminder, a
// follow-up or an announcement goes as the ZNS template configured for
// its purpose, to the phone the person shared with consent, at an
// allowed hour and under the month's paid cap; anything else is refused
// as channel.NotDelivered with the reason, so the staff side can say so.
// A message with a file goes inside the window only (sendFile).
func (c *Channel) Send(ctx context.Context, to channel.Address, m channel.Message) error {
	if to.Channel != Name || to.Ref == "" {
		return &channel.Error{Kind: channel.Permanent, Reason: "not a Zalo address: " + to.String()}
	}
	if m.File != nil {
		return c.sendFile(ctx, to, m)
	}
	parts := c.consultation(m)
	now := c.now()
	took, err := c.db.TakeZaloReply(ctx, c.cfg.OAID, to.Ref, now.Add(-c.cfg.FreeWindow), c.cfg.MaxFreeReplies-len(parts)+1)
	if err != nil {
		return &channel.Error{Kind: channel.Transient, Reason: err.Error()}
	}
	if took {
		fallback, err := c.sendConsultation(ctx, to, m, parts)
		if !fallback {
			return err
		}
	}
	return c.sendTemplate(ctx, to, m)
}

// sendConsultation sends the parts as consultation messages, the first
// already counted. It returns fallback when Zalo's own
// clock found the window closed before anything went, so that a
// template may still go.
func (c *Channel) sendConsultation(ctx context.Context, to channel.Address, m channel.Message, parts []map[string]any) (fallback bool, err error) {
	now := c.now()
	for i, p := range parts {
		if i > 0 { // the first was counted by Send
			if _, err := c.db.TakeZaloReply(ctx, c.cfg.OAID, to.Ref, now.Add(-c.cfg.FreeWindow), c.cfg.MaxFreeReplies); err != nil {
				return false, &channel.Error{Kind: channel.Transient, Reason: err.Error()}
			}
		}
		p["recipient"] = map[string]string{"user_id": to.Ref}
		err := c.call(ctx, http.MethodPost, c.cfg.APIURL+"/v3.0/oa/message/cs", p, nil)
		if err == nil {
			continue
		}
		if gerr := c.db.GiveBackZaloReply(ctx, c.cfg.OAID, to.Ref); gerr != nil {
			c.log.Warn("zalo: giving back a reply", "err", gerr)
		}
		ce := channelError(err)
		if ce.Kind == channel.NotDelivered && i == 0 && strings.HasPrefix(ce.Reason, "outside") && m.Purpose != channel.PurposeReply {
			return true, nil
		}
		return false, ce
	}
	return false, nil
}

// consultation builds the cs request bodies of a message: the text with
// its buttons, then the share-phone card when asked for.
func (c *Channel) consultation(m channel.Message) []map[string]any {
	msg := map[string]any{"text": m.Text}
	var buttons []map[string]any
	for _, row := range m.Buttons {
		for _, b := range row {
			buttons = append(buttons, map[string]any{"title": b.Label, "type": "oa.query.hide", "payload": ButtonPrefix + b.Data})
		}
	}
	if len(buttons) > 0 {
		msg["attachment"] = map[string]any{"type": "template", "payload": map[string]any{"buttons": buttons}}
	}
	out := []map[string]any{{"message": msg}}
	if m.AskContact {
		out = append(out, map[string]any{"message": map[string]any{"attachment": map[string]any{
			"type": "template", "payload": map[string]any{"template_type": "request_user_info", "elements": []map[string]string{{
				"title": infoTitle, "subtitle": "Bấm để gửi số điện thoại của bạn / Tap to send your phone number",
			}}},
		}}})
	}
	return out
}

// templatePurposes: whose consent a template message needs. A phone given
// for a request (job, training, loan) serves the answers and reminders
// about it; announcements need their own consent.
func templatePurposes(p channel.Purpose) []string {
	if p == channel.PurposeAnnouncement {
		return []string{"announcements"}
	}
	return []string{"job", "training", "loan"}
}

// sendTemplate sends m outside the window as its purpose's ZNS template.
func (c *Channel) sendTemplate(ctx context.Context, to channel.Address, m channel.Message) error {
	tpl, ok := c.cfg.Templates[m.Purpose]
	purpose := string(m.Purpose)
	if purpose == "" {
		purpose = "reply"
	}
	if !ok || tpl.ID == "" {
		return &channel.Error{Kind: channel.NotDelivered, Reason: "outside Zalo's window, and no ZNS template is set for a " + purpose}
	}
	phone, ok, err := c.db.ZaloRecipient(ctx, string(Name), to.Ref, templatePurposes(m.Purpose))
	if err != nil {
		return &channel.Error{Kind: channel.Transient, Reason: err.Error()}
	}
	if !ok {
		return &channel.Error{Kind: channel.NotDelivered, Reason: "outside Zalo's window, and no phone to send a ZNS message to (none shared with consent, or the person unfollowed the OA)"}
	}
	now := c.now().In(c.cfg.Loc)
	if h := now.Hour(); !tpl.Transaction && (h < c.cfg.AllowedFrom || h >= c.cfg.AllowedTo) {
		why := fmt.Sprintf("outside Zalo's window, and ZNS messages of this kind go only %02d:00–%02d:00", c.cfg.AllowedFrom, c.cfg.AllowedTo)
		if m.Purpose == channel.PurposeCounsellor {
			// A counsellor's answer is worth the wait: kept until morning.
			return &channel.Error{Kind: channel.Held, Until: c.nextAllowed(now), Reason: why}
		}
		return &channel.Error{Kind: channel.NotDelivered, Reason: why}
	}
	paid, err := c.db.TakeZaloPaid(ctx, c.cfg.OAID, now, c.cfg.PaidMonthlyCap)
	if err != nil {
		return &channel.Error{Kind: channel.Transient, Reason: err.Error()}
	}
	if !paid {
		return &channel.Error{Kind: channel.NotDelivered, Reason: fmt.Sprintf("outside Zalo's window, and this month's %d paid Zalo messages are spent (ZALO_PAID_MONTHLY_CAP)", c.cfg.PaidMonthlyCap)}
	}
	sum := sha256.Sum256([]byte(to.Ref + "\x00" + m.Text + "\x00" + now.Format("2006-01-02T15:04")))
	body := map[string]any{
		"phone":         strings.TrimPrefix(phone, "+"),
		"template_id":   tpl.ID,
		"template_data": map[string]string{"message": shorten(m.Text, maxParam)},
		"tracking_id":   hex.EncodeToString(sum[:12]),
	}
	if err := c.call(ctx, http.MethodPost, c.cfg.ZNSURL+"/message/template", body, nil); err != nil {
		if gerr := c.db.GiveBackZaloPaid(ctx, c.cfg.OAID, now); gerr != nil {
			c.log.Warn("zalo: giving back a paid send", "err", gerr)
		}
		var ae *apiError
		if errors.As(err, &ae) {
			c.log.Warn("zalo: ZNS refused", "to", to.Ref, "template", tpl.ID, "err", err)
		}
		return channelError(err)
	}
	c.log.Info("zalo: sent as ZNS template", "to", to.Ref, "purpose", purpose, "template", tpl.ID)
	return nil
}

// shorten cuts s to n characters at a space, marking the cut.
func shorten(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	if i := strings.LastIndexByte(string(r), ' '); i > len(string(r))/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

// Reach is how an announcement would reach followers (channel.Reach).
type Reach = channel.Reach

// Preview sorts followers (Zalo user ids) by how an announcement sent now
// would reach them, for the composer's preview; it sends nothing and
// counts nothing.
func (c *Channel) Preview(ctx context.Context, refs []string) (Reach, error) {
	var r Reach
	now := c.now()
	wins, err := c.db.ZaloWindows(ctx, c.cfg.OAID, refs)
	if err != nil {
		return r, err
	}
	var outside []string
	for _, ref := range refs {
		if w, ok := wins[ref]; ok && w.LastInteraction.After(now.Add(-c.cfg.FreeWindow)) && w.Replies < c.cfg.MaxFreeReplies {
			r.Messages++
		} else {
			outside = append(outside, ref)
		}
	}
	tpl, ok := c.cfg.Templates[channel.PurposeAnnouncement]
	local := now.In(c.cfg.Loc)
	if h := local.Hour(); !ok || tpl.ID == "" || (!tpl.Transaction && (h < c.cfg.AllowedFrom || h >= c.cfg.AllowedTo)) {
		r.Skipped = len(outside)
		return r, nil
	}
	phones, err := c.db.ZaloRecipients(ctx, string(Name), outside, templatePurposes(channel.PurposeAnnouncement))
	if err != nil {
		return r, err
	}
	spent, err := c.db.ZaloPaidSends(ctx, c.cfg.OAID, local)
	if err != nil {
		return r, err
	}
	r.Templates = min(len(phones), max(c.cfg.PaidMonthlyCap-spent, 0))
	r.Skipped = len(outside) - r.Templates
	return r, nil
}

// nextAllowed is the next start of the hours in which non-transaction
// templates may go, after now (in the configured zone).
func (c *Channel) nextAllowed(now time.Time) time.Time {
	day := time.Date(now.Year(), now.Month(), now.Day(), c.cfg.AllowedFrom, 0, 0, 0, now.Location())
	if !day.After(now) {
		day = day.AddDate(0, 0, 1)
	}
	return day
}
