package grpcapi

import (
	"context"

	messagingv1 "siyu.dev/proto/siyu/messaging/v1"
	"siyu.dev/services/messaging/internal/domain"
)

func convMessageProto(m domain.ConvMessage) *messagingv1.ConversationMessage {
	return &messagingv1.ConversationMessage{MessageId: m.ID, Sender: m.Sender, OperatorId: m.OperatorID, Kind: m.Kind, Text: m.Text, RefId: m.RefID, CreateTime: ts(m.At)}
}

// conversationProto converts c; lists leave the messages out but the last.
func conversationProto(c domain.Conversation, withMessages bool) *messagingv1.Conversation {
	out := &messagingv1.Conversation{ConversationId: c.ID, MemberId: c.MemberID, Status: c.Status, Assignee: c.Assignee,
		UnreadByMember: int32(c.UnreadByMember), UnreadByStaff: int32(c.UnreadByStaff), CreateTime: ts(c.CreatedAt), UpdateTime: ts(c.UpdatedAt)}
	if n := len(c.Messages); n > 0 {
		out.LastMessage = convMessageProto(c.Messages[n-1])
	}
	if withMessages {
		for _, m := range c.Messages {
			out.Messages = append(out.Messages, convMessageProto(m))
		}
	}
	return out
}

func newMessage(p *messagingv1.NewConversationMessage) (domain.ConvMessage, error) {
	return domain.NewConvMessage(p.GetKind(), p.GetText(), p.GetRefId())
}

func faqProto(f domain.Faq) *messagingv1.Faq {
	return &messagingv1.Faq{FaqId: f.ID, Question: f.Question, Answer: f.Answer, Keywords: f.Keywords}
}

type conversationServer struct {
	messagingv1.UnimplementedConversationServiceServer
	svc Services
}

func (s *conversationServer) OpenConversation(ctx context.Context, req *messagingv1.OpenConversationRequest) (*messagingv1.OpenConversationResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	m, err := newMessage(req.GetMessage())
	if err != nil {
		return nil, status(ctx, err)
	}
	c, err := s.svc.Conversations.Open(ctx, me, m)
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.OpenConversationResponse{Conversation: conversationProto(c, true)}, nil
}

func (s *conversationServer) SendConversationMessage(ctx context.Context, req *messagingv1.SendConversationMessageRequest) (*messagingv1.SendConversationMessageResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	m, err := newMessage(req.GetMessage())
	if err != nil {
		return nil, status(ctx, err)
	}
	c, err := s.svc.Conversations.Send(ctx, me, req.GetConversationId(), m)
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.SendConversationMessageResponse{Conversation: conversationProto(c, true)}, nil
}

func (s *conversationServer) ListMyConversations(ctx context.Context, _ *messagingv1.ListMyConversationsRequest) (*messagingv1.ListMyConversationsResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	list, unread, err := s.svc.Conversations.Mine(ctx, me)
	if err != nil {
		return nil, status(ctx, err)
	}
	out := &messagingv1.ListMyConversationsResponse{UnreadCount: int32(unread)}
	for _, c := range list {
		out.Conversations = append(out.Conversations, conversationProto(c, false))
	}
	return out, nil
}

func (s *conversationServer) GetMyConversation(ctx context.Context, req *messagingv1.GetMyConversationRequest) (*messagingv1.GetMyConversationResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.svc.Conversations.GetMine(ctx, me, req.GetConversationId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.GetMyConversationResponse{Conversation: conversationProto(c, true)}, nil
}

func (s *conversationServer) SearchFaqs(ctx context.Context, req *messagingv1.SearchFaqsRequest) (*messagingv1.SearchFaqsResponse, error) {
	list, err := s.svc.Conversations.SearchFaqs(ctx, req.GetQuery())
	if err != nil {
		return nil, status(ctx, err)
	}
	out := &messagingv1.SearchFaqsResponse{}
	for _, f := range list {
		out.Faqs = append(out.Faqs, faqProto(f))
	}
	return out, nil
}

type conversationAdminServer struct {
	messagingv1.UnimplementedConversationAdminServiceServer
	svc Services
}

func (s *conversationAdminServer) ListConversations(ctx context.Context, req *messagingv1.ListConversationsRequest) (*messagingv1.ListConversationsResponse, error) {
	assignee := req.GetAssignee()
	if assignee == "me" {
		op, err := operator(ctx)
		if err != nil {
			return nil, err
		}
		assignee = op
	}
	list, err := s.svc.Conversations.Queue(ctx, req.GetStatus(), assignee)
	if err != nil {
		return nil, status(ctx, err)
	}
	out := &messagingv1.ListConversationsResponse{}
	for _, c := range list {
		out.Conversations = append(out.Conversations, conversationProto(c, false))
	}
	return out, nil
}

func (s *conversationAdminServer) GetConversation(ctx context.Context, req *messagingv1.GetConversationRequest) (*messagingv1.GetConversationResponse, error) {
	c, err := s.svc.Conversations.Get(ctx, req.GetConversationId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.GetConversationResponse{Conversation: conversationProto(c, true)}, nil
}

func (s *conversationAdminServer) ReplyConversation(ctx context.Context, req *messagingv1.ReplyConversationRequest) (*messagingv1.ReplyConversationResponse, error) {
	op, err := operator(ctx)
	if err != nil {
		return nil, err
	}
	m, err := newMessage(req.GetMessage())
	if err != nil {
		return nil, status(ctx, err)
	}
	c, err := s.svc.Conversations.Reply(ctx, op, req.GetConversationId(), m)
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.ReplyConversationResponse{Conversation: conversationProto(c, true)}, nil
}

func (s *conversationAdminServer) TransferConversation(ctx context.Context, req *messagingv1.TransferConversationRequest) (*messagingv1.TransferConversationResponse, error) {
	c, err := s.svc.Conversations.Transfer(ctx, req.GetConversationId(), req.GetOperatorId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.TransferConversationResponse{Conversation: conversationProto(c, true)}, nil
}

func (s *conversationAdminServer) CloseConversation(ctx context.Context, req *messagingv1.CloseConversationRequest) (*messagingv1.CloseConversationResponse, error) {
	c, err := s.svc.Conversations.Close(ctx, req.GetConversationId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.CloseConversationResponse{Conversation: conversationProto(c, true)}, nil
}

func (s *conversationAdminServer) ListQuickReplies(ctx context.Context, _ *messagingv1.ListQuickRepliesRequest) (*messagingv1.ListQuickRepliesResponse, error) {
	list, err := s.svc.Conversations.QuickReplies(ctx)
	if err != nil {
		return nil, status(ctx, err)
	}
	out := &messagingv1.ListQuickRepliesResponse{}
	for _, q := range list {
		out.QuickReplies = append(out.QuickReplies, &messagingv1.QuickReply{QuickReplyId: q.ID, Title: q.Title, Text: q.Text})
	}
	return out, nil
}

func (s *conversationAdminServer) SetQuickReply(ctx context.Context, req *messagingv1.SetQuickReplyRequest) (*messagingv1.SetQuickReplyResponse, error) {
	p := req.GetQuickReply()
	q, err := s.svc.Conversations.SetQuickReply(ctx, domain.QuickReply{ID: p.GetQuickReplyId(), Title: p.GetTitle(), Text: p.GetText()})
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.SetQuickReplyResponse{QuickReply: &messagingv1.QuickReply{QuickReplyId: q.ID, Title: q.Title, Text: q.Text}}, nil
}

func (s *conversationAdminServer) DeleteQuickReply(ctx context.Context, req *messagingv1.DeleteQuickReplyRequest) (*messagingv1.DeleteQuickReplyResponse, error) {
	if err := s.svc.Conversations.DeleteQuickReply(ctx, req.GetQuickReplyId()); err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.DeleteQuickReplyResponse{}, nil
}

func (s *conversationAdminServer) SetFaq(ctx context.Context, req *messagingv1.SetFaqRequest) (*messagingv1.SetFaqResponse, error) {
	p := req.GetFaq()
	f, err := s.svc.Conversations.SetFaq(ctx, domain.Faq{ID: p.GetFaqId(), Question: p.GetQuestion(), Answer: p.GetAnswer(), Keywords: p.GetKeywords()})
	if err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.SetFaqResponse{Faq: faqProto(f)}, nil
}

func (s *conversationAdminServer) DeleteFaq(ctx context.Context, req *messagingv1.DeleteFaqRequest) (*messagingv1.DeleteFaqResponse, error) {
	if err := s.svc.Conversations.DeleteFaq(ctx, req.GetFaqId()); err != nil {
		return nil, status(ctx, err)
	}
	return &messagingv1.DeleteFaqResponse{}, nil
}
