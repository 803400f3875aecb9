// Package suite starts the whole of Siyu in one process: an embedded NATS
// server and document store (or the real ones named by NATS_URL and
// MONGO_URI), the six services each on its own loopback gRPC listener, and
// the gateway. Services still talk to each other over gRPC, as in production.
package suite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"time"

	"siyu.dev/gateway"
	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/config"
	"siyu.dev/pkg/embedstore"
	"siyu.dev/pkg/healthcheck"
	"siyu.dev/pkg/natsx"
	"siyu.dev/services/analytics"
	"siyu.dev/services/marketing"
	"siyu.dev/services/member"
	"siyu.dev/services/messaging"
	"siyu.dev/services/order"
	"siyu.dev/services/product"
)

// Options configure a suite. The zero value is not useful: DataDir is required.
type Options struct {
	// DataDir holds the embedded store, JetStream and the dev signing key.
	DataDir string
	// HTTPAddr is the gateway's listen address (":8080"; "127.0.0.1:0" in tests).
	HTTPAddr string
	// RandomPorts puts every service on a free loopback port instead of 9101-9106.
	RandomPorts bool
	// Env overrides environment variables for every component (tests use it
	// for SIYU_DEV_SMS_ECHO and friends without touching the process env).
	Env    map[string]string
	Logger *slog.Logger
}

// Suite is a running all-in-one stack.
type Suite struct {
	HTTPAddr     string
	ServiceAddrs map[string]string
	MongoURI     string
	NATSURL      string
	// PrivateKeyPEM signs tokens; the runner uses it to act as an operator when seeding.
	PrivateKeyPEM string
	PublicKeyPEM  string

	env     map[string]string
	logger  *slog.Logger
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errMu   sync.Mutex
	errs    []error
	closers []func()
}

// runner starts one service package in this process.
type runner func(ctx context.Context, lookup config.Lookup, l net.Listener, log *slog.Logger) error

// packages are the service packages by the names of gateway.Services,
// the one table of services (names, ports, routes): how the runner starts
// each and the access policy it enforces. A test checks that every row of
// the table has its package.
var packages = map[string]struct {
	run    runner
	policy auth.Policy
}{
	"member":    {serviceOf(member.Run), member.Policy},
	"product":   {serviceOf(product.Run), product.Policy},
	"order":     {serviceOf(order.Run), order.Policy},
	"marketing": {serviceOf(marketing.Run), marketing.Policy},
	"messaging": {serviceOf(messaging.Run), messaging.Policy},
	"analytics": {serviceOf(analytics.Run), analytics.Policy},
}

// Policy is a service's access policy; nil for a name the runner does not
// start.
func Policy(name string) auth.Policy { return packages[name].policy }

// serviceOf adapts a service package's Run: it loads the service's Config
// through the suite's lookup and hands it the listener and logger through the
// Config fields every service declares for embedding.
func serviceOf[C any](run func(context.Context, C) error) runner {
	return func(ctx context.Context, lk config.Lookup, l net.Listener, log *slog.Logger) error {
		var c C
		if err := config.LoadLookup(&c, lk); err != nil {
			return err
		}
		embed(&c, l, log)
		return run(ctx, c)
	}
}

// embed sets the Listener and Logger fields of a Config struct.
func embed(cfg any, l net.Listener, log *slog.Logger) {
	v := reflect.ValueOf(cfg).Elem()
	v.FieldByName("Listener").Set(reflect.ValueOf(l))
	v.FieldByName("Logger").Set(reflect.ValueOf(log))
}

// Start brings the stack up and returns once every service reports SERVING
// and the gateway listens. Stop (or cancelling ctx) shuts it down.
func Start(ctx context.Context, o Options) (s *Suite, err error) {
	if o.DataDir == "" {
		return nil, errors.New("suite: DataDir is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s = &Suite{ServiceAddrs: map[string]string{}, env: map[string]string{}, logger: o.Logger, cancel: cancel}
	defer func() {
		if err != nil {
			s.Stop()
			s = nil
		}
	}()
	for k, v := range o.Env {
		s.env[k] = v
	}
	if err := s.startInfra(runCtx, o); err != nil {
		return s, err
	}
	// The gateway's address first: the sandbox payment provider (in the
	// order service) posts its callbacks to the gateway's public route.
	addr := o.HTTPAddr
	if addr == "" {
		addr = ":8080"
	}
	gw, err := net.Listen("tcp", addr)
	if err != nil {
		return s, fmt.Errorf("gateway: listen %s: %w", addr, err)
	}
	s.HTTPAddr = gw.Addr().String()
	if _, ok := s.env["SIYU_PAY_SANDBOX_NOTIFY_URL"]; !ok {
		_, port, _ := net.SplitHostPort(s.HTTPAddr)
		s.env["SIYU_PAY_SANDBOX_NOTIFY_URL"] = "http://127.0.0.1:" + port + "/v1/payments/sandbox/notify"
	}
	if err := s.startServices(runCtx, o); err != nil {
		_ = gw.Close()
		return s, err
	}
	if err := s.startGateway(runCtx, gw); err != nil {
		return s, err
	}
	return s, nil
}

// lookup gives the suite's overrides first, then the process environment.
func (s *Suite) lookup(name string) (string, bool) {
	if v, ok := s.env[name]; ok {
		return v, true
	}
	return os.LookupEnv(name)
}

func (s *Suite) startInfra(ctx context.Context, o Options) error {
	if uri, ok := s.lookup("MONGO_URI"); ok && uri != "" {
		s.MongoURI = uri
	} else {
		store, err := embedstore.Start(ctx, filepath.Join(o.DataDir, "store"))
		if err != nil {
			return fmt.Errorf("embedded store: %w", err)
		}
		s.closers = append(s.closers, func() { _ = store.Close() })
		s.MongoURI = store.URI()
	}
	if url, ok := s.lookup("NATS_URL"); ok && url != "" {
		s.NATSURL = url
	} else {
		ns, err := natsx.StartEmbedded(filepath.Join(o.DataDir, "nats"))
		if err != nil {
			return fmt.Errorf("embedded nats: %w", err)
		}
		s.closers = append(s.closers, ns.Close)
		s.NATSURL = ns.URL()
	}
	priv, _ := s.lookup("SIYU_JWT_PRIVATE_KEY")
	pub, _ := s.lookup("SIYU_JWT_PUBLIC_KEY")
	if priv == "" || pub == "" {
		var err error
		if priv, pub, err = auth.LoadOrCreateDevKeys(o.DataDir); err != nil {
			return fmt.Errorf("dev signing key: %w", err)
		}
	}
	s.PrivateKeyPEM, s.PublicKeyPEM = priv, pub
	s.env["MONGO_URI"] = s.MongoURI
	s.env["NATS_URL"] = s.NATSURL
	s.env["SIYU_JWT_PRIVATE_KEY"] = priv
	s.env["SIYU_JWT_PUBLIC_KEY"] = pub
	if _, ok := s.env["SIYU_DEV_MODE"]; !ok {
		s.env["SIYU_DEV_MODE"] = "true"
	}
	// The developer runner plays WeChat with the sandbox unless told otherwise.
	if _, ok := s.env["SIYU_WECHAT_SANDBOX"]; !ok && s.env["SIYU_WECHAT_APPID"] == "" {
		s.env["SIYU_WECHAT_SANDBOX"] = s.env["SIYU_DEV_MODE"]
	}
	return nil
}

func (s *Suite) startServices(ctx context.Context, o Options) error {
	// Every listener first, so each service (order calls member and
	// product) and the gateway find the others' addresses in the config.
	listeners := map[string]net.Listener{}
	for _, svc := range gateway.Services {
		addr := svc.DefaultAddr()
		if o.RandomPorts {
			addr = "127.0.0.1:0"
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range listeners {
				_ = l.Close()
			}
			return fmt.Errorf("%s: listen %s: %w (is another siyu running?)", svc.Name, addr, err)
		}
		listeners[svc.Name] = l
		s.ServiceAddrs[svc.Name] = l.Addr().String()
		s.env[svc.AddrVar()] = l.Addr().String()
	}
	for _, svc := range gateway.Services {
		l, run := listeners[svc.Name], packages[svc.Name].run
		log := s.logger.With("service", svc.Name)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := run(ctx, s.lookup, l, log); err != nil && ctx.Err() == nil {
				log.Error("service stopped", "err", err)
				s.fail(fmt.Errorf("%s: %w", svc.Name, err))
			}
		}()
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, svc := range gateway.Services {
		name := svc.Name
		addr := s.ServiceAddrs[name]
		for {
			if err := s.firstError(); err != nil {
				return err
			}
			if healthcheck.GRPC(addr, time.Second) == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s did not become SERVING on %s within 60s", name, addr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

func (s *Suite) startGateway(ctx context.Context, l net.Listener) error {
	// startServices put every service's address in the environment.
	var c gateway.Config
	if err := config.LoadLookup(&c, s.lookup); err != nil {
		_ = l.Close()
		return err
	}
	embed(&c, l, s.logger.With("service", "gateway"))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := gateway.Run(ctx, c); err != nil && ctx.Err() == nil {
			s.logger.Error("gateway stopped", "err", err)
			s.fail(fmt.Errorf("gateway: %w", err))
		}
	}()
	return healthcheck.HTTP("http://"+s.HTTPAddr+"/healthz", 10*time.Second)
}

// Lookup exposes the configuration the suite handed its components, so the
// runner can open a service's own stores (e.g. to seed the admin account).
func (s *Suite) Lookup(name string) (string, bool) { return s.lookup(name) }

func (s *Suite) fail(err error) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	s.errs = append(s.errs, err)
}

func (s *Suite) firstError() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if len(s.errs) == 0 {
		return nil
	}
	return s.errs[0]
}

// Err reports the first component that stopped on its own.
func (s *Suite) Err() error { return s.firstError() }

// Stop shuts the gateway and services down gracefully (each drains its own
// work), then the embedded NATS server and store.
func (s *Suite) Stop() {
	s.cancel()
	s.wg.Wait()
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}
