package playground

import "net/url"

// frameSrc lets the page frame the web chat's origin, and nothing else.
func (p *Playground) frameSrc() string {
	u, err := url.Parse(p.opts.WebChatURL)
	if p.opts.WebChatURL == "" || err != nil || u.Host == "" {
		return ""
	}
	return "; frame-src " + u.Scheme + "://" + u.Host
}
