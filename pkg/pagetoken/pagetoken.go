// Package pagetoken makes AIP-158 page tokens: opaque to clients, bound to the
// filter they were issued for, and checked so a forged or foreign token is a
// clear INVALID_ARGUMENT rather than a silently wrong page.
package pagetoken

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"

	"siyu.dev/pkg/fault"
)

// Token is the position of the next page.
type Token struct {
	Offset int
	// Filter is the canonical form of the request's filter; a token only
	// continues the listing it came from.
	Filter string
}

const version = 1

// Encode makes the opaque form: version, offset, an 8-byte digest of the
// filter and a 4-byte checksum over all of it.
func Encode(t Token) string {
	buf := make([]byte, 0, 1+binary.MaxVarintLen64+12)
	buf = append(buf, version)
	buf = binary.AppendUvarint(buf, uint64(t.Offset))
	f := sha256.Sum256([]byte(t.Filter))
	buf = append(buf, f[:8]...)
	sum := sha256.Sum256(buf)
	buf = append(buf, sum[:4]...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// Reasons of the paging faults; the service's errs.Status answers them with
// its own ErrorInfo domain.
const (
	ReasonTokenInvalid fault.Reason = "PAGE_TOKEN_INVALID"
	ReasonSizeInvalid  fault.Reason = "PAGE_SIZE_INVALID"
)

// Decode reads s for a request whose filter is filter. "" is the first page.
func Decode(s, filter string) (Token, error) {
	if s == "" {
		return Token{Filter: filter}, nil
	}
	bad := fault.New(fault.Invalid, ReasonTokenInvalid, "page_token is not a token this listing issued", "field", "page_token")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 1+1+8+4 || b[0] != version {
		return Token{}, bad
	}
	body, sum := b[:len(b)-4], b[len(b)-4:]
	want := sha256.Sum256(body)
	if string(want[:4]) != string(sum) {
		return Token{}, bad
	}
	off, n := binary.Uvarint(body[1:])
	if n <= 0 || 1+n+8 != len(body) || off > 1<<31 {
		return Token{}, bad
	}
	f := sha256.Sum256([]byte(filter))
	if string(body[1+n:]) != string(f[:8]) {
		return Token{}, fault.New(fault.Invalid, ReasonTokenInvalid, "page_token belongs to a listing with other filters", "field", "page_token")
	}
	return Token{Offset: int(off), Filter: filter}, nil
}

// PageSize applies AIP-158 rules: 0 means def, larger than max is clamped,
// negative is an error.
func PageSize(requested int32, def, max int) (int, error) {
	switch {
	case requested < 0:
		return 0, fault.New(fault.Invalid, ReasonSizeInvalid, fmt.Sprintf("page_size must not be negative, got %d", requested), "field", "page_size")
	case requested == 0:
		return def, nil
	case int(requested) > max:
		return max, nil
	}
	return int(requested), nil
}

// EncodeAfter is a cursor token for listings that page by id: the last id
// of the page, bound to the listing's filter so it cannot page another one.
func EncodeAfter(filter, lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(filter + "\x00" + lastID))
}

// DecodeAfter reads a cursor token of the listing with filter: the id to
// continue after, "" for the first page.
func DecodeAfter(tok, filter string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	f, last, ok := strings.Cut(string(b), "\x00")
	if err != nil || !ok || f != filter || last == "" {
		return "", fault.New(fault.Invalid, ReasonTokenInvalid, "page_token does not belong to this listing", "field", "page_token")
	}
	return last, nil
}
