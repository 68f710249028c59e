package zalo

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"

	"reentrybot/channel"
	"reentrybot/store"
)

// accessToken is a usable access token: the one in hand while it is far
// from expiry, else the stored one (another process may have refreshed),
// else a refreshed one.
func (c *Channel) accessToken(ctx context.Context) (string, error) {
	now := c.now()
	c.mu.Lock()
	t := c.token
	c.mu.Unlock()
	if t.AccessToken != "" && now.Before(t.AccessExpiresAt.Add(-c.cfg.RefreshAhead)) {
		return t.AccessToken, nil
	}
	t, ok, err := c.db.ZaloToken(ctx, c.cfg.OAID)
	switch {
	case err != nil:
		return "", &channel.Error{Kind: channel.Transient, Reason: err.Error()}
	case !ok:
		return "", &channel.Error{Kind: channel.NotDelivered, Reason: "the Zalo OA is not connected (reentrybot zalo connect)"}
	case t.NeedsAdmin.Valid:
		return "", &channel.Error{Kind: channel.NotDelivered, Reason: "the Zalo OA needs an admin: " + t.NeedsAdmin.String}
	case now.Before(t.AccessExpiresAt.Add(-c.cfg.RefreshAhead)):
		c.keep(t)
		return t.AccessToken, nil
	}
	return c.refresh(ctx, t.AccessToken)
}

func (c *Channel) keep(t store.ZaloToken) {
	c.mu.Lock()
	c.token = t
	c.mu.Unlock()
}

// refresh replaces the pair whose access token is stale. Under the row's
// lock it first looks whether another process already did (the stored
// token is no longer stale and not near expiry): refresh tokens work
// once, so only one process may spend one, and the new pair is saved
// before anyone uses it. An unusable refresh token marks the OA as
// needing an admin and tells the staff, once.
func (c *Channel) refresh(ctx context.Context, stale string) (string, error) {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	var (
		fresh store.ZaloToken
		told  string
	)
	err := c.db.InTx(ctx, func(tx *store.Tx) error {
		told = ""
		t, ok, err := tx.LockZaloToken(ctx, c.cfg.OAID)
		switch {
		case err != nil:
			return err
		case !ok:
			return &channel.Error{Kind: channel.NotDelivered, Reason: "the Zalo OA is not connected (reentrybot zalo connect)"}
		case t.NeedsAdmin.Valid:
			return &channel.Error{Kind: channel.NotDelivered, Reason: "the Zalo OA needs an admin: " + t.NeedsAdmin.String}
		case t.AccessToken != stale && c.now().Before(t.AccessExpiresAt.Add(-c.cfg.RefreshAhead)):
			fresh = t // another process refreshed while this one waited
			return nil
		}
		n, err := c.grant(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t.RefreshToken}})
		var bad *errRefreshUnusable
		if errors.As(err, &bad) {
			first, merr := tx.MarkZaloNeedsAdmin(ctx, c.cfg.OAID, bad.why)
			if merr != nil {
				return merr
			}
			if first {
				told = bad.why
			}
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.SaveZaloToken(ctx, n); err != nil {
			// The old refresh token is spent: keep the new pair in memory
			// at least, and say so loudly.
			c.log.Error("zalo: a refreshed token pair was not saved", "err", err)
			c.keep(n)
			return err
		}
		fresh = n
		return nil
	})
	if told != "" {
		c.tellStaff(ctx, told)
	}
	if err != nil {
		var ce *channel.Error
		if errors.As(err, &ce) {
			return "", ce
		}
		return "", &channel.Error{Kind: channel.Transient, Reason: "refreshing the Zalo token: " + err.Error()}
	}
	if fresh.AccessToken == "" {
		return "", &channel.Error{Kind: channel.NotDelivered, Reason: "the Zalo OA needs an admin: its refresh token is unusable"}
	}
	c.keep(fresh)
	return fresh.AccessToken, nil
}

// Refresh makes sure the stored pair is usable now, refreshing it if it
// is near expiry (the bot calls it on a timer so that a quiet OA's refresh
// token does not run out).
func (c *Channel) Refresh(ctx context.Context) error {
	_, err := c.accessToken(ctx)
	return err
}

// PKCE is one connection attempt: the verifier stays with the command,
// the challenge goes to Zalo's consent page.
type PKCE struct {
	Verifier, Challenge, State string
}

// NewPKCE makes a verifier of 43 characters (RFC 7636) and its S256
// challenge.
func NewPKCE() (PKCE, error) {
	var b [32]byte
	var s [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return PKCE{}, err
	}
	if _, err := rand.Read(s[:]); err != nil {
		return PKCE{}, err
	}
	v := base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(v))
	return PKCE{Verifier: v, Challenge: base64.RawURLEncoding.EncodeToString(sum[:]), State: base64.RawURLEncoding.EncodeToString(s[:])}, nil
}

// PermissionURL is the page where the OA's admin grants the app access.
func (c *Channel) PermissionURL(p PKCE, redirect string) string {
	v := url.Values{"app_id": {c.cfg.AppID}, "redirect_uri": {redirect}, "code_challenge": {p.Challenge}, "state": {p.State}}
	return c.cfg.OAuthURL + "/v4/oa/permission?" + v.Encode()
}

// Connect trades the consent page's code for the first pair and saves
// it, clearing any "needs an admin" mark.
func (c *Channel) Connect(ctx context.Context, p PKCE, code string) error {
	t, err := c.grant(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {p.Verifier}})
	if err != nil {
		return fmt.Errorf("connecting the Zalo OA: %w", err)
	}
	if err := c.db.SaveZaloToken(ctx, t); err != nil {
		return err
	}
	c.keep(t)
	return nil
}

// Install stores a pair obtained elsewhere (the demo's fake OA).
func (c *Channel) Install(ctx context.Context, t store.ZaloToken) error {
	t.OAID = c.cfg.OAID
	if err := c.db.SaveZaloToken(ctx, t); err != nil {
		return err
	}
	c.keep(t)
	return nil
}
