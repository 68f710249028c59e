package textfold

import "testing"

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Nguyễn Văn A \n", "Nguyễn Văn A"},
		{"Ho\u0300a", "Hòa"},                     // decomposed → NFC
		{"a\x00b\x07c", "abc"},                   // control characters dropped
		{"line1\nline2", "line1\nline2"},         // newlines kept
		{"bad \xff\xfe utf8", "bad \uFFFD utf8"}, // broken UTF-8 replaced
		{"<b>&amp;</b>", "<b>&amp;</b>"},         // stored as given; escaped when shown
		{"zero\u200bwidth", "zerowidth"},
	}
	for _, tt := range tests {
		if got := Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
