package lifecycle_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/healthcheck"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/testkit"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRunServesAndStopsInOrder(t *testing.T) {
	ns := testkit.NATS(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	spec := lifecycle.Spec{Name: "probe", Listener: lis, Logger: quiet(),
		MongoURI: testkit.Store(t).URI(), Database: testkit.DBName(t),
		NATSURL: ns.URL(), Stream: "PROBE", Subjects: []string{"siyu.probe.>"}}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	infra := make(chan *lifecycle.Infra, 1)
	stopped := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- lifecycle.Run(ctx, spec, func(_ context.Context, in *lifecycle.Infra) error {
			in.Relay(in.DB.Collection("things"))
			infra <- in
			in.OnStop(func() { close(stopped) })
			return nil
		})
	}()

	var in *lifecycle.Infra
	select {
	case in = <-infra:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("setup was never called")
	}
	if in.DB == nil || in.JS == nil || in.Publisher == nil || in.Server == nil {
		t.Fatalf("infra incomplete: %+v", in)
	}
	if _, err := in.JS.Stream(ctx, "PROBE"); err != nil {
		t.Fatalf("stream not declared: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for healthcheck.GRPC(lis.Addr().String(), time.Second) != nil {
		if time.Now().After(deadline) {
			t.Fatal("never reported SERVING")
		}
		time.Sleep(50 * time.Millisecond)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	select {
	case <-stopped:
	default:
		t.Fatal("the service's stop was not called")
	}
	if healthcheck.GRPC(lis.Addr().String(), time.Second) == nil {
		t.Fatal("still serving after shutdown")
	}
}

func TestRunRefusesBadSetups(t *testing.T) {
	cases := []struct {
		name string
		spec lifecycle.Spec
		want string
	}{
		{"policy without a key", lifecycle.Spec{Name: "p", GRPCAddr: "127.0.0.1:0", Policy: auth.Policy{"/x.Y/Z": auth.Public}}, "SIYU_JWT_PUBLIC_KEY"},
		{"malformed key", lifecycle.Spec{Name: "p", GRPCAddr: "127.0.0.1:0", JWTPublicKey: "not pem"}, "SIYU_JWT_PUBLIC_KEY"},
		{"unreachable database", lifecycle.Spec{Name: "p", GRPCAddr: "127.0.0.1:0", MongoURI: "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300", Database: "d"}, "127.0.0.1:1"},
		{"unusable listen address", lifecycle.Spec{Name: "p", GRPCAddr: "256.0.0.1:99999"}, "listen"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.spec.Logger = quiet()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := lifecycle.Run(ctx, c.spec, func(context.Context, *lifecycle.Infra) error { return nil })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

// TestSetupUnwinds: what setup recorded is stopped newest first and its
// goroutines joined, both when a later step fails and at shutdown, and
// nothing is stopped twice.
func TestSetupUnwinds(t *testing.T) {
	for _, failing := range []bool{true, false} {
		var (
			mu    sync.Mutex
			order []string
		)
		note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
		ctx, cancel := context.WithCancel(context.Background())
		lis, _ := net.Listen("tcp", "127.0.0.1:0")
		err := lifecycle.Run(ctx, lifecycle.Spec{Name: "u", Listener: lis, Logger: quiet()}, func(_ context.Context, in *lifecycle.Infra) error {
			in.OnStop(func() { note("first") })
			in.Go(func(ctx context.Context) { <-ctx.Done(); note("loop") })
			in.Every("tick", time.Hour, func(context.Context) error { return nil })
			in.OnStop(func() { note("second") })
			if failing {
				return errors.New("a later step failed")
			}
			time.AfterFunc(100*time.Millisecond, cancel)
			return nil
		})
		cancel()
		if failing != (err != nil) {
			t.Fatalf("failing %v: %v", failing, err)
		}
		mu.Lock()
		got := strings.Join(order, ",")
		mu.Unlock()
		// The loop ends on cancel, before or between the stops; both stops
		// run once, newest first, and Run returns only after the loop ended.
		if strings.Count(got, "first") != 1 || strings.Count(got, "second") != 1 || strings.Count(got, "loop") != 1 ||
			strings.Index(got, "second") > strings.Index(got, "first") {
			t.Fatalf("failing %v: stopped %s", failing, got)
		}
	}
}

func TestEveryRunsUntilCancelledAndReportsFailures(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	runs := make(chan int, 100)
	failures := make(chan error, 100)
	n := 0
	done := make(chan struct{})
	go func() {
		lifecycle.Every(ctx, 5*time.Millisecond, func(context.Context) error {
			n++
			runs <- n
			if n%2 == 0 {
				return errors.New("busy")
			}
			return nil
		}, func(err error) { failures <- err })
		close(done)
	}()
	for i := 0; i < 4; i++ {
		select {
		case <-runs:
		case <-time.After(5 * time.Second):
			t.Fatal("the job stopped running")
		}
	}
	// Runs 2 and 4 failed; wait for both reports before cancelling, since a
	// failure that ends after the cancel is (rightly) not reported.
	for i := 0; i < 2; i++ {
		select {
		case <-failures:
		case <-time.After(5 * time.Second):
			t.Fatalf("%d failures reported, want every second run's", i)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Every did not return after cancel")
	}
}
