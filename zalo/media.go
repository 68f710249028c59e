package zalo

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"reentrybot/channel"
)

// Files a person sends (issue 13): Zalo's media event names the file by
// an address on Zalo's servers; the counsellors, who work in Telegram, get
// the file itself (the desk fetches it with Fetch and uploads it to the
// case's topic), not a line saying a photo came.

// MaxFetchBytes bounds a file the bot fetches: Telegram takes documents of
// up to 50 MB from a bot, but a relay holds the file in memory.
const MaxFetchBytes = 20 << 20

// mediaHosts are the host suffixes of Zalo's file servers (U: from
// integrators' code and the addresses seen in events, e.g. *.zdn.vn),
// besides the API's own host. Fetch reads nothing else: the address comes
// in a signed event, but a fetch is still a request from inside.
var mediaHosts = []string{".zdn.vn", ".zadn.vn", ".zalo.me", ".zaloapp.com"}

// fetchable says why raw is not an address Fetch may read, nil when it is.
func (c *Channel) fetchable(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return fmt.Errorf("not a file address: %q", raw)
	}
	host := u.Hostname()
	if api, err := url.Parse(c.cfg.APIURL); err == nil && api.Hostname() == host && api.Scheme == u.Scheme {
		return nil // the API's own host (the test server's, in tests)
	}
	if u.Scheme != "https" {
		return fmt.Errorf("file address not over https: %q", raw)
	}
	for _, h := range mediaHosts {
		if strings.HasSuffix("."+host, h) {
			return nil
		}
	}
	return fmt.Errorf("file address outside Zalo's servers: %q", host)
}

// Fetch reads a file a person sent (an event's MediaRef). A file that is
// gone, too large or not on Zalo's servers is a Permanent *channel.Error;
// a failure that may pass is Transient.
func (c *Channel) Fetch(ctx context.Context, ref string) (channel.File, error) {
	permanent := func(why string) (channel.File, error) {
		return channel.File{}, &channel.Error{Kind: channel.Permanent, Reason: why}
	}
	if err := c.fetchable(ref); err != nil {
		return permanent(err.Error())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref, nil)
	if err != nil {
		return permanent(err.Error())
	}
	cl := *c.client
	cl.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("too many redirects")
		}
		return c.fetchable(r.URL.String()) // a redirect stays on Zalo's servers
	}
	resp, err := cl.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Err != nil && c.fetchable(ue.URL) != nil {
			return permanent(err.Error())
		}
		return channel.File{}, &channel.Error{Kind: channel.Transient, Reason: "fetching a file: " + err.Error()}
	}
	defer resp.Body.Close()
	data, err := channel.ReadDownload(resp, MaxFetchBytes)
	if err != nil {
		return channel.File{}, err
	}
	// What the bytes are, rather than what the server says: the upload to
	// Telegram picks a photo or a document by it.
	mt := http.DetectContentType(data)
	if t, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil && strings.HasPrefix(mt, "application/octet-stream") {
		mt = t
	}
	name := path.Base(req.URL.Path)
	if name == "/" || name == "." || !strings.Contains(name, ".") {
		name = "file" + extension(mt)
	}
	return channel.File{Name: name, MIME: mt, Data: data}, nil
}

// extension names a file of type mt the way phones do.
func extension(mt string) string {
	switch mt {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "application/pdf":
		return ".pdf"
	}
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return exts[0]
	}
	return ""
}
