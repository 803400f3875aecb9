package lifecycle

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"siyu.dev/pkg/config"
	"siyu.dev/pkg/healthcheck"
)

// grpcAddrVar is the variable every service's Config reads its listen
// address from; the health probe reads the same.
const grpcAddrVar = "SIYU_GRPC_ADDR"

// Main is the whole main function of a service binary: it reads C from the
// environment (pkg/config), runs the service until SIGINT or SIGTERM, and
// exits 0, 1 when the service failed, or 2 when its configuration is
// unusable. With -healthcheck it only asks the service listening on
// SIYU_GRPC_ADDR (or C's default) whether it serves: the probe needs no
// other variable, so it works in an image where the rest are unset.
func Main[C any](name string, run func(context.Context, C) error) {
	os.Exit(mainCode(name, os.Args[1:], config.EnvLookup, os.Stderr, run))
}

func mainCode[C any](name string, args []string, lookup config.Lookup, stderr io.Writer, run func(context.Context, C) error) int {
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.SetOutput(stderr)
	check := flags.Bool("healthcheck", false, "exit 0 if the service on "+grpcAddrVar+" reports SERVING")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	var cfg C
	if *check {
		addr, ok := lookup(grpcAddrVar)
		if !ok || addr == "" {
			addr = defaultOf(&cfg, grpcAddrVar)
		}
		if err := healthcheck.GRPC(healthcheck.Local(addr), 3*time.Second); err != nil {
			fmt.Fprintln(stderr, "unhealthy:", err)
			return 1
		}
		return 0
	}
	if err := config.LoadLookup(&cfg, lookup); err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return 1
	}
	return 0
}

// defaultOf is the declared default of variable name in cfg's type.
func defaultOf(cfg any, name string) string {
	for _, v := range config.Describe(cfg) {
		if v.Name == name {
			return v.Default
		}
	}
	return ""
}
