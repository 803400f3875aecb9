package domain

import (
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ProfileChange is a partial profile update: nil fields stay as they are.
type ProfileChange struct {
	Nickname        *string
	AvatarURL       *string
	Gender          *Gender
	Birthday        *string
	SMS             *bool
	WechatSubscribe *bool
	InApp           *bool
}

// Empty reports whether the change touches nothing.
func (p ProfileChange) Empty() bool {
	return p == ProfileChange{}
}

// Profile limits.
const (
	MaxNicknameRunes = 20
	MaxAvatarURLLen  = 512
)

// ErrFieldNotUpdatable names a mask path the member may not change.
func ErrFieldNotUpdatable(path string) *Error {
	return newErr(KindInvalid, ReasonFieldNotUpdatable, "field "+path+" cannot be updated (updatable: nickname, avatar_url, gender, birthday, marketing_consent)")
}

// Validate checks every field the change sets; now bounds the birthday.
func (p ProfileChange) Validate(now time.Time) error {
	if p.Nickname != nil {
		if err := validateNickname(*p.Nickname); err != nil {
			return err
		}
	}
	if p.AvatarURL != nil && *p.AvatarURL != "" {
		u, err := url.Parse(*p.AvatarURL)
		if err != nil || len(*p.AvatarURL) > MaxAvatarURLLen || u.Scheme != "https" || u.Host == "" {
			return ErrAvatarURLInvalid
		}
	}
	if p.Gender != nil {
		switch *p.Gender {
		case GenderUnspecified, GenderMale, GenderFemale, GenderOther:
		default:
			return ErrGenderInvalid
		}
	}
	if p.Birthday != nil && *p.Birthday != "" {
		d, err := time.Parse("2006-01-02", *p.Birthday)
		today := now.In(shanghai).Format("2006-01-02")
		if err != nil || d.Year() < 1900 || *p.Birthday > today {
			return ErrBirthdayInvalid
		}
	}
	return nil
}

func validateNickname(n string) error {
	count := utf8.RuneCountInString(n)
	if !utf8.ValidString(n) || count == 0 || count > MaxNicknameRunes || strings.TrimSpace(n) != n {
		return ErrNicknameInvalid
	}
	for _, r := range n {
		if unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' {
			return ErrNicknameInvalid
		}
	}
	return nil
}
