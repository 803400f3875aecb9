package errs

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestNewRoundTrip(t *testing.T) {
	err := New(codes.FailedPrecondition, "order.siyu.dev", "OUT_OF_STOCK", "sku A is sold out", "sku", "A")
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("code = %v", status.Code(err))
	}
	info, ok := Info(fmt.Errorf("wrapped: %w", err))
	if !ok || info.Reason != "OUT_OF_STOCK" || info.Domain != "order.siyu.dev" || info.Metadata["sku"] != "A" {
		t.Fatalf("info = %v %v", info, ok)
	}
	if Reason(Invalid("d", "PHONE_INVALID", "bad")) != "PHONE_INVALID" {
		t.Error("Invalid lost its reason")
	}
	if Reason(errors.New("plain")) != "" || Reason(nil) != "" {
		t.Error("reason from a plain error")
	}
}

func TestInternalHidesText(t *testing.T) {
	cases := []struct {
		in   error
		code codes.Code
	}{
		{errors.New("mongo: password=secret"), codes.Internal},
		{context.Canceled, codes.Canceled},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{New(codes.NotFound, "d", "NOPE", "no"), codes.NotFound},
	}
	for _, c := range cases {
		got := Internal(context.Background(), c.in)
		if status.Code(got) != c.code {
			t.Errorf("%v -> %v, want %v", c.in, status.Code(got), c.code)
		}
		if c.code == codes.Internal && status.Convert(got).Message() != "internal error" {
			t.Errorf("raw text leaked: %v", got)
		}
	}
}
