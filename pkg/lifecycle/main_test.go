package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"siyu.dev/pkg/grpcserver"
)

type mainConfig struct {
	GRPCAddr string `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:1" desc:"listen address"`
	MongoURI string `env:"MONGO_URI" required:"true" desc:"database"`
}

func lookup(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestMainExitCodes(t *testing.T) {
	var got mainConfig
	ok := func(_ context.Context, c mainConfig) error { got = c; return nil }
	failed := func(context.Context, mainConfig) error { return errors.New("port taken") }
	var stderr bytes.Buffer
	if code := mainCode("probe", nil, lookup(map[string]string{"MONGO_URI": "mongodb://x"}), &stderr, ok); code != 0 || got.MongoURI != "mongodb://x" || got.GRPCAddr != "127.0.0.1:1" {
		t.Errorf("run: code %d, config %+v", code, got)
	}
	if code := mainCode("probe", nil, lookup(nil), &stderr, ok); code != 2 || !strings.Contains(stderr.String(), "MONGO_URI") {
		t.Errorf("missing configuration: code %d, %q", code, stderr.String())
	}
	stderr.Reset()
	if code := mainCode("probe", nil, lookup(map[string]string{"MONGO_URI": "m"}), &stderr, failed); code != 1 || !strings.Contains(stderr.String(), "probe: port taken") {
		t.Errorf("failed run: code %d, %q", code, stderr.String())
	}
	if code := mainCode("probe", []string{"-nonsense"}, lookup(nil), &stderr, ok); code != 2 {
		t.Errorf("unknown flag: code %d", code)
	}
}

// The health probe needs only the address: the default of the Config, or
// SIYU_GRPC_ADDR; nothing else has to be set.
func TestMainHealthcheck(t *testing.T) {
	var stderr bytes.Buffer
	never := func(context.Context, mainConfig) error { t.Fatal("the probe ran the service"); return nil }
	if code := mainCode("probe", []string{"-healthcheck"}, lookup(nil), &stderr, never); code != 1 {
		t.Errorf("nothing on the default address: code %d", code)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lis.Close() // a closed port: the probe must say unhealthy quickly
	if code := mainCode("probe", []string{"-healthcheck"}, lookup(map[string]string{"SIYU_GRPC_ADDR": lis.Addr().String()}), &stderr, never); code != 1 {
		t.Errorf("closed port: code %d", code)
	}
	serving, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := grpcserver.New(grpcserver.Options{Service: "probe", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	go func() { _ = srv.Serve(ctx, serving) }()
	if code := mainCode("probe", []string{"-healthcheck"}, lookup(map[string]string{"SIYU_GRPC_ADDR": serving.Addr().String()}), &stderr, never); code != 0 {
		t.Errorf("serving: code %d, %q", code, stderr.String())
	}
	if defaultOf(&mainConfig{}, "SIYU_GRPC_ADDR") != "127.0.0.1:1" {
		t.Error("default not read from the Config")
	}
}
