package app

import (
	"context"
	"crypto/rand"
	"strconv"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// Admin is the operators' side of coupons: templates, issues and codes.
type Admin struct {
	templates Templates
	results   ResultStore
	codes     Codes
	members   Members
	granter   granter
	clk       clock.Clock
}

// NewAdmin builds the operators' coupon use cases.
func NewAdmin(templates Templates, wallets Wallets, codes Codes, members Members, results ResultStore, settings Settings, clk clock.Clock) *Admin {
	return &Admin{templates: templates, results: results, codes: codes, members: members, clk: clk,
		granter: granter{templates: templates, wallets: wallets, settings: settings, clk: clk}}
}

// Limits of one operator request.
const (
	maxIssueList = 1000
	maxCodes     = 1000
)

// Create saves a new template under a fresh id.
func (a *Admin) Create(ctx context.Context, t domain.Template) (domain.Template, error) {
	if err := t.Validate(); err != nil {
		return t, err
	}
	t.ID, t.Issued, t.Ended, t.Version, t.CreatedAt = newID("ct"), 0, false, 1, a.clk.Now()
	return t, a.templates.Create(ctx, t)
}

// Update replaces the rules of a template read at t.Version.
func (a *Admin) Update(ctx context.Context, t domain.Template) (domain.Template, error) {
	if err := t.Validate(); err != nil {
		return t, err
	}
	cur, err := a.templates.Template(ctx, t.ID)
	if err != nil {
		return t, err
	}
	if cur.Version != t.Version {
		return t, fault.New(fault.Precondition, domain.ReasonTemplateVersionMismatch, "the template changed since it was read", "version", strconv.FormatInt(cur.Version, 10))
	}
	if t.TotalQuantity < cur.Issued {
		return t, fault.New(fault.Invalid, domain.ReasonTemplateInvalid, "total_quantity cannot go below what was issued",
			"field", "total_quantity", "issued", strconv.FormatInt(cur.Issued, 10))
	}
	t.Issued, t.Ended, t.CreatedAt = cur.Issued, cur.Ended, cur.CreatedAt
	if err := a.templates.Update(ctx, t); err == ErrStale {
		return t, fault.New(fault.Precondition, domain.ReasonTemplateVersionMismatch, "the template changed since it was read")
	} else if err != nil {
		return t, err
	}
	return a.templates.Template(ctx, t.ID)
}

// End stops the template's claims, codes and issues.
func (a *Admin) End(ctx context.Context, id string) (domain.Template, error) {
	if _, err := a.templates.Template(ctx, id); err != nil {
		return domain.Template{}, err
	}
	if err := a.templates.End(ctx, id); err != nil {
		return domain.Template{}, err
	}
	return a.templates.Template(ctx, id)
}

// Get returns one template.
func (a *Admin) Get(ctx context.Context, id string) (domain.Template, error) {
	return a.templates.Template(ctx, id)
}

// List returns every template, newest first.
func (a *Admin) List(ctx context.Context) ([]domain.Template, error) { return a.templates.List(ctx) }

// Results is what the paid orders that used a template's coupons came to.
func (a *Admin) Results(ctx context.Context, templateID string) (Results, error) {
	return a.results.Results(ctx, templateID)
}

// Preview checks an unsaved template and prices it on example lines (one
// line of its threshold, or of 100 yuan without one, when none are given).
func (a *Admin) Preview(t domain.Template, lines []domain.Line) (eligible, off int64, err error) {
	if err := t.Validate(); err != nil {
		return 0, 0, err
	}
	if len(lines) == 0 {
		amount := t.ThresholdFen
		if amount == 0 {
			amount = 10000
		}
		lines = []domain.Line{{LineID: "example", PayableFen: amount}}
		if !t.Scope.All() {
			lines[0].ProductID, lines[0].CategoryID = first(t.Scope.ProductIDs), first(t.Scope.CategoryIDs)
		}
	}
	eligible = t.Eligible(lines)
	return eligible, t.Off(eligible), nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// IssueResult counts what an issue did.
type IssueResult struct{ Issued, Repeated, Skipped int64 }

// Issue gives one coupon of a template to each member listed, or to every
// member of a segment. The request id makes it idempotent per member.
func (a *Admin) Issue(ctx context.Context, templateID, requestID string, memberIDs []string, segmentID string) (IssueResult, error) {
	var r IssueResult
	if requestID == "" || len(requestID) > 64 {
		return r, fault.New(fault.Invalid, domain.ReasonRequestIDRequired, "request_id is required (at most 64 characters)", "field", "request_id")
	}
	if len(memberIDs) > maxIssueList {
		return r, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "at most 1,000 members per issue; use a segment for more", "field", "member_ids")
	}
	if len(memberIDs) == 0 && segmentID == "" {
		return r, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "name members or a segment", "field", "member_ids")
	}
	t, err := a.templates.Template(ctx, templateID)
	if err != nil {
		return r, err
	}
	if err := t.Open(a.clk.Now()); err != nil {
		return r, err
	}
	key := domain.IssueKey(t.ID, requestID)
	give := func(memberID string) error {
		_, fresh, err := a.granter.grant(ctx, memberID, key, t, true)
		switch {
		case err == nil && fresh:
			r.Issued++
		case err == nil:
			r.Repeated++
		case fault.KindOf(err) == fault.Precondition || fault.KindOf(err) == fault.Exhausted:
			r.Skipped++
		default:
			return err
		}
		return nil
	}
	if len(memberIDs) > 0 {
		for _, id := range memberIDs {
			if err := give(id); err != nil {
				return r, err
			}
		}
		return r, nil
	}
	return r, a.members.Segment(ctx, segmentID, give)
}

// codeAlphabet leaves out 0/O and 1/I, which shoppers type wrong.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// CreateCodes makes exchange codes, each taking one coupon of the template.
func (a *Admin) CreateCodes(ctx context.Context, templateID string, count int) ([]string, error) {
	if count < 1 || count > maxCodes {
		return nil, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "count is 1 to 1,000", "field", "count")
	}
	t, err := a.templates.Template(ctx, templateID)
	if err != nil {
		return nil, err
	}
	if err := t.Open(a.clk.Now()); err != nil {
		return nil, err
	}
	ok, err := a.templates.Take(ctx, t.ID, int64(count))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, a.granter.whyNot(ctx, t.ID)
	}
	now := a.clk.Now()
	codes := make([]Code, count)
	out := make([]string, count)
	for i := range codes {
		var b [12]byte
		_, _ = rand.Read(b[:])
		for j := range b {
			b[j] = codeAlphabet[int(b[j])%len(codeAlphabet)]
		}
		codes[i] = Code{Code: string(b[:]), TemplateID: t.ID, CreatedAt: now}
		out[i] = codes[i].Code
	}
	if err := a.codes.Insert(ctx, codes); err != nil {
		_ = a.templates.Give(context.WithoutCancel(ctx), t.ID, int64(count))
		return nil, err
	}
	return out, nil
}
