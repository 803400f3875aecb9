package grpcapi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"siyu.dev/pkg/auth"
	memberv1 "siyu.dev/proto/siyu/member/v1"
)

// BenchmarkSmsLogin measures whole SMS logins (send a code, log in,
// register on first login) through gRPC against the embedded store, and
// reports logins per second.
func BenchmarkSmsLogin(b *testing.B) {
	e := setup(b)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		phone := fmt.Sprintf("137%08d", i)
		sent, err := e.auth.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: phone})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: phone, Code: sent.DevCode}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "logins/s")
}

// BenchmarkTokenVerification compares verifying an access token (what the
// gateway and every service do per request) with a whole authenticated
// GetMe call over gRPC, and reports verification's share of the request.
func BenchmarkTokenVerification(b *testing.B) {
	e := setup(b)
	res := e.login(b, "13700000000")
	v := auth.NewVerifier(e.pub, "siyu", e.clk)
	ctx := bearer(context.Background(), res.AccessToken)

	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := v.Verify(res.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
	verify := time.Since(start) / time.Duration(b.N)
	start = time.Now()
	for range b.N {
		if _, err := e.members.GetMe(ctx, &memberv1.GetMeRequest{}); err != nil {
			b.Fatal(err)
		}
	}
	call := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(verify.Nanoseconds()), "verify-ns/op")
	b.ReportMetric(float64(call.Nanoseconds()), "getme-ns/op")
	b.ReportMetric(100*float64(verify)/float64(call), "verify-%-of-call")
}
