package store_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/lib/pq"

	"reentrybot/store"
)

func TestUnavailable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"server shutting down", &pq.Error{Code: "57P01"}, true},
		{"cannot connect now (restart)", fmt.Errorf("begin: %w", &pq.Error{Code: "57P03"}), true},
		{"connection failure", &pq.Error{Code: "08006"}, true},
		{"too many connections", &pq.Error{Code: "53300"}, true},
		{"database closed to connections", &pq.Error{Code: "55000", Message: `database "x" is not currently accepting connections`}, true},
		{"another prerequisite", &pq.Error{Code: "55000", Message: "cannot do that now"}, false},
		{"connection refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{"cut mid-answer", fmt.Errorf("commit: %w", io.ErrUnexpectedEOF), true},
		{"a unique violation is the work's", &pq.Error{Code: "23505"}, false},
		{"a check violation is the work's", &pq.Error{Code: "23514"}, false},
		{"a plain error", errors.New("decoding answers"), false},
	}
	for _, tt := range tests {
		if got := store.Unavailable(tt.err); got != tt.want {
			t.Errorf("%s: Unavailable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
