package domain

import (
	"strings"
	"testing"

	"siyu.dev/pkg/fault"
)

func shippedTemplate() Template {
	return Template{
		ID: "order.shipped", Name: "订单已发货", Category: Transactional,
		Variables: []Variable{{"order_no", "SY20261202001"}, {"carrier", "顺丰速运"}, {"tracking_no", "SF1234567890"}},
		InApp:     &InAppVariant{Title: "您的订单已发货", Body: "订单 {{order_no}} 已由{{carrier}}发出，运单号 {{ tracking_no }}。", Link: "/orders/{{order_no}}"},
		SMS:       &SMSVariant{ProviderTemplate: "SMS_001", Params: map[string]string{"no": "{{order_no}}"}, Text: "您的订单{{order_no}}已发货"},
		Wechat:    &WechatVariant{TemplateID: "wx_tpl_ship", Page: "pages/order?id={{order_no}}", Fields: map[string]string{"character_string1": "{{order_no}}", "thing2": "{{carrier}}"}},
	}
}

func TestTemplateValidate(t *testing.T) {
	if err := shippedTemplate().Validate(); err != nil {
		t.Fatalf("valid template refused: %v", err)
	}
	cases := []struct {
		name   string
		change func(*Template)
		reason fault.Reason
		field  string
	}{
		{"bad id", func(t *Template) { t.ID = "Order Shipped" }, ReasonTemplateInvalid, "id"},
		{"no name", func(t *Template) { t.Name = " " }, ReasonTemplateInvalid, "name"},
		{"no category", func(t *Template) { t.Category = 0 }, ReasonTemplateInvalid, "category"},
		{"no channel", func(t *Template) { t.InApp, t.SMS, t.Wechat = nil, nil, nil }, ReasonTemplateInvalid, "channels"},
		{"undeclared variable", func(t *Template) { t.InApp.Body = "{{coupon}}" }, ReasonTemplateInvalid, "in_app.body"},
		{"malformed placeholder", func(t *Template) { t.SMS.Text = "订单{{Order No}}" }, ReasonTemplateInvalid, "sms.text"},
		{"variable declared twice", func(t *Template) { t.Variables = append(t.Variables, Variable{"carrier", "x"}) }, ReasonTemplateInvalid, "variables"},
		{"bad variable name", func(t *Template) { t.Variables[0].Name = "Order-No" }, ReasonTemplateInvalid, "variables"},
		{"empty inbox title", func(t *Template) { t.InApp.Title = "" }, ReasonTemplateInvalid, "in_app.title"},
		{"sms without provider template", func(t *Template) { t.SMS.ProviderTemplate = "" }, ReasonTemplateInvalid, "sms"},
		{"wechat without fields", func(t *Template) { t.Wechat.Fields = nil }, ReasonTemplateInvalid, "wechat"},
		{"wechat field name", func(t *Template) { t.Wechat.Fields["carrier"] = "{{carrier}}" }, ReasonTemplateInvalid, "wechat.fields"},
		{"sample breaks wechat's 20 characters", func(t *Template) { t.Variables[1].Sample = strings.Repeat("快", 21) }, ReasonTemplateInvalid, "wechat.fields.thing2"},
		{"title too long", func(t *Template) { t.InApp.Title = strings.Repeat("标", 41) }, ReasonTemplateInvalid, "in_app.title"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tpl := shippedTemplate()
			c.change(&tpl)
			err := tpl.Validate()
			f, ok := fault.As(err)
			if !ok || f.Reason != c.reason || f.Kind != fault.Invalid || f.Meta["field"] != c.field {
				t.Fatalf("got %v (meta %v), want %s on %s", err, f, c.reason, c.field)
			}
		})
	}
}

func TestTemplateRender(t *testing.T) {
	tpl := shippedTemplate()
	vars := map[string]string{"order_no": "SY1", "carrier": "中通", "tracking_no": "ZT9"}
	got, err := tpl.Render([]Channel{ChannelInApp, ChannelSMS, ChannelWechatSubscribe}, vars)
	if err != nil {
		t.Fatal(err)
	}
	in, sms, wx := got[0], got[1], got[2]
	if in.Title != "您的订单已发货" || in.Body != "订单 SY1 已由中通发出，运单号 ZT9。" || in.Link != "/orders/SY1" {
		t.Errorf("in-app = %+v", in)
	}
	if sms.Body != "您的订单SY1已发货" || sms.ProviderTemplate != "SMS_001" || sms.Params["no"] != "SY1" {
		t.Errorf("sms = %+v", sms)
	}
	if wx.ProviderTemplate != "wx_tpl_ship" || wx.Link != "pages/order?id=SY1" || wx.Params["thing2"] != "中通" || wx.Params["character_string1"] != "SY1" {
		t.Errorf("wechat = %+v", wx)
	}

	_, err = tpl.Render([]Channel{ChannelInApp}, map[string]string{"order_no": "SY1"})
	if f, ok := fault.As(err); !ok || f.Reason != ReasonVariableMissing || f.Meta["variable"] != "carrier" {
		t.Errorf("missing variable: %v", err)
	}
	long := map[string]string{"order_no": "SY1", "carrier": strings.Repeat("远", 25), "tracking_no": "x"}
	if _, err := tpl.Render([]Channel{ChannelWechatSubscribe}, long); fault.ReasonOf(err) != ReasonTemplateInvalid {
		t.Errorf("over-long wechat value: %v", err)
	}
	tpl.SMS = nil
	if _, err := tpl.Render([]Channel{ChannelSMS}, vars); fault.ReasonOf(err) != ReasonChannelNotInTemplate || fault.KindOf(err) != fault.Precondition {
		t.Errorf("channel without variant: %v", err)
	}
	if got := tpl.Channels(); len(got) != 2 || got[0] != ChannelInApp || got[1] != ChannelWechatSubscribe {
		t.Errorf("channels = %v", got)
	}
}

func TestWechatFieldLimitsFollowTheFieldKind(t *testing.T) {
	tpl := Template{ID: "paid", Name: "paid", Category: Transactional, Variables: []Variable{{Name: "v", Sample: "x"}},
		Wechat: &WechatVariant{TemplateID: "T1", Fields: map[string]string{"character_string1": "{{v}}", "thing2": "{{v}}", "phrase3": "{{v}}"}}}
	cases := []struct {
		field string
		runes int
		ok    bool
	}{
		{"character_string1", 32, true}, {"character_string1", 33, false},
		{"thing2", 20, true}, {"thing2", 21, false},
		{"phrase3", 5, true}, {"phrase3", 6, false},
	}
	for _, c := range cases {
		one := tpl
		one.Wechat = &WechatVariant{TemplateID: "T1", Fields: map[string]string{c.field: "{{v}}"}}
		_, err := one.Render([]Channel{ChannelWechatSubscribe}, map[string]string{"v": strings.Repeat("订", c.runes)})
		if (err == nil) != c.ok {
			t.Errorf("%s with %d characters: %v", c.field, c.runes, err)
		}
	}
}
