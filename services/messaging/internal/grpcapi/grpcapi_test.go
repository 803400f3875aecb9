package grpcapi_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/grpcserver"
	"siyu.dev/pkg/testkit"
	messagingv1 "siyu.dev/proto/siyu/messaging/v1"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
	"siyu.dev/services/messaging/internal/grpcapi"
	"siyu.dev/services/messaging/internal/memstore"
)

type members struct{}

func (members) Contact(_ context.Context, id string) (app.Contact, error) {
	if id == "ghost" {
		return app.Contact{}, fault.New(fault.NotFound, "MEMBER_NOT_FOUND", "no member")
	}
	return app.Contact{Consent: map[domain.Channel]bool{domain.ChannelInApp: true}}, nil
}

func (members) Segment(_ context.Context, _ string, fn func(string) error) error {
	for _, id := range []string{"alice", "bob"} {
		if err := fn(id); err != nil {
			return err
		}
	}
	return nil
}

func expect(t *testing.T, what string, err error, code codes.Code, reason string) {
	t.Helper()
	if status.Code(err) != code || errs.Reason(err) != reason {
		t.Errorf("%s: got %v (%s), want %v %s", what, status.Code(err), errs.Reason(err), code, reason)
	}
}

func TestMessagingAPI(t *testing.T) {
	ctx := context.Background()
	privPEM, pubPEM, _ := auth.GenerateKeyPEM()
	priv, _ := auth.ParsePrivateKeyPEM(privPEM)
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := memstore.New()
	clk := clock.System
	senders := map[domain.Channel]app.Sender{domain.ChannelInApp: app.NewInboxChannel(store.Inboxes(), clk)}
	x := app.NewDispatcher(store.Deliveries(), store.Settings(), members{}, senders, domain.DefaultPolicy(), domain.DefaultRetry(), clk)
	notifier := app.NewNotifier(store.Rules(), store.Templates(), store.Deliveries(), x, clk, log)
	admin := app.NewAdmin(store.Templates(), store.Rules(), store.Deliveries(), x, clk)
	if err := admin.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	runner := app.NewBroadcastRunner(store.Broadcasts(), store.Templates(), store.Deliveries(), x, members{}, clk, func(context.Context, time.Duration) error { return nil }, log)
	srv := grpcserver.New(grpcserver.Options{Service: "messaging", Logger: log, Verifier: auth.NewVerifier(pub, "siyu", clk), Policy: grpcapi.Policy})
	grpcapi.Register(srv.GRPC(), grpcapi.Services{Inbox: app.NewInbox(store.Inboxes(), store.Settings()), Admin: admin, Broadcasts: runner})
	conn := testkit.BufconnServer(t, srv)
	iss := auth.NewIssuer(priv, "siyu", clk)
	as := func(id auth.Identity) context.Context {
		s, _, _ := iss.Issue(id, time.Hour)
		return auth.OutgoingToken(ctx, s)
	}
	alice := as(auth.Identity{Subject: "alice", Kind: auth.KindMember})
	bob := as(auth.Identity{Subject: "bob", Kind: auth.KindMember})
	op := as(auth.Identity{Subject: "op", Kind: auth.KindAdmin, Roles: []string{auth.RoleOperator}})
	cs := as(auth.Identity{Subject: "cs", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})
	inbox := messagingv1.NewInboxServiceClient(conn)
	templates := messagingv1.NewTemplateServiceClient(conn)
	rules := messagingv1.NewNotificationRuleServiceClient(conn)
	deliveries := messagingv1.NewDeliveryServiceClient(conn)
	broadcasts := messagingv1.NewBroadcastServiceClient(conn)

	for _, id := range []string{"o1.paid", "o2.paid", "o3.paid"} {
		if err := notifier.Handle(ctx, app.Event{ID: id, Type: domain.EventOrderPaid, MemberID: "alice", Vars: map[string]string{"order_id": id, "amount": "1.00"}}); err != nil {
			t.Fatal(err)
		}
	}
	_ = notifier.Handle(ctx, app.Event{ID: "b1.paid", Type: domain.EventOrderPaid, MemberID: "bob", Vars: map[string]string{"order_id": "b1", "amount": "2.00"}})

	_, err := inbox.ListMyMessages(ctx, &messagingv1.ListMyMessagesRequest{})
	expect(t, "no token", err, codes.Unauthenticated, "TOKEN_MISSING")
	_, err = inbox.ListMyMessages(op, &messagingv1.ListMyMessagesRequest{})
	expect(t, "operator on the inbox", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = inbox.ListMyMessages(alice, &messagingv1.ListMyMessagesRequest{PageSize: -1})
	expect(t, "negative page size", err, codes.InvalidArgument, "PAGE_SIZE_INVALID")
	page, err := inbox.ListMyMessages(alice, &messagingv1.ListMyMessagesRequest{PageSize: 2})
	if err != nil || len(page.GetMessages()) != 2 || page.GetUnreadCount() != 3 || page.GetNextPageToken() == "" {
		t.Fatalf("page 1: %v %v", page, err)
	}
	_, err = inbox.ListMyMessages(bob, &messagingv1.ListMyMessagesRequest{PageToken: page.GetNextPageToken()})
	expect(t, "alice's page token for bob", err, codes.InvalidArgument, "PAGE_TOKEN_INVALID")
	rest, err := inbox.ListMyMessages(alice, &messagingv1.ListMyMessagesRequest{PageSize: 2, PageToken: page.GetNextPageToken()})
	if err != nil || len(rest.GetMessages()) != 1 || rest.GetNextPageToken() != "" {
		t.Fatalf("page 2: %v %v", rest, err)
	}
	aliceMsg := page.GetMessages()[0].GetMessageId()
	// BOLA: bob names alice's message: NOT_FOUND, and nothing changes.
	_, err = inbox.MarkMessagesRead(bob, &messagingv1.MarkMessagesReadRequest{MessageIds: []string{aliceMsg}})
	expect(t, "bob marks alice's message", err, codes.NotFound, "MESSAGE_NOT_FOUND")
	_, err = inbox.DeleteMyMessage(bob, &messagingv1.DeleteMyMessageRequest{MessageId: aliceMsg})
	expect(t, "bob deletes alice's message", err, codes.NotFound, "MESSAGE_NOT_FOUND")
	if r, err := inbox.MarkMessagesRead(alice, &messagingv1.MarkMessagesReadRequest{MessageIds: []string{aliceMsg}}); err != nil || r.GetUnreadCount() != 2 {
		t.Fatalf("mark read: %v %v", r, err)
	}
	if r, err := inbox.DeleteMyMessage(alice, &messagingv1.DeleteMyMessageRequest{MessageId: aliceMsg}); err != nil || r.GetUnreadCount() != 2 {
		t.Fatalf("delete: %v %v", r, err)
	}
	_, err = inbox.DeleteMyMessage(alice, &messagingv1.DeleteMyMessageRequest{MessageId: aliceMsg})
	expect(t, "delete twice", err, codes.NotFound, "MESSAGE_NOT_FOUND")

	_, err = inbox.SetChannelSubscription(alice, &messagingv1.SetChannelSubscriptionRequest{Channel: "fax"})
	expect(t, "unknown channel", err, codes.InvalidArgument, "CHANNEL_INVALID")
	set, err := inbox.SetChannelSubscription(alice, &messagingv1.SetChannelSubscriptionRequest{Channel: "sms", Subscribed: false})
	if err != nil || len(set.GetSettings().GetUnsubscribedChannels()) != 1 {
		t.Fatalf("unsubscribe: %v %v", set, err)
	}
	_, err = inbox.GrantWechatSubscriptions(alice, &messagingv1.GrantWechatSubscriptionsRequest{})
	expect(t, "empty grant", err, codes.InvalidArgument, "SUBSCRIPTION_INVALID")
	if g, err := inbox.GrantWechatSubscriptions(alice, &messagingv1.GrantWechatSubscriptionsRequest{WechatTemplateIds: []string{"tpl-a", "tpl-a"}}); err != nil || g.GetSettings().GetWechatSubscriptions()["tpl-a"] != 2 {
		t.Fatalf("grant: %v %v", g, err)
	}

	// Templates: customer service reads, only operators write.
	bad := &messagingv1.Template{Id: "promo", Name: "促销", Category: "marketing", InApp: &messagingv1.InAppVariant{Title: "{{discount}}"}}
	_, err = templates.CreateTemplate(cs, &messagingv1.CreateTemplateRequest{Template: bad})
	expect(t, "customer service creates a template", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = templates.CreateTemplate(op, &messagingv1.CreateTemplateRequest{Template: bad})
	expect(t, "undeclared variable", err, codes.InvalidArgument, "TEMPLATE_INVALID")
	bad.Variables = []*messagingv1.TemplateVariable{{Name: "discount", Sample: "8折"}}
	created, err := templates.CreateTemplate(op, &messagingv1.CreateTemplateRequest{Template: bad})
	if err != nil || created.GetTemplate().GetVersion() != 1 {
		t.Fatalf("create: %v %v", created, err)
	}
	_, err = templates.CreateTemplate(op, &messagingv1.CreateTemplateRequest{Template: bad})
	expect(t, "duplicate template", err, codes.AlreadyExists, "TEMPLATE_EXISTS")
	_, err = templates.UpdateTemplate(op, &messagingv1.UpdateTemplateRequest{Template: bad})
	expect(t, "update at version 0", err, codes.FailedPrecondition, "TEMPLATE_VERSION_MISMATCH")
	pv, err := templates.PreviewTemplate(cs, &messagingv1.PreviewTemplateRequest{TemplateId: "promo", Variables: map[string]string{"discount": "7折"}})
	if err != nil || pv.GetRendered()[0].GetTitle() != "7折" {
		t.Fatalf("preview: %v %v", pv, err)
	}
	_, err = templates.PreviewTemplate(cs, &messagingv1.PreviewTemplateRequest{TemplateId: "promo", Channels: []string{"sms"}})
	expect(t, "preview a channel without a variant", err, codes.FailedPrecondition, "TEMPLATE_CHANNEL_MISSING")
	_, err = templates.GetTemplate(cs, &messagingv1.GetTemplateRequest{TemplateId: "nope"})
	expect(t, "unknown template", err, codes.NotFound, "TEMPLATE_NOT_FOUND")
	_, err = templates.DeleteTemplate(op, &messagingv1.DeleteTemplateRequest{TemplateId: "order_paid"})
	expect(t, "delete a template in use", err, codes.FailedPrecondition, "TEMPLATE_IN_USE")

	_, err = rules.SetNotificationRule(op, &messagingv1.SetNotificationRuleRequest{Rule: &messagingv1.NotificationRule{EventType: "order.lost"}})
	expect(t, "unknown event type", err, codes.InvalidArgument, "EVENT_TYPE_UNKNOWN")
	_, err = rules.SetNotificationRule(op, &messagingv1.SetNotificationRuleRequest{Rule: &messagingv1.NotificationRule{EventType: "order.paid",
		Targets: []*messagingv1.RuleTarget{{TemplateId: "nope", Channels: []string{"in_app"}}}}})
	expect(t, "rule with an unknown template", err, codes.NotFound, "TEMPLATE_NOT_FOUND")
	if l, err := rules.ListNotificationRules(cs, &messagingv1.ListNotificationRulesRequest{}); err != nil || len(l.GetRules()) != 9 {
		t.Fatalf("rules: %v %v", l, err)
	}

	_, err = deliveries.ListDeliveries(alice, &messagingv1.ListDeliveriesRequest{})
	expect(t, "member reads the delivery log", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = deliveries.ListDeliveries(cs, &messagingv1.ListDeliveriesRequest{Status: "lost"})
	expect(t, "unknown status", err, codes.InvalidArgument, "DELIVERY_STATUS_INVALID")
	log1, err := deliveries.ListDeliveries(cs, &messagingv1.ListDeliveriesRequest{MemberId: "alice", Status: "sent", PageSize: 2})
	if err != nil || len(log1.GetDeliveries()) != 2 || log1.GetNextPageToken() == "" || log1.GetDeliveries()[0].GetStatus() != "sent" {
		t.Fatalf("delivery log: %v %v", log1, err)
	}
	log2, err := deliveries.ListDeliveries(cs, &messagingv1.ListDeliveriesRequest{MemberId: "alice", Status: "sent", PageSize: 2, PageToken: log1.GetNextPageToken()})
	if err != nil || len(log2.GetDeliveries()) != 1 {
		t.Fatalf("delivery log page 2: %v %v", log2, err)
	}
	_, err = deliveries.ListDeliveries(cs, &messagingv1.ListDeliveriesRequest{MemberId: "bob", PageToken: log1.GetNextPageToken()})
	expect(t, "a token of another filter", err, codes.InvalidArgument, "PAGE_TOKEN_INVALID")
	if dl, err := deliveries.ListDeadLetters(cs, &messagingv1.ListDeadLettersRequest{}); err != nil || len(dl.GetDeliveries()) != 0 {
		t.Fatalf("dead letters: %v %v", dl, err)
	}

	_, err = broadcasts.CreateBroadcast(op, &messagingv1.CreateBroadcastRequest{Broadcast: &messagingv1.Broadcast{SegmentId: "s", TemplateId: "promo"}})
	expect(t, "broadcast without request id", err, codes.InvalidArgument, "REQUEST_ID_REQUIRED")
	_, err = broadcasts.CreateBroadcast(op, &messagingv1.CreateBroadcastRequest{RequestId: "r0", Broadcast: &messagingv1.Broadcast{SegmentId: "s", TemplateId: "order_paid", Channels: []string{"in_app"}, PerMinute: 60}})
	expect(t, "broadcast of a transactional template", err, codes.InvalidArgument, "BROADCAST_INVALID")
	_, err = broadcasts.CreateBroadcast(cs, &messagingv1.CreateBroadcastRequest{RequestId: "r1"})
	expect(t, "customer service broadcasts", err, codes.PermissionDenied, "ROLE_REQUIRED")
	b, err := broadcasts.CreateBroadcast(op, &messagingv1.CreateBroadcastRequest{RequestId: "r1", Broadcast: &messagingv1.Broadcast{SegmentId: "s", TemplateId: "promo", Channels: []string{"in_app"}, PerMinute: 600}})
	if err != nil || b.GetBroadcast().GetStatus() != "scheduled" {
		t.Fatalf("broadcast: %v %v", b, err)
	}
	if err := runner.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := broadcasts.GetBroadcast(cs, &messagingv1.GetBroadcastRequest{BroadcastId: b.GetBroadcast().GetBroadcastId()})
	if err != nil || got.GetBroadcast().GetStatus() != "done" || got.GetBroadcast().GetSent() != 2 || got.GetBroadcast().GetMembers() != 2 {
		t.Fatalf("broadcast after the run: %v %v", got, err)
	}
	_, err = broadcasts.CancelBroadcast(op, &messagingv1.CancelBroadcastRequest{BroadcastId: b.GetBroadcast().GetBroadcastId()})
	expect(t, "cancel a finished broadcast", err, codes.FailedPrecondition, "BROADCAST_FINISHED")
	_, err = broadcasts.GetBroadcast(cs, &messagingv1.GetBroadcastRequest{BroadcastId: "bc_none"})
	expect(t, "unknown broadcast", err, codes.NotFound, "BROADCAST_NOT_FOUND")
}
