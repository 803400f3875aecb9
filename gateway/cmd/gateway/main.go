// Command gateway runs the REST edge; -healthcheck asks a running one whether it is alive.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"siyu.dev/gateway"
	"siyu.dev/pkg/healthcheck"
)

func main() {
	check := flag.Bool("healthcheck", false, "exit 0 if the gateway on SIYU_HTTP_ADDR answers /healthz")
	flag.Parse()
	if *check {
		addr := os.Getenv("SIYU_HTTP_ADDR")
		if addr == "" {
			addr = ":8080"
		}
		if err := healthcheck.HTTP("http://"+healthcheck.Local(addr)+"/healthz", 3*time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "unhealthy:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := gateway.LoadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := gateway.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}
