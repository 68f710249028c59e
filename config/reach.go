package config

import (
	"net/url"
	"regexp"
	"strings"
)

// Reach is how people find the service: the addresses a commune poster
// prints as QR codes, and the number it gives (reentrybot poster).
type Reach struct {
	// PublicURL is the bot's public address, without a trailing slash; the
	// web chat is PublicURL + "/chat" (PUBLIC_URL).
	PublicURL string
	// TelegramBot is the bot's @username without the @, for t.me links
	// (TELEGRAM_BOT_USERNAME).
	TelegramBot string
	// ZaloOALink is the Official Account's link, as Zalo gives it
	// (ZALO_OA_LINK).
	ZaloOALink string
	// CentrePhone is the Employment Service Centre's phone number, as
	// printed (CENTRE_PHONE).
	CentrePhone string
}

func init() {
	Vars = append(Vars,
		Var{"PUBLIC_URL", "", "The bot's public HTTPS address (the web chat is PUBLIC_URL/chat); the commune posters print it as a QR code."},
		Var{"TELEGRAM_BOT_USERNAME", "", "The bot's @username, for the t.me links on the commune posters (empty: asked with TELEGRAM_BOT_TOKEN, else no Telegram code)."},
		Var{"ZALO_OA_LINK", "", "The Zalo Official Account's link (https://zalo.me/…), printed on the commune posters; empty: none."},
		Var{"CENTRE_PHONE", "", "The Employment Service Centre's phone number as people should dial it, printed on the commune posters."},
	)
}

var (
	// Telegram usernames: 5-32 of letters, digits and underscores.
	usernameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{4,31}$`)
	phoneRe    = regexp.MustCompile(`^[+(]?[0-9][0-9 .()-]{6,24}[0-9]$`)
)

func loadReach(val func(string) string, bad func(name, format string, args ...any)) Reach {
	r := Reach{
		PublicURL:   strings.TrimRight(val("PUBLIC_URL"), "/"),
		TelegramBot: strings.TrimPrefix(val("TELEGRAM_BOT_USERNAME"), "@"),
		ZaloOALink:  val("ZALO_OA_LINK"),
		CentrePhone: val("CENTRE_PHONE"),
	}
	if r.PublicURL != "" && !plainURL(r.PublicURL) {
		bad("PUBLIC_URL", "must be an http(s) URL without query or fragment, got %q", r.PublicURL)
	}
	if r.TelegramBot != "" && !usernameRe.MatchString(r.TelegramBot) {
		bad("TELEGRAM_BOT_USERNAME", "must be a Telegram username (5-32 letters, digits or _), got %q", r.TelegramBot)
	}
	if r.ZaloOALink != "" && !plainURL(r.ZaloOALink) {
		bad("ZALO_OA_LINK", "must be an http(s) URL, got %q", r.ZaloOALink)
	}
	if r.CentrePhone != "" && !phoneRe.MatchString(r.CentrePhone) {
		bad("CENTRE_PHONE", "must be a phone number (digits, spaces, + . - and brackets), got %q", r.CentrePhone)
	}
	return r
}

// plainURL: http(s), a host, no query or fragment (a QR code of a
// reasonable size, and nothing personal in it).
func plainURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
		u.RawQuery == "" && u.Fragment == "" && u.User == nil
}
