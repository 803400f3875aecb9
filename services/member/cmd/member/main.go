// Command member runs the member service; -healthcheck asks a running one whether it serves.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"siyu.dev/pkg/healthcheck"
	"siyu.dev/services/member"
)

func main() {
	check := flag.Bool("healthcheck", false, "exit 0 if the service on SIYU_GRPC_ADDR reports SERVING")
	flag.Parse()
	if *check {
		addr := os.Getenv("SIYU_GRPC_ADDR")
		if addr == "" {
			addr = "127.0.0.1:9101"
		}
		if err := healthcheck.GRPC(healthcheck.Local(addr), 3*time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "unhealthy:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := member.LoadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "member:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := member.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "member:", err)
		os.Exit(1)
	}
}
