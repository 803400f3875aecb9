package app

import (
	"context"

	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/domain"
)

// WechatOrderPaidTemplate is the WeChat subscribe template id of the
// default "order paid" message; a shop replaces it with the id of the
// template it picked in the WeChat console.
const WechatOrderPaidTemplate = "order-paid-notice"

// DefaultTemplates are the transactional messages a new shop starts with.
func DefaultTemplates() []domain.Template {
	order := domain.Variable{Name: "order_id", Sample: "ord_12345"}
	return []domain.Template{
		{ID: "order_paid", Name: "支付成功", Category: domain.Transactional,
			Variables: []domain.Variable{order, {Name: "amount", Sample: "128.00"}},
			InApp:     &domain.InAppVariant{Title: "支付成功", Body: "订单 {{order_id}} 已支付 ¥{{amount}}，我们会尽快发货。", Link: "/pages/order/detail?id={{order_id}}"},
			Wechat: &domain.WechatVariant{TemplateID: WechatOrderPaidTemplate, Page: "/pages/order/detail?id={{order_id}}",
				Fields: map[string]string{"character_string1": "{{order_id}}", "amount2": "¥{{amount}}", "thing3": "支付成功，等待发货"}}},
		{ID: "order_shipped", Name: "订单已发货", Category: domain.Transactional,
			Variables: []domain.Variable{order, {Name: "carrier", Sample: "顺丰速运"}, {Name: "tracking_number", Sample: "SF1234567890"}},
			InApp:     &domain.InAppVariant{Title: "订单已发货", Body: "订单 {{order_id}} 已由{{carrier}}发出，运单号 {{tracking_number}}。", Link: "/pages/order/detail?id={{order_id}}"}},
		{ID: "order_received", Name: "确认收货", Category: domain.Transactional,
			Variables: []domain.Variable{order},
			InApp:     &domain.InAppVariant{Title: "已确认收货", Body: "订单 {{order_id}} 已确认收货，欢迎评价。", Link: "/pages/order/detail?id={{order_id}}"}},
		{ID: "order_refunded", Name: "退款成功", Category: domain.Transactional,
			Variables: []domain.Variable{order, {Name: "refund_amount", Sample: "59.00"}},
			InApp:     &domain.InAppVariant{Title: "退款成功", Body: "订单 {{order_id}} 已退款 ¥{{refund_amount}}，原路退回。", Link: "/pages/order/detail?id={{order_id}}"}},
		{ID: "level_changed", Name: "会员等级变化", Category: domain.Transactional,
			Variables: []domain.Variable{{Name: "tier_id", Sample: "gold"}},
			InApp:     &domain.InAppVariant{Title: "会员等级更新", Body: "您的会员等级已更新为 {{tier_id}}。", Link: "/pages/member/level"}},
		{ID: "coupon_expiring", Name: "优惠券即将过期", Category: domain.Transactional,
			Variables: []domain.Variable{{Name: "coupon_name", Sample: "满100减20"}, {Name: "expires_at", Sample: "12月31日 23:59"}},
			InApp:     &domain.InAppVariant{Title: "优惠券即将过期", Body: "您的优惠券「{{coupon_name}}」将于 {{expires_at}} 过期，别忘了使用。", Link: "/coupons/mine"}},
		{ID: "points_expiring", Name: "积分即将过期", Category: domain.Transactional,
			Variables: []domain.Variable{{Name: "points", Sample: "320"}, {Name: "expires_at", Sample: "12月31日 23:59"}},
			InApp:     &domain.InAppVariant{Title: "积分即将过期", Body: "您有 {{points}} 积分将于 {{expires_at}} 过期，下单时可抵现。", Link: "/member/points"}},
		{ID: "group_succeeded", Name: "拼团成功", Category: domain.Transactional,
			Variables: []domain.Variable{order, {Name: "group_id", Sample: "g_abc"}},
			InApp:     &domain.InAppVariant{Title: "拼团成功", Body: "您参与的拼团已成团，订单 {{order_id}} 将尽快发货。", Link: "/pages/order/detail?id={{order_id}}"}},
		{ID: "group_failed", Name: "拼团失败", Category: domain.Transactional,
			Variables: []domain.Variable{order, {Name: "group_id", Sample: "g_abc"}},
			InApp:     &domain.InAppVariant{Title: "拼团未成团", Body: "很遗憾，拼团未在时限内成团，订单 {{order_id}} 已自动退款，原路退回。", Link: "/pages/order/detail?id={{order_id}}"}},
	}
}

// DefaultRules send each default template on its event.
func DefaultRules() []domain.Rule {
	inApp := []domain.Channel{domain.ChannelInApp}
	return []domain.Rule{
		{EventType: domain.EventOrderPaid, Targets: []domain.Target{{TemplateID: "order_paid", Channels: []domain.Channel{domain.ChannelInApp, domain.ChannelWechatSubscribe}}}},
		{EventType: domain.EventOrderShipped, Targets: []domain.Target{{TemplateID: "order_shipped", Channels: inApp}}},
		{EventType: domain.EventOrderReceived, Targets: []domain.Target{{TemplateID: "order_received", Channels: inApp}}},
		{EventType: domain.EventOrderRefunded, Targets: []domain.Target{{TemplateID: "order_refunded", Channels: inApp}}},
		{EventType: domain.EventMemberLevelChange, Targets: []domain.Target{{TemplateID: "level_changed", Channels: inApp}}},
		{EventType: domain.EventCouponExpiring, Targets: []domain.Target{{TemplateID: "coupon_expiring", Channels: inApp}}},
		{EventType: domain.EventPointsExpiring, Targets: []domain.Target{{TemplateID: "points_expiring", Channels: inApp}}},
		{EventType: domain.EventGroupSucceeded, Targets: []domain.Target{{TemplateID: "group_succeeded", Channels: inApp}}},
		{EventType: domain.EventGroupFailed, Targets: []domain.Target{{TemplateID: "group_failed", Channels: inApp}}},
	}
}

// Seed gives a shop with no templates at all the defaults and their rules.
// A shop that has any template keeps what its operators made of it (a
// deleted rule is not brought back at the next start).
func (a *Admin) Seed(ctx context.Context) error {
	have, err := a.templates.List(ctx)
	if err != nil || len(have) > 0 {
		return err
	}
	for _, t := range DefaultTemplates() {
		if _, err := a.CreateTemplate(ctx, t); err != nil && fault.ReasonOf(err) != domain.ReasonTemplateExists {
			return err
		}
	}
	for _, r := range DefaultRules() {
		if _, err := a.SetRule(ctx, r); err != nil {
			return err
		}
	}
	return nil
}
