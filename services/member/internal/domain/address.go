package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Address is a shipping address of a member.
type Address struct {
	ID           string
	ReceiverName string
	Phone        string
	Province     string
	City         string
	District     string
	Detail       string
	IsDefault    bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// MaxAddresses is how many addresses a member may keep.
const MaxAddresses = 20

// text reports whether s is 1..max runes of printable text without
// surrounding spaces.
func text(s string, min, max int) bool {
	n := utf8.RuneCountInString(s)
	if !utf8.ValidString(s) || n < min || n > max || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// ValidateAddress checks the fields a member supplies.
func ValidateAddress(a Address) error {
	switch {
	case !text(a.ReceiverName, 1, 32):
		return ErrReceiverNameInvalid
	case ValidatePhone(a.Phone) != nil:
		return ErrAddressPhoneInvalid
	case !text(a.Province, 1, 32) || !text(a.City, 1, 32) || !text(a.District, 1, 32):
		return ErrRegionRequired
	case !text(a.Detail, 2, 120):
		return ErrAddressDetailInvalid
	}
	return nil
}

// AddressBook is all addresses of a member, stored in the member's
// document and changed as a whole by compare-and-set on Rev: that keeps
// "at most 20" and "exactly one default" true under concurrent requests
// with single-document writes.
type AddressBook struct {
	Addresses []Address
	Rev       int64
}

// Find returns the address with id.
func (b AddressBook) Find(id string) (Address, error) {
	for _, a := range b.Addresses {
		if a.ID == id {
			return a, nil
		}
	}
	return Address{}, ErrAddressNotFound
}

// Sorted lists the default first, then by creation.
func (b AddressBook) Sorted() []Address {
	out := make([]Address, 0, len(b.Addresses))
	for _, a := range b.Addresses {
		if a.IsDefault {
			out = append(out, a)
		}
	}
	for _, a := range b.Addresses {
		if !a.IsDefault {
			out = append(out, a)
		}
	}
	return out
}

// Add returns the list with a added (a.ID and times set by the caller).
// The first address is the default; a default newcomer takes it over.
func (b AddressBook) Add(a Address) ([]Address, error) {
	if err := ValidateAddress(a); err != nil {
		return nil, err
	}
	if len(b.Addresses) >= MaxAddresses {
		return nil, ErrAddressLimit
	}
	if len(b.Addresses) == 0 {
		a.IsDefault = true
	}
	out := make([]Address, 0, len(b.Addresses)+1)
	for _, x := range b.Addresses {
		if a.IsDefault {
			x.IsDefault = false
		}
		out = append(out, x)
	}
	return append(out, a), nil
}

// Replace returns the list with address id's fields replaced by a's.
func (b AddressBook) Replace(id string, a Address, now time.Time) ([]Address, Address, error) {
	old, err := b.Find(id)
	if err != nil {
		return nil, Address{}, err
	}
	if err := ValidateAddress(a); err != nil {
		return nil, Address{}, err
	}
	if old.IsDefault && !a.IsDefault {
		return nil, Address{}, ErrAddressDefaultRequired
	}
	a.ID, a.CreatedAt, a.UpdatedAt = old.ID, old.CreatedAt, now
	out := make([]Address, 0, len(b.Addresses))
	for _, x := range b.Addresses {
		switch {
		case x.ID == id:
			x = a
		case a.IsDefault:
			x.IsDefault = false
		}
		out = append(out, x)
	}
	return out, a, nil
}

// Remove returns the list without address id; the oldest remaining address
// inherits the default.
func (b AddressBook) Remove(id string) ([]Address, error) {
	gone, err := b.Find(id)
	if err != nil {
		return nil, err
	}
	out := make([]Address, 0, len(b.Addresses))
	for _, x := range b.Addresses {
		if x.ID != id {
			out = append(out, x)
		}
	}
	if gone.IsDefault && len(out) > 0 {
		oldest := 0
		for i, x := range out {
			if x.CreatedAt.Before(out[oldest].CreatedAt) {
				oldest = i
			}
		}
		out[oldest].IsDefault = true
	}
	return out, nil
}
