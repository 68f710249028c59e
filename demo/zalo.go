package demo

import (
	"context"
	"fmt"
	"net"

	"reentrybot/config"
	"reentrybot/store"
	"reentrybot/zalo"
	"reentrybot/zalotest"
)

// The demo's Zalo OA is the fake one (zalotest), on the demo's clock,
// with a template for each kind of message outside the window.
func (d *Demo) startZalo(cfg *config.Config) {
	d.Zalo = zalotest.New(zalotest.Options{
		Now: d.Clock.Now,
		// The playground shows Zalo followers beside the Telegram ones and
		// must hear of what the OA sent them.
		OnSend: func(id string, m zalotest.Message) {
			if p := d.page.Load(); p != nil {
				p.ZaloSent(id, m)
			}
		},
		Templates: map[string]int{
			"demo-care": zalotest.TagCare, "demo-reminder": zalotest.TagTransaction, "demo-news": zalotest.TagPromotion,
		},
	})
	o := d.Zalo.Options()
	z := &cfg.Zalo
	z.OAID, z.AppID, z.AppSecret, z.OASecret = o.OAID, o.AppID, o.AppSecret, o.OASecret
	z.APIURL, z.OAuthURL, z.ZNSURL = d.Zalo.URL, d.Zalo.URL, d.Zalo.URL
	z.CareTemplate, z.ReminderTemplate, z.AnnounceTemplate = "demo-care", "demo-reminder", "demo-news"
	if z.AllowedTo == 0 {
		z.AllowedFrom, z.AllowedTo = 6, 22
	}
	if z.PaidMonthlyCap == 0 {
		z.PaidMonthlyCap = 1000
	}
}

// connectZalo stands in for `reentrybot zalo connect` and points the fake
// OA's webhook at the bot.
func (d *Demo) connectZalo(ctx context.Context) error {
	ch := d.App.Zalo()
	if ch == nil {
		return nil
	}
	a, r, exp := d.Zalo.IssueTokens()
	if err := ch.Install(ctx, store.ZaloToken{AccessToken: a, RefreshToken: r, AccessExpiresAt: exp, RefreshExpiresAt: exp.Add(zalotest.RefreshTTL)}); err != nil {
		return fmt.Errorf("zalo: %w", err)
	}
	host, port, err := net.SplitHostPort(d.App.Addr)
	if err != nil {
		return fmt.Errorf("zalo webhook: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	d.Zalo.SetWebhook("http://" + net.JoinHostPort(host, port) + zalo.WebhookPath)
	return nil
}
