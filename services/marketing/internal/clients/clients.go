// Package clients are the marketing service's adapters to the member
// service, called with the service's own short-lived token.
package clients

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	memberv1 "siyu.dev/proto/siyu/member/v1"
)

// Members streams segments from the member service.
type Members struct {
	segments memberv1.SegmentServiceClient
	tokens   *auth.ServiceToken
}

// NewMembers uses conn to the member service.
func NewMembers(conn grpc.ClientConnInterface, tokens *auth.ServiceToken) *Members {
	return &Members{segments: memberv1.NewSegmentServiceClient(conn), tokens: tokens}
}

// Segment streams the segment's member ids to fn, stopping at fn's first error.
func (m *Members) Segment(ctx context.Context, segmentID string, fn func(memberID string) error) error {
	sctx, err := m.tokens.As(ctx)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(sctx)
	defer cancel()
	stream, err := m.segments.StreamSegmentMembers(sctx, &memberv1.StreamSegmentMembersRequest{SegmentId: segmentID})
	if err != nil {
		return errs.Fault(err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errs.Fault(err)
		}
		if err := fn(resp.GetMember().GetMemberId()); err != nil {
			return err
		}
	}
}
