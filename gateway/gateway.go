// Package gateway is Siyu's only public edge: REST/JSON for mini-program,
// H5 and admin clients in front of the services' gRPC APIs, with token
// checks, CORS, rate and size limits, health, OpenAPI docs and static pages.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"siyu.dev/gateway/internal/apidocs"
	mw "siyu.dev/gateway/internal/middleware"
	"siyu.dev/gateway/internal/web"
	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/config"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/logx"
	"siyu.dev/pkg/telemetry"
)

// Config is read from the environment.
type Config struct {
	HTTPAddr             string   `env:"SIYU_HTTP_ADDR" default:":8080" desc:"REST listen address"`
	MetricsAddr          string   `env:"SIYU_METRICS_ADDR" desc:"Prometheus /metrics listen address, apart from the public REST port; empty turns it off"`
	MemberAddr           string   `env:"SIYU_MEMBER_ADDR" default:"127.0.0.1:9101" desc:"member service gRPC address"`
	ProductAddr          string   `env:"SIYU_PRODUCT_ADDR" default:"127.0.0.1:9102" desc:"product service gRPC address"`
	OrderAddr            string   `env:"SIYU_ORDER_ADDR" default:"127.0.0.1:9103" desc:"order service gRPC address"`
	MarketingAddr        string   `env:"SIYU_MARKETING_ADDR" default:"127.0.0.1:9104" desc:"marketing service gRPC address"`
	MessagingAddr        string   `env:"SIYU_MESSAGING_ADDR" default:"127.0.0.1:9105" desc:"messaging service gRPC address"`
	AnalyticsAddr        string   `env:"SIYU_ANALYTICS_ADDR" default:"127.0.0.1:9106" desc:"analytics service gRPC address"`
	JWTPublicKey         string   `env:"SIYU_JWT_PUBLIC_KEY" required:"true" desc:"Ed25519 public key (PEM) that verifies tokens"`
	CORSOrigins          []string `env:"SIYU_CORS_ORIGINS" desc:"comma-separated origins allowed by CORS"`
	RateIPRPS            float64  `env:"SIYU_RATE_IP_RPS" default:"50" desc:"requests per second per client IP (0 turns it off)"`
	RateIPBurst          int      `env:"SIYU_RATE_IP_BURST" default:"100" desc:"burst per client IP"`
	RateMemberRPS        float64  `env:"SIYU_RATE_MEMBER_RPS" default:"20" desc:"requests per second per signed-in member"`
	RateMemberBurst      int      `env:"SIYU_RATE_MEMBER_BURST" default:"40" desc:"burst per signed-in member"`
	RateFlashMemberRPS   float64  `env:"SIYU_RATE_FLASH_MEMBER_RPS" default:"2" desc:"flash-sale reservations per second per member (0 turns it off)"`
	RateFlashMemberBurst int      `env:"SIYU_RATE_FLASH_MEMBER_BURST" default:"3" desc:"burst of flash-sale reservations per member"`
	RateFlashIPRPS       float64  `env:"SIYU_RATE_FLASH_IP_RPS" default:"10" desc:"flash-sale reservations per second per client IP (0 turns it off)"`
	RateFlashIPBurst     int      `env:"SIYU_RATE_FLASH_IP_BURST" default:"20" desc:"burst of flash-sale reservations per client IP"`
	TrustProxy           bool     `env:"SIYU_TRUST_PROXY" desc:"take the client IP from X-Forwarded-For"`
	MaxBodyBytes         int64    `env:"SIYU_MAX_BODY_BYTES" default:"1048576" desc:"largest accepted request body"`
	// SessionCheckTTL is how stale the gateway's knowledge of a session may
	// be: a logout or a block locks the token out within it.
	SessionCheckTTL time.Duration `env:"SIYU_SESSION_CHECK_TTL" default:"30s" desc:"how long the gateway trusts the member service's answer that a token's session is live; 0 turns the check off"`
	WebDir          string        `env:"SIYU_WEB_DIR" desc:"directory of static H5/admin files served at /"`
	LogLevel        string        `env:"SIYU_LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`

	Listener net.Listener `env:"-"`
	Logger   *slog.Logger `env:"-"`
}

// LoadConfig reads Config from the environment.
func LoadConfig() (Config, error) {
	var c Config
	return c, config.Load(&c)
}

// Gateway is the assembled edge.
type Gateway struct {
	handler   http.Handler
	conns     map[string]*grpc.ClientConn
	log       *slog.Logger
	upstreams []string
}

// New dials the services and builds the handler. Dialing is lazy: New
// succeeds while services are still starting, and /readyz tells when they serve.
func New(ctx context.Context, c Config) (*Gateway, error) {
	log := c.Logger
	if log == nil {
		log = logx.New("gateway", os.Stderr, logx.ParseLevel(c.LogLevel))
	}
	pub, err := auth.ParsePublicKeyPEM(c.JWTPublicKey)
	if err != nil {
		return nil, fmt.Errorf("SIYU_JWT_PUBLIC_KEY: %w", err)
	}
	g := &Gateway{conns: map[string]*grpc.ClientConn{}, log: log}
	for _, svc := range Services {
		addr := c.Addr(svc)
		if addr == "" {
			continue
		}
		conn, err := grpcclient.Dial(addr)
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("%s at %s: %w", svc.Name, addr, err)
		}
		g.conns[svc.Name] = conn
		g.upstreams = append(g.upstreams, svc.Name)
	}

	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, fileMarshaler{mw.Marshaler}),
		runtime.WithForwardResponseOption(fileHeaders),
		runtime.WithIncomingHeaderMatcher(forwardedHeader),
		runtime.WithMetadata(func(_ context.Context, r *http.Request) metadata.MD {
			return metadata.Pairs(auth.ClientIPKey, mw.ClientIP(r, c.TrustProxy))
		}),
		runtime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
	)
	for _, svc := range Services {
		conn := g.conns[svc.Name]
		if conn == nil {
			continue
		}
		for _, register := range svc.Handlers {
			if err := register(ctx, mux, conn); err != nil {
				g.Close()
				return nil, err
			}
		}
	}

	site, err := web.Handler(c.WebDir)
	if err != nil {
		g.Close()
		return nil, err
	}
	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	root.HandleFunc("GET /readyz", g.ready)
	root.Handle("GET /openapi.json", apidocs.Spec())
	root.Handle("GET /docs", apidocs.Page())
	// Metrics name every RPC and upstream address: they are served only on
	// SIYU_METRICS_ADDR, and the public edge says so explicitly rather than
	// letting a static site's fallback answer.
	root.Handle("/metrics", http.NotFoundHandler())
	var live mw.Sessions
	if conn := g.conns["member"]; conn != nil && c.SessionCheckTTL > 0 {
		live = newSessions(conn, c.SessionCheckTTL, log)
	}
	api := chain(mux,
		mw.ValidUTF8,
		mw.Auth(auth.NewVerifier(pub, "siyu", clock.System), mw.NewLimiter(c.RateMemberRPS, c.RateMemberBurst), live),
		mw.Hot(isFlashReservation, mw.NewLimiter(c.RateFlashMemberRPS, c.RateFlashMemberBurst), mw.NewLimiter(c.RateFlashIPRPS, c.RateFlashIPBurst), c.TrustProxy),
		mw.BodyLimit(c.MaxBodyBytes),
	)
	root.Handle("/v1/", api)
	if conn := g.conns["order"]; conn != nil {
		root.Handle("POST /v1/payments/{provider}/notify", chain(paymentNotify(conn), mw.ValidUTF8))
	}
	root.Handle("/", site)

	g.handler = otelhttp.NewHandler(chain(root,
		mw.RequestID,
		recoverer(log),
		securityHeaders,
		mw.CORS(c.CORSOrigins),
		mw.PerIP(mw.NewLimiter(c.RateIPRPS, c.RateIPBurst), c.TrustProxy),
		accessLog(log),
	), "gateway", otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }))
	return g, nil
}

// isFlashReservation is the route bots go for when a flash sale opens.
func isFlashReservation(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/flash-sales/") && strings.HasSuffix(r.URL.Path, ":reserve")
}

// chain wraps h so the first middleware listed runs first.
func chain(h http.Handler, mws ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// forwardedHeader passes only the caller's token and the request id to
// services. Anything else a client sends, such as an identity header it made
// up, never reaches them.
func forwardedHeader(key string) (string, bool) {
	switch strings.ToLower(key) {
	case "authorization":
		return "authorization", true
	case "x-request-id":
		return "x-request-id", true
	}
	return "", false
}

func errorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if mw.BodyTooLarge(r) {
		mw.Fail(w, http.StatusRequestEntityTooLarge, codes.InvalidArgument, "BODY_TOO_LARGE", "request body is larger than the limit")
		return
	}
	st := status.Convert(err)
	if st.Code() == codes.Unknown {
		// grpc-gateway reports undecodable bodies as plain errors; they are the client's.
		st = status.New(codes.InvalidArgument, st.Message())
	}
	mw.WriteError(w, st.Err())
}

func routingErrorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	switch httpStatus {
	case http.StatusMethodNotAllowed:
		mw.Fail(w, httpStatus, codes.Unimplemented, "METHOD_NOT_ALLOWED", "this route does not accept "+r.Method)
	case http.StatusBadRequest:
		mw.Fail(w, httpStatus, codes.InvalidArgument, "BAD_REQUEST", "the request path is malformed")
	default:
		mw.Fail(w, http.StatusNotFound, codes.NotFound, "ROUTE_NOT_FOUND", "no such route: "+r.URL.Path)
	}
}

func (g *Gateway) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var down []string
	for _, name := range g.upstreams {
		if err := checkHealth(ctx, g.conns[name]); err != nil {
			down = append(down, name)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if len(down) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `{"status":"not ready","not_serving":["%s"]}`, strings.Join(down, `","`))
		return
	}
	_, _ = w.Write([]byte(`{"status":"ready"}`))
}

func recoverer(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					log.ErrorContext(r.Context(), "panic in gateway", "path", r.URL.Path, "panic", fmt.Sprint(p))
					mw.Fail(w, http.StatusInternalServerError, codes.Internal, "INTERNAL", "internal error")
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func accessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			// Successful requests are debug detail (the terminal of `siyu
			// dev` shows what went wrong, not every request); refusals are
			// info, server faults errors.
			level := slog.LevelDebug
			switch {
			case rec.status >= 500:
				level = slog.LevelError
			case rec.status >= 400:
				level = slog.LevelInfo
			}
			if !log.Enabled(r.Context(), level) {
				return
			}
			log.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"duration_ms", time.Since(start).Milliseconds(), "request_id", w.Header().Get(mw.RequestIDHeader))
		})
	}
}

// Handler is the whole edge as an http.Handler.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Close releases the upstream connections.
func (g *Gateway) Close() error {
	var errs []error
	for _, c := range g.conns {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Run serves until ctx is done, then drains in-flight requests.
func Run(ctx context.Context, c Config) error {
	flush, err := telemetry.Setup(ctx, "gateway")
	if err != nil {
		return err
	}
	defer flush(context.Background())
	g, err := New(ctx, c)
	if err != nil {
		return err
	}
	defer g.Close()
	lis := c.Listener
	if lis == nil {
		if lis, err = net.Listen("tcp", c.HTTPAddr); err != nil {
			return fmt.Errorf("listen %s: %w", c.HTTPAddr, err)
		}
	}
	srv := &http.Server{Handler: g.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(lis) }()
	if c.MetricsAddr != "" {
		mctx, stopMetrics := context.WithCancel(ctx)
		metricsDone := make(chan struct{})
		defer func() { stopMetrics(); <-metricsDone }()
		go func() {
			defer close(metricsDone)
			if err := telemetry.ServeMetrics(mctx, c.MetricsAddr); err != nil {
				errc <- fmt.Errorf("metrics endpoint %s: %w", c.MetricsAddr, err)
			}
		}()
	}
	g.log.Info("serving", "http", lis.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
