package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAliyunAgainstFakeEndpoint(t *testing.T) {
	var got map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got = map[string]string{}
		for k := range r.Form {
			got[k] = r.Form.Get(k)
		}
		w.Header().Set("Content-Type", "application/json")
		if got["PhoneNumbers"] == "13900000009" {
			_, _ = w.Write([]byte(`{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"limit","RequestId":"r-2"}`))
			return
		}
		_, _ = w.Write([]byte(`{"Code":"OK","Message":"OK","BizId":"b-1","RequestId":"r-1"}`))
	}))
	defer srv.Close()
	a, err := NewAliyun(AliyunConfig{AccessKeyID: "ak", AccessKeySecret: "sk", SignName: "思域", TemplateCode: "SMS_1", Endpoint: strings.TrimPrefix(srv.URL, "http://"), Scheme: "http"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SendLoginCode(context.Background(), "13900000001", "123456"); err != nil {
		t.Fatalf("send: %v", err)
	}
	var param map[string]string
	_ = json.Unmarshal([]byte(got["TemplateParam"]), &param)
	if got["Action"] != "SendSms" || got["PhoneNumbers"] != "13900000001" || got["SignName"] != "思域" || got["TemplateCode"] != "SMS_1" ||
		param["code"] != "123456" || got["AccessKeyId"] != "ak" || got["Signature"] == "" {
		t.Errorf("request: %v", got)
	}
	err = a.SendLoginCode(context.Background(), "13900000009", "654321")
	if err == nil || !strings.Contains(err.Error(), "BUSINESS_LIMIT_CONTROL") || strings.Contains(err.Error(), "13900000009") {
		t.Errorf("refused send: %v (the error must name the reason and mask the phone)", err)
	}
	if _, err := NewAliyun(AliyunConfig{AccessKeyID: "ak"}); err == nil {
		t.Error("incomplete configuration accepted")
	}
}

func TestDevMasksPhoneInLogs(t *testing.T) {
	var buf bytes.Buffer
	d := Dev{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	if err := d.SendLoginCode(context.Background(), "13912345678", "123456"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "13912345678") || !strings.Contains(buf.String(), "139****5678") {
		t.Errorf("log line: %s", buf.String())
	}
}
