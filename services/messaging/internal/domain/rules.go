package domain

// Rule is what an event type sends: a template and the channels to try.
// Rules are data: a shop changes wording or channels without new code.
type Rule struct {
	EventType string
	Template  Template
}

// Event types the service reacts to.
const (
	EventOrderPaid     = "order.paid"
	EventOrderShipped  = "order.shipped"
	EventOrderRefunded = "order.refunded"
)

// DefaultRules are the transactional notifications of a new shop: the
// inbox always, and a WeChat subscribe message when the member granted
// one for the template (wechatTemplates maps event types to the shop's
// subscribe template ids; an event without one sends in-app only).
func DefaultRules(wechatTemplates map[string]string) []Rule {
	orderVars := []Variable{{Name: "order_id", Sample: "20261203100000ab12cd34ef56"}, {Name: "amount", Sample: "128.00"}, {Name: "title", Sample: "真丝围巾"}}
	rules := []Rule{
		{EventType: EventOrderPaid, Template: Template{ID: "order.paid", Name: "支付成功", Category: Transactional, Variables: orderVars,
			InApp:  &InAppVariant{Title: "支付成功", Body: "订单 {{order_id}} 已支付 ¥{{amount}}，我们会尽快为您发货。", Link: "/orders/{{order_id}}"},
			Wechat: &WechatVariant{Page: "pages/order/detail?id={{order_id}}", Fields: map[string]string{"character_string1": "{{order_id}}", "amount2": "¥{{amount}}", "thing3": "{{title}}"}}}},
		{EventType: EventOrderShipped, Template: Template{ID: "order.shipped", Name: "订单已发货", Category: Transactional,
			Variables: append(orderVars, Variable{Name: "carrier", Sample: "shunfeng"}, Variable{Name: "tracking_no", Sample: "SF1234567890"}),
			InApp:     &InAppVariant{Title: "订单已发货", Body: "订单 {{order_id}} 已由 {{carrier}} 发出，运单号 {{tracking_no}}。", Link: "/orders/{{order_id}}"},
			Wechat:    &WechatVariant{Page: "pages/order/detail?id={{order_id}}", Fields: map[string]string{"character_string1": "{{order_id}}", "thing2": "{{carrier}}", "character_string3": "{{tracking_no}}"}}}},
		{EventType: EventOrderRefunded, Template: Template{ID: "order.refunded", Name: "退款成功", Category: Transactional, Variables: orderVars,
			InApp:  &InAppVariant{Title: "退款成功", Body: "订单 {{order_id}} 的 ¥{{amount}} 已原路退回。", Link: "/orders/{{order_id}}"},
			Wechat: &WechatVariant{Page: "pages/order/detail?id={{order_id}}", Fields: map[string]string{"character_string1": "{{order_id}}", "amount2": "¥{{amount}}"}}}},
	}
	for i := range rules {
		id := wechatTemplates[rules[i].EventType]
		if id == "" {
			rules[i].Template.Wechat = nil
			continue
		}
		rules[i].Template.Wechat.TemplateID = id
	}
	return rules
}
