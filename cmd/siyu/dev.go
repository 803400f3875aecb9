package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"siyu.dev/cmd/siyu/internal/suite"
	"siyu.dev/gateway"
)

// readyInfo is written to --ready-file once the stack serves, so tools that
// start `siyu dev` (the bench command, scripts) learn its addresses.
type readyInfo struct {
	PID          int               `json:"pid"`
	HTTPAddr     string            `json:"http_addr"`
	ServiceAddrs map[string]string `json:"service_addrs"`
	StartupMS    int64             `json:"startup_ms"`
}

func devCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", envOr("SIYU_DATA_DIR", ".data"), "directory that keeps all state between runs")
	reset := fs.Bool("reset", false, "delete the data directory first and start from an empty shop")
	httpAddr := fs.String("http-addr", envOr("SIYU_HTTP_ADDR", ":8080"), "gateway listen address")
	randomPorts := fs.Bool("random-ports", false, "put the services on free loopback ports instead of 9101-9106")
	readyFile := fs.String("ready-file", "", "write the stack's addresses as JSON to this file once it is ready")
	if err := fs.Parse(args); err != nil {
		return err
	}
	started := time.Now()
	if *reset {
		if err := os.RemoveAll(*dataDir); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
	}
	log := newLogger(stderr)
	s, err := suite.Start(ctx, suite.Options{DataDir: *dataDir, HTTPAddr: *httpAddr, RandomPorts: *randomPorts, Logger: log})
	if err != nil {
		return err
	}
	defer s.Stop()

	res, err := seedSuite(ctx, s)
	if err != nil {
		return err
	}
	printWelcome(stdout, s, res, *dataDir)
	if *readyFile != "" {
		info := readyInfo{PID: os.Getpid(), HTTPAddr: s.HTTPAddr, ServiceAddrs: s.ServiceAddrs, StartupMS: time.Since(started).Milliseconds()}
		b, _ := json.Marshal(info)
		if err := os.WriteFile(*readyFile, b, 0o600); err != nil {
			return fmt.Errorf("ready file: %w", err)
		}
	}
	log.Info("ready", "startup", time.Since(started).Round(time.Millisecond))

	<-ctx.Done()
	fmt.Fprintln(stdout, "\nShutting down…")
	if err := s.Err(); err != nil {
		return err
	}
	return nil
}

func printWelcome(w io.Writer, s *suite.Suite, res seedResult, dataDir string) {
	base := "http://" + displayAddr(s.HTTPAddr)
	fmt.Fprintf(w, "\nSiyu is running. Data lives in %s (delete it or pass --reset for a fresh shop).\n\n", dataDir)
	if dir, _ := s.Lookup("SIYU_WEB_DIR"); dir != "" {
		fmt.Fprintf(w, "  Storefront (H5)  %s/   (open it on a phone-sized window; log in with the demo member below)\n", base)
	}
	fmt.Fprintf(w, "  Products (REST)  %s/v1/products\n", base)
	fmt.Fprintf(w, "  API docs         %s/docs\n", base)
	fmt.Fprintf(w, "  OpenAPI          %s/openapi.json\n", base)
	fmt.Fprintf(w, "  Health           %s/healthz  %s/readyz\n", base, base)
	fmt.Fprintf(w, "  gRPC services    ")
	for _, svc := range gateway.Services {
		fmt.Fprintf(w, "%s=%s ", svc.Name, s.ServiceAddrs[svc.Name])
	}
	fmt.Fprintf(w, "\n\n  Demo catalogue   %d created, %d already there\n", res.catalog.Created, res.catalog.Existing)
	fmt.Fprintf(w, "  Demo promotions  %d created, %d already there (coupons, a full reduction, a flash sale, a group-buy, a bargain)\n", res.promotions.Created, res.promotions.Existing)
	fmt.Fprintf(w, "  Demo member      phone %s (log in with an SMS code: POST /v1/auth/sms-codes, then /v1/auth/sms-login)\n", demoPhone)
	if res.adminCreated {
		fmt.Fprintf(w, "  Admin account    username %q password %q  (printed only this once)\n", res.adminUser, res.adminPassword)
	} else {
		fmt.Fprintf(w, "  Admin account    username %q (password was printed on the first run)\n", res.adminUser)
	}
	fmt.Fprintln(w, "\nPress Ctrl-C to stop.")
}

// displayAddr turns ":8080" into "localhost:8080" for clickable URLs.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
