// Command analytics runs the analytics service; -healthcheck asks a running one whether it serves.
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
	"siyu.dev/services/analytics"
)

func main() {
	check := flag.Bool("healthcheck", false, "exit 0 if the service on SIYU_GRPC_ADDR reports SERVING")
	flag.Parse()
	cfg, err := analytics.LoadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "analytics:", err)
		os.Exit(2)
	}
	if *check {
		if err := healthcheck.GRPC(healthcheck.Local(cfg.GRPCAddr), 3*time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "unhealthy:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := analytics.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "analytics:", err)
		os.Exit(1)
	}
}
