// Package clients calls other services for the messaging service.
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

// Segments streams member segments from the member service with the
// messaging service's own identity (the stream is service-only).
type Segments struct {
	client memberv1.SegmentServiceClient
	token  *auth.ServiceToken
}

// NewSegments calls the member service on conn.
func NewSegments(conn grpc.ClientConnInterface, token *auth.ServiceToken) *Segments {
	return &Segments{client: memberv1.NewSegmentServiceClient(conn), token: token}
}

// Each calls fn with every consenting member of the segment.
func (s *Segments) Each(ctx context.Context, segmentID string, consents []string, fn func(memberID string) error) error {
	ctx, err := s.token.As(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := s.client.StreamSegmentMembers(ctx, &memberv1.StreamSegmentMembersRequest{SegmentId: segmentID, Consents: consents})
	if err != nil {
		return errs.Fault(err)
	}
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errs.Fault(err)
		}
		if err := fn(m.GetMember().GetMemberId()); err != nil {
			return err
		}
	}
}
