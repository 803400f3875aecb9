package memberv1

import (
	"context"
	"errors"
	"io"
)

// EachSegmentMember streams a saved segment's member ids to fn (in member
// id order), stopping at fn's first error, which it returns as is; a
// stream error comes back as the gRPC status. Other services' clients
// share it. Written by hand, beside the generated code.
func EachSegmentMember(ctx context.Context, c SegmentServiceClient, segmentID string, fn func(memberID string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.StreamSegmentMembers(ctx, &StreamSegmentMembersRequest{SegmentId: segmentID})
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(resp.GetMember().GetMemberId()); err != nil {
			return err
		}
	}
}
