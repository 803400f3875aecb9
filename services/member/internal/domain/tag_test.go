package domain

import (
	"errors"
	"testing"
	"time"
)

func TestTagRuleMatches(t *testing.T) {
	now := cst("2026-11-30 12:00")
	rules := map[string]TagRule{}
	for _, r := range DefaultTagRules(now) {
		rules[r.ID] = r
	}
	promo := func(daysAgo int, kinds ...string) PromoOrder {
		return PromoOrder{At: now.Add(-time.Duration(daysAgo) * 24 * time.Hour), Kinds: kinds}
	}
	cases := []struct {
		name  string
		rule  TagRule
		facts Facts
		want  bool
	}{
		{"3 coupon and flash-sale orders in 30 days", rules["promotion-sensitive"], Facts{PromoOrders: []PromoOrder{promo(1, "coupon"), promo(10, "flash_sale"), promo(29, "coupon", "full_reduction")}}, true},
		{"only 2 inside the window", rules["promotion-sensitive"], Facts{PromoOrders: []PromoOrder{promo(1, "coupon"), promo(10, "flash_sale"), promo(31, "coupon")}}, false},
		{"other promotions do not count", rules["promotion-sensitive"], Facts{PromoOrders: []PromoOrder{promo(1, "group_buy"), promo(2, "group_buy"), promo(3, "coupon")}}, false},
		{"dormant after 30 days", rules["dormant"], Facts{RegisteredAt: now.Add(-90 * 24 * time.Hour), LastActive: now.Add(-30 * 24 * time.Hour)}, true},
		{"active 29 days ago", rules["dormant"], Facts{RegisteredAt: now.Add(-90 * 24 * time.Hour), LastActive: now.Add(-29 * 24 * time.Hour)}, false},
		{"unknown member is not dormant", rules["dormant"], Facts{}, false},
		{"new for 7 days", rules["new"], Facts{RegisteredAt: now.Add(-6 * 24 * time.Hour)}, true},
		{"not new on day 8", rules["new"], Facts{RegisteredAt: now.Add(-7 * 24 * time.Hour)}, false},
		{"orders at least", TagRule{Kind: RuleOrdersAtLeast, Threshold: 5}, Facts{OrderCount: 5}, true},
		{"spend at least", TagRule{Kind: RuleSpendAtLeast, Threshold: 100000}, Facts{SpendFen: 99999}, false},
	}
	for _, c := range cases {
		if got := c.rule.Matches(c.facts, now); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTagRuleValidate(t *testing.T) {
	ok := TagRule{ID: "vip-spender", Name: "高消费", Kind: RuleSpendAtLeast, Threshold: 100000}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []TagRule{
		{ID: "Bad", Name: "x", Kind: RuleSpendAtLeast, Threshold: 1},
		{ID: "x", Kind: RuleSpendAtLeast, Threshold: 1},
		{ID: "x", Name: "x", Kind: "whatever", Threshold: 1},
		{ID: "x", Name: "x", Kind: RulePromotionOrders, Threshold: 3, WindowDays: 30},
		{ID: "x", Name: "x", Kind: RuleInactiveDays},
		{ID: "x", Name: "x", Kind: RuleOrdersAtLeast},
	}
	for i, r := range bad {
		if err := r.Validate(); !errors.Is(err, ErrTagRuleInvalid) {
			t.Errorf("bad rule %d accepted", i)
		}
	}
}

func TestApplyRulesKeepsManualTags(t *testing.T) {
	now := cst("2026-11-30 12:00")
	rules := DefaultTagRules(now)
	a := &Account{MemberID: "m"}
	a.Registered(now.Add(-2*24*time.Hour), "qr-1")
	if _, err := a.AddManualTag("new", now); err != nil { // a manual tag with a rule's id is separate
		t.Fatal(err)
	}
	got := a.ApplyRules(rules, now)
	if len(got) != 1 || got[0] != (TagChange{ID: "new", Added: true, Source: TagByRule}) {
		t.Fatalf("first apply: %v", got)
	}
	if got := a.ApplyRules(rules, now); len(got) != 0 {
		t.Errorf("second apply changed %v", got)
	}
	// Ten days later the member is no longer new; 31 days later dormant.
	got = a.ApplyRules(rules, now.Add(31*24*time.Hour))
	if len(got) != 2 || got[0] != (TagChange{ID: "new", Source: TagByRule}) || got[1] != (TagChange{ID: "dormant", Added: true, Source: TagByRule}) {
		t.Fatalf("later: %v", got)
	}
	if !a.HasTag("new", TagManual) {
		t.Error("rule evaluation removed a manual tag")
	}
	// Disabling the rule removes its tag.
	rules[1].Enabled = false
	if got := a.ApplyRules(rules, now.Add(31*24*time.Hour)); len(got) != 1 || got[0].ID != "dormant" || got[0].Added {
		t.Errorf("disabled rule: %v", got)
	}
	if ids := a.TagIDs(); len(ids) != 1 || ids[0] != "new" {
		t.Errorf("tags %v", ids)
	}
	if c := a.RemoveManualTag("new"); c == nil || a.RemoveManualTag("new") != nil {
		t.Error("remove manual tag is not idempotent")
	}
	if _, err := a.AddManualTag("Not Valid", now); !errors.Is(err, ErrTagInvalid) {
		t.Errorf("invalid tag: %v", err)
	}
}

func TestSegmentFilterValidate(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	ok := []SegmentFilter{{}, {MinPoints: n(10), MaxPoints: n(10)}, {Tags: []string{"vip"}, TierIDs: []string{"gold"}}}
	for i, f := range ok {
		if err := f.Validate(); err != nil {
			t.Errorf("filter %d: %v", i, err)
		}
	}
	bad := []SegmentFilter{
		{MinPoints: n(-1)},
		{MinPoints: n(10), MaxPoints: n(5)},
		{MinSpendFen: n(10), MaxSpendFen: n(5)},
		{Tags: []string{"Bad Tag"}},
		{RegisteredAfter: cst("2026-02-01 00:00"), RegisteredBefore: cst("2026-01-01 00:00")},
	}
	for i, f := range bad {
		if err := f.Validate(); !errors.Is(err, ErrSegmentInvalid) {
			t.Errorf("bad filter %d accepted", i)
		}
	}
}

func TestConsentAllows(t *testing.T) {
	c := Consent{SMS: true, InApp: true}
	cases := []struct {
		need []string
		want bool
	}{{nil, true}, {[]string{"sms"}, true}, {[]string{"sms", "in_app"}, true}, {[]string{"wechat_subscribe"}, false}, {[]string{"sms", "fax"}, false}}
	for _, k := range cases {
		if got := c.Allows(k.need); got != k.want {
			t.Errorf("Allows(%v) = %v, want %v", k.need, got, k.want)
		}
	}
	if err := (SegmentFilter{Consents: []string{"fax"}}).Validate(); !errors.Is(err, ErrSegmentInvalid) {
		t.Errorf("unknown consent accepted: %v", err)
	}
}
