package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"sigs.k8s.io/yaml"
)

// testKeys stand in for the .env that `siyu keys` writes; the loaders under
// test only need them present (the services parse them at start-up).
var testKeys = []string{"SIYU_JWT_PRIVATE_KEY=test-private", "SIYU_JWT_PUBLIC_KEY=test-public"}

// loadCompose parses docker-compose.yml with the compose-spec reference
// library, as `docker compose` does, interpolating from env only (never from
// the developer's own environment or .env).
func loadCompose(env []string) (*types.Project, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(abs, "docker-compose.yml")},
		cli.WithWorkingDirectory(abs), cli.WithName("siyu"), cli.WithEnv(env),
		cli.WithoutEnvironmentResolution)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

func mustLoadCompose(t *testing.T) *types.Project {
	t.Helper()
	p, err := loadCompose(testKeys)
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no service %q", name)
	}
	return s
}

// environment flattens a service's environment; a listed variable without a
// value (passed through from the host) counts as set to "".
func environment(s types.ServiceConfig) map[string]string {
	env := map[string]string{}
	for k, v := range s.Environment {
		env[k] = ""
		if v != nil {
			env[k] = *v
		}
	}
	return env
}

// TestComposeNeedsSigningKeys: the token keys come from .env (siyu keys),
// never from the file, and compose refuses to start without them.
func TestComposeNeedsSigningKeys(t *testing.T) {
	_, err := loadCompose(nil)
	if err == nil || !strings.Contains(err.Error(), "siyu keys") {
		t.Fatalf("compose without SIYU_JWT_* keys: err = %v, want the hint to run siyu keys", err)
	}
	raw := readFile(t, "docker-compose.yml")
	if strings.Contains(raw, "PRIVATE KEY") || strings.Contains(raw, "PUBLIC KEY") {
		t.Fatal("docker-compose.yml contains key material")
	}
}

// TestComposeRunsEveryComponentWithAHealthCheck: every service and the
// gateway, built from its own Dockerfile, with a health check that runs the
// image's binary in -healthcheck mode.
func TestComposeRunsEveryComponentWithAHealthCheck(t *testing.T) {
	p := mustLoadCompose(t)
	for _, c := range components {
		s := service(t, p, c.name)
		if s.Build == nil || s.Build.Dockerfile != dockerfilePath(c.name) {
			t.Errorf("%s: want build.dockerfile %s", c.name, dockerfilePath(c.name))
			continue
		}
		if want := "siyu/" + c.name; !strings.HasPrefix(s.Image, want+":") {
			t.Errorf("%s: image %q, want %s:<tag> (the name the Kubernetes manifests use)", c.name, s.Image, want)
		}
		d := parseDockerfile(t, s.Build.Dockerfile)
		hc := s.HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) < 3 {
			t.Errorf("%s: no health check", c.name)
			continue
		}
		if want := []string{"CMD", d.entrypoint[0], "-healthcheck"}; !slices.Equal(hc.Test, want) {
			t.Errorf("%s: healthcheck %v, want %v", c.name, hc.Test, want)
		}
	}
}

// TestComposeEnvironmentMatchesConfig derives, by reflection over each
// component's real Config, the variables it reads and checks compose sets
// them (see checkEnv): a new variable without a compose entry fails here.
func TestComposeEnvironmentMatchesConfig(t *testing.T) {
	p := mustLoadCompose(t)
	for _, c := range components {
		checkEnv(t, "docker-compose.yml", c, environment(service(t, p, c.name)))
	}
	checkEnv(t, "docker-compose.yml", seedTool, environment(service(t, p, "seed")), seedProductAddrVar, seedMarketingAddrVar)
}

// TestComposeAddressesLineUp: the gateway and the seed step dial each service
// at its compose name and the port it listens on; seed writes the admin into
// the database the member service reads.
func TestComposeAddressesLineUp(t *testing.T) {
	p := mustLoadCompose(t)
	gw := environment(service(t, p, "gateway"))
	seed := environment(service(t, p, "seed"))
	for _, c := range components {
		if !c.grpc {
			continue
		}
		listen := environment(service(t, p, c.name))[c.addrVar]
		want := fmt.Sprintf("%s:%d", c.name, mustPort(t, c.name, listen))
		if got := gw["SIYU_"+strings.ToUpper(c.name)+"_ADDR"]; got != want {
			t.Errorf("gateway dials %s at %q, want %q", c.name, got, want)
		}
		if c.name == "product" && seed[seedProductAddrVar] != want {
			t.Errorf("seed dials product at %q, want %q", seed[seedProductAddrVar], want)
		}
		if c.name == "marketing" && seed[seedMarketingAddrVar] != want {
			t.Errorf("seed dials marketing at %q, want %q", seed[seedMarketingAddrVar], want)
		}
	}
	mem := environment(service(t, p, "member"))
	for _, k := range []string{"MONGO_URI", "SIYU_MONGO_DATABASE", "SIYU_JWT_PRIVATE_KEY"} {
		if seed[k] != mem[k] {
			t.Errorf("seed %s=%q but member %s=%q", k, seed[k], k, mem[k])
		}
	}
	if s := service(t, p, "seed"); !slices.Equal([]string(s.Command), []string{"seed"}) || s.Restart != "no" {
		t.Errorf("seed: command %v restart %q, want a one-shot `siyu seed`", s.Command, s.Restart)
	}
	if gwDeps := service(t, p, "gateway").DependsOn; gwDeps["seed"].Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("the gateway must wait for the demo shop to be seeded")
	}
}

// TestComposeHostPortsAreUnique: two services publishing the same host port
// would make `docker compose up` fail half-way.
func TestComposeHostPortsAreUnique(t *testing.T) {
	p := mustLoadCompose(t)
	owner := map[string]string{}
	for name, s := range p.Services {
		for _, port := range s.Ports {
			if port.Published == "" {
				continue
			}
			key := port.Published + "/" + cmpOr(port.Protocol, "tcp")
			if other, dup := owner[key]; dup {
				t.Errorf("host port %s is published by both %s and %s", key, other, name)
			}
			owner[key] = name
		}
	}
	if owner["8080/tcp"] != "gateway" {
		t.Errorf("the gateway must be on http://localhost:8080 as with make run; 8080 is published by %q", owner["8080/tcp"])
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestComposeDependsOnConditionsHold: waiting for service_healthy needs a
// health check on the other side, and service_completed_successfully needs a
// one-shot container; every component waits for what it connects to.
func TestComposeDependsOnConditionsHold(t *testing.T) {
	p := mustLoadCompose(t)
	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			target, ok := p.Services[dep]
			if !ok {
				t.Errorf("%s depends on unknown service %s", name, dep)
				continue
			}
			switch d.Condition {
			case types.ServiceConditionHealthy:
				if target.HealthCheck == nil || target.HealthCheck.Disable || len(target.HealthCheck.Test) == 0 {
					t.Errorf("%s waits for %s to be healthy, but %s has no health check", name, dep, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
				if target.Restart != "no" {
					t.Errorf("%s waits for %s to complete, but %s restarts (%q)", name, dep, dep, target.Restart)
				}
			}
		}
	}
	// What a component connects to at start-up must be ready first, directly
	// or through a dependency that itself waited for it.
	names := map[string]bool{}
	for _, c := range components {
		names[c.name] = true
	}
	for _, c := range append(slices.Clone(components), seedTool) {
		env := environment(service(t, p, c.name))
		needs := map[string]string{}
		if env["MONGO_URI"] != "" {
			needs["mongo-init"] = types.ServiceConditionCompletedSuccessfully
		}
		if env["NATS_URL"] != "" {
			needs["nats"] = types.ServiceConditionHealthy
		}
		for k, v := range env {
			dep := strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(k), "siyu_"), "_addr")
			if names[dep] && dep != c.name && v != "" && !laterCalls[c.name+"→"+dep] {
				needs[dep] = types.ServiceConditionHealthy
			}
		}
		for dep, cond := range needs {
			if !waitsFor(p, c.name, dep, cond, 0) {
				t.Errorf("%s connects to %s at start-up but does not wait for it (%s)", c.name, dep, cond)
			}
		}
	}
}

// laterCalls are calls made only after start-up, retried until they are
// answered, that would otherwise make a cycle: marketing places flash-sale
// orders through order (from a durable queue), while order prices
// checkouts through marketing.
var laterCalls = map[string]bool{"marketing→order": true}

// waitsFor reports whether from starts only after dep reached cond, directly
// or through services it waits for.
func waitsFor(p *types.Project, from, dep, cond string, depth int) bool {
	if depth > len(p.Services) {
		return false
	}
	for name, d := range p.Services[from].DependsOn {
		if name == dep && d.Condition == cond {
			return true
		}
		if d.Condition != types.ServiceConditionStarted && waitsFor(p, name, dep, cond, depth+1) {
			return true
		}
	}
	return false
}

// TestComposeBuildsFromDockerfilesThatExist: every build section points at a
// Dockerfile in the repository, with the repository root as context, and every
// configuration file compose mounts exists.
func TestComposeBuildsFromDockerfilesThatExist(t *testing.T) {
	p := mustLoadCompose(t)
	abs, _ := filepath.Abs(root)
	built := 0
	for name, s := range p.Services {
		if s.Build == nil {
			continue
		}
		built++
		if ctx, _ := filepath.Abs(s.Build.Context); ctx != abs {
			t.Errorf("%s: build context %s, want the repository root (go.work)", name, s.Build.Context)
		}
		if _, err := os.Stat(filepath.Join(abs, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: build.dockerfile: %v", name, err)
		}
	}
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("%s mounts %s: %v", name, v.Source, err)
			}
		}
	}
	if built != len(components)+1 {
		t.Errorf("%d services are built from source, want %d (components and seed)", built, len(components)+1)
	}
}

// TestPrometheusScrapesEveryComponent: deploy/compose/prometheus.yml lists
// every component at the port its metrics are served on in compose.
func TestPrometheusScrapesEveryComponent(t *testing.T) {
	p := mustLoadCompose(t)
	var cfg struct {
		ScrapeConfigs []struct {
			StaticConfigs []struct {
				Targets []string `json:"targets"`
			} `json:"static_configs"`
		} `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, "deploy/compose/prometheus.yml")), &cfg); err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	for _, c := range components {
		env := environment(service(t, p, c.name))
		addr := env["SIYU_METRICS_ADDR"]
		if addr == "" {
			t.Errorf("%s serves no metrics in compose", c.name)
			continue
		}
		if want := fmt.Sprintf("%s:%d", c.name, mustPort(t, c.name, addr)); !slices.Contains(targets, want) {
			t.Errorf("prometheus.yml does not scrape %s (targets %v)", want, targets)
		}
	}
	for _, mount := range service(t, p, "prometheus").Volumes {
		if strings.HasSuffix(mount.Source, filepath.FromSlash("deploy/compose/prometheus.yml")) {
			return
		}
	}
	t.Error("the prometheus service does not mount deploy/compose/prometheus.yml")
}
