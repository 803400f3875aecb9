package events

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/natsx"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/domain"
)

// Subjects of the loyalty events.
const (
	SubjectPointsChanged  = memberv1.SubjectPointsChanged
	SubjectSignedIn       = memberv1.SubjectSignedIn
	SubjectLevelChanged   = memberv1.SubjectLevelChanged
	SubjectTagged         = memberv1.SubjectTagged
	SubjectPointsExpiring = memberv1.SubjectPointsExpiring
)

// AccountChanges builds the events of one account write. Event ids derive
// from the ledger sequence, the day or the account version, so a retried
// write of the same change carries the same ids (JetStream drops repeats).
func AccountChanges(ctx context.Context, memberID string, version int64, ch domain.AccountChanges) ([]natsx.Event, error) {
	var out []natsx.Event
	for _, e := range ch.Entries {
		ev, err := natsx.NewEvent(ctx, SubjectPointsChanged, fmt.Sprintf("%s:points:%d", memberID, e.Seq), &memberv1.MemberPointsChanged{
			EventId: fmt.Sprintf("%s:points:%d", memberID, e.Seq), OccurredAt: timestamppb.New(e.At), MemberId: memberID, Seq: e.Seq, Kind: e.Kind,
			Delta: e.Delta, FrozenDelta: e.FrozenDelta, AvailablePoints: e.Available, FrozenPoints: e.Frozen, Reason: e.Reason, SourceId: e.Source,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	if s := ch.SignedIn; s != nil && !s.Already {
		id := memberID + ":signin:" + s.Day
		ev, err := natsx.NewEvent(ctx, SubjectSignedIn, id, &memberv1.MemberSignedIn{
			EventId: id, OccurredAt: timestamppb.New(ch.At), MemberId: memberID, Day: s.Day, Streak: int32(s.Streak), Points: s.Points,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	if l := ch.Level; l != nil {
		id := fmt.Sprintf("%s:level:%d", memberID, version)
		ev, err := natsx.NewEvent(ctx, SubjectLevelChanged, id, &memberv1.MemberLevelChanged{
			EventId: id, OccurredAt: timestamppb.New(ch.At), MemberId: memberID, PreviousTierId: l.From, TierId: l.To, Growth: l.Growth,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	if x := ch.Expiring; x != nil {
		id := fmt.Sprintf("%s:expiring:%d", memberID, x.At.Unix())
		ev, err := natsx.NewEvent(ctx, SubjectPointsExpiring, id, &memberv1.MemberPointsExpiring{
			EventId: id, OccurredAt: timestamppb.New(ch.At), MemberId: memberID, Points: x.Points, ExpiresAt: timestamppb.New(x.At),
		})
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	for _, c := range ch.Tags {
		id := fmt.Sprintf("%s:tag:%d:%s:%t", memberID, version, c.ID, c.Added)
		ev, err := natsx.NewEvent(ctx, SubjectTagged, id, &memberv1.MemberTagged{
			EventId: id, OccurredAt: timestamppb.New(ch.At), MemberId: memberID, TagId: c.ID, Added: c.Added, Source: c.Source,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}
