// Command messaging runs the messaging service; -healthcheck asks a running one whether it serves.
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
	"siyu.dev/services/messaging"
)

func main() {
	check := flag.Bool("healthcheck", false, "exit 0 if the service on SIYU_GRPC_ADDR reports SERVING")
	flag.Parse()
	// The probe needs no configuration besides the address, so it works in
	// an image whose other variables are unset.
	if *check {
		addr := os.Getenv("SIYU_GRPC_ADDR")
		if addr == "" {
			addr = "127.0.0.1:9105"
		}
		if err := healthcheck.GRPC(healthcheck.Local(addr), 3*time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "unhealthy:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := messaging.LoadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "messaging:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := messaging.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "messaging:", err)
		os.Exit(1)
	}
}
