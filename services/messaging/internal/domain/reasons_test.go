package domain

import (
	"testing"

	"siyu.dev/pkg/testkit"
)

// TestReasonsDeclaredOnce: every reason of the service is declared once, in
// internal/domain/reasons.go, and used by name everywhere else.
func TestReasonsDeclaredOnce(t *testing.T) {
	testkit.ReasonsDeclaredOnce(t, "../..", "internal/domain/reasons.go")
}
