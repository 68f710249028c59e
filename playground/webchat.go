package playground

import (
	"net/url"
	"strings"
)

// frameSrc lets the page frame the web chat's origin and the staff desk's,
// and nothing else.
func (p *Playground) frameSrc() string {
	var origins []string
	for _, raw := range []string{p.opts.WebChatURL, p.deskURL()} {
		if u, err := url.Parse(raw); raw != "" && err == nil && u.Host != "" {
			origins = append(origins, u.Scheme+"://"+u.Host)
		}
	}
	if len(origins) == 0 {
		return ""
	}
	return "; frame-src " + strings.Join(origins, " ")
}

// deskURL is the staff desk's root, "" without a desk.
func (p *Playground) deskURL() string {
	if p.opts.Desk == nil {
		return ""
	}
	return p.opts.Desk.URL
}
