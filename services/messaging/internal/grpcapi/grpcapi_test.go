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
	"siyu.dev/pkg/grpcserver"
	"siyu.dev/pkg/testkit"
	messagingv1 "siyu.dev/proto/siyu/messaging/v1"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/channels"
	"siyu.dev/services/messaging/internal/domain"
	"siyu.dev/services/messaging/internal/grpcapi"
	"siyu.dev/services/messaging/internal/mongostore"
)

func want(t *testing.T, what string, err error, code codes.Code, reason string) {
	t.Helper()
	if status.Code(err) != code || errs.Reason(err) != reason {
		t.Errorf("%s: got %v %q, want %v %q", what, status.Code(err), errs.Reason(err), code, reason)
	}
}

func TestInboxAPI(t *testing.T) {
	privPEM, pubPEM, _ := auth.GenerateKeyPEM()
	priv, _ := auth.ParsePrivateKeyPEM(privPEM)
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	store := mongostore.New(testkit.DB(t))
	notifier := app.NewNotifier(domain.DefaultRules(nil), domain.DefaultPolicy(), store, store, store, channels.WechatSandbox{}, clock.System)
	srv := grpcserver.New(grpcserver.Options{Service: "messaging", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Verifier: auth.NewVerifier(pub, "siyu", clock.System), Policy: grpcapi.Policy})
	grpcapi.Register(srv.GRPC(), app.NewInboxes(store, store), notifier, app.NewBroadcasts(store, nil, notifier, domain.DefaultPolicy(), clock.System))
	conn := testkit.BufconnServer(t, srv)
	inbox, admin := messagingv1.NewInboxServiceClient(conn), messagingv1.NewMessagingAdminServiceClient(conn)
	iss := auth.NewIssuer(priv, "siyu", clock.System)
	as := func(id auth.Identity) context.Context {
		tok, _, _ := iss.Issue(id, time.Hour)
		return auth.OutgoingToken(context.Background(), tok)
	}
	alice, bob := as(auth.Identity{Subject: "m-alice", Kind: auth.KindMember}), as(auth.Identity{Subject: "m-bob", Kind: auth.KindMember})
	cs := as(auth.Identity{Subject: "admin:cs", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})

	for i, ev := range []string{"o1.paid", "o2.paid", "o3.paid"} {
		if err := notifier.Notify(context.Background(), app.Notice{EventID: ev, EventType: domain.EventOrderPaid, MemberID: "m-alice", At: time.Now().Add(time.Duration(i) * time.Second),
			Vars: map[string]string{"order_id": ev, "amount": "1.00", "title": "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := inbox.ListMyMessages(alice, &messagingv1.ListMyMessagesRequest{PageSize: 2})
	if err != nil || len(page.GetMessages()) != 2 || page.GetUnreadCount() != 3 || page.GetNextPageToken() == "" {
		t.Fatalf("first page: %v %v", page, err)
	}
	rest, err := inbox.ListMyMessages(alice, &messagingv1.ListMyMessagesRequest{PageSize: 2, PageToken: page.GetNextPageToken()})
	if err != nil || len(rest.GetMessages()) != 1 || rest.GetNextPageToken() != "" {
		t.Fatalf("second page: %v %v", rest, err)
	}
	_, err = inbox.ListMyMessages(alice, &messagingv1.ListMyMessagesRequest{PageToken: "!"})
	want(t, "forged token", err, codes.InvalidArgument, "PAGE_TOKEN_INVALID")
	_, err = inbox.ListMyMessages(alice, &messagingv1.ListMyMessagesRequest{PageSize: -1})
	want(t, "negative size", err, codes.InvalidArgument, "PAGE_SIZE_INVALID")
	_, err = inbox.ListMyMessages(context.Background(), &messagingv1.ListMyMessagesRequest{})
	want(t, "no token", err, codes.Unauthenticated, "TOKEN_MISSING")

	id := page.GetMessages()[0].GetMessageId()
	_, err = inbox.MarkMyMessagesRead(bob, &messagingv1.MarkMyMessagesReadRequest{MessageIds: []string{id}})
	want(t, "another member's message", err, codes.NotFound, "MESSAGE_NOT_FOUND")
	_, err = inbox.DeleteMyMessage(bob, &messagingv1.DeleteMyMessageRequest{MessageId: id})
	want(t, "another member's message", err, codes.NotFound, "MESSAGE_NOT_FOUND")
	if r, err := inbox.MarkMyMessagesRead(alice, &messagingv1.MarkMyMessagesReadRequest{All: true}); err != nil || r.GetUnreadCount() != 0 {
		t.Fatalf("all read: %v %v", r, err)
	}
	if r, err := inbox.DeleteMyMessage(alice, &messagingv1.DeleteMyMessageRequest{MessageId: id}); err != nil || r.GetUnreadCount() != 0 {
		t.Fatalf("delete: %v %v", r, err)
	}
	_, err = inbox.DeleteMyMessage(alice, &messagingv1.DeleteMyMessageRequest{MessageId: id})
	want(t, "deleted twice", err, codes.NotFound, "MESSAGE_NOT_FOUND")

	_, err = inbox.ReportSubscriptions(alice, &messagingv1.ReportSubscriptionsRequest{})
	want(t, "empty grant", err, codes.InvalidArgument, "SUBSCRIPTION_INVALID")

	_, err = admin.ListMemberDeliveries(alice, &messagingv1.ListMemberDeliveriesRequest{MemberId: "m-alice"})
	want(t, "a member reads the log", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = admin.ListMemberDeliveries(cs, &messagingv1.ListMemberDeliveriesRequest{})
	want(t, "no member", err, codes.InvalidArgument, "MEMBER_ID_REQUIRED")
	log, err := admin.ListMemberDeliveries(cs, &messagingv1.ListMemberDeliveriesRequest{MemberId: "m-alice"})
	if err != nil || len(log.GetDeliveries()) != 3 || log.GetDeliveries()[0].GetStatus() != "sent" {
		t.Fatalf("delivery log: %v %v", log, err)
	}
}
