package deploy

import (
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"siyu.dev/gateway"
	"siyu.dev/pkg/config"
	"siyu.dev/services/analytics"
	"siyu.dev/services/marketing"
	"siyu.dev/services/member"
	"siyu.dev/services/messaging"
	"siyu.dev/services/order"
	"siyu.dev/services/product"
)

// root is the repository root, where docker-compose.yml and go.work live.
const root = ".."

// component is one deployable binary. Everything else about it (the variables
// it reads, their defaults, its port) comes from its real Config type by
// reflection, so a new variable in a service shows up here without an edit.
type component struct {
	name string // compose service, Kubernetes Deployment, image siyu/<name>
	cfg  any    // pointer to the Config the binary loads from the environment
	pkg  string // the image's go build target, relative to the repository root
	// addrVar is the listen address variable; its default's port is the
	// component's port everywhere (compose, images, probes, Services).
	addrVar string
	grpc    bool // serves grpc.health.v1 (services) rather than HTTP /healthz (gateway)
	// borrowsConfig: the binary loads another component's Config only to
	// reach its database, so that component's optional knobs need no entry.
	borrowsConfig bool
}

var components = []component{
	{"member", &member.Config{}, "./services/member/cmd/member", "SIYU_GRPC_ADDR", true, false},
	{"product", &product.Config{}, "./services/product/cmd/product", "SIYU_GRPC_ADDR", true, false},
	{"order", &order.Config{}, "./services/order/cmd/order", "SIYU_GRPC_ADDR", true, false},
	{"marketing", &marketing.Config{}, "./services/marketing/cmd/marketing", "SIYU_GRPC_ADDR", true, false},
	{"messaging", &messaging.Config{}, "./services/messaging/cmd/messaging", "SIYU_GRPC_ADDR", true, false},
	{"analytics", &analytics.Config{}, "./services/analytics/cmd/analytics", "SIYU_GRPC_ADDR", true, false},
	{"gateway", &gateway.Config{}, "./gateway/cmd/gateway", "SIYU_HTTP_ADDR", false, false},
}

// seedTool is `siyu seed`, compose's one-shot demo loader. It reads the
// member service's Config (it writes the admin account into member's
// database) plus the product and marketing services' addresses.
var seedTool = component{name: "seed", cfg: &member.Config{}, pkg: "./cmd/siyu", borrowsConfig: true}

const (
	seedProductAddrVar   = "SIYU_PRODUCT_ADDR"
	seedMarketingAddrVar = "SIYU_MARKETING_ADDR"
)

// vars lists the variables c's Config reads.
func (c component) vars() []config.Var { return config.Describe(c.cfg) }

// port is the port of the default listen address in c's Config.
func (c component) port(t *testing.T) int {
	t.Helper()
	for _, v := range c.vars() {
		if v.Name == c.addrVar {
			return mustPort(t, c.name+" "+v.Name+" default", v.Default)
		}
	}
	t.Fatalf("%s: Config has no %s", c.name, c.addrVar)
	return 0
}

// load runs the component's real configuration loader (defaults, required
// variables, type parsing and Validate) against env, as the binary would.
func (c component) load(env map[string]string) (any, error) {
	fresh := reflect.New(reflect.TypeOf(c.cfg).Elem()).Interface()
	err := config.LoadLookup(fresh, func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	})
	return fresh, err
}

// checkEnv compares the variables a deployment sets for c with what c's
// Config reads:
//   - a variable without a default must be listed (even as an explicit empty
//     value), so every knob of every component is visible in the deployment;
//   - a deployment must not set variables the component does not read, except
//     the standard OTEL_* ones, so a renamed or removed variable fails too;
//   - the real loader must accept the values (required ones present, types,
//     Validate);
//   - the listen address must not be loopback, or nothing could reach it.
func checkEnv(t *testing.T, where string, c component, env map[string]string, extra ...string) {
	t.Helper()
	known := map[string]bool{}
	for _, x := range extra {
		known[x] = true
	}
	for _, v := range c.vars() {
		known[v.Name] = true
		if _, set := env[v.Name]; !set && v.Default == "" && (v.Required || !c.borrowsConfig) {
			t.Errorf("%s: %s reads %s (no default) but it is not set", where, c.name, v.Name)
		}
	}
	for name := range env {
		if !known[name] && !strings.HasPrefix(name, "OTEL_") {
			t.Errorf("%s: %s sets %s, which %s's Config does not read", where, c.name, name, c.name)
		}
	}
	if _, err := c.load(env); err != nil {
		t.Errorf("%s: %s would not start: %v", where, c.name, err)
	}
	if addr, ok := env[c.addrVar]; ok && c.addrVar != "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			t.Errorf("%s: %s %s=%q: %v", where, c.name, c.addrVar, addr, err)
		} else if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			t.Errorf("%s: %s listens on loopback %q; nothing outside its container could reach it", where, c.name, addr)
		}
		if mustPort(t, where, addr) != c.port(t) {
			t.Errorf("%s: %s %s=%q, but its port is %d everywhere else", where, c.name, c.addrVar, addr, c.port(t))
		}
	}
}

func mustPort(t *testing.T, what, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s: %q is not host:port: %v", what, addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("%s: %q has no numeric port", what, addr)
	}
	return n
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestComponentsCoverEveryBinary keeps the table above complete: every
// cmd/<name> under services/ must be a component.
func TestComponentsCoverEveryBinary(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(root, "services", "*", "cmd", "*", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, c := range components {
		have[c.pkg] = true
	}
	for _, d := range dirs {
		rel, _ := filepath.Rel(root, filepath.Dir(d))
		if pkg := "./" + filepath.ToSlash(rel); !have[pkg] {
			t.Errorf("%s is not deployed: add it to components, docker-compose.yml, deploy/docker and deploy/k8s", pkg)
		}
	}
	if len(dirs) == 0 {
		t.Fatal("found no service binaries")
	}
}

// TestServicesTableMatchesConfigs: every service of gateway.Services is a
// deployed component whose gRPC address defaults to the table's port, and
// every deployed service is in the table.
func TestServicesTableMatchesConfigs(t *testing.T) {
	inTable := map[string]bool{}
	for _, s := range gateway.Services {
		inTable[s.Name] = true
	}
	for _, c := range components {
		if c.name == "gateway" {
			continue
		}
		s, ok := gateway.ServiceNamed(c.name)
		if !ok {
			t.Errorf("%s is deployed but not in gateway.Services", c.name)
			continue
		}
		delete(inTable, c.name)
		for _, v := range c.vars() {
			if v.Name == "SIYU_GRPC_ADDR" && v.Default != s.DefaultAddr() {
				t.Errorf("%s listens on %q by default, the table says %q", c.name, v.Default, s.DefaultAddr())
			}
		}
	}
	for name := range inTable {
		t.Errorf("%s is in gateway.Services but not deployed", name)
	}
}
