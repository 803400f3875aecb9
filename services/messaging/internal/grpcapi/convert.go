package grpcapi

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/fault"
	messagingv1 "siyu.dev/proto/siyu/messaging/v1"
	"siyu.dev/services/messaging/internal/domain"
)

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func categoryName(c domain.Category) string {
	switch c {
	case domain.Transactional:
		return "transactional"
	case domain.Marketing:
		return "marketing"
	}
	return ""
}

func category(s string) domain.Category {
	switch s {
	case "transactional":
		return domain.Transactional
	case "marketing":
		return domain.Marketing
	}
	return 0 // refused by the template's validation
}

func channels(in []string) []domain.Channel {
	out := make([]domain.Channel, 0, len(in))
	for _, c := range in {
		out = append(out, domain.Channel(c))
	}
	return out
}

func channelNames(in []domain.Channel) []string {
	out := make([]string, 0, len(in))
	for _, c := range in {
		out = append(out, string(c))
	}
	return out
}

func messageProto(m domain.InboxMessage) *messagingv1.Message {
	return &messagingv1.Message{MessageId: m.ID, Title: m.Title, Body: m.Body, Link: m.Link, Category: categoryName(m.Category), Read: m.Read, CreateTime: ts(m.At)}
}

func settingsProto(s domain.Settings) *messagingv1.MessageSettings {
	out := &messagingv1.MessageSettings{WechatSubscriptions: map[string]int32{}}
	for _, ch := range domain.Channels {
		if s.Unsubscribed[ch] {
			out.UnsubscribedChannels = append(out.UnsubscribedChannels, string(ch))
		}
	}
	for k, v := range s.Quota {
		out.WechatSubscriptions[k] = int32(v)
	}
	return out
}

func templateProto(t domain.Template) *messagingv1.Template {
	out := &messagingv1.Template{Id: t.ID, Name: t.Name, Category: categoryName(t.Category), Version: t.Version, UpdateTime: ts(t.UpdatedAt)}
	for _, v := range t.Variables {
		out.Variables = append(out.Variables, &messagingv1.TemplateVariable{Name: v.Name, Sample: v.Sample})
	}
	if t.InApp != nil {
		out.InApp = &messagingv1.InAppVariant{Title: t.InApp.Title, Body: t.InApp.Body, Link: t.InApp.Link}
	}
	if t.SMS != nil {
		out.Sms = &messagingv1.SmsVariant{ProviderTemplate: t.SMS.ProviderTemplate, Params: t.SMS.Params, Text: t.SMS.Text}
	}
	if t.Wechat != nil {
		out.Wechat = &messagingv1.WechatVariant{TemplateId: t.Wechat.TemplateID, Page: t.Wechat.Page, Fields: t.Wechat.Fields}
	}
	return out
}

func templateFrom(p *messagingv1.Template) (domain.Template, error) {
	if p == nil {
		return domain.Template{}, fault.New(fault.Invalid, domain.ReasonTemplateInvalid, "template is required", "field", "template")
	}
	t := domain.Template{ID: p.GetId(), Name: p.GetName(), Category: category(p.GetCategory()), Version: p.GetVersion()}
	for _, v := range p.GetVariables() {
		t.Variables = append(t.Variables, domain.Variable{Name: v.GetName(), Sample: v.GetSample()})
	}
	if v := p.GetInApp(); v != nil {
		t.InApp = &domain.InAppVariant{Title: v.GetTitle(), Body: v.GetBody(), Link: v.GetLink()}
	}
	if v := p.GetSms(); v != nil {
		t.SMS = &domain.SMSVariant{ProviderTemplate: v.GetProviderTemplate(), Params: v.GetParams(), Text: v.GetText()}
	}
	if v := p.GetWechat(); v != nil {
		t.Wechat = &domain.WechatVariant{TemplateID: v.GetTemplateId(), Page: v.GetPage(), Fields: v.GetFields()}
	}
	return t, nil
}

func renderedProto(r domain.Rendered) *messagingv1.RenderedMessage {
	return &messagingv1.RenderedMessage{Channel: string(r.Channel), Title: r.Title, Body: r.Body, Link: r.Link, ProviderTemplate: r.ProviderTemplate, Params: r.Params}
}

func ruleProto(r domain.Rule) *messagingv1.NotificationRule {
	out := &messagingv1.NotificationRule{EventType: r.EventType, UpdateTime: ts(r.UpdatedAt)}
	for _, t := range r.Targets {
		out.Targets = append(out.Targets, &messagingv1.RuleTarget{TemplateId: t.TemplateID, Channels: channelNames(t.Channels)})
	}
	return out
}

func ruleFrom(p *messagingv1.NotificationRule) domain.Rule {
	r := domain.Rule{EventType: p.GetEventType()}
	for _, t := range p.GetTargets() {
		r.Targets = append(r.Targets, domain.Target{TemplateID: t.GetTemplateId(), Channels: channels(t.GetChannels())})
	}
	return r
}

func deliveryProto(d domain.Delivery) *messagingv1.Delivery {
	out := &messagingv1.Delivery{DeliveryId: d.ID, MemberId: d.MemberID, Channel: string(d.Channel), TemplateId: d.TemplateID, Category: categoryName(d.Category),
		Status: string(d.Status), Attempts: int32(d.Attempts), Cause: d.Cause, CreateTime: ts(d.CreatedAt)}
	if !d.Status.Final() {
		out.NextAttemptTime = ts(d.NextAttempt)
	}
	for _, e := range d.Log {
		out.Log = append(out.Log, &messagingv1.DeliveryEntry{Time: ts(e.At), Status: string(e.Status), Detail: e.Detail})
	}
	return out
}

func broadcastProto(b domain.Broadcast) *messagingv1.Broadcast {
	return &messagingv1.Broadcast{BroadcastId: b.ID, SegmentId: b.SegmentID, TemplateId: b.TemplateID, Channels: channelNames(b.Channels), Variables: b.Vars,
		SendTime: ts(b.SendAt), PerMinute: int32(b.PerMinute), Status: string(b.Status), Members: int32(b.Counts.Members), Sent: int32(b.Counts.Sent),
		Deferred: int32(b.Counts.Deferred), Suppressed: int32(b.Counts.Suppressed), Failed: int32(b.Counts.Failed), CreateTime: ts(b.CreatedAt), FinishTime: ts(b.FinishedAt)}
}
