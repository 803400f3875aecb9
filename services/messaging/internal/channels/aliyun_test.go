package channels_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/channels"
	"siyu.dev/services/messaging/internal/domain"
)

func TestAliyunSMSAgainstAFakeEndpoint(t *testing.T) {
	var mu sync.Mutex
	var got url.Values
	answer := `{"Code":"OK","Message":"OK","BizId":"b-1","RequestId":"r-1"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_ = r.ParseForm()
		got = r.Form
		_, _ = w.Write([]byte(answer))
	}))
	defer srv.Close()
	a, err := channels.NewAliyunSMS(channels.AliyunSMSConfig{AccessKeyID: "ak", AccessKeySecret: "sk", SignName: "思域", Endpoint: strings.TrimPrefix(srv.URL, "http://"), Scheme: "http"})
	if err != nil {
		t.Fatal(err)
	}
	d := domain.Delivery{ID: "b1:m1:sms", Content: domain.Rendered{ProviderTemplate: "SMS_9", Params: map[string]string{"discount": "8折"}}}
	ctx := context.Background()
	id, err := a.Send(ctx, d, app.Contact{Phone: "13900000001"})
	if err != nil || id != "aliyun-b-1" {
		t.Fatalf("send: %q %v", id, err)
	}
	if got.Get("Action") != "SendSms" || got.Get("PhoneNumbers") != "13900000001" || got.Get("TemplateCode") != "SMS_9" || got.Get("TemplateParam") != `{"discount":"8折"}` || got.Get("SignName") != "思域" {
		t.Fatalf("request: %v", got)
	}
	answer = `{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"bad","RequestId":"r-2"}`
	if _, err := a.Send(ctx, d, app.Contact{Phone: "13900000001"}); !app.IsPermanent(err) || strings.Contains(err.Error(), "13900000001") {
		t.Fatalf("an illegal number: %v", err)
	}
	answer = `{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"limit","RequestId":"r-3"}`
	if _, err := a.Send(ctx, d, app.Contact{Phone: "13900000001"}); err == nil || app.IsPermanent(err) {
		t.Fatalf("a rate limit: %v, want a failure to retry", err)
	}
	if _, err := a.Send(ctx, d, app.Contact{Phone: "139****0001"}); !app.IsPermanent(err) {
		t.Fatalf("a masked phone: %v", err)
	}
}
