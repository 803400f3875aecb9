// Package events turns the member domain's events into protobuf events on
// the MEMBER stream.
package events

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/natsx"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/domain"
)

// Stream and subjects of the member service, declared with its contract.
const (
	Stream            = memberv1.Stream
	SubjectRegistered = memberv1.SubjectRegistered
	SubjectLoggedIn   = memberv1.SubjectLoggedIn
	SubjectDeleted    = memberv1.SubjectDeleted
	SubjectBlocked    = memberv1.SubjectBlocked
)

// Subjects the stream holds.
var Subjects = []string{memberv1.StreamSubjects}

// Registered builds siyu.member.registered.
func Registered(ctx context.Context, e domain.Registered) (natsx.Event, error) {
	return natsx.NewEvent(ctx, SubjectRegistered, e.EventID, &memberv1.MemberRegistered{
		EventId: e.EventID, OccurredAt: timestamppb.New(e.At), MemberId: e.MemberID, Channel: e.Channel, InviterId: e.InviterID,
	})
}

// LoggedIn builds siyu.member.logged_in.
func LoggedIn(ctx context.Context, e domain.LoggedIn) (natsx.Event, error) {
	return natsx.NewEvent(ctx, SubjectLoggedIn, e.EventID, &memberv1.MemberLoggedIn{
		EventId: e.EventID, OccurredAt: timestamppb.New(e.At), MemberId: e.MemberID, Method: e.Method,
	})
}

// Deleted builds siyu.member.deleted.
func Deleted(ctx context.Context, e domain.Deleted) (natsx.Event, error) {
	return natsx.NewEvent(ctx, SubjectDeleted, e.EventID, &memberv1.MemberDeleted{
		EventId: e.EventID, OccurredAt: timestamppb.New(e.At), MemberId: e.MemberID,
	})
}

// Blocked builds siyu.member.blocked.
func Blocked(ctx context.Context, e domain.BlockChanged) (natsx.Event, error) {
	return natsx.NewEvent(ctx, SubjectBlocked, e.EventID, &memberv1.MemberBlocked{
		EventId: e.EventID, OccurredAt: timestamppb.New(e.At), MemberId: e.MemberID, Blocked: e.Blocked, Operator: e.Operator, Reason: e.Reason,
	})
}
