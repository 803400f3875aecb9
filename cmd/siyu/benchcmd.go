package main

import (
	"context"
	"flag"
	"io"
	"os"
	"time"

	"siyu.dev/cmd/siyu/internal/bench"
)

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	requests := fs.Int("requests", 20000, "at most this many requests per phase")
	duration := fs.Duration("duration", 5*time.Second, "at most this long per phase")
	concurrency := fs.Int("concurrency", 8, "concurrent client workers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return bench.Run(ctx, bench.Options{Exe: exe, Requests: *requests, Duration: *duration, Concurrency: *concurrency, Out: stdout})
}
