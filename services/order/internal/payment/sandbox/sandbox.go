// Package sandbox is the sandbox payment provider: a stand-in bank for
// development and tests that behaves like a real provider — payments it
// keeps in its own collection, a shopper's confirmation, and an HMAC-signed
// asynchronous callback posted to the shop's public notify URL (the
// gateway), retried until the shop acknowledges it. It never moves money.
package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/mongox"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

// Name is the provider's name in PayOrder and in the notify URL.
const Name = "sandbox"

// SignatureHeader carries hex(HMAC-SHA256(secret, body)).
const SignatureHeader = "X-Sandbox-Signature"

// Options configure the sandbox.
type Options struct {
	// Secret signs callbacks; the shop verifies them with it.
	Secret []byte
	// NotifyURL is where callbacks go: the gateway's
	// /v1/payments/sandbox/notify.
	NotifyURL string
	// Delay is how long after a confirmation the callback is sent.
	Delay  time.Duration
	Logger *slog.Logger
	Clock  clock.Clock
	// Client posts callbacks; nil uses a client with a 10-second timeout.
	Client *http.Client
}

// Sandbox is the provider.
type Sandbox struct {
	coll *mongo.Collection
	o    Options
	// ctx ends the deliveries in flight; wg joins them (Close).
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New keeps the sandbox's payments in db's sandbox_payments collection.
func New(db *mongo.Database, o Options) *Sandbox {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Clock == nil {
		o.Clock = clock.System
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Sandbox{coll: db.Collection("sandbox_payments"), o: o, ctx: ctx, cancel: cancel}
}

// Close stops retrying deliveries and waits for those in flight.
func (s *Sandbox) Close() {
	s.cancel()
	s.wg.Wait()
}

// Name implements app.Provider.
func (s *Sandbox) Name() string { return Name }

type paymentDoc struct {
	ID        string           `bson:"_id"`
	OrderID   string           `bson:"order_id"`
	AmountFen int64            `bson:"amount_fen"`
	Status    string           `bson:"status"` // pending, paid, declined
	TxnID     string           `bson:"txn_id,omitempty"`
	PaidAt    time.Time        `bson:"paid_at,omitempty"`
	Refunds   map[string]int64 `bson:"refunds,omitempty"`
}

// Prepay records the payment (again with the same amount is harmless) and
// returns where the shopper confirms it.
func (s *Sandbox) Prepay(ctx context.Context, r app.PrepayRequest) (app.PrepayResult, error) {
	_, err := s.coll.UpdateOne(ctx, bson.M{"_id": r.PaymentID},
		bson.M{"$setOnInsert": bson.M{"order_id": r.OrderID, "amount_fen": r.AmountFen, "status": "pending"}}, options.UpdateOne().SetUpsert(true))
	if err != nil && !mongox.IsDuplicateKey(err) {
		return app.PrepayResult{}, err
	}
	return app.PrepayResult{
		PayURL: "/v1/sandbox/payments/" + r.PaymentID + ":confirm",
		Params: map[string]string{"payment_id": r.PaymentID, "amount_fen": fmt.Sprint(r.AmountFen)},
	}, nil
}

// notification is the callback body.
type notification struct {
	PaymentID string    `json:"payment_id"`
	TxnID     string    `json:"txn_id"`
	AmountFen int64     `json:"amount_fen"`
	Currency  string    `json:"currency"`
	Status    string    `json:"status"`
	PaidAt    time.Time `json:"paid_at"`
}

// Confirm settles a pending payment (paid, or declined) once, then sends
// the callback in the background.
func (s *Sandbox) Confirm(ctx context.Context, paymentID string, decline bool) (string, error) {
	status := "paid"
	if decline {
		status = "declined"
	}
	now := s.o.Clock.Now().UTC()
	txn := "sbx_" + paymentID
	won, err := mongox.UpdateIf(ctx, s.coll, paymentID, bson.M{"status": "pending"},
		bson.M{"$set": bson.M{"status": status, "txn_id": txn, "paid_at": now}})
	if err != nil {
		return "", err
	}
	var d paymentDoc
	if err := s.coll.FindOne(ctx, bson.M{"_id": paymentID}).Decode(&d); err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) {
			return "", fault.New(fault.NotFound, domain.ReasonPaymentNotFound, "no such sandbox payment")
		}
		return "", err
	}
	if !won {
		return "", fault.New(fault.Precondition, domain.ReasonSandboxPaymentSettled, "this sandbox payment is already "+d.Status)
	}
	s.deliver(d)
	return status, nil
}

// deliver posts the signed callback after the delay, retrying with backoff
// until the shop answers 2xx or the sandbox closes.
func (s *Sandbox) deliver(d paymentDoc) {
	body, _ := json.Marshal(notification{PaymentID: d.ID, TxnID: d.TxnID, AmountFen: d.AmountFen, Currency: "CNY", Status: d.Status, PaidAt: d.PaidAt})
	s.wg.Go(func() {
		wait := s.o.Delay
		for attempt := 1; ; attempt++ {
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(wait):
			}
			err := s.post(body)
			if err == nil {
				return
			}
			s.o.Logger.Warn("sandbox payment callback failed; retrying", "payment_id", d.ID, "attempt", attempt, "err", err)
			wait = min(max(2*wait, 200*time.Millisecond), 30*time.Second)
		}
	})
}

func (s *Sandbox) post(body []byte) error {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.o.NotifyURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(s.o.Secret, body))
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// Sign is the callback signature of body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// ParseNotification verifies the signature and reads the callback.
func (s *Sandbox) ParseNotification(_ context.Context, h http.Header, body []byte) (app.Notification, error) {
	got, err := hex.DecodeString(h.Get(SignatureHeader))
	want, _ := hex.DecodeString(Sign(s.o.Secret, body))
	if err != nil || !hmac.Equal(got, want) {
		return app.Notification{}, fault.New(fault.Unauthenticated, domain.ReasonNotificationInvalid, "the sandbox signature does not match")
	}
	var n notification
	if err := json.Unmarshal(body, &n); err != nil || n.PaymentID == "" {
		return app.Notification{}, fault.New(fault.Invalid, domain.ReasonNotificationInvalid, "the sandbox notification is malformed")
	}
	return app.Notification{PaymentID: n.PaymentID, ProviderTxnID: n.TxnID, AmountFen: n.AmountFen, Currency: n.Currency, Succeeded: n.Status == "paid", PaidAt: n.PaidAt}, nil
}

// Query reads the payment as the sandbox knows it.
func (s *Sandbox) Query(ctx context.Context, paymentID string) (app.Notification, error) {
	var d paymentDoc
	err := s.coll.FindOne(ctx, bson.M{"_id": paymentID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return app.Notification{PaymentID: paymentID}, nil
	}
	if err != nil {
		return app.Notification{}, err
	}
	return app.Notification{PaymentID: d.ID, ProviderTxnID: d.TxnID, AmountFen: d.AmountFen, Currency: "CNY", Succeeded: d.Status == "paid", PaidAt: d.PaidAt}, nil
}

// Refund records a refund of a paid payment, once per refund id.
func (s *Sandbox) Refund(ctx context.Context, r app.RefundRequest) (app.RefundResult, error) {
	var d paymentDoc
	if err := s.coll.FindOne(ctx, bson.M{"_id": r.PaymentID}).Decode(&d); err != nil || d.Status != "paid" {
		return app.RefundResult{}, fault.New(fault.Precondition, domain.ReasonRefundInvalid, "the sandbox has no paid payment "+r.PaymentID)
	}
	var refunded int64
	for id, fen := range d.Refunds {
		if id != r.RefundID {
			refunded += fen
		}
	}
	if r.RefundFen <= 0 || refunded+r.RefundFen > d.AmountFen {
		return app.RefundResult{}, fault.New(fault.Invalid, domain.ReasonRefundInvalid, "the refund exceeds what was paid")
	}
	if _, err := s.coll.UpdateOne(ctx, bson.M{"_id": r.PaymentID}, bson.M{"$set": bson.M{"refunds." + r.RefundID: r.RefundFen}}); err != nil {
		return app.RefundResult{}, err
	}
	return app.RefundResult{ProviderRefundID: "sbr_" + r.RefundID, Status: "SUCCESS"}, nil
}

var _ app.Provider = (*Sandbox)(nil)
