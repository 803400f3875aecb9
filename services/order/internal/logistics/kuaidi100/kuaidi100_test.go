package kuaidi100_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/logistics/kuaidi100"
)

// fake is Kuaidi100's query endpoint as documented: it checks the form
// and the signature and answers a trace or an error.
func fake(t *testing.T, customer, key string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.ParseForm() != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		param := r.PostForm.Get("param")
		if r.PostForm.Get("customer") != customer || r.PostForm.Get("sign") != kuaidi100.Sign(param, key, customer) {
			_, _ = w.Write([]byte(`{"result":false,"returnCode":"601","message":"签名错误"}`))
			return
		}
		var q struct{ Com, Num, Phone string }
		_ = json.Unmarshal([]byte(param), &q)
		if q.Num == "unknown" {
			_, _ = w.Write([]byte(`{"result":false,"returnCode":"500","message":"查询无结果，请隔段时间再查"}`))
			return
		}
		if q.Com == "shunfeng" && q.Phone != "5678" {
			_, _ = w.Write([]byte(`{"result":false,"returnCode":"408","message":"手机号码后四位不正确"}`))
			return
		}
		_, _ = w.Write([]byte(`{"message":"ok","nu":"` + q.Num + `","ischeck":"1","com":"` + q.Com + `","status":"200","state":"3","data":[
			{"time":"2026-12-03 18:20:01","context":"快件已签收","location":"上海"},
			{"time":"2026-12-03 08:00:00","context":"快件正在派送中","location":"上海"}]}`))
	}))
}

func TestTrace(t *testing.T) {
	srv := fake(t, "C1", "K1")
	defer srv.Close()
	c := kuaidi100.New("C1", "K1", srv.URL)
	ctx := context.Background()
	tr, err := c.Trace(ctx, app.TraceQuery{Carrier: "shunfeng", TrackingNo: "SF1", Phone: "13812345678"})
	if err != nil {
		t.Fatal(err)
	}
	if tr.State != app.TraceSigned || len(tr.Events) != 2 || tr.Events[0].Text != "快件已签收" || tr.Events[0].At.UTC().Hour() != 10 {
		t.Fatalf("%+v", tr)
	}
	if _, err := c.Trace(ctx, app.TraceQuery{Carrier: "yuantong", TrackingNo: "unknown"}); err == nil {
		t.Error("an answer without a trace is an error")
	}
	if _, err := kuaidi100.New("C1", "wrong", srv.URL).Trace(ctx, app.TraceQuery{Carrier: "yuantong", TrackingNo: "Y1"}); err == nil {
		t.Error("a bad signature is an error")
	}
}
