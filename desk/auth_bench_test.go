package desk

import "testing"

// The work one sign-in asks of the server (argon2id, 19 MiB, 2 passes):
// it bounds how many sign-ins a second the 2-core server can check.
func BenchmarkCheckPassword(b *testing.B) {
	h, err := hashPassword("mật khẩu dài 2026")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !checkPassword(h, "mật khẩu dài 2026") {
			b.Fatal("the right password refused")
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := hashPassword("mật khẩu dài 2026")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		hash, pw string
		want     bool
	}{
		{h, "mật khẩu dài 2026", true},
		{h, "mat khau dai 2026", false},
		{h, "", false},
		{"$argon2id$v=19$m=abc$x$y", "mật khẩu dài 2026", false},
		{"$bcrypt$whatever", "mật khẩu dài 2026", false},
	} {
		if got := checkPassword(tt.hash, tt.pw); got != tt.want {
			t.Errorf("checkPassword(%.20q, %q) = %v", tt.hash, tt.pw, got)
		}
	}
}
