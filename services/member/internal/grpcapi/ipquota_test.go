package grpcapi_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/domain"
)

func fromIP(ip string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), auth.ClientIPKey, ip)
}

// One network asking codes for many phones is cut off at the hourly limit,
// exactly, even when the requests race; other networks are unaffected.
func TestSmsCodesPerClientIP(t *testing.T) {
	e := setup(t)
	const tries = domain.IPHourlyLimit + 15
	var ok, limited atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < tries; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.auth.SendSmsCode(fromIP("203.0.113.7"), &memberv1.SendSmsCodeRequest{Phone: fmt.Sprintf("1390000%04d", i)})
			switch {
			case err == nil:
				ok.Add(1)
			case status.Code(err) == codes.ResourceExhausted && errs.Reason(err) == "SMS_TOO_FREQUENT":
				if info, _ := errs.Info(err); info.GetMetadata()["retry_after_seconds"] == "" {
					t.Error("no retry_after_seconds")
				}
				limited.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != domain.IPHourlyLimit || limited.Load() != tries-domain.IPHourlyLimit {
		t.Fatalf("%d sent, %d limited; want %d and %d", ok.Load(), limited.Load(), domain.IPHourlyLimit, tries-domain.IPHourlyLimit)
	}
	if _, err := e.auth.SendSmsCode(fromIP("198.51.100.1"), &memberv1.SendSmsCodeRequest{Phone: "13911112222"}); err != nil {
		t.Fatalf("another network: %v", err)
	}
	// The next hour starts a new count.
	e.clk.Advance(61 * time.Minute)
	if _, err := e.auth.SendSmsCode(fromIP("203.0.113.7"), &memberv1.SendSmsCodeRequest{Phone: "13911113333"}); err != nil {
		t.Fatalf("next hour: %v", err)
	}
	if n, err := e.store.SmsIPQuota.CountDocuments(context.Background(), bson.M{}); err != nil || n != 1 {
		t.Errorf("counters of past hours were kept: %d %v", n, err)
	}
}
