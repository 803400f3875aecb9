package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/natsx"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/app"
	"siyu.dev/services/member/internal/events"
)

// DurableFacts reads the member service's own registrations and logins.
const DurableFacts = "member-facts"

// StartMembers consumes member.registered, logged_in, blocked and deleted
// from the service's own stream: registration date and channel, and visits,
// feed tag rules and segments; an invitation earns the inviter points;
// blocked and deleted members drop out of every segment. Every update is
// idempotent.
func StartMembers(ctx context.Context, js jetstream.JetStream, l *app.Loyalty, log *slog.Logger) (stop func(), err error) {
	return natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: events.Stream, Durable: DurableFacts, Subjects: []string{events.SubjectRegistered, events.SubjectLoggedIn, events.SubjectBlocked, events.SubjectDeleted}, Logger: log},
		MemberHandler(l))
}

// MemberHandler applies one member event.
func MemberHandler(l *app.Loyalty) natsx.Handler {
	return func(ctx context.Context, m natsx.Message) error {
		switch m.Subject {
		case events.SubjectRegistered:
			var e memberv1.MemberRegistered
			if err := proto.Unmarshal(m.Data, &e); err != nil {
				return natsx.Permanent(fmt.Errorf("member registered: %w", err))
			}
			if e.GetMemberId() == "" || e.GetOccurredAt() == nil {
				return natsx.Permanent(errors.New("member registered without member or time"))
			}
			return natsx.ByRule(l.MemberRegistered(ctx, e.GetMemberId(), e.GetOccurredAt().AsTime(), e.GetChannel(), e.GetInviterId()))
		case events.SubjectLoggedIn:
			var e memberv1.MemberLoggedIn
			if err := proto.Unmarshal(m.Data, &e); err != nil {
				return natsx.Permanent(fmt.Errorf("member logged in: %w", err))
			}
			if e.GetMemberId() == "" || e.GetOccurredAt() == nil {
				return natsx.Permanent(errors.New("member logged in without member or time"))
			}
			return natsx.ByRule(l.MemberVisited(ctx, e.GetMemberId(), e.GetOccurredAt().AsTime()))
		case events.SubjectBlocked:
			var e memberv1.MemberBlocked
			if err := proto.Unmarshal(m.Data, &e); err != nil || e.GetMemberId() == "" || e.GetOccurredAt() == nil {
				return natsx.Permanent(fmt.Errorf("member blocked: malformed (%v)", err))
			}
			return natsx.ByRule(l.MemberBlocked(ctx, e.GetMemberId(), e.GetOccurredAt().AsTime(), e.GetBlocked()))
		case events.SubjectDeleted:
			var e memberv1.MemberDeleted
			if err := proto.Unmarshal(m.Data, &e); err != nil || e.GetMemberId() == "" {
				return natsx.Permanent(fmt.Errorf("member deleted: malformed (%v)", err))
			}
			return natsx.ByRule(l.MemberDeleted(ctx, e.GetMemberId()))
		}
		return nil
	}
}
