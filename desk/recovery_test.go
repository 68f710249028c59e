package desk

import "testing"

func TestNormalizeRecovery(t *testing.T) {
	codes, hashes := newRecoveryCodes()
	if len(codes) != recoveryCount || len(hashes) != recoveryCount {
		t.Fatalf("%d codes, %d hashes", len(codes), len(hashes))
	}
	for _, tt := range []struct{ typed, want string }{
		{"abcd-efgh-ijkl-mnop", "abcdefghijklmnop"},
		{"ABCD EFGH IJKL MNOP", "abcdefghijklmnop"},
		{"abcdefghijklmnop", "abcdefghijklmnop"},
		{"0bcd-efgh-1jkl-8nop", "obcdefghljklbnop"}, // digits base32 lacks read as the letters they look like
		{"abcd-efgh-ijkl-mno", ""},                  // one short
		{"abcd-efgh-ijkl-mnopq", ""},                // one long
		{"abcd-efgh-ijkl-mnö9", ""},                 // not base32
		{"123456", ""},                              // a TOTP code
		{"", ""},
	} {
		if got := normalizeRecovery(tt.typed); got != tt.want {
			t.Errorf("normalizeRecovery(%q) = %q, want %q", tt.typed, got, tt.want)
		}
	}
	for i, c := range codes {
		if string(recoveryHash(normalizeRecovery(c))) != string(hashes[i]) {
			t.Errorf("code %q does not match its own hash", c)
		}
	}
}
