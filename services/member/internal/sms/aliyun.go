package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/dysmsapi"

	"siyu.dev/pkg/logx"
)

// AliyunConfig configures Alibaba Cloud SMS (dysmsapi).
type AliyunConfig struct {
	AccessKeyID     string
	AccessKeySecret string
	// SignName is the approved SMS signature, TemplateCode the approved
	// login template; the template must have a ${code} parameter.
	SignName     string
	TemplateCode string
	// Region defaults to cn-hangzhou.
	Region string
	// Endpoint overrides the API host (host[:port]); Scheme "http" is for
	// tests against a local fake only.
	Endpoint string
	Scheme   string
	Timeout  time.Duration
}

// Aliyun sends login codes through Alibaba Cloud SMS with the official
// SDK (github.com/aliyun/alibaba-cloud-sdk-go).
type Aliyun struct {
	client *dysmsapi.Client
	cfg    AliyunConfig
}

// NewAliyun checks the configuration and builds the client.
func NewAliyun(c AliyunConfig) (*Aliyun, error) {
	if c.AccessKeyID == "" || c.AccessKeySecret == "" || c.SignName == "" || c.TemplateCode == "" {
		return nil, errors.New("aliyun sms: access key id, access key secret, sign name and template code are all required")
	}
	if c.Region == "" {
		c.Region = "cn-hangzhou"
	}
	if c.Scheme == "" {
		c.Scheme = "https"
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	client, err := dysmsapi.NewClientWithAccessKey(c.Region, c.AccessKeyID, c.AccessKeySecret)
	if err != nil {
		return nil, fmt.Errorf("aliyun sms: %w", err)
	}
	return &Aliyun{client: client, cfg: c}, nil
}

// SendLoginCode sends the code with the login template. The SDK has no
// context support: the call is bounded by the configured timeout.
func (a *Aliyun) SendLoginCode(_ context.Context, phone, code string) error {
	param, err := json.Marshal(map[string]string{"code": code})
	if err != nil {
		return err
	}
	req := dysmsapi.CreateSendSmsRequest()
	req.Scheme = a.cfg.Scheme
	if a.cfg.Endpoint != "" {
		req.Domain = a.cfg.Endpoint
	}
	req.SetConnectTimeout(a.cfg.Timeout)
	req.SetReadTimeout(a.cfg.Timeout)
	req.PhoneNumbers = phone
	req.SignName = a.cfg.SignName
	req.TemplateCode = a.cfg.TemplateCode
	req.TemplateParam = string(param)
	res, err := a.client.SendSms(req)
	if err != nil {
		// SDK errors can quote the request: keep the phone masked and the
		// code out of the logs.
		msg := strings.NewReplacer(phone, logx.MaskPhone(phone), code, "******").Replace(err.Error())
		return fmt.Errorf("aliyun sms to %s: %s", logx.MaskPhone(phone), msg)
	}
	if res.Code != "OK" {
		return fmt.Errorf("aliyun sms to %s: %s: %s (request %s)", logx.MaskPhone(phone), res.Code, res.Message, res.RequestId)
	}
	return nil
}
