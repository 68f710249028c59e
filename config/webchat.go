package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// WebChat is the web chat's settings (package webchat).
type WebChat struct {
	// On serves the page at /chat (WEBCHAT).
	On bool
	// PushSubject is the contact a push service may write to about this
	// server's notifications (VAPID "sub": mailto: or https:).
	PushSubject string
	// FrameAncestors are origins allowed to show the page in a frame (the
	// demo's playground); none by default.
	FrameAncestors []string
}

func init() {
	Vars = append(Vars,
		Var{"WEBCHAT", "true", "Serve the web chat at /chat on HTTP_ADDR (returnees without Telegram); false turns it off."},
		Var{"WEBCHAT_PUSH_SUBJECT", "mailto:admin@localhost", "Contact given to browsers' push services with each notification (mailto: or https: URL): set a real one."},
		Var{"WEBCHAT_FRAME_ANCESTORS", "", "Origins allowed to show /chat in a frame, space-separated (empty: none)."},
	)
}

func loadWebChat(val func(string) string, bad func(name, format string, args ...any)) WebChat {
	var w WebChat
	var err error
	if w.On, err = strconv.ParseBool(val("WEBCHAT")); err != nil {
		bad("WEBCHAT", "must be true or false, got %q", val("WEBCHAT"))
	}
	w.PushSubject = val("WEBCHAT_PUSH_SUBJECT")
	if !strings.HasPrefix(w.PushSubject, "mailto:") && !strings.HasPrefix(w.PushSubject, "https://") {
		bad("WEBCHAT_PUSH_SUBJECT", "must start with mailto: or https://, got %q", w.PushSubject)
	}
	for _, o := range strings.Fields(val("WEBCHAT_FRAME_ANCESTORS")) {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			bad("WEBCHAT_FRAME_ANCESTORS", "%s", fmt.Sprintf("%q is not an origin (scheme://host[:port])", o))
			continue
		}
		w.FrameAncestors = append(w.FrameAncestors, strings.TrimSuffix(o, "/"))
	}
	return w
}
