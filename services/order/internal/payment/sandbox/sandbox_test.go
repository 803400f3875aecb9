package sandbox

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/testkit"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

// TestSandboxRoundTrip: prepay, confirm once, a signed callback delivered
// (after one failed attempt, retried), verified by ParseNotification;
// tampered callbacks refused; refunds bounded by what was paid, idempotent
// by refund id.
func TestSandboxRoundTrip(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int32
	got := make(chan []byte, 1)
	var sb *Sandbox
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the shop is briefly down
			return
		}
		if _, err := sb.ParseNotification(ctx, r.Header, body); err != nil {
			t.Errorf("delivered callback does not verify: %v", err)
		}
		w.WriteHeader(http.StatusOK)
		got <- body
	}))
	defer srv.Close()
	sb = New(testkit.DB(t), Options{Secret: []byte("k"), NotifyURL: srv.URL, Delay: 10 * time.Millisecond})
	defer sb.Close()

	res, err := sb.Prepay(ctx, app.PrepayRequest{PaymentID: "o1-sandbox", OrderID: "o1", AmountFen: 9900})
	if err != nil || res.PayURL == "" {
		t.Fatalf("prepay: %v %v", res, err)
	}
	if st, err := sb.Confirm(ctx, "o1-sandbox", false); err != nil || st != "paid" {
		t.Fatalf("confirm: %v %v", st, err)
	}
	if _, err := sb.Confirm(ctx, "o1-sandbox", false); fault.ReasonOf(err) != domain.ReasonSandboxPaymentSettled {
		t.Errorf("second confirm: %v", err)
	}
	if _, err := sb.Confirm(ctx, "nope", false); fault.ReasonOf(err) != domain.ReasonPaymentNotFound {
		t.Errorf("unknown payment: %v", err)
	}
	var body []byte
	select {
	case body = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no callback delivered")
	}
	n, err := sb.ParseNotification(ctx, http.Header{SignatureHeader: {Sign([]byte("k"), body)}}, body)
	if err != nil || !n.Succeeded || n.AmountFen != 9900 || n.PaymentID != "o1-sandbox" || n.Currency != "CNY" {
		t.Fatalf("notification: %+v %v", n, err)
	}
	tampered := append([]byte{}, body...)
	tampered[len(tampered)-2] ^= 1
	for name, h := range map[string]http.Header{
		"no signature":    {},
		"other key":       {SignatureHeader: {Sign([]byte("other"), body)}},
		"tampered body":   {SignatureHeader: {Sign([]byte("k"), body)}},
		"not hexadecimal": {SignatureHeader: {"zz"}},
	} {
		b := body
		if name == "tampered body" {
			b = tampered
		}
		if _, err := sb.ParseNotification(ctx, h, b); fault.ReasonOf(err) != domain.ReasonNotificationInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	if q, err := sb.Query(ctx, "o1-sandbox"); err != nil || !q.Succeeded {
		t.Errorf("query: %+v %v", q, err)
	}
	refund := func(id string, fen int64) error {
		_, err := sb.Refund(ctx, app.RefundRequest{RefundID: id, PaymentID: "o1-sandbox", TotalFen: 9900, RefundFen: fen})
		return err
	}
	if err := refund("r1", 5000); err != nil {
		t.Fatal(err)
	}
	if err := refund("r1", 5000); err != nil {
		t.Errorf("the same refund again: %v", err)
	}
	if err := refund("r2", 5000); fault.ReasonOf(err) != domain.ReasonRefundInvalid {
		t.Errorf("refunds over the payment: %v", err)
	}
	if err := refund("r2", 4900); err != nil {
		t.Errorf("the rest: %v", err)
	}
}
