package demo

import (
	"net"

	"reentrybot/webchat"
)

// webChatURL is the web chat page as the playground frames it (opened
// from a Hiệp Hòa poster), or "" when the web chat is off.
func (d *Demo) webChatURL() string {
	if d.App.WebChat == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(d.App.Addr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + webchat.Path + "?c=07840"
}
