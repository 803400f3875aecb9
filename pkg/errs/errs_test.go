package errs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/logx"
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

// TestInternalLogsThroughTheRequestLogger: the server puts its logger in
// the request context; an internal error is logged there, in the
// service's format, not through the unconfigured default.
func TestInternalLogsThroughTheRequestLogger(t *testing.T) {
	var buf bytes.Buffer
	ctx := logx.Into(context.Background(), logx.New("probe", &buf, slog.LevelInfo))
	_ = Internal(ctx, errors.New("disk full"))
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["service"] != "probe" || line["err"] != "disk full" {
		t.Fatalf("logged %q", buf.String())
	}
}

func TestStatusFromFault(t *testing.T) {
	ctx := context.Background()
	f := fault.New(fault.Precondition, "OUT_OF_STOCK", "sku A is sold out", "sku", "A")
	err := Status(ctx, "product.siyu.dev", fmt.Errorf("reserve: %w", f))
	if status.Code(err) != codes.FailedPrecondition || status.Convert(err).Message() != "sku A is sold out" {
		t.Fatalf("status = %v", err)
	}
	info, ok := Info(err)
	if !ok || info.Reason != "OUT_OF_STOCK" || info.Domain != "product.siyu.dev" || info.Metadata["sku"] != "A" {
		t.Fatalf("info = %v", info)
	}
	back := Fault(err)
	if fault.ReasonOf(back) != "OUT_OF_STOCK" || fault.KindOf(back) != fault.Precondition {
		t.Fatalf("round trip = %v", back)
	}
	if status.Code(Status(ctx, "d", errors.New("db down: secret"))) != codes.Internal {
		t.Error("plain error not INTERNAL")
	}
	if Status(ctx, "d", nil) != nil {
		t.Error("nil error")
	}
	for k := fault.Invalid; k <= fault.Unavailable; k++ {
		if _, ok := codeOf[k]; !ok {
			t.Errorf("kind %v has no code", k)
		}
	}
	if plain := errors.New("x"); Fault(plain) != plain {
		t.Error("Fault changed a plain error")
	}
}
