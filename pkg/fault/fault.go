// Package fault is the one error model of every Siyu service. Domain code
// returns a *Fault (a kind, a stable reason clients branch on, a message and
// metadata); adapters map it once: to a gRPC status with ErrorInfo (pkg/errs),
// or, in event consumers, to "park the message" versus "retry it" (Permanent).
//
// It imports nothing but the standard library, so domain packages may use it.
package fault

import (
	"errors"
	"maps"
	"strings"
)

// Kind says what went wrong in terms every adapter understands; each maps to
// exactly one gRPC code.
type Kind uint8

const (
	// Invalid: the input is malformed whatever the state (INVALID_ARGUMENT).
	Invalid Kind = iota + 1
	// NotFound: the resource does not exist, or the caller may not know it does (NOT_FOUND).
	NotFound
	// Conflict: the resource already exists (ALREADY_EXISTS).
	Conflict
	// Precondition: the input is fine but the state forbids it (FAILED_PRECONDITION).
	Precondition
	// Aborted: a write lost a race (a stale version); read again and retry (ABORTED).
	Aborted
	// Exhausted: a quota or rate limit; metadata may say when to retry (RESOURCE_EXHAUSTED).
	Exhausted
	// Unauthenticated: no valid credentials (UNAUTHENTICATED).
	Unauthenticated
	// Permission: authenticated but not allowed (PERMISSION_DENIED).
	Permission
	// Unavailable: a dependency is down; retrying later may succeed (UNAVAILABLE).
	Unavailable
)

var kindNames = [...]string{"", "invalid", "not_found", "conflict", "precondition", "aborted", "exhausted", "unauthenticated", "permission", "unavailable"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "unknown"
}

// Reason is a stable, upper-snake-case business reason (OUT_OF_STOCK). Each
// service declares its reasons once, in one file, as constants of this type.
type Reason string

// Fault is a rule violation: what kind, which reason, a message for people
// and metadata for programs (field names, retry_after_seconds, ids).
type Fault struct {
	Kind   Kind
	Reason Reason
	Msg    string
	Meta   map[string]string
}

func (f *Fault) Error() string { return string(f.Reason) + ": " + f.Msg }

// Is makes errors.Is(err, ErrX) true for any fault with ErrX's kind and
// reason, so a fault enriched With metadata still matches its template.
func (f *Fault) Is(target error) bool {
	t, ok := target.(*Fault)
	return ok && t.Kind == f.Kind && t.Reason == f.Reason
}

// New makes a fault; kv are metadata key/value pairs.
func New(k Kind, r Reason, msg string, kv ...string) *Fault {
	f := &Fault{Kind: k, Reason: r, Msg: msg}
	return f.with(kv)
}

// With returns a copy carrying extra metadata (key/value pairs); the
// receiver, usually a package-level template, is never changed.
func (f *Fault) With(kv ...string) *Fault {
	c := *f
	c.Meta = maps.Clone(f.Meta)
	return c.with(kv)
}

// WithMsg returns a copy with another message and the same kind and reason.
func (f *Fault) WithMsg(msg string) *Fault {
	c := *f
	c.Meta = maps.Clone(f.Meta)
	c.Msg = msg
	return &c
}

func (f *Fault) with(kv []string) *Fault {
	if len(kv) < 2 {
		return f
	}
	if f.Meta == nil {
		f.Meta = make(map[string]string, len(kv)/2)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Meta[kv[i]] = kv[i+1]
	}
	return f
}

// As finds the fault in err's chain.
func As(err error) (*Fault, bool) {
	var f *Fault
	if errors.As(err, &f) {
		return f, true
	}
	return nil, false
}

// ReasonOf is the reason of the fault in err's chain, or "".
func ReasonOf(err error) Reason {
	if f, ok := As(err); ok {
		return f.Reason
	}
	return ""
}

// KindOf is the kind of the fault in err's chain, or 0.
func KindOf(err error) Kind {
	if f, ok := As(err); ok {
		return f.Kind
	}
	return 0
}

// Permanent is the one rule for event consumers: a fault that says the
// event itself breaks a rule cannot succeed on redelivery, so it is parked;
// anything else (the database was unreachable, a quota, a lost race, a
// dependency down) is retried.
func Permanent(err error) bool {
	f, ok := As(err)
	if !ok {
		return false
	}
	switch f.Kind {
	case Exhausted, Aborted, Unavailable:
		return false
	}
	return true
}

// ValidReason reports whether r has the declared shape: upper-case ASCII
// letters, digits and single underscores, starting with a letter.
func ValidReason(r Reason) bool {
	s := string(r)
	if s == "" || s[0] < 'A' || s[0] > 'Z' || strings.HasSuffix(s, "_") || strings.Contains(s, "__") {
		return false
	}
	for _, c := range s {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
