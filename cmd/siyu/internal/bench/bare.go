package bench

import (
	"context"
	"errors"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// ServeBare runs a bare grpc-go server with only the health service (no
// interceptors, telemetry or auth) and writes its address to addrFile: the
// baseline the Siyu stack's empty call is measured against. It serves until
// interrupted.
func ServeBare(ctx context.Context, addrFile string) error {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	tmp := addrFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(lis.Addr().String()), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, addrFile); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); srv.Stop() }()
	return srv.Serve(lis)
}

// startBare starts `siyu bench-bare` as a child and waits for its address.
func startBare(ctx context.Context, exe, dir string) (*child, string, error) {
	addrFile := filepath.Join(dir, "bare.addr")
	cmd := commandContext(ctx, exe, "bench-bare", addrFile)
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	c := &child{cmd: cmd}
	c.ready.PID = cmd.Process.Pid
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(addrFile); err == nil {
			return c, string(b), nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop(c)
	return nil, "", errors.New("bench: the bare grpc-go server did not start")
}
