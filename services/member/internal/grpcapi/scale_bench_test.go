package grpcapi_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	memberv1 "siyu.dev/proto/siyu/member/v1"
)

// BenchmarkShopScale is the shop-scale table: with 200 and with 10,000
// members registered through the login path, 8 concurrent shoppers log in
// again, read GET /me and sign in; it reports the rates and latencies at
// both sizes and their ratios (the goal: the same cost at any size).
func BenchmarkShopScale(b *testing.B) {
	type result struct {
		loginRate          float64
		meP50, meP99, sign time.Duration
	}
	results := map[int]result{}
	sizes := []int{200, 10000}
	for _, size := range sizes {
		e := setup(b)
		ctx := context.Background()
		login := func(phone string) (*memberv1.SmsLoginResponse, error) {
			sent, err := e.auth.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: phone})
			if err != nil {
				return nil, err
			}
			return e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: phone, Code: sent.DevCode})
		}
		phone := func(i int) string { return fmt.Sprintf("136%08d", i) }
		parallel := func(n int, fn func(i int)) time.Duration {
			start := time.Now()
			var wg sync.WaitGroup
			next := make(chan int)
			for range 8 {
				wg.Go(func() {
					for i := range next {
						fn(i)
					}
				})
			}
			for i := range n {
				next <- i
			}
			close(next)
			wg.Wait()
			return time.Since(start)
		}
		tokens := make([]string, size)
		parallel(size, func(i int) {
			res, err := login(phone(i))
			if err != nil {
				b.Error(err)
				return
			}
			tokens[i] = res.AccessToken
		})
		// The codes of the seeding logins must be a minute old before the
		// same phones may ask again.
		e.clk.Advance(2 * time.Minute)
		const rounds = 300
		logins := min(rounds, size) // each phone once: a code a minute per phone
		took := parallel(logins, func(i int) {
			if _, err := login(phone((i * 7919) % size)); err != nil {
				b.Error(err)
			}
		})
		var mu sync.Mutex
		var me, sign []time.Duration
		parallel(rounds, func(i int) {
			t0 := time.Now()
			if _, err := e.members.GetMe(bearer(ctx, tokens[(i*104729)%size]), &memberv1.GetMeRequest{}); err != nil {
				b.Error(err)
			}
			mu.Lock()
			me = append(me, time.Since(t0))
			mu.Unlock()
		})
		parallel(min(rounds, size), func(i int) {
			t0 := time.Now()
			if _, err := e.signIn.SignIn(bearer(ctx, tokens[i]), &memberv1.SignInRequest{}); err != nil {
				b.Error(err)
			}
			mu.Lock()
			sign = append(sign, time.Since(t0))
			mu.Unlock()
		})
		slices.Sort(me)
		slices.Sort(sign)
		results[size] = result{loginRate: float64(logins) / took.Seconds(), meP50: me[len(me)/2], meP99: me[len(me)*99/100], sign: sign[len(sign)/2]}
	}
	small, large := results[sizes[0]], results[sizes[1]]
	b.ReportMetric(small.loginRate, "logins/s@200")
	b.ReportMetric(large.loginRate, "logins/s@10k")
	b.ReportMetric(large.loginRate/small.loginRate, "login-10k/200")
	b.ReportMetric(float64(small.meP50.Microseconds())/1000, "getme-p50-ms@200")
	b.ReportMetric(float64(large.meP50.Microseconds())/1000, "getme-p50-ms@10k")
	b.ReportMetric(float64(large.meP99.Microseconds())/1000, "getme-p99-ms@10k")
	b.ReportMetric(float64(small.sign.Microseconds())/1000, "signin-p50-ms@200")
	b.ReportMetric(float64(large.sign.Microseconds())/1000, "signin-p50-ms@10k")
}
