package pagetoken

import (
	"testing"

	"siyu.dev/pkg/fault"
)

func TestRoundTrip(t *testing.T) {
	for _, off := range []int{0, 1, 20, 1 << 20} {
		s := Encode(Token{Offset: off, Filter: "category=a"})
		got, err := Decode(s, "category=a")
		if err != nil || got.Offset != off {
			t.Fatalf("offset %d: got %+v %v", off, got, err)
		}
	}
	if got, err := Decode("", "x"); err != nil || got.Offset != 0 {
		t.Fatalf("empty token: %+v %v", got, err)
	}
}

func TestRejects(t *testing.T) {
	good := Encode(Token{Offset: 40, Filter: "a"})
	tampered := []byte(good)
	tampered[3] ^= 1
	cases := map[string]string{
		"garbage":        "%%%zz",
		"not base64 url": "bm90LWEtdG9rZW4",
		"tampered":       string(tampered),
		"other filter":   good,
		"truncated":      good[:5],
	}
	for name, s := range cases {
		filter := "a"
		if name == "other filter" {
			filter = "b"
		}
		if _, err := Decode(s, filter); fault.ReasonOf(err) != ReasonTokenInvalid {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestPageSize(t *testing.T) {
	cases := []struct {
		in        int32
		want      int
		wantError bool
	}{{0, 20, false}, {5, 5, false}, {100, 100, false}, {101, 100, false}, {1 << 30, 100, false}, {-1, 0, true}}
	for _, c := range cases {
		got, err := PageSize(c.in, 20, 100)
		if (err != nil) != c.wantError || got != c.want {
			t.Errorf("PageSize(%d) = %d, %v", c.in, got, err)
		}
		if c.wantError && fault.ReasonOf(err) != ReasonSizeInvalid {
			t.Errorf("reason = %q", fault.ReasonOf(err))
		}
	}
}

func TestCursorTokens(t *testing.T) {
	tok := EncodeAfter("member=m1", "o9")
	if got, err := DecodeAfter(tok, "member=m1"); err != nil || got != "o9" {
		t.Fatalf("%q %v", got, err)
	}
	if got, err := DecodeAfter("", "member=m1"); err != nil || got != "" {
		t.Fatalf("first page: %q %v", got, err)
	}
	for _, bad := range []string{tok + "!", EncodeAfter("member=m2", "o9"), EncodeAfter("member=m1", "")} {
		if _, err := DecodeAfter(bad, "member=m1"); fault.ReasonOf(err) != ReasonTokenInvalid {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
