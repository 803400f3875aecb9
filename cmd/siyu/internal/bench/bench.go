// Package bench measures a running all-in-one stack from the outside: it
// starts `siyu dev` as a child process, reads its CPU time and memory from
// /proc, and drives loopback load at it. Every figure it prints comes from
// one run on the machine at hand, so ratios compare like with like.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	productv1 "siyu.dev/proto/siyu/product/v1"
)

// Options bound the run: every load phase stops at Requests or Duration,
// whichever comes first.
type Options struct {
	Exe         string // the siyu binary
	Requests    int
	Duration    time.Duration
	Concurrency int
	Out         io.Writer
}

// ready mirrors what `siyu dev --ready-file` writes.
type ready struct {
	PID          int               `json:"pid"`
	HTTPAddr     string            `json:"http_addr"`
	ServiceAddrs map[string]string `json:"service_addrs"`
}

type child struct {
	cmd   *exec.Cmd
	ready ready
	took  time.Duration
}

// Run performs the whole benchmark and prints its report.
func Run(ctx context.Context, o Options) error {
	dir, err := os.MkdirTemp("", "siyu-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// First start: empty data directory, so it includes seeding the demo shop.
	first, err := start(ctx, o.Exe, dir, true)
	if err != nil {
		return err
	}
	rssSeeded, _ := rssBytes(first.ready.PID)
	stop(first)
	// Second start: what a developer sees on every later `make run`.
	c, err := start(ctx, o.Exe, dir, false)
	if err != nil {
		return err
	}
	defer stop(c)

	conn, err := grpc.NewClient(c.ready.ServiceAddrs["product"], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	products := productv1.NewProductServiceClient(conn)
	list, err := products.ListProducts(ctx, &productv1.ListProductsRequest{PageSize: 1})
	if err != nil || len(list.Products) == 0 {
		return fmt.Errorf("bench: no product to read (seeding failed?): %v", err)
	}
	id := list.Products[0].Id
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency * 2}, Timeout: 5 * time.Second}
	url := "http://" + c.ready.HTTPAddr + "/v1/products/" + id

	phases := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"empty RPC (grpc.health.v1 Check on the product server)", func(ctx context.Context) error {
			_, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
			return err
		}},
		{"GetProduct over gRPC", func(ctx context.Context) error {
			_, err := products.GetProduct(ctx, &productv1.GetProductRequest{Id: id})
			return err
		}},
		{"GET /v1/products/{id} through the gateway", func(ctx context.Context) error {
			resp, err := httpClient.Get(url)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("HTTP %d", resp.StatusCode)
			}
			return nil
		}},
	}
	results := make([]result, len(phases))
	for i, p := range phases {
		// A short warm-up so connection setup and first-use allocations are not measured.
		if _, err := load(ctx, c.ready.PID, p.call, 200, time.Second, o.Concurrency); err != nil {
			return fmt.Errorf("%s: warm-up: %w", p.name, err)
		}
		r, err := load(ctx, c.ready.PID, p.call, o.Requests, o.Duration, o.Concurrency)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		r.name = p.name
		results[i] = r
	}
	rssServing, _ := rssBytes(c.ready.PID)

	// The same empty call against a bare grpc-go server in its own process.
	bare, bareAddr, err := startBare(ctx, o.Exe, dir)
	if err != nil {
		return err
	}
	defer stop(bare)
	bareConn, err := grpc.NewClient(bareAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer bareConn.Close()
	bareHealth := healthpb.NewHealthClient(bareConn)
	bareCall := func(ctx context.Context) error {
		_, err := bareHealth.Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
	if _, err := load(ctx, bare.ready.PID, bareCall, 200, time.Second, o.Concurrency); err != nil {
		return fmt.Errorf("bare grpc-go: warm-up: %w", err)
	}
	bareResult, err := load(ctx, bare.ready.PID, bareCall, o.Requests, o.Duration, o.Concurrency)
	if err != nil {
		return fmt.Errorf("bare grpc-go: %w", err)
	}
	bareResult.name = "empty RPC on a bare grpc-go server (baseline)"
	results = append(results, bareResult)
	report(o.Out, o, first, c, rssSeeded, rssServing, results)
	return nil
}

func start(ctx context.Context, exe, dir string, reset bool) (*child, error) {
	readyFile := filepath.Join(dir, "ready.json")
	_ = os.Remove(readyFile)
	args := []string{"dev", "--data-dir", filepath.Join(dir, "data"), "--http-addr", "127.0.0.1:0", "--random-ports", "--ready-file", readyFile}
	if reset {
		args = append(args, "--reset")
	}
	cmd := commandContext(ctx, exe, args...)
	// Rate limits and per-request logs would measure the limiter and the log
	// writer, not the request path.
	cmd.Env = append(os.Environ(), "SIYU_LOG_LEVEL=warn", "SIYU_RATE_IP_RPS=1000000", "SIYU_RATE_IP_BURST=1000000",
		"SIYU_RATE_MEMBER_RPS=1000000", "SIYU_RATE_MEMBER_BURST=1000000", "MONGO_URI=", "NATS_URL=")
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd}
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(readyFile); err == nil && json.Unmarshal(b, &c.ready) == nil {
			c.took = time.Since(began)
			return c, nil
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop(c)
	return nil, errors.New("bench: siyu dev did not become ready")
}

func commandContext(ctx context.Context, exe string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, exe, args...)
}

func stop(c *child) {
	_ = c.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

type result struct {
	name     string
	n        int
	elapsed  time.Duration
	cpu      time.Duration // the child's user+system CPU time during the phase
	p50, p99 time.Duration
}

func (r result) rps() float64 { return float64(r.n) / r.elapsed.Seconds() }
func (r result) cpuPerReq() time.Duration {
	if r.n == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.n)
}

// load runs call from `workers` goroutines until max calls or d elapse.
func load(ctx context.Context, pid int, call func(context.Context) error, max int, d time.Duration, workers int) (result, error) {
	var next atomic.Int64
	lat := make([]time.Duration, max)
	var firstErr error
	var errOnce sync.Once
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	cpu0, err := cpuTime(pid)
	if err != nil {
		return result{}, err
	}
	began := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(max) {
					return
				}
				t := time.Now()
				if err := call(ctx); err != nil {
					if ctx.Err() != nil {
						next.Add(-1)
						return
					}
					errOnce.Do(func() { firstErr = err })
					cancel()
					return
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	cpu1, err := cpuTime(pid)
	if err != nil {
		return result{}, err
	}
	if firstErr != nil {
		return result{}, firstErr
	}
	n := int(min(next.Load(), int64(max)))
	done := make([]time.Duration, 0, n)
	for _, l := range lat[:n] {
		if l > 0 {
			done = append(done, l)
		}
	}
	sort.Slice(done, func(a, b int) bool { return done[a] < done[b] })
	r := result{n: len(done), elapsed: elapsed, cpu: cpu1 - cpu0}
	if len(done) > 0 {
		r.p50 = done[len(done)/2]
		r.p99 = done[len(done)*99/100]
	}
	return r, nil
}

// cpuTime reads utime+stime of a process from /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; the fields after its closing paren are fixed.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond, nil
}

func rssBytes(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, err := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

func report(w io.Writer, o Options, first, second *child, rssSeeded, rssServing int64, rs []result) {
	fmt.Fprintf(w, "Siyu all-in-one benchmark (%d workers, at most %d requests or %s per phase, loopback)\n\n", o.Concurrency, o.Requests, o.Duration)
	fmt.Fprintf(w, "%-52s %9s %10s %10s %12s\n", "phase", "req/s", "p50", "p99", "server CPU/req")
	for _, r := range rs {
		fmt.Fprintf(w, "%-52s %9.0f %10s %10s %12s\n", r.name, r.rps(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.cpuPerReq().Round(100*time.Nanosecond))
	}
	empty, grpcRead, rest, bare := rs[0], rs[1], rs[2], rs[3]
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Siyu empty RPC throughput / bare grpc-go:          %5.1f%%  (target >= 60%%; CPU per call %s vs %s)\n",
		100*empty.rps()/bare.rps(), empty.cpuPerReq().Round(100*time.Nanosecond), bare.cpuPerReq().Round(100*time.Nanosecond))
	fmt.Fprintf(w, "GetProduct gRPC throughput / empty RPC throughput: %5.1f%%  (target >= 50%%)\n", 100*grpcRead.rps()/empty.rps())
	fmt.Fprintf(w, "REST throughput / gRPC throughput for the same read: %5.1f%%\n", 100*rest.rps()/grpcRead.rps())
	if grpcRead.cpuPerReq() > 0 {
		fmt.Fprintf(w, "gateway path CPU per request / direct gRPC:         %5.2fx  (target <= 2.5x)\n", float64(rest.cpuPerReq())/float64(grpcRead.cpuPerReq()))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "start to ready, empty data dir incl. seeding: %s\n", first.took.Round(time.Millisecond))
	fmt.Fprintf(w, "start to ready, existing data dir:            %s  (target < 5s)\n", second.took.Round(time.Millisecond))
	fmt.Fprintf(w, "resident memory after seeding:                %d MB  (target < 300 MB)\n", rssSeeded>>20)
	fmt.Fprintf(w, "resident memory after the load phases:        %d MB\n", rssServing>>20)
}
