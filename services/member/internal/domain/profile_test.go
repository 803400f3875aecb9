package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func reasonOf(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return string(de.Reason)
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestProfileChangeValidate(t *testing.T) {
	now := time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC) // already 2 March in Shanghai
	g := func(s Gender) *Gender { return &s }
	cases := []struct {
		name   string
		p      ProfileChange
		reason string
	}{
		{"nickname", ProfileChange{Nickname: ptr("小雨")}, ""},
		{"nickname of 20 runes", ProfileChange{Nickname: ptr(strings.Repeat("雨", 20))}, ""},
		{"nickname of 21 runes", ProfileChange{Nickname: ptr(strings.Repeat("雨", 21))}, "NICKNAME_INVALID"},
		{"empty nickname", ProfileChange{Nickname: ptr("")}, "NICKNAME_INVALID"},
		{"padded nickname", ProfileChange{Nickname: ptr(" bob")}, "NICKNAME_INVALID"},
		{"control character", ProfileChange{Nickname: ptr("a\nb")}, "NICKNAME_INVALID"},
		{"zero-width space", ProfileChange{Nickname: ptr("a\u200bb")}, "NICKNAME_INVALID"},
		{"invalid utf-8", ProfileChange{Nickname: ptr("a\xffb")}, "NICKNAME_INVALID"},
		{"https avatar", ProfileChange{AvatarURL: ptr("https://cdn.example.com/a.png")}, ""},
		{"clearing the avatar", ProfileChange{AvatarURL: ptr("")}, ""},
		{"http avatar", ProfileChange{AvatarURL: ptr("http://cdn.example.com/a.png")}, "AVATAR_URL_INVALID"},
		{"javascript avatar", ProfileChange{AvatarURL: ptr("javascript:alert(1)")}, "AVATAR_URL_INVALID"},
		{"long avatar", ProfileChange{AvatarURL: ptr("https://x.cn/" + strings.Repeat("a", 600))}, "AVATAR_URL_INVALID"},
		{"gender", ProfileChange{Gender: g(GenderFemale)}, ""},
		{"unknown gender", ProfileChange{Gender: g("robot")}, "GENDER_INVALID"},
		{"birthday", ProfileChange{Birthday: ptr("1990-02-28")}, ""},
		{"birthday today in Shanghai", ProfileChange{Birthday: ptr("2026-03-02")}, ""},
		{"birthday tomorrow", ProfileChange{Birthday: ptr("2026-03-03")}, "BIRTHDAY_INVALID"},
		{"no 30 February", ProfileChange{Birthday: ptr("1990-02-30")}, "BIRTHDAY_INVALID"},
		{"before 1900", ProfileChange{Birthday: ptr("1899-12-31")}, "BIRTHDAY_INVALID"},
		{"other format", ProfileChange{Birthday: ptr("1990/02/01")}, "BIRTHDAY_INVALID"},
		{"clearing the birthday", ProfileChange{Birthday: ptr("")}, ""},
		{"consent", ProfileChange{SMS: ptr(true), InApp: ptr(false)}, ""},
	}
	for _, c := range cases {
		if got := reasonOf(c.p.Validate(now)); got != c.reason {
			t.Errorf("%s: reason %q, want %q", c.name, got, c.reason)
		}
	}
	if !(ProfileChange{}).Empty() || (ProfileChange{InApp: ptr(false)}).Empty() {
		t.Error("Empty is wrong")
	}
}

func ptr[T any](v T) *T { return &v }

func addr(id string, def bool, at time.Time) Address {
	return Address{ID: id, ReceiverName: "张三", Phone: "13800138000", Province: "浙江省", City: "杭州市", District: "西湖区", Detail: "文三路 1 号", IsDefault: def, CreatedAt: at}
}

func TestValidateAddress(t *testing.T) {
	ok := addr("", false, time.Time{})
	cases := []struct {
		name   string
		change func(*Address)
		reason string
	}{
		{"valid", func(*Address) {}, ""},
		{"no receiver", func(a *Address) { a.ReceiverName = "" }, "RECEIVER_NAME_INVALID"},
		{"long receiver", func(a *Address) { a.ReceiverName = strings.Repeat("名", 33) }, "RECEIVER_NAME_INVALID"},
		{"landline", func(a *Address) { a.Phone = "057188888888" }, "ADDRESS_PHONE_INVALID"},
		{"foreign number", func(a *Address) { a.Phone = "+14155550100" }, "ADDRESS_PHONE_INVALID"},
		{"no province", func(a *Address) { a.Province = "" }, "ADDRESS_REGION_REQUIRED"},
		{"no city", func(a *Address) { a.City = "" }, "ADDRESS_REGION_REQUIRED"},
		{"no district", func(a *Address) { a.District = " " }, "ADDRESS_REGION_REQUIRED"},
		{"short detail", func(a *Address) { a.Detail = "1" }, "ADDRESS_DETAIL_INVALID"},
		{"detail of 120", func(a *Address) { a.Detail = strings.Repeat("路", 120) }, ""},
		{"detail of 121", func(a *Address) { a.Detail = strings.Repeat("路", 121) }, "ADDRESS_DETAIL_INVALID"},
		{"control character", func(a *Address) { a.Detail = "文三路\x00号" }, "ADDRESS_DETAIL_INVALID"},
	}
	for _, c := range cases {
		a := ok
		c.change(&a)
		if got := reasonOf(ValidateAddress(a)); got != c.reason {
			t.Errorf("%s: reason %q, want %q", c.name, got, c.reason)
		}
	}
}

// defaults counts the default addresses and returns the id of the last.
func defaults(list []Address) (int, string) {
	n, id := 0, ""
	for _, a := range list {
		if a.IsDefault {
			n++
			id = a.ID
		}
	}
	return n, id
}

func TestAddressBookKeepsOneDefault(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b AddressBook
	list, err := b.Add(addr("a1", false, t0))
	if n, id := defaults(list); err != nil || n != 1 || id != "a1" {
		t.Fatalf("the first address becomes default: %v %d %s", err, n, id)
	}
	b.Addresses = list
	list, _ = b.Add(addr("a2", false, t0.Add(time.Hour)))
	if n, id := defaults(list); n != 1 || id != "a1" {
		t.Fatalf("a plain second address leaves the default: %d %s", n, id)
	}
	b.Addresses = list
	list, _ = b.Add(addr("a3", true, t0.Add(2*time.Hour)))
	if n, id := defaults(list); n != 1 || id != "a3" {
		t.Fatalf("a default newcomer takes over: %d %s", n, id)
	}
	b.Addresses = list

	list, got, err := b.Replace("a2", addr("", true, time.Time{}), t0.Add(3*time.Hour))
	if n, id := defaults(list); err != nil || n != 1 || id != "a2" || !got.CreatedAt.Equal(t0.Add(time.Hour)) || got.ID != "a2" {
		t.Fatalf("making a2 default: %v %d %s %+v", err, n, id, got)
	}
	b.Addresses = list
	if _, _, err := b.Replace("a2", addr("", false, time.Time{}), t0); reasonOf(err) != "ADDRESS_DEFAULT_REQUIRED" {
		t.Errorf("unsetting the default: %v", err)
	}
	if _, _, err := b.Replace("nope", addr("", false, time.Time{}), t0); reasonOf(err) != "ADDRESS_NOT_FOUND" {
		t.Errorf("replacing a missing address: %v", err)
	}
	bad := addr("", false, time.Time{})
	bad.Phone = "1"
	if _, _, err := b.Replace("a1", bad, t0); reasonOf(err) != "ADDRESS_PHONE_INVALID" {
		t.Errorf("replacing with an invalid address: %v", err)
	}

	list, err = b.Remove("a2")
	if n, id := defaults(list); err != nil || len(list) != 2 || n != 1 || id != "a1" {
		t.Fatalf("removing the default hands it to the oldest: %v %d %s", err, n, id)
	}
	b.Addresses = list
	list, _ = b.Remove("a3")
	if n, id := defaults(list); len(list) != 1 || n != 1 || id != "a1" {
		t.Fatalf("removing a plain address: %d %s", n, id)
	}
	b.Addresses = list
	if list, _ = b.Remove("a1"); len(list) != 0 {
		t.Fatalf("removing the last address: %v", list)
	}
	b.Addresses = list
	if _, err := b.Remove("a1"); reasonOf(err) != "ADDRESS_NOT_FOUND" {
		t.Errorf("removing twice: %v", err)
	}
}

func TestAddressBookLimit(t *testing.T) {
	var b AddressBook
	for i := range MaxAddresses {
		list, err := b.Add(addr(string(rune('a'+i)), false, time.Unix(int64(i), 0)))
		if err != nil {
			t.Fatalf("address %d: %v", i+1, err)
		}
		b.Addresses = list
	}
	if _, err := b.Add(addr("x", false, time.Now())); reasonOf(err) != "ADDRESS_LIMIT_REACHED" {
		t.Errorf("21st address: %v", err)
	}
	if sorted := b.Sorted(); !sorted[0].IsDefault || len(sorted) != MaxAddresses {
		t.Errorf("Sorted puts the default first: %+v", sorted[0])
	}
}

func TestInvitations(t *testing.T) {
	id, err := InviterFromCode(InviteCode("m_abcdefghijklmnop"))
	if err != nil || id != "m_abcdefghijklmnop" {
		t.Fatalf("round trip: %q %v", id, err)
	}
	for _, code := range []string{"", "short", "ABCDEFGHIJKLMNO1", "ABCDEFGHIJKLMNOPQ", "m_abcdefghijklmn"} {
		if _, err := InviterFromCode(code); reasonOf(err) != "INVITE_CODE_INVALID" {
			t.Errorf("code %q: %v", code, err)
		}
	}
	cases := []struct {
		name    string
		invitee string
		inviter Member
		reason  string
	}{
		{"fine", "m_b", Member{ID: "m_a"}, ""},
		{"self", "m_a", Member{ID: "m_a"}, "INVITE_SELF"},
		{"circular", "m_b", Member{ID: "m_a", InviterID: "m_b"}, "INVITE_CIRCULAR"},
		{"inviter invited by someone else", "m_b", Member{ID: "m_a", InviterID: "m_c"}, ""},
		{"deleted inviter", "m_b", Member{ID: "m_a", Deleted: true}, "INVITE_CODE_INVALID"},
		{"blocked inviter", "m_b", Member{ID: "m_a", Blocked: true}, "INVITE_CODE_INVALID"},
	}
	for _, c := range cases {
		if got := reasonOf(CheckInvitation(c.invitee, c.inviter)); got != c.reason {
			t.Errorf("%s: %q, want %q", c.name, got, c.reason)
		}
	}
}

func TestAnonymised(t *testing.T) {
	m := Member{ID: "m_x", Phone: "13800138000", Nickname: "小雨", AvatarURL: "https://a/b", Gender: GenderFemale, Birthday: "1990-01-01",
		Consent: Consent{SMS: true}, Channel: "store-1", InviterID: "m_y", CreatedAt: time.Unix(1, 0)}
	a := Anonymised(m)
	if a.ID != m.ID || a.Phone == m.Phone || strings.Contains(a.Phone, "138") || a.Nickname != DeletedNickname || a.AvatarURL != "" ||
		a.Gender != "" || a.Birthday != "" || a.Consent != (Consent{}) || !a.Deleted || a.Channel != "store-1" {
		t.Errorf("anonymised = %+v", a)
	}
}
