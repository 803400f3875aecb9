package wechatpay_test

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/payment/wechatpay"
)

const (
	mchID    = "1900000001"
	appID    = "wx0000000000000001"
	serial   = "MCHSERIAL01"
	keyID    = "PUB_KEY_ID_0000001"
	apiV3Key = "0123456789abcdef0123456789abcdef"
)

// fakeWechatPay plays WeChat Pay's API v3 as documented: it checks the
// merchant's request signatures, signs its answers with the platform key,
// keeps orders and refunds, and makes signed, encrypted callbacks.
type fakeWechatPay struct {
	t        *testing.T
	merchant *rsa.PublicKey
	platform *rsa.PrivateKey

	mu      sync.Mutex
	orders  map[string]int64 // out_trade_no → total
	paid    map[string]bool
	refunds map[string]int64 // out_refund_no → fen
}

var authRe = regexp.MustCompile(`(\w+)="([^"]*)"`)

// authorization reads the fields of a WECHATPAY2-SHA256-RSA2048 header, in
// any order.
func authorization(h string) map[string]string {
	rest, ok := strings.CutPrefix(h, "WECHATPAY2-SHA256-RSA2048 ")
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, m := range authRe.FindAllStringSubmatch(rest, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func (f *fakeWechatPay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a := authorization(r.Header.Get("Authorization"))
	if a["mchid"] != mchID || a["serial_no"] != serial {
		f.answer(w, http.StatusUnauthorized, `{"code":"SIGN_ERROR","message":"签名错误"}`)
		return
	}
	msg := r.Method + "\n" + r.URL.RequestURI() + "\n" + a["timestamp"] + "\n" + a["nonce_str"] + "\n" + string(body) + "\n"
	sig, _ := base64.StdEncoding.DecodeString(a["signature"])
	sum := sha256.Sum256([]byte(msg))
	if rsa.VerifyPKCS1v15(f.merchant, crypto.SHA256, sum[:], sig) != nil {
		f.answer(w, http.StatusUnauthorized, `{"code":"SIGN_ERROR","message":"签名错误"}`)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v3/pay/transactions/jsapi":
		var req struct {
			OutTradeNo string `json:"out_trade_no"`
			Amount     struct{ Total int64 }
			Payer      struct{ Openid string }
		}
		_ = json.Unmarshal(body, &req)
		if req.Payer.Openid == "" || req.Amount.Total <= 0 {
			f.answer(w, http.StatusBadRequest, `{"code":"PARAM_ERROR","message":"参数错误"}`)
			return
		}
		f.orders[req.OutTradeNo] = req.Amount.Total
		f.answer(w, http.StatusOK, `{"prepay_id":"wx2026`+req.OutTradeNo+`"}`)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v3/pay/transactions/out-trade-no/"):
		no := strings.TrimPrefix(r.URL.Path, "/v3/pay/transactions/out-trade-no/")
		total, ok := f.orders[no]
		if !ok {
			f.answer(w, http.StatusNotFound, `{"code":"ORDER_NOT_EXIST","message":"订单不存在"}`)
			return
		}
		f.answer(w, http.StatusOK, string(f.transaction(no, total, f.paid[no])))
	case r.Method == http.MethodPost && r.URL.Path == "/v3/refund/domestic/refunds":
		var req struct {
			OutTradeNo  string `json:"out_trade_no"`
			OutRefundNo string `json:"out_refund_no"`
			Amount      struct{ Refund, Total int64 }
		}
		_ = json.Unmarshal(body, &req)
		if prev, ok := f.refunds[req.OutRefundNo]; ok && prev != req.Amount.Refund {
			f.answer(w, http.StatusBadRequest, `{"code":"INVALID_REQUEST","message":"退款单号重复"}`)
			return
		}
		if !f.paid[req.OutTradeNo] || req.Amount.Total != f.orders[req.OutTradeNo] {
			f.answer(w, http.StatusBadRequest, `{"code":"INVALID_REQUEST","message":"订单未支付或金额不符"}`)
			return
		}
		f.refunds[req.OutRefundNo] = req.Amount.Refund
		f.answer(w, http.StatusOK, fmt.Sprintf(`{"refund_id":"50%s","out_refund_no":%q,"transaction_id":"42%s","out_trade_no":%q,"channel":"ORIGINAL",
			"user_received_account":"支付用户零钱","create_time":"2026-12-03T10:00:00+08:00","status":"PROCESSING","funds_account":"AVAILABLE",
			"amount":{"total":%d,"refund":%d,"payer_total":%d,"payer_refund":%d,"settlement_refund":%d,"settlement_total":%d,"discount_refund":0,"currency":"CNY","refund_fee":0}}`,
			req.OutRefundNo, req.OutRefundNo, req.OutTradeNo, req.OutTradeNo, req.Amount.Total, req.Amount.Refund, req.Amount.Total, req.Amount.Refund, req.Amount.Refund, req.Amount.Total))
	default:
		f.answer(w, http.StatusNotFound, `{"code":"NOT_FOUND","message":"not found"}`)
	}
}

func (f *fakeWechatPay) transaction(no string, total int64, paid bool) []byte {
	state := "NOTPAY"
	if paid {
		state = "SUCCESS"
	}
	b, _ := json.Marshal(map[string]any{"appid": appID, "mchid": mchID, "out_trade_no": no, "transaction_id": "42" + no, "trade_type": "JSAPI",
		"trade_state": state, "trade_state_desc": state, "success_time": "2026-12-03T10:00:00+08:00", "amount": map[string]any{"total": total, "currency": "CNY"},
		"payer": map[string]any{"openid": "o-payer"}})
	return b
}

// sign makes WeChat Pay's signature headers for a body.
func (f *fakeWechatPay) sign(h http.Header, body []byte, at time.Time) {
	ts, nonce := strconv.FormatInt(at.Unix(), 10), "n"+strconv.FormatInt(at.UnixNano(), 36)
	sum := sha256.Sum256([]byte(ts + "\n" + nonce + "\n" + string(body) + "\n"))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, f.platform, crypto.SHA256, sum[:])
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", base64.StdEncoding.EncodeToString(sig))
	h.Set("Wechatpay-Serial", keyID)
	h.Set("Request-Id", "req-"+nonce)
}

func (f *fakeWechatPay) answer(w http.ResponseWriter, status int, body string) {
	f.sign(w.Header(), []byte(body), time.Now())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// pay settles an order and returns the callback WeChat Pay would send.
func (f *fakeWechatPay) pay(no string, fen int64) (http.Header, []byte) {
	f.mu.Lock()
	f.paid[no] = true
	total := f.orders[no]
	f.mu.Unlock()
	tx := f.transaction(no, total, true)
	if fen != total {
		var m map[string]any
		_ = json.Unmarshal(tx, &m)
		m["amount"] = map[string]any{"total": fen, "currency": "CNY"}
		tx, _ = json.Marshal(m)
	}
	block, _ := aes.NewCipher([]byte(apiV3Key))
	gcm, _ := cipher.NewGCM(block)
	nonce := "0123456789ab"
	ct := gcm.Seal(nil, []byte(nonce), tx, []byte("transaction"))
	body, _ := json.Marshal(map[string]any{"id": "EV-" + no, "create_time": "2026-12-03T10:00:01+08:00", "resource_type": "encrypt-resource",
		"event_type": "TRANSACTION.SUCCESS", "summary": "支付成功", "resource": map[string]any{"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
			"ciphertext": base64.StdEncoding.EncodeToString(ct), "associated_data": "transaction", "nonce": nonce}})
	h := http.Header{}
	f.sign(h, body, time.Now())
	return h, body
}

func pemOf(t *testing.T, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func setup(t *testing.T) (*fakeWechatPay, *wechatpay.Provider) {
	t.Helper()
	mch, _ := rsa.GenerateKey(rand.Reader, 2048)
	platform, _ := rsa.GenerateKey(rand.Reader, 2048)
	f := &fakeWechatPay{t: t, merchant: &mch.PublicKey, platform: platform, orders: map[string]int64{}, paid: map[string]bool{}, refunds: map[string]int64{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	mchDER, _ := x509.MarshalPKCS8PrivateKey(mch)
	pubDER, _ := x509.MarshalPKIXPublicKey(&platform.PublicKey)
	p, err := wechatpay.New(context.Background(), wechatpay.Options{MchID: mchID, AppID: appID, MchCertSerial: serial,
		MchPrivateKeyPEM: pemOf(t, "PRIVATE KEY", mchDER), PublicKeyID: keyID, PublicKeyPEM: pemOf(t, "PUBLIC KEY", pubDER),
		APIv3Key: apiV3Key, NotifyURL: "https://shop.example.com/v1/payments/wechatpay/notify", Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return f, p
}

func TestPrepayQueryNotifyRefund(t *testing.T) {
	f, p := setup(t)
	ctx := context.Background()
	const order = "20261203100000abcdef012345"
	payment := app.PaymentID(order, wechatpay.Name)
	if _, err := p.Prepay(ctx, app.PrepayRequest{PaymentID: payment, OrderID: order, AmountFen: 12800}); fault.ReasonOf(err) != domain.ReasonPayerRequired {
		t.Fatalf("JSAPI needs the payer: %v", err)
	}
	res, err := p.Prepay(ctx, app.PrepayRequest{PaymentID: payment, OrderID: order, AmountFen: 12800, Description: "真丝围巾", PayerOpenID: "o-payer",
		ExpireAt: time.Now().Add(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Params["package"] != "prepay_id=wx2026"+order || res.Params["appId"] != appID || res.Params["signType"] != "RSA" || res.Params["paySign"] == "" {
		t.Fatalf("requestPayment parameters: %v", res.Params)
	}
	if n, err := p.Query(ctx, payment); err != nil || n.Succeeded || n.PaymentID != payment {
		t.Fatalf("unpaid: %+v %v", n, err)
	}
	if n, err := p.Query(ctx, app.PaymentID("20261203100000ffffffffffff", wechatpay.Name)); err != nil || n.Succeeded {
		t.Fatalf("an order WeChat never saw is not paid: %+v %v", n, err)
	}

	h, body := f.pay(order, 12800)
	n, err := p.ParseNotification(ctx, h, body)
	if err != nil || !n.Succeeded || n.PaymentID != payment || n.AmountFen != 12800 || n.Currency != "CNY" || n.ProviderTxnID != "42"+order {
		t.Fatalf("callback: %+v %v", n, err)
	}
	if q, err := p.Query(ctx, payment); err != nil || !q.Succeeded || q.AmountFen != 12800 {
		t.Fatalf("paid: %+v %v", q, err)
	}

	// A tampered body, a foreign signature or a stale timestamp fail
	// verification.
	tampered := []byte(strings.Replace(string(body), "支付成功", "支付失败", 1))
	if _, err := p.ParseNotification(ctx, h, tampered); fault.ReasonOf(err) != domain.ReasonNotificationInvalid {
		t.Errorf("tampered: %v", err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	forger := &fakeWechatPay{platform: other}
	fh := http.Header{}
	forger.sign(fh, body, time.Now())
	if _, err := p.ParseNotification(ctx, fh, body); fault.ReasonOf(err) != domain.ReasonNotificationInvalid {
		t.Errorf("signed by another key: %v", err)
	}
	sh := http.Header{}
	f.sign(sh, body, time.Now().Add(-10*time.Minute))
	if _, err := p.ParseNotification(ctx, sh, body); fault.ReasonOf(err) != domain.ReasonNotificationInvalid {
		t.Errorf("a replay ten minutes later: %v", err)
	}

	// Refunds: out_refund_no makes a repeat safe.
	for range 2 {
		r, err := p.Refund(ctx, app.RefundRequest{RefundID: order + "-r1", PaymentID: payment, TotalFen: 12800, RefundFen: 2800, Reason: "少发一件"})
		if err != nil || r.Status != "PROCESSING" || r.ProviderRefundID == "" {
			t.Fatalf("refund: %+v %v", r, err)
		}
	}
	if _, err := p.Refund(ctx, app.RefundRequest{RefundID: order + "-r1", PaymentID: payment, TotalFen: 12800, RefundFen: 3000}); fault.ReasonOf(err) != domain.ReasonPaymentProviderFailed {
		t.Fatalf("a refund number with another amount: %v", err)
	}
	if len(f.refunds) != 1 {
		t.Fatalf("refunds at WeChat Pay: %v", f.refunds)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	if _, err := wechatpay.New(context.Background(), wechatpay.Options{MchID: mchID}); err == nil {
		t.Fatal("incomplete options must be refused")
	}
}
