// Package clientaddr says which network address sent an HTTP request, the
// same way for every listener behind the reverse proxy (the web chat's
// abuse limits, the staff desk's sign-in limits).
package clientaddr

import (
	"net"
	"net/http"
	"strings"
)

// Of is who sent the request: the peer, or, when the peer is a proxy on
// this machine (deploy/Caddyfile), the last address it added to
// X-Forwarded-For. Only a loopback peer is trusted with that header: a
// client reaching the listener directly cannot pick its own address. An
// IPv6 client counts by its /64, as one household.
func Of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.IsLoopback() {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if fwd := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); fwd != nil {
				ip = fwd
			}
		}
	}
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String()
	}
	return ip.String()
}
