// Package wechatpay is the WeChat Pay API v3 payment provider, built on
// the official Go SDK: JSAPI / mini-program prepay (with the signed
// parameters of wx.requestPayment), callbacks verified with WeChat Pay's
// public key and decrypted with the API v3 key, order queries and refunds.
package wechatpay

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/jsapi"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"siyu.dev/pkg/fault"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

// Name is the provider's name in payment ids and callback routes.
const Name = "wechatpay"

// Options configure the provider; every field but Endpoint is required.
type Options struct {
	MchID, AppID string
	// MchCertSerial is the serial number of the merchant's API certificate,
	// whose private key (PEM) signs every request.
	MchCertSerial, MchPrivateKeyPEM string
	// PublicKeyID and PublicKeyPEM are WeChat Pay's public key, which
	// verifies its answers and callbacks.
	PublicKeyID, PublicKeyPEM string
	// APIv3Key decrypts callbacks (32 bytes).
	APIv3Key string
	// NotifyURL is the gateway's public route POST /v1/payments/wechatpay/notify.
	NotifyURL string
	// Endpoint replaces https://api.mch.weixin.qq.com (a test double or a
	// proxy); empty uses WeChat Pay.
	Endpoint string
}

// Provider pays through WeChat Pay.
type Provider struct {
	o      Options
	client *core.Client
	notify *notify.Handler
}

// New checks the options and builds the SDK client.
func New(ctx context.Context, o Options) (*Provider, error) {
	for name, v := range map[string]string{"mch id": o.MchID, "app id": o.AppID, "merchant certificate serial": o.MchCertSerial,
		"merchant private key": o.MchPrivateKeyPEM, "public key id": o.PublicKeyID, "public key": o.PublicKeyPEM, "API v3 key": o.APIv3Key, "notify URL": o.NotifyURL} {
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("wechatpay: the %s is required", name)
		}
	}
	if len(o.APIv3Key) != 32 {
		return nil, errors.New("wechatpay: the API v3 key is 32 bytes")
	}
	priv, err := utils.LoadPrivateKey(o.MchPrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: merchant private key: %w", err)
	}
	pub, err := utils.LoadPublicKey(o.PublicKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: public key: %w", err)
	}
	httpClient := &http.Client{Timeout: 10 * time.Second}
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("wechatpay: endpoint %q is not a URL", o.Endpoint)
		}
		httpClient.Transport = redirect{to: u, next: http.DefaultTransport}
	}
	client, err := core.NewClient(ctx, option.WithWechatPayPublicKeyAuthCipher(o.MchID, o.MchCertSerial, priv, o.PublicKeyID, pub),
		option.WithHTTPClient(httpClient))
	if err != nil {
		return nil, fmt.Errorf("wechatpay: %w", err)
	}
	h, err := notify.NewRSANotifyHandler(o.APIv3Key, verifiers.NewSHA256WithRSAPubkeyVerifier(o.PublicKeyID, *pub))
	if err != nil {
		return nil, fmt.Errorf("wechatpay: %w", err)
	}
	return &Provider{o: o, client: client, notify: h}, nil
}

// PublicKey parses a PEM public key (for tests and configuration checks).
func PublicKey(pemText string) (*rsa.PublicKey, error) { return utils.LoadPublicKey(pemText) }

// redirect sends the SDK's requests for WeChat Pay's host to another one.
type redirect struct {
	to   *url.URL
	next http.RoundTripper
}

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.to.Scheme, r.to.Host
	req.Host = r.to.Host
	return r.next.RoundTrip(req)
}

// Name is "wechatpay".
func (p *Provider) Name() string { return Name }

// outTradeNo is WeChat's order number of a payment: the order id (WeChat
// allows 32 characters, and an order has one WeChat payment).
func outTradeNo(paymentID string) string { return app.OrderOfPayment(paymentID) }

func failed(err error) error {
	var apiErr *core.APIError
	if errors.As(err, &apiErr) {
		return fault.New(fault.Unavailable, domain.ReasonPaymentProviderFailed, "WeChat Pay refused: "+apiErr.Message, "provider", Name, "code", apiErr.Code)
	}
	return fault.New(fault.Unavailable, domain.ReasonPaymentProviderFailed, "WeChat Pay could not be reached", "provider", Name)
}

// Prepay starts a JSAPI (mini-program) payment and returns the signed
// parameters of wx.requestPayment.
func (p *Provider) Prepay(ctx context.Context, r app.PrepayRequest) (app.PrepayResult, error) {
	if r.PayerOpenID == "" {
		return app.PrepayResult{}, fault.New(fault.Invalid, domain.ReasonPayerRequired, "WeChat Pay needs the payer's openid", "field", "payer_openid")
	}
	svc := jsapi.JsapiApiService{Client: p.client}
	desc := r.Description
	if len(desc) > 120 {
		desc = desc[:120]
	}
	resp, _, err := svc.PrepayWithRequestPayment(ctx, jsapi.PrepayRequest{
		Appid: core.String(p.o.AppID), Mchid: core.String(p.o.MchID), Description: core.String(desc),
		OutTradeNo: core.String(outTradeNo(r.PaymentID)), TimeExpire: core.Time(r.ExpireAt), NotifyUrl: core.String(p.o.NotifyURL),
		Amount: &jsapi.Amount{Total: core.Int64(r.AmountFen), Currency: core.String("CNY")},
		Payer:  &jsapi.Payer{Openid: core.String(r.PayerOpenID)},
	})
	if err != nil {
		return app.PrepayResult{}, failed(err)
	}
	return app.PrepayResult{Params: map[string]string{"appId": *resp.Appid, "timeStamp": *resp.TimeStamp, "nonceStr": *resp.NonceStr,
		"package": *resp.Package, "signType": *resp.SignType, "paySign": *resp.PaySign}}, nil
}

// transaction turns WeChat's statement into a notification.
func transaction(t *payments.Transaction) (app.Notification, error) {
	if t.OutTradeNo == nil || t.Amount == nil || t.Amount.Total == nil {
		return app.Notification{}, errors.New("wechatpay: a transaction without its order number or amount")
	}
	n := app.Notification{PaymentID: app.PaymentID(*t.OutTradeNo, Name), AmountFen: *t.Amount.Total, Succeeded: t.TradeState != nil && *t.TradeState == "SUCCESS"}
	if t.TransactionId != nil {
		n.ProviderTxnID = *t.TransactionId
	}
	if t.Amount.Currency != nil {
		n.Currency = *t.Amount.Currency
	}
	if t.SuccessTime != nil {
		n.PaidAt, _ = time.Parse(time.RFC3339, *t.SuccessTime)
	}
	return n, nil
}

// ParseNotification verifies a callback's signature with WeChat Pay's
// public key (and its timestamp), then decrypts the transaction.
func (p *Provider) ParseNotification(ctx context.Context, h http.Header, body []byte) (app.Notification, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.o.NotifyURL, strings.NewReader(string(body)))
	if err != nil {
		return app.Notification{}, err
	}
	req.Header = h.Clone()
	var t payments.Transaction
	if _, err := p.notify.ParseNotifyRequest(ctx, req, &t); err != nil {
		return app.Notification{}, fault.New(fault.Unauthenticated, domain.ReasonNotificationInvalid, "the WeChat Pay callback failed verification")
	}
	return transaction(&t)
}

// Query asks WeChat Pay about a payment (the reconciliation of orders left
// pending).
func (p *Provider) Query(ctx context.Context, paymentID string) (app.Notification, error) {
	svc := jsapi.JsapiApiService{Client: p.client}
	t, _, err := svc.QueryOrderByOutTradeNo(ctx, jsapi.QueryOrderByOutTradeNoRequest{OutTradeNo: core.String(outTradeNo(paymentID)), Mchid: core.String(p.o.MchID)})
	if err != nil {
		var apiErr *core.APIError
		if errors.As(err, &apiErr) && apiErr.Code == "ORDER_NOT_EXIST" {
			return app.Notification{PaymentID: paymentID}, nil
		}
		return app.Notification{}, failed(err)
	}
	return transaction(t)
}

// Refund asks WeChat Pay to refund; out_refund_no makes repeats safe. A
// refund WeChat accepted (PROCESSING or SUCCESS) is settled for the order.
func (p *Provider) Refund(ctx context.Context, r app.RefundRequest) (app.RefundResult, error) {
	svc := refunddomestic.RefundsApiService{Client: p.client}
	reason := r.Reason
	if len(reason) > 80 {
		reason = reason[:80]
	}
	resp, _, err := svc.Create(ctx, refunddomestic.CreateRequest{OutTradeNo: core.String(outTradeNo(r.PaymentID)), OutRefundNo: core.String(r.RefundID),
		Reason: core.String(reason), Amount: &refunddomestic.AmountReq{Refund: core.Int64(r.RefundFen), Total: core.Int64(r.TotalFen), Currency: core.String("CNY")}})
	if err != nil {
		return app.RefundResult{}, failed(err)
	}
	res := app.RefundResult{}
	if resp.RefundId != nil {
		res.ProviderRefundID = *resp.RefundId
	}
	if resp.Status != nil {
		res.Status = string(*resp.Status)
	}
	if res.Status == "CLOSED" || res.Status == "ABNORMAL" {
		return res, fault.New(fault.Unavailable, domain.ReasonPaymentProviderFailed, "WeChat Pay did not refund: "+res.Status, "provider", Name)
	}
	return res, nil
}
