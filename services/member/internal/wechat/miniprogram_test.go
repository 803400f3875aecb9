package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"siyu.dev/services/member/internal/domain"
)

// fakePlatform answers like the WeChat platform for the three calls the
// adapter makes.
func fakePlatform(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var tokens atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/sns/jscode2session":
			if q.Get("appid") != "wx-app" || q.Get("secret") != "s3cret" || q.Get("grant_type") != "authorization_code" {
				_, _ = w.Write([]byte(`{"errcode":40125,"errmsg":"invalid appsecret"}`))
				return
			}
			switch q.Get("js_code") {
			case "good":
				_, _ = w.Write([]byte(`{"openid":"o-1","session_key":"k","unionid":"u-1"}`))
			case "used":
				_, _ = w.Write([]byte(`{"errcode":40163,"errmsg":"code been used"}`))
			case "busy":
				_, _ = w.Write([]byte(`{"errcode":-1,"errmsg":"system busy"}`))
			default:
				w.WriteHeader(http.StatusBadGateway)
			}
		case "/cgi-bin/token":
			tokens.Add(1)
			_, _ = w.Write([]byte(`{"access_token":"AT","expires_in":7200}`))
		case "/wxa/business/getuserphonenumber":
			var body struct{ Code string }
			_ = json.NewDecoder(r.Body).Decode(&body)
			switch {
			case q.Get("access_token") != "AT":
				_, _ = w.Write([]byte(`{"errcode":40001,"errmsg":"invalid credential"}`))
			case body.Code == "pc-cn":
				_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":"86"}}`))
			case body.Code == "pc-us":
				_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"+1 4155550100","purePhoneNumber":"4155550100","countryCode":"1"}}`))
			default:
				_, _ = w.Write([]byte(`{"errcode":40029,"errmsg":"invalid code"}`))
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &tokens
}

func TestMiniProgramAgainstFakePlatform(t *testing.T) {
	srv, tokens := fakePlatform(t)
	mp := NewMiniProgram("wx-app", "s3cret", srv.URL)
	ctx := context.Background()

	ws, err := mp.Code2Session(ctx, "good")
	if err != nil || ws.OpenID != "o-1" || ws.UnionID != "u-1" || ws.SessionKey != "k" {
		t.Fatalf("good code: %+v %v", ws, err)
	}
	if _, err := mp.Code2Session(ctx, "used"); !errors.Is(err, domain.ErrWechatCodeInvalid) {
		t.Errorf("used code: %v", err)
	}
	_, err = mp.Code2Session(ctx, "busy")
	if err == nil || errors.Is(err, domain.ErrWechatCodeInvalid) || !strings.Contains(err.Error(), "-1") {
		t.Errorf("platform error is not the shopper's fault: %v", err)
	}
	_, err = mp.Code2Session(ctx, "http-error")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("HTTP failure must not leak the secret: %v", err)
	}

	phone, err := mp.PhoneNumber(ctx, "pc-cn")
	if err != nil || phone != "13800138000" {
		t.Fatalf("phone: %q %v", phone, err)
	}
	if phone, _ := mp.PhoneNumber(ctx, "pc-us"); phone != "+14155550100" || domain.ValidatePhone(phone) == nil {
		t.Errorf("foreign phone %q must keep its country code", phone)
	}
	if _, err := mp.PhoneNumber(ctx, "expired"); !errors.Is(err, domain.ErrWechatPhoneCodeInvalid) {
		t.Errorf("bad phone code: %v", err)
	}
	if n := tokens.Load(); n != 1 {
		t.Errorf("access token fetched %d times, want 1 (cached)", n)
	}

	wrong := NewMiniProgram("wx-app", "wrong", srv.URL)
	if _, err := wrong.Code2Session(ctx, "good"); err == nil || errors.Is(err, domain.ErrWechatCodeInvalid) {
		t.Errorf("wrong secret is a configuration error: %v", err)
	}
}

func TestSandbox(t *testing.T) {
	ctx := context.Background()
	a, _ := Sandbox{}.Code2Session(ctx, "alice")
	b, _ := Sandbox{}.Code2Session(ctx, "alice")
	c, _ := Sandbox{}.Code2Session(ctx, "nounion-carol")
	if a.OpenID == "" || a != b || a.UnionID == "" || c.UnionID != "" || c.OpenID == a.OpenID {
		t.Errorf("sandbox ids: %+v %+v %+v", a, b, c)
	}
	if _, err := (Sandbox{}).Code2Session(ctx, "invalid-x"); !errors.Is(err, domain.ErrWechatCodeInvalid) {
		t.Errorf("invalid code: %v", err)
	}
	if p, err := (Sandbox{}).PhoneNumber(ctx, "phone-13900000001"); p != "13900000001" || err != nil {
		t.Errorf("phone: %q %v", p, err)
	}
	if _, err := (Sandbox{}).PhoneNumber(ctx, "13900000001"); !errors.Is(err, domain.ErrWechatPhoneCodeInvalid) {
		t.Errorf("bad phone code: %v", err)
	}
}
