package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"siyu.dev/pkg/fault"
)

// Template is one notification in every channel it can go out on. Texts hold
// placeholders like {{order_no}} naming declared variables.
type Template struct {
	ID       string
	Name     string
	Category Category
	// Variables are the names a sender must supply, each with a sample value
	// for previews.
	Variables []Variable
	InApp     *InAppVariant
	SMS       *SMSVariant
	Wechat    *WechatVariant
	Version   int64
	UpdatedAt time.Time
}

// Variable is one placeholder a template uses.
type Variable struct {
	Name   string
	Sample string
}

// InAppVariant is an inbox entry: a title, a body and where tapping leads.
type InAppVariant struct {
	Title, Body, Link string
}

// SMSVariant is a text message. Mainland SMS providers send only approved
// templates, so the provider's template code and its parameters are stored;
// Preview renders Text, the approved wording, for operators.
type SMSVariant struct {
	ProviderTemplate string
	Params           map[string]string
	Text             string
}

// WechatVariant is a mini-program subscribe message: the platform template
// id, the page it opens and one value per template field (thing1, time2, …).
type WechatVariant struct {
	TemplateID string
	Page       string
	Fields     map[string]string
}

// Limits the platforms impose; checked at creation so sending never fails
// on them.
const (
	maxTitleRunes      = 40
	maxBodyRunes       = 500
	maxSMSRunes        = 300
	maxWechatValueRune = 20
	maxVariables       = 20
)

var (
	placeholder  = regexp.MustCompile(`\{\{\s*([a-z][a-z0-9_]{0,31})\s*\}\}`)
	anyBraces    = regexp.MustCompile(`\{\{[^}]*\}\}`)
	variableName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	templateID   = regexp.MustCompile(`^[a-z][a-z0-9_.-]{1,63}$`)
	wechatField  = regexp.MustCompile(`^[a-z_]+[0-9]{1,2}$`)
)

func invalid(field, format string, a ...any) *fault.Fault {
	return fault.New(fault.Invalid, ReasonTemplateInvalid, fmt.Sprintf(format, a...), "field", field)
}

// Channels is the set of channels the template has a variant for.
func (t Template) Channels() []Channel {
	var out []Channel
	if t.InApp != nil {
		out = append(out, ChannelInApp)
	}
	if t.SMS != nil {
		out = append(out, ChannelSMS)
	}
	if t.Wechat != nil {
		out = append(out, ChannelWechatSubscribe)
	}
	return out
}

// Validate checks the template as operators save it: an id and name, at
// least one channel, declared variables only, and every platform limit that
// a rendering with the samples can already break.
func (t Template) Validate() error {
	if !templateID.MatchString(t.ID) {
		return invalid("id", "id must be 2-64 lowercase letters, digits, '_', '-' or '.', starting with a letter")
	}
	if strings.TrimSpace(t.Name) == "" || utf8.RuneCountInString(t.Name) > 64 {
		return invalid("name", "name is required, at most 64 characters")
	}
	if t.Category != Transactional && t.Category != Marketing {
		return invalid("category", "category must be transactional or marketing")
	}
	if len(t.Channels()) == 0 {
		return invalid("channels", "a template needs at least one channel variant")
	}
	if len(t.Variables) > maxVariables {
		return invalid("variables", "at most %d variables", maxVariables)
	}
	declared := map[string]bool{}
	for _, v := range t.Variables {
		if !variableName.MatchString(v.Name) {
			return invalid("variables", "variable %q must be lowercase letters, digits or '_', starting with a letter", v.Name)
		}
		if declared[v.Name] {
			return invalid("variables", "variable %q is declared twice", v.Name)
		}
		declared[v.Name] = true
	}
	for field, text := range t.texts() {
		if stray := anyBraces.ReplaceAllStringFunc(text, func(m string) string {
			if placeholder.MatchString(m) {
				return ""
			}
			return m
		}); anyBraces.MatchString(stray) {
			return invalid(field, "%s has a malformed placeholder; write {{name}}", field)
		}
		for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
			if !declared[m[1]] {
				return invalid(field, "%s uses {{%s}}, which is not a declared variable", field, m[1])
			}
		}
	}
	if t.InApp != nil && strings.TrimSpace(t.InApp.Title) == "" {
		return invalid("in_app.title", "the inbox title is required")
	}
	if t.SMS != nil && (strings.TrimSpace(t.SMS.ProviderTemplate) == "" || strings.TrimSpace(t.SMS.Text) == "") {
		return invalid("sms", "an SMS variant needs the provider's template code and its approved text")
	}
	if t.Wechat != nil {
		if strings.TrimSpace(t.Wechat.TemplateID) == "" || len(t.Wechat.Fields) == 0 {
			return invalid("wechat", "a WeChat variant needs the subscribe template id and its fields")
		}
		for k := range t.Wechat.Fields {
			if !wechatField.MatchString(k) {
				return invalid("wechat.fields", "WeChat field %q must look like thing1 or time2", k)
			}
		}
	}
	samples := map[string]string{}
	for _, v := range t.Variables {
		samples[v.Name] = v.Sample
	}
	_, err := t.Render(t.Channels(), samples)
	return err
}

// texts are every text with placeholders, by field name.
func (t Template) texts() map[string]string {
	out := map[string]string{}
	if t.InApp != nil {
		out["in_app.title"], out["in_app.body"], out["in_app.link"] = t.InApp.Title, t.InApp.Body, t.InApp.Link
	}
	if t.SMS != nil {
		out["sms.text"] = t.SMS.Text
		for k, v := range t.SMS.Params {
			out["sms.params."+k] = v
		}
	}
	if t.Wechat != nil {
		out["wechat.page"] = t.Wechat.Page
		for k, v := range t.Wechat.Fields {
			out["wechat.fields."+k] = v
		}
	}
	return out
}

// Rendered is a template filled in for one channel.
type Rendered struct {
	Channel Channel
	Title   string
	Body    string
	Link    string
	// ProviderTemplate and Params are what SMS and WeChat providers take.
	ProviderTemplate string
	Params           map[string]string
}

// Render fills the template's variants for channels with vars. A missing
// variable or a value that breaks a platform limit is a fault, not a
// half-filled message.
func (t Template) Render(channels []Channel, vars map[string]string) ([]Rendered, error) {
	fill := func(field, s string) (string, error) {
		var missing string
		out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
			name := placeholder.FindStringSubmatch(m)[1]
			v, ok := vars[name]
			if !ok && missing == "" {
				missing = name
			}
			return v
		})
		if missing != "" {
			return "", fault.New(fault.Invalid, ReasonVariableMissing, fmt.Sprintf("%s needs the variable %q", field, missing), "variable", missing)
		}
		return out, nil
	}
	tooLong := func(field string, s string, max int) error {
		if utf8.RuneCountInString(s) > max {
			return fault.New(fault.Invalid, ReasonTemplateInvalid, fmt.Sprintf("%s is longer than %d characters once filled in", field, max), "field", field)
		}
		return nil
	}
	var out []Rendered
	var err error
	for _, ch := range channels {
		r := Rendered{Channel: ch}
		switch {
		case ch == ChannelInApp && t.InApp != nil:
			if r.Title, err = fill("in_app.title", t.InApp.Title); err != nil {
				return nil, err
			}
			if r.Body, err = fill("in_app.body", t.InApp.Body); err != nil {
				return nil, err
			}
			if r.Link, err = fill("in_app.link", t.InApp.Link); err != nil {
				return nil, err
			}
			if err = firstErr(tooLong("in_app.title", r.Title, maxTitleRunes), tooLong("in_app.body", r.Body, maxBodyRunes)); err != nil {
				return nil, err
			}
		case ch == ChannelSMS && t.SMS != nil:
			if r.Body, err = fill("sms.text", t.SMS.Text); err != nil {
				return nil, err
			}
			if err = tooLong("sms.text", r.Body, maxSMSRunes); err != nil {
				return nil, err
			}
			r.ProviderTemplate = t.SMS.ProviderTemplate
			if r.Params, err = fillAll("sms.params.", t.SMS.Params, fill); err != nil {
				return nil, err
			}
		case ch == ChannelWechatSubscribe && t.Wechat != nil:
			r.ProviderTemplate = t.Wechat.TemplateID
			if r.Link, err = fill("wechat.page", t.Wechat.Page); err != nil {
				return nil, err
			}
			if r.Params, err = fillAll("wechat.fields.", t.Wechat.Fields, fill); err != nil {
				return nil, err
			}
			for k, v := range r.Params {
				if err = tooLong("wechat.fields."+k, v, wechatFieldLimit(k)); err != nil {
					return nil, err
				}
			}
		default:
			return nil, fault.New(fault.Precondition, ReasonChannelNotInTemplate, fmt.Sprintf("template %s has no %s variant", t.ID, ch), "channel", string(ch))
		}
		out = append(out, r)
	}
	return out, nil
}

// wechatFieldLimit is the length WeChat allows a subscribe-message field
// of its kind (the name's letters): codes and numbers up to 32 characters,
// a phrase 5, text ("thing") and everything else 20.
func wechatFieldLimit(field string) int {
	kind := strings.TrimRight(field, "0123456789")
	switch kind {
	case "character_string", "number", "letter":
		return 32
	case "phrase":
		return 5
	}
	return maxWechatValueRune
}

func fillAll(prefix string, in map[string]string, fill func(field, s string) (string, error)) (map[string]string, error) {
	out := make(map[string]string, len(in))
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first missing variable reported is stable
	for _, k := range keys {
		v, err := fill(prefix+k, in[k])
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
