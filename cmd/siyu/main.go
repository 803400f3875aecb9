// Command siyu is the all-in-one developer binary: `siyu dev` runs the whole
// shop (embedded NATS and document store, six services, gateway) with demo
// data; `siyu seed` loads the demo data into a running deployment; `siyu keys`
// prints a fresh token signing key pair; `siyu bench` measures the stack.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"siyu.dev/cmd/siyu/internal/bench"
)

const usage = `usage: siyu <command> [flags]

commands:
  dev     run every service, the gateway and the embedded NATS and store, with demo data
  seed    load the demo shop into services that are already running (docker compose)
  keys    print a new Ed25519 key pair for SIYU_JWT_PRIVATE_KEY / SIYU_JWT_PUBLIC_KEY
  bench   start the stack in a child process and print throughput, latency, CPU and memory ratios

Run "siyu <command> -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "siyu:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return devCmd(ctx, rest, stdout, stderr)
	case "seed":
		return seedCmd(ctx, rest, stdout, stderr)
	case "keys":
		return keysCmd(stdout)
	case "bench":
		return benchCmd(ctx, rest, stdout, stderr)
	case "bench-bare": // the baseline server `siyu bench` starts; not for people
		if len(rest) != 1 {
			return errors.New("usage: siyu bench-bare ADDR_FILE")
		}
		return bench.ServeBare(ctx, rest[0])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// newLogger writes human-readable logs to w at the level in SIYU_LOG_LEVEL.
func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if v := os.Getenv("SIYU_LOG_LEVEL"); v != "" {
		_ = level.UnmarshalText([]byte(v))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
