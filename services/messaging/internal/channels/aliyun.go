package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/dysmsapi"

	"siyu.dev/pkg/logx"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

// AliyunSMS sends text messages through Alibaba Cloud SMS (dysmsapi) with
// the official SDK. Mainland providers send only approved templates: the
// delivery's rendered SMS variant carries the template code and its
// parameters, the signature is the shop's.
type AliyunSMS struct {
	client   *dysmsapi.Client
	signName string
	endpoint string
	scheme   string
	timeout  time.Duration
}

// AliyunSMSConfig configures the adapter; Endpoint and Scheme "http" are
// for tests against a local fake.
type AliyunSMSConfig struct {
	AccessKeyID, AccessKeySecret, SignName, Region, Endpoint, Scheme string
}

// NewAliyunSMS checks the configuration and builds the client.
func NewAliyunSMS(c AliyunSMSConfig) (*AliyunSMS, error) {
	if c.AccessKeyID == "" || c.AccessKeySecret == "" || c.SignName == "" {
		return nil, errors.New("aliyun sms: access key id, access key secret and sign name are required")
	}
	if c.Region == "" {
		c.Region = "cn-hangzhou"
	}
	if c.Scheme == "" {
		c.Scheme = "https"
	}
	client, err := dysmsapi.NewClientWithAccessKey(c.Region, c.AccessKeyID, c.AccessKeySecret)
	if err != nil {
		return nil, fmt.Errorf("aliyun sms: %w", err)
	}
	return &AliyunSMS{client: client, signName: c.SignName, endpoint: c.Endpoint, scheme: c.Scheme, timeout: 10 * time.Second}, nil
}

// Provider answers no retry fixes: the number, template, signature or
// parameters are wrong, or the number blocks the shop.
var smsRefused = map[string]bool{
	"isv.MOBILE_NUMBER_ILLEGAL": true, "isv.SMS_TEMPLATE_ILLEGAL": true, "isv.SMS_SIGNATURE_ILLEGAL": true,
	"isv.TEMPLATE_MISSING_PARAMETERS": true, "isv.TEMPLATE_PARAMS_ILLEGAL": true, "isv.PARAM_LENGTH_LIMIT": true,
	"isv.BLACK_KEY_CONTROL_LIMIT": true, "isv.DAY_LIMIT_CONTROL": true,
}

// Send texts the member's phone. The SDK has no context support: the call
// is bounded by the adapter's timeout.
func (a *AliyunSMS) Send(_ context.Context, d domain.Delivery, to app.Contact) (string, error) {
	if to.Phone == "" || strings.Contains(to.Phone, "*") {
		return "", app.Permanent(errors.New("aliyun sms: no full phone number for the member"))
	}
	params := d.Content.Params
	if params == nil {
		params = map[string]string{}
	}
	param, err := json.Marshal(params)
	if err != nil {
		return "", app.Permanent(err)
	}
	req := dysmsapi.CreateSendSmsRequest()
	req.Scheme = a.scheme
	if a.endpoint != "" {
		req.Domain = a.endpoint
	}
	req.SetConnectTimeout(a.timeout)
	req.SetReadTimeout(a.timeout)
	req.PhoneNumbers = to.Phone
	req.SignName = a.signName
	req.TemplateCode = d.Content.ProviderTemplate
	req.TemplateParam = string(param)
	// The provider's idempotency hint: a resend of the same delivery.
	req.OutId = app.MessageID(d.ID)
	res, err := a.client.SendSms(req)
	masked := logx.MaskPhone(to.Phone)
	if err != nil {
		// SDK errors can quote the request: keep the phone masked in logs.
		return "", fmt.Errorf("aliyun sms to %s: %s", masked, strings.ReplaceAll(err.Error(), to.Phone, masked))
	}
	if res.Code != "OK" {
		err := fmt.Errorf("aliyun sms to %s: %s: %s (request %s)", masked, res.Code, res.Message, res.RequestId)
		if smsRefused[res.Code] {
			return "", app.Permanent(err)
		}
		return "", err
	}
	return "aliyun-" + res.BizId, nil
}
