package app

import "testing"

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		hash, pw string
		want     bool
	}{
		{h, "correct horse", true},
		{h, "correct horse ", false},
		{h, "", false},
		{"$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA", "x", false},
		{"plain-text", "plain-text", false},
		{"", "", false},
	}
	for _, c := range cases {
		if got := CheckPassword(c.hash, c.pw); got != c.want {
			t.Errorf("CheckPassword(%.20q, %q) = %v", c.hash, c.pw, got)
		}
	}
	if h2, _ := HashPassword("correct horse"); h2 == h {
		t.Error("two hashes of one password are equal: salt missing")
	}
}
