// Command product runs the product service; -healthcheck asks a running one whether it serves.
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
	"siyu.dev/services/product"
)

func main() {
	check := flag.Bool("healthcheck", false, "exit 0 if the service on SIYU_GRPC_ADDR reports SERVING")
	flag.Parse()
	if *check {
		addr := os.Getenv("SIYU_GRPC_ADDR")
		if addr == "" {
			addr = "127.0.0.1:9102"
		}
		if err := healthcheck.GRPC(healthcheck.Local(addr), 3*time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "unhealthy:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := product.LoadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "product:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := product.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "product:", err)
		os.Exit(1)
	}
}
