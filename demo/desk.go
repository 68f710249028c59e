package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"

	"reentrybot/bot"
	"reentrybot/config"
	"reentrybot/playground"
	"reentrybot/store"
)

// The desk's demo counsellor: a province-wide counsellor who works only
// from the browser, made the way real staff are (an invite redeemed on
// the desk's own page).
const (
	deskName     = "Anh Tuấn (mẫu) · web"
	deskLogin    = "tuvan.web"
	deskPassword = "mau-demo-2026"
)

// enableDesk serves the staff desk on a free local port unless DESK_ADDR
// chose one, and lets the playground (at playground) show it in a frame.
func enableDesk(cfg *config.Config, playground string) {
	if cfg.Desk.Addr == "" {
		cfg.Desk.Addr = "127.0.0.1:0"
	}
	cfg.Desk.FrameAncestors = append(cfg.Desk.FrameAncestors, strings.TrimSuffix(playground, "/"))
}

var (
	deskCSRFRe     = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	deskSecretRe   = regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`)
	deskRecoveryRe = regexp.MustCompile(`<li><code>[a-z2-7]{4}(-[a-z2-7]{4}){3}</code></li>`)
)

// seedDesk invites the desk's counsellor and redeems the invite on the
// desk over HTTP; it returns what the playground shows, nil without a
// desk.
func (d *Demo) seedDesk(ctx context.Context) (*playground.Desk, error) {
	if d.App.DeskAddr == "" {
		return nil, nil
	}
	base, err := localURL(d.App.DeskAddr)
	if err != nil {
		return nil, err
	}
	code, hash := bot.NewInviteCode()
	if _, err := d.App.DB.CreateInvite(ctx, store.RoleCounsellor, nil, deskName, hash, d.Clock.Now().Add(time.Hour)); err != nil {
		return nil, err
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page, err := deskGet(ctx, c, base+"/invite/"+code)
	if err != nil {
		return nil, err
	}
	csrf, secret := deskCSRFRe.FindStringSubmatch(page), deskSecretRe.FindStringSubmatch(page)
	if csrf == nil || secret == nil {
		return nil, errors.New("desk invite page: no form")
	}
	// A second demo on the same DATABASE_URL finds the login taken.
	for i := 1; i <= 5; i++ {
		login := deskLogin
		if i > 1 {
			login = fmt.Sprintf("%s%d", deskLogin, i)
		}
		at := d.Clock.Now()
		otp, err := totp.GenerateCode(secret[1], at)
		if err != nil {
			return nil, err
		}
		form := url.Values{"csrf": {csrf[1]}, "secret": {secret[1]}, "login": {login}, "password": {deskPassword},
			"password2": {deskPassword}, "totp": {otp}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/invite/"+code, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		if err != nil {
			return nil, fmt.Errorf("redeeming the desk invite: %w", err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("redeeming the desk invite: %w", err)
		}
		switch {
		// The account is made: the page shows its one-time recovery codes.
		case resp.StatusCode == http.StatusOK && deskRecoveryRe.Match(body):
			return &playground.Desk{URL: base, Name: deskName, Login: login, Password: deskPassword, Code: d.deskCode(secret[1], at)}, nil
		case resp.StatusCode == http.StatusConflict:
			continue
		}
		return nil, fmt.Errorf("redeeming the desk invite: HTTP %d", resp.StatusCode)
	}
	return nil, errors.New("redeeming the desk invite: every demo login is taken")
}

// deskCode is the counsellor's sign-in code on the bot's clock. The
// redeem spent the code of its 30-second step, so during that step the
// next one is given (the desk accepts one step either side).
func (d *Demo) deskCode(secret string, redeemed time.Time) func() (string, error) {
	spent := redeemed.Unix() / 30
	return func() (string, error) {
		at := d.Clock.Now()
		if at.Unix()/30 <= spent {
			at = time.Unix((spent+1)*30, 0)
		}
		return totp.GenerateCode(secret, at)
	}
}

func deskGet(ctx context.Context, c *http.Client, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("desk: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("desk %s: HTTP %d %v", u, resp.StatusCode, err)
	}
	return string(b), nil
}

// localURL is a listener's address as a browser on this machine reaches it.
func localURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
