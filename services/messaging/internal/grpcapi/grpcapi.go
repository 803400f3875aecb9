// Package grpcapi serves the messaging contract: it checks the caller,
// converts messages and maps faults to statuses, and nothing else.
package grpcapi

import (
	"context"

	"google.golang.org/grpc"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/fault"
	messagingv1 "siyu.dev/proto/siyu/messaging/v1"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

// Domain is the ErrorInfo domain of the messaging service's reasons.
const Domain = "messaging.siyu.dev"

// Policy is who may call what: members their own inbox and settings; staff
// read templates, rules, the delivery log and broadcasts; owners and
// operators change what the shop sends.
var Policy = auth.Policy{
	messagingv1.InboxService_ListMyMessages_FullMethodName:           auth.MemberOnly,
	messagingv1.InboxService_MarkMessagesRead_FullMethodName:         auth.MemberOnly,
	messagingv1.InboxService_DeleteMyMessage_FullMethodName:          auth.MemberOnly,
	messagingv1.InboxService_GetMyMessageSettings_FullMethodName:     auth.MemberOnly,
	messagingv1.InboxService_SetChannelSubscription_FullMethodName:   auth.MemberOnly,
	messagingv1.InboxService_GrantWechatSubscriptions_FullMethodName: auth.MemberOnly,

	messagingv1.TemplateService_CreateTemplate_FullMethodName:  auth.Operators,
	messagingv1.TemplateService_UpdateTemplate_FullMethodName:  auth.Operators,
	messagingv1.TemplateService_DeleteTemplate_FullMethodName:  auth.Operators,
	messagingv1.TemplateService_GetTemplate_FullMethodName:     auth.Staff,
	messagingv1.TemplateService_ListTemplates_FullMethodName:   auth.Staff,
	messagingv1.TemplateService_PreviewTemplate_FullMethodName: auth.Staff,

	messagingv1.NotificationRuleService_SetNotificationRule_FullMethodName:    auth.Operators,
	messagingv1.NotificationRuleService_DeleteNotificationRule_FullMethodName: auth.Operators,
	messagingv1.NotificationRuleService_ListNotificationRules_FullMethodName:  auth.Staff,

	messagingv1.DeliveryService_ListDeliveries_FullMethodName:  auth.Staff,
	messagingv1.DeliveryService_ListDeadLetters_FullMethodName: auth.Staff,
	messagingv1.DeliveryService_RetryDelivery_FullMethodName:   auth.Operators,

	messagingv1.BroadcastService_CreateBroadcast_FullMethodName: auth.Operators,
	messagingv1.BroadcastService_CancelBroadcast_FullMethodName: auth.Operators,
	messagingv1.BroadcastService_GetBroadcast_FullMethodName:    auth.Staff,
	messagingv1.BroadcastService_ListBroadcasts_FullMethodName:  auth.Staff,

	messagingv1.ConversationService_OpenConversation_FullMethodName:        auth.MemberOnly,
	messagingv1.ConversationService_SendConversationMessage_FullMethodName: auth.MemberOnly,
	messagingv1.ConversationService_ListMyConversations_FullMethodName:     auth.MemberOnly,
	messagingv1.ConversationService_GetMyConversation_FullMethodName:       auth.MemberOnly,
	messagingv1.ConversationService_SearchFaqs_FullMethodName:              auth.Public,

	messagingv1.ConversationAdminService_ListConversations_FullMethodName:    auth.Staff,
	messagingv1.ConversationAdminService_GetConversation_FullMethodName:      auth.Staff,
	messagingv1.ConversationAdminService_ReplyConversation_FullMethodName:    auth.Staff,
	messagingv1.ConversationAdminService_TransferConversation_FullMethodName: auth.Staff,
	messagingv1.ConversationAdminService_CloseConversation_FullMethodName:    auth.Staff,
	messagingv1.ConversationAdminService_ListQuickReplies_FullMethodName:     auth.Staff,
	messagingv1.ConversationAdminService_SetQuickReply_FullMethodName:        auth.Operators,
	messagingv1.ConversationAdminService_DeleteQuickReply_FullMethodName:     auth.Operators,
	messagingv1.ConversationAdminService_SetFaq_FullMethodName:               auth.Operators,
	messagingv1.ConversationAdminService_DeleteFaq_FullMethodName:            auth.Operators,
}

// Services are the use cases the handlers call.
type Services struct {
	Inbox         *app.Inbox
	Admin         *app.Admin
	Broadcasts    *app.BroadcastRunner
	Conversations *app.Conversations
}

// Register serves every messaging contract on s.
func Register(s grpc.ServiceRegistrar, svc Services) {
	messagingv1.RegisterInboxServiceServer(s, &inboxServer{svc: svc})
	messagingv1.RegisterTemplateServiceServer(s, &templateServer{svc: svc})
	messagingv1.RegisterNotificationRuleServiceServer(s, &ruleServer{svc: svc})
	messagingv1.RegisterDeliveryServiceServer(s, &deliveryServer{svc: svc})
	messagingv1.RegisterBroadcastServiceServer(s, &broadcastServer{svc: svc})
	messagingv1.RegisterConversationServiceServer(s, &conversationServer{svc: svc})
	messagingv1.RegisterConversationAdminServiceServer(s, &conversationAdminServer{svc: svc})
}

func status(ctx context.Context, err error) error { return errs.Status(ctx, Domain, err) }

// member is the calling member (the policy admits members only).
func member(ctx context.Context) (string, error) {
	id, ok := auth.FromContext(ctx)
	if !ok || id.Kind != auth.KindMember || id.Subject == "" {
		return "", status(ctx, fault.New(fault.Unauthenticated, domain.ReasonTokenMissing, "a member token is required"))
	}
	return id.Subject, nil
}

// operator is the calling operator; a service token is refused where a
// person must stand behind the write.
func operator(ctx context.Context) (string, error) {
	id, ok := auth.FromContext(ctx)
	if !ok || id.Kind != auth.KindAdmin || id.Subject == "" {
		return "", status(ctx, fault.New(fault.Permission, domain.ReasonOperatorRequired, "an operator's token is required"))
	}
	return id.Subject, nil
}

// Pages hold up to 50 entries, 20 by default; their tokens are
// pkg/pagetoken's cursors (the last id, bound to the listing's filter).
const defaultPage, maxPage = 20, 50
