package desk

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"reentrybot/store"
)

// Failed sign-ins are also counted per client address (the account lock
// alone lets one address try a password on every login). The count is in
// PostgreSQL, so every process serving the desk sees the same. An office
// behind one NAT address shares the allowance: the default leaves room
// for a whole office's typos.
const (
	defaultAddrLimit  = 50
	defaultAddrWindow = 15 * time.Minute
)

// addrBlocked answers 429 when addr has used up its failed sign-ins; the
// password is then not even checked (no hashing work for a flood).
func (s *Server) addrBlocked(w http.ResponseWriter, r *http.Request, addr string) bool {
	blocked, until, err := s.db.DeskAddrBlocked(r.Context(), addr, s.opt.AddrLimit, s.opt.AddrWindow)
	if err != nil {
		s.fail(w, r, err)
		return true
	}
	if !blocked {
		return false
	}
	wait := max(until.Sub(s.db.Now()), time.Second)
	s.log.Debug("desk sign-in refused: too many failures from the address", "addr", addr) // the limit itself is audited once
	w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	s.say(w, r, http.StatusTooManyRequests, "desk_addr_limited", map[string]any{"Minutes": int((wait + time.Minute - 1) / time.Minute)})
	return true
}

// addrFailed counts a failed sign-in of addr in tx and returns the
// address's failures in the window; the one that uses up the allowance is
// audited.
func (s *Server) addrFailed(ctx context.Context, tx *store.Tx, addr string) (int, error) {
	n, err := tx.DeskAddrFailed(ctx, addr, s.opt.AddrWindow)
	if err != nil {
		return 0, err
	}
	if n == s.opt.AddrLimit {
		s.log.Warn("desk sign-ins from an address paused", "addr", addr, "failures", n)
		return n, tx.Audit(ctx, 0, 0, "desk_addr_limited", 0, addr+" after "+strconv.Itoa(n)+" failures in "+s.opt.AddrWindow.String())
	}
	return n, nil
}
