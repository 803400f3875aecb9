package domain

import (
	"testing"
	"time"

	"siyu.dev/pkg/fault"
)

// at is a Beijing wall-clock time on 2026-12-02 plus days.
func at(days, hour, minute int) time.Time {
	return time.Date(2026, 12, 2+days, hour, minute, 0, 0, Shanghai())
}

func TestDecide(t *testing.T) {
	p := DefaultPolicy()
	all := map[Channel]bool{ChannelInApp: true, ChannelSMS: true, ChannelWechatSubscribe: true}
	open := Recipient{Consent: all, Reachable: all, SubscribeQuota: map[string]int{"tpl_paid": 1, "tpl_sale": 2}}
	noConsent := Recipient{Consent: map[Channel]bool{}, Reachable: all, SubscribeQuota: open.SubscribeQuota}
	unsub := Recipient{Consent: all, Reachable: all, Unsubscribed: map[Channel]bool{ChannelSMS: true}}
	noPhone := Recipient{Consent: all, Reachable: map[Channel]bool{}}
	noQuota := Recipient{Consent: all, Reachable: all}

	sms := Message{Category: Marketing, Channel: ChannelSMS}
	inbox := Message{Category: Marketing, Channel: ChannelInApp}
	paidSMS := Message{Category: Transactional, Channel: ChannelSMS}
	paidWechat := Message{Category: Transactional, Channel: ChannelWechatSubscribe, TemplateID: "tpl_paid"}
	saleWechat := Message{Category: Marketing, Channel: ChannelWechatSubscribe, TemplateID: "tpl_sale"}

	noon := at(0, 12, 0)
	cases := []struct {
		name   string
		now    time.Time
		msg    Message
		r      Recipient
		sent   []time.Time
		want   Verdict
		reason fault.Reason
		until  time.Time
	}{
		{"marketing sms with consent at noon", noon, sms, open, nil, Send, "", time.Time{}},
		{"marketing without consent", noon, sms, noConsent, nil, Suppress, ReasonNoConsent, time.Time{}},
		{"transactional without consent", noon, paidSMS, noConsent, nil, Send, "", time.Time{}},
		{"unsubscribed channel", noon, sms, unsub, nil, Suppress, ReasonUnsubscribed, time.Time{}},
		{"unsubscribe covers only its channel", noon, inbox, unsub, nil, Send, "", time.Time{}},
		{"no phone", noon, paidSMS, noPhone, nil, Suppress, ReasonUnreachable, time.Time{}},
		{"inbox needs no address", noon, inbox, noPhone, nil, Send, "", time.Time{}},
		{"wechat with quota", noon, paidWechat, open, nil, Send, "", time.Time{}},
		{"wechat without quota, even transactional", noon, paidWechat, noQuota, nil, Suppress, ReasonNoSubscription, time.Time{}},
		{"wechat quota is per template", noon, Message{Category: Transactional, Channel: ChannelWechatSubscribe, TemplateID: "tpl_other"}, open, nil, Suppress, ReasonNoSubscription, time.Time{}},
		{"unknown channel", noon, Message{Category: Marketing, Channel: "fax"}, open, nil, Suppress, ReasonChannelInvalid, time.Time{}},
		{"quiet hours evening defers to 09:00 next day", at(0, 22, 30), sms, open, nil, Defer, ReasonQuietHours, at(1, 9, 0)},
		{"quiet hours after midnight defers to 09:00 same day", at(1, 3, 0), saleWechat, open, nil, Defer, ReasonQuietHours, at(1, 9, 0)},
		{"quiet starts at 21:00 sharp", at(0, 21, 0), sms, open, nil, Defer, ReasonQuietHours, at(1, 9, 0)},
		{"quiet ends at 09:00 sharp", at(0, 9, 0), sms, open, nil, Send, "", time.Time{}},
		{"08:59 is still quiet", at(0, 8, 59), sms, open, nil, Defer, ReasonQuietHours, at(0, 9, 0)},
		{"quiet hours spare the inbox", at(0, 23, 0), inbox, open, nil, Send, "", time.Time{}},
		{"quiet hours spare transactional", at(0, 23, 0), paidSMS, open, nil, Send, "", time.Time{}},
		{"daily cap reached", noon, sms, open, []time.Time{at(0, 10, 0)}, Suppress, ReasonDailyCap, time.Time{}},
		{"yesterday evening does not count today", noon, sms, open, []time.Time{at(-1, 20, 59)}, Send, "", time.Time{}},
		{"day is Beijing's: 23:30 UTC yesterday is 07:30 today", noon, sms, open, []time.Time{time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)}, Suppress, ReasonDailyCap, time.Time{}},
		{"and 15:30 UTC yesterday was 23:30 yesterday", noon, sms, open, []time.Time{time.Date(2026, 12, 1, 15, 30, 0, 0, time.UTC)}, Send, "", time.Time{}},
		{"weekly cap reached", noon, sms, open, []time.Time{at(-1, 10, 0), at(-3, 10, 0), at(-6, 13, 0)}, Suppress, ReasonWeeklyCap, time.Time{}},
		{"a week ago no longer counts", noon, sms, open, []time.Time{at(-1, 10, 0), at(-3, 10, 0), at(-7, 11, 59)}, Send, "", time.Time{}},
		{"caps cover the inbox too", noon, inbox, open, []time.Time{at(0, 9, 30)}, Suppress, ReasonDailyCap, time.Time{}},
		{"transactional exempt from caps", noon, paidSMS, open, []time.Time{at(0, 9, 30), at(-1, 10, 0), at(-2, 10, 0)}, Send, "", time.Time{}},
		{"future timestamps are ignored", noon, sms, open, []time.Time{at(0, 13, 0)}, Send, "", time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := p.Decide(c.now, c.msg, c.r, c.sent)
			if d.Verdict != c.want || d.Reason != c.reason || !d.Until.Equal(c.until) {
				t.Fatalf("got %v %s until %v, want %v %s until %v", d.Verdict, d.Reason, d.Until, c.want, c.reason, c.until)
			}
		})
	}
}

func TestDecideCustomPolicy(t *testing.T) {
	// Quiet hours inside one day (13:00-14:00) and looser caps.
	p := Policy{DailyCap: 2, WeeklyCap: 5, QuietStart: 13 * 60, QuietEnd: 14 * 60, Location: Shanghai()}
	all := map[Channel]bool{ChannelSMS: true}
	r := Recipient{Consent: all, Reachable: all}
	m := Message{Category: Marketing, Channel: ChannelSMS}
	if d := p.Decide(at(0, 13, 30), m, r, nil); d.Verdict != Defer || !d.Until.Equal(at(0, 14, 0)) {
		t.Fatalf("lunch quiet: %+v", d)
	}
	if d := p.Decide(at(0, 12, 59), m, r, []time.Time{at(0, 9, 0)}); d.Verdict != Send {
		t.Fatalf("second of two allowed: %+v", d)
	}
	if d := p.Decide(at(0, 15, 0), m, r, []time.Time{at(0, 9, 0), at(0, 14, 30)}); d.Reason != ReasonDailyCap {
		t.Fatalf("third of two: %+v", d)
	}
	p.QuietEnd = p.QuietStart
	if d := p.Decide(at(0, 13, 30), m, r, nil); d.Verdict != Send {
		t.Fatalf("quiet hours off: %+v", d)
	}
}

func TestPolicyValidate(t *testing.T) {
	ok := DefaultPolicy()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Policy{
		{DailyCap: -1, WeeklyCap: 3, Location: Shanghai()},
		{DailyCap: 4, WeeklyCap: 3, Location: Shanghai()},
		{DailyCap: 1, WeeklyCap: 3, QuietStart: 24 * 60, Location: Shanghai()},
		{DailyCap: 1, WeeklyCap: 3, QuietEnd: -5, Location: Shanghai()},
		{DailyCap: 1, WeeklyCap: 3},
	}
	for i, p := range bad {
		if err := p.Validate(); fault.ReasonOf(err) != ReasonPolicyInvalid {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

func TestReasonsDeclaredWell(t *testing.T) {
	seen := map[fault.Reason]bool{}
	for _, r := range Reasons {
		if !fault.ValidReason(r) || seen[r] {
			t.Errorf("reason %q malformed or repeated", r)
		}
		seen[r] = true
	}
	if !ChannelInApp.Valid() || Channel("fax").Valid() {
		t.Error("Channel.Valid")
	}
	if Send.String() != "send" || Verdict(9).String() != "verdict(9)" {
		t.Error("Verdict.String")
	}
}
