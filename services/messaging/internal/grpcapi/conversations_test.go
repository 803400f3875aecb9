package grpcapi_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/grpcserver"
	"siyu.dev/pkg/testkit"
	messagingv1 "siyu.dev/proto/siyu/messaging/v1"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/grpcapi"
	"siyu.dev/services/messaging/internal/mongostore"
)

// TestConversationsAPI runs customer service on the embedded store: a
// member opens a conversation with a product card, an operator picks it
// from the queue, replies and transfers it, unread counts move on both
// sides, and another member's conversation is NOT_FOUND.
func TestConversationsAPI(t *testing.T) {
	ctx := context.Background()
	privPEM, pubPEM, _ := auth.GenerateKeyPEM()
	priv, _ := auth.ParsePrivateKeyPEM(privPEM)
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	convs := mongostore.NewConversations(testkit.DB(t))
	if err := convs.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	srv := grpcserver.New(grpcserver.Options{Service: "messaging", Logger: log, Verifier: auth.NewVerifier(pub, "siyu", clock.System), Policy: grpcapi.Policy})
	grpcapi.Register(srv.GRPC(), grpcapi.Services{Conversations: app.NewConversations(convs.Store(), convs.QuickReplies(), convs.Faqs(), clock.System)})
	conn := testkit.BufconnServer(t, srv)
	iss := auth.NewIssuer(priv, "siyu", clock.System)
	as := func(id auth.Identity) context.Context {
		s, _, _ := iss.Issue(id, time.Hour)
		return auth.OutgoingToken(ctx, s)
	}
	alice := as(auth.Identity{Subject: "alice", Kind: auth.KindMember})
	bob := as(auth.Identity{Subject: "bob", Kind: auth.KindMember})
	cs := as(auth.Identity{Subject: "cs-1", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})
	op := as(auth.Identity{Subject: "op-1", Kind: auth.KindAdmin, Roles: []string{auth.RoleOperator}})
	svc := as(auth.Identity{Subject: "some-service", Kind: auth.KindService})
	member := messagingv1.NewConversationServiceClient(conn)
	admin := messagingv1.NewConversationAdminServiceClient(conn)

	_, err := member.OpenConversation(alice, &messagingv1.OpenConversationRequest{Message: &messagingv1.NewConversationMessage{Text: "  "}})
	expect(t, "empty text", err, codes.InvalidArgument, "CONVERSATION_MESSAGE_INVALID")
	_, err = member.OpenConversation(alice, &messagingv1.OpenConversationRequest{Message: &messagingv1.NewConversationMessage{Kind: "order"}})
	expect(t, "order card without an id", err, codes.InvalidArgument, "CONVERSATION_MESSAGE_INVALID")
	_, err = member.OpenConversation(cs, &messagingv1.OpenConversationRequest{Message: &messagingv1.NewConversationMessage{Text: "hi"}})
	expect(t, "staff opens as a member", err, codes.PermissionDenied, "ROLE_REQUIRED")

	// Two opens at once agree on one conversation.
	var wg sync.WaitGroup
	ids := make([]string, 2)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := member.OpenConversation(alice, &messagingv1.OpenConversationRequest{Message: &messagingv1.NewConversationMessage{Kind: "product", RefId: "p-1", Text: "有货吗？"}})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = r.GetConversation().GetConversationId()
		}()
	}
	wg.Wait()
	if ids[0] == "" || ids[0] != ids[1] {
		t.Fatalf("two opens made %v", ids)
	}
	id := ids[0]

	_, err = member.GetMyConversation(bob, &messagingv1.GetMyConversationRequest{ConversationId: id})
	expect(t, "bob reads alice's conversation", err, codes.NotFound, "CONVERSATION_NOT_FOUND")
	_, err = member.SendConversationMessage(bob, &messagingv1.SendConversationMessageRequest{ConversationId: id, Message: &messagingv1.NewConversationMessage{Text: "x"}})
	expect(t, "bob writes into alice's conversation", err, codes.NotFound, "CONVERSATION_NOT_FOUND")

	queue, err := admin.ListConversations(cs, &messagingv1.ListConversationsRequest{Assignee: "none"})
	if err != nil || len(queue.GetConversations()) != 1 || queue.GetConversations()[0].GetUnreadByStaff() != 2 || queue.GetConversations()[0].GetLastMessage().GetRefId() != "p-1" {
		t.Fatalf("queue: %v %v", queue, err)
	}
	_, err = admin.ReplyConversation(svc, &messagingv1.ReplyConversationRequest{ConversationId: id, Message: &messagingv1.NewConversationMessage{Text: "有"}})
	expect(t, "a service replies", err, codes.PermissionDenied, "OPERATOR_REQUIRED")
	r, err := admin.ReplyConversation(cs, &messagingv1.ReplyConversationRequest{ConversationId: id, Message: &messagingv1.NewConversationMessage{Text: "有货，今天下单明天发"}})
	if err != nil || r.GetConversation().GetAssignee() != "cs-1" || r.GetConversation().GetUnreadByStaff() != 0 || r.GetConversation().GetUnreadByMember() != 1 {
		t.Fatalf("reply: %v %v", r, err)
	}
	mine, err := member.ListMyConversations(alice, &messagingv1.ListMyConversationsRequest{})
	if err != nil || mine.GetUnreadCount() != 1 || len(mine.GetConversations()) != 1 || len(mine.GetConversations()[0].GetMessages()) != 0 {
		t.Fatalf("alice's list: %v %v", mine, err)
	}
	got, err := member.GetMyConversation(alice, &messagingv1.GetMyConversationRequest{ConversationId: id})
	if err != nil || len(got.GetConversation().GetMessages()) != 3 || got.GetConversation().GetUnreadByMember() != 0 {
		t.Fatalf("alice reads: %v %v", got, err)
	}
	_, err = admin.TransferConversation(cs, &messagingv1.TransferConversationRequest{ConversationId: id})
	expect(t, "transfer to nobody", err, codes.InvalidArgument, "CONVERSATION_MESSAGE_INVALID")
	if tr, err := admin.TransferConversation(cs, &messagingv1.TransferConversationRequest{ConversationId: id, OperatorId: "op-1"}); err != nil || tr.GetConversation().GetAssignee() != "op-1" {
		t.Fatalf("transfer: %v %v", tr, err)
	}
	if q, _ := admin.ListConversations(op, &messagingv1.ListConversationsRequest{Assignee: "me"}); len(q.GetConversations()) != 1 {
		t.Fatalf("op-1's queue: %v", q)
	}
	if _, err := admin.CloseConversation(op, &messagingv1.CloseConversationRequest{ConversationId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = member.SendConversationMessage(alice, &messagingv1.SendConversationMessageRequest{ConversationId: id, Message: &messagingv1.NewConversationMessage{Text: "还在吗"}})
	expect(t, "writing into a closed conversation", err, codes.FailedPrecondition, "CONVERSATION_CLOSED")
	again, err := member.OpenConversation(alice, &messagingv1.OpenConversationRequest{Message: &messagingv1.NewConversationMessage{Text: "还在吗"}})
	if err != nil || again.GetConversation().GetConversationId() == id {
		t.Fatalf("a new conversation after the close: %v %v", again, err)
	}
	// Alice deletes her account: her conversations go with her.
	if err := app.NewConversations(convs.Store(), convs.QuickReplies(), convs.Faqs(), clock.System).Forget(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	_, err = admin.GetConversation(cs, &messagingv1.GetConversationRequest{ConversationId: id})
	expect(t, "a forgotten conversation", err, codes.NotFound, "CONVERSATION_NOT_FOUND")
	if l, _ := member.ListMyConversations(alice, &messagingv1.ListMyConversationsRequest{}); len(l.GetConversations()) != 0 {
		t.Fatalf("alice's conversations after the deletion: %v", l)
	}
	_, err = admin.GetConversation(cs, &messagingv1.GetConversationRequest{ConversationId: "cv_none"})
	expect(t, "unknown conversation", err, codes.NotFound, "CONVERSATION_NOT_FOUND")

	// Quick replies and FAQ.
	_, err = admin.SetQuickReply(cs, &messagingv1.SetQuickReplyRequest{QuickReply: &messagingv1.QuickReply{QuickReplyId: "ship", Title: "发货", Text: "48 小时内发货"}})
	expect(t, "customer service writes a quick reply", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = admin.SetQuickReply(op, &messagingv1.SetQuickReplyRequest{QuickReply: &messagingv1.QuickReply{QuickReplyId: "ship"}})
	expect(t, "quick reply without title", err, codes.InvalidArgument, "QUICK_REPLY_INVALID")
	if _, err := admin.SetQuickReply(op, &messagingv1.SetQuickReplyRequest{QuickReply: &messagingv1.QuickReply{QuickReplyId: "ship", Title: "发货", Text: "48 小时内发货"}}); err != nil {
		t.Fatal(err)
	}
	if l, err := admin.ListQuickReplies(cs, &messagingv1.ListQuickRepliesRequest{}); err != nil || len(l.GetQuickReplies()) != 1 {
		t.Fatalf("quick replies: %v %v", l, err)
	}
	_, err = admin.SetFaq(op, &messagingv1.SetFaqRequest{Faq: &messagingv1.Faq{FaqId: "return"}})
	expect(t, "faq without question", err, codes.InvalidArgument, "FAQ_INVALID")
	_, _ = admin.SetFaq(op, &messagingv1.SetFaqRequest{Faq: &messagingv1.Faq{FaqId: "return", Question: "如何退货？", Answer: "收货 7 天内在订单页申请", Keywords: []string{"退款"}}})
	_, _ = admin.SetFaq(op, &messagingv1.SetFaqRequest{Faq: &messagingv1.Faq{FaqId: "ship", Question: "多久发货？", Answer: "48 小时内"}})
	for q, want := range map[string]int{"退货": 1, "退款": 1, "小时": 1, "": 2, "退货 小时": 0} {
		if r, err := member.SearchFaqs(ctx, &messagingv1.SearchFaqsRequest{Query: q}); err != nil || len(r.GetFaqs()) != want {
			t.Errorf("search %q: %v %v, want %d", q, r, err, want)
		}
	}
}
