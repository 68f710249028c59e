package clientaddr

import (
	"net/http/httptest"
	"testing"
)

func TestOf(t *testing.T) {
	tests := []struct {
		name, remote, xff, want string
	}{
		{"direct IPv4", "203.0.113.7:5000", "", "203.0.113.7"},
		{"direct client cannot forge the header", "203.0.113.7:5000", "198.51.100.1", "203.0.113.7"},
		{"behind the local proxy", "127.0.0.1:4000", "198.51.100.1", "198.51.100.1"},
		{"the proxy's own entry is the last", "127.0.0.1:4000", "10.0.0.1, 198.51.100.2", "198.51.100.2"},
		{"garbage in the header", "127.0.0.1:4000", "not an address", "127.0.0.1"},
		{"IPv6 by its /64", "[2001:db8:1:2:3:4:5:6]:443", "", "2001:db8:1:2::"},
		{"IPv6 loopback proxy", "[::1]:4000", "2001:db8:9:9::1", "2001:db8:9:9::"},
		{"no port", "203.0.113.9", "", "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := Of(r); got != tt.want {
				t.Errorf("Of = %q, want %q", got, tt.want)
			}
		})
	}
}
