// Package errs builds and reads gRPC statuses that carry a business reason in
// google.rpc.ErrorInfo, so clients branch on a stable reason (OUT_OF_STOCK)
// rather than on message text.
package errs

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/logx"
)

// New returns a status error with code c and an ErrorInfo{reason, domain,
// metadata}; kv are metadata key/value pairs.
func New(c codes.Code, domain, reason, msg string, kv ...string) error {
	st := status.New(c, msg)
	info := &errdetails.ErrorInfo{Reason: reason, Domain: domain}
	if len(kv) > 1 {
		info.Metadata = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			info.Metadata[kv[i]] = kv[i+1]
		}
	}
	if withInfo, err := st.WithDetails(info); err == nil {
		st = withInfo
	}
	return st.Err()
}

// Invalid is New with codes.InvalidArgument.
func Invalid(domain, reason, msg string, kv ...string) error {
	return New(codes.InvalidArgument, domain, reason, msg, kv...)
}

// Info reads the ErrorInfo of any error that carries a gRPC status.
func Info(err error) (*errdetails.ErrorInfo, bool) {
	st, ok := status.FromError(err)
	if !ok || st == nil {
		return nil, false
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info, true
		}
	}
	return nil, false
}

// Reason is the ErrorInfo reason of err, or "".
func Reason(err error) string {
	if info, ok := Info(err); ok {
		return info.Reason
	}
	return ""
}

// Internal logs err (with the request's trace id via the context-aware
// logger) and returns an opaque INTERNAL status: raw error text never
// reaches a client.
func Internal(ctx context.Context, err error) error {
	if _, ok := status.FromError(err); ok && !errors.Is(err, context.Canceled) && status.Code(err) != codes.Unknown {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return status.Error(codes.Canceled, "request canceled")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	logx.From(ctx).ErrorContext(ctx, "internal error", "err", err)
	return New(codes.Internal, "siyu.dev", "INTERNAL", "internal error")
}

// codeOf is the one mapping from fault kinds to gRPC codes.
var codeOf = map[fault.Kind]codes.Code{
	fault.Invalid:         codes.InvalidArgument,
	fault.NotFound:        codes.NotFound,
	fault.Conflict:        codes.AlreadyExists,
	fault.Precondition:    codes.FailedPrecondition,
	fault.Aborted:         codes.Aborted,
	fault.Exhausted:       codes.ResourceExhausted,
	fault.Unauthenticated: codes.Unauthenticated,
	fault.Permission:      codes.PermissionDenied,
	fault.Unavailable:     codes.Unavailable,
}

// Status maps err to what a gRPC handler returns: a *fault.Fault becomes its
// code with ErrorInfo{reason, domain, metadata}; a status error passes
// through; anything else is logged and answered as an opaque INTERNAL.
func Status(ctx context.Context, domain string, err error) error {
	if err == nil {
		return nil
	}
	f, ok := fault.As(err)
	if !ok {
		return Internal(ctx, err)
	}
	c, ok := codeOf[f.Kind]
	if !ok {
		return Internal(ctx, err)
	}
	st := status.New(c, f.Msg)
	info := &errdetails.ErrorInfo{Reason: string(f.Reason), Domain: domain, Metadata: f.Meta}
	if withInfo, err := st.WithDetails(info); err == nil {
		st = withInfo
	}
	return st.Err()
}

// Fault reads a status error from another service back into a fault, so a
// caller can branch on the reason (OUT_OF_STOCK) with fault.ReasonOf. Errors
// without ErrorInfo come back unchanged; UNAVAILABLE stays retryable.
func Fault(err error) error {
	st, ok := status.FromError(err)
	if !ok || st == nil {
		return err
	}
	info, ok := Info(err)
	if !ok {
		return err
	}
	for k, c := range codeOf {
		if c == st.Code() {
			return &fault.Fault{Kind: k, Reason: fault.Reason(info.Reason), Msg: st.Message(), Meta: info.Metadata}
		}
	}
	return err
}
