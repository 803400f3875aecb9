package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// dockerfile is what the tests need to know about one image recipe. Docker
// cannot run on the machines that run these tests, so the recipes are kept
// simple enough to read and checked here against the code.
type dockerfile struct {
	path        string
	froms       []string // base images, in stage order
	buildTarget string   // package of `go build ... ./pkg`
	buildOut    string   // -o of that go build
	cgoOff      bool
	copies      [][]string // arguments of every COPY
	env         map[string]string
	expose      []int
	user        string
	entrypoint  []string
	healthcheck []string // the CMD of HEALTHCHECK
}

var (
	goBuildRe  = regexp.MustCompile(`go build .*-o (\S+) (\./\S+)`)
	envPairRe  = regexp.MustCompile(`(\w+)=("[^"]*"|\S*)`)
	jsonListRe = regexp.MustCompile(`"([^"]*)"`)
)

func parseDockerfile(t *testing.T, rel string) dockerfile {
	t.Helper()
	text := strings.ReplaceAll(readFile(t, rel), "\\\n", " ")
	d := dockerfile{path: rel, env: map[string]string{}}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			d.froms = append(d.froms, strings.Fields(rest)[0])
		case "RUN":
			if m := goBuildRe.FindStringSubmatch(rest); m != nil {
				d.buildOut, d.buildTarget = m[1], m[2]
				d.cgoOff = strings.Contains(rest, "CGO_ENABLED=0")
			}
		case "COPY":
			d.copies = append(d.copies, strings.Fields(rest))
		case "ENV":
			for _, m := range envPairRe.FindAllStringSubmatch(rest, -1) {
				d.env[m[1]] = strings.Trim(m[2], `"`)
			}
		case "EXPOSE":
			for _, f := range strings.Fields(rest) {
				n, _ := strconv.Atoi(strings.TrimSuffix(f, "/tcp"))
				d.expose = append(d.expose, n)
			}
		case "USER":
			d.user = rest
		case "ENTRYPOINT":
			d.entrypoint = jsonList(rest)
		case "HEALTHCHECK":
			if _, cmd, ok := strings.Cut(rest, "CMD "); ok {
				d.healthcheck = jsonList(cmd)
			}
		}
	}
	return d
}

func jsonList(s string) []string {
	var out []string
	for _, m := range jsonListRe.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

func dockerfilePath(name string) string { return "deploy/docker/" + name + ".Dockerfile" }

// goVersion reads the go directive of go.work.
func goVersion(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(readFile(t, "go.work"))
	if m == nil {
		t.Fatal("go.work has no go directive")
	}
	return m[1]
}

// versionAtLeast compares dotted numeric versions.
func versionAtLeast(have, want string) bool {
	h, w := strings.Split(have, "."), strings.Split(want, ".")
	for i := range max(len(h), len(w)) {
		var a, b int
		if i < len(h) {
			a, _ = strconv.Atoi(h[i])
		}
		if i < len(w) {
			b, _ = strconv.Atoi(w[i])
		}
		if a != b {
			return a > b
		}
	}
	return true
}

// TestDockerfilesBuildTheBinaries checks every image recipe: a Go builder at
// least as new as go.work asks, a static build of the component's real main
// package, a distroless non-root final stage, the binary as entrypoint, the
// listen address on every interface at the component's port, and a health
// check that runs the binary's own -healthcheck mode.
func TestDockerfilesBuildTheBinaries(t *testing.T) {
	want := goVersion(t)
	for _, c := range append(slices.Clone(components), seedTool) {
		name := c.name
		if c == seedTool {
			name = "siyu"
		}
		t.Run(name, func(t *testing.T) {
			d := parseDockerfile(t, dockerfilePath(name))
			if len(d.froms) < 2 {
				t.Fatalf("%s: want a multi-stage build, got FROM %v", d.path, d.froms)
			}
			builder, ok := strings.CutPrefix(d.froms[0], "golang:")
			if !ok {
				t.Errorf("%s: first stage %q is not a golang image", d.path, d.froms[0])
			} else if v, _, _ := strings.Cut(builder, "-"); !versionAtLeast(v, want) {
				t.Errorf("%s: builder golang:%s is older than go.work's go %s", d.path, builder, want)
			}
			if final := d.froms[len(d.froms)-1]; !strings.HasPrefix(final, "gcr.io/distroless/static") {
				t.Errorf("%s: final stage %q is not a minimal static base", d.path, final)
			}
			if d.user == "" || strings.HasPrefix(d.user, "root") || strings.HasPrefix(d.user, "0") {
				t.Errorf("%s: runs as %q; want a non-root USER", d.path, d.user)
			}
			if d.buildTarget != c.pkg {
				t.Errorf("%s: builds %q, want %q", d.path, d.buildTarget, c.pkg)
			}
			if !d.cgoOff {
				t.Errorf("%s: go build without CGO_ENABLED=0 is not static", d.path)
			}
			if err := isMainPackage(filepath.Join(root, d.buildTarget)); err != nil {
				t.Errorf("%s: go build target: %v", d.path, err)
			}
			bin := "/usr/local/bin/" + filepath.Base(c.pkg)
			copied := slices.ContainsFunc(d.copies, func(args []string) bool {
				return slices.Equal(args, []string{"--from=build", d.buildOut, bin})
			})
			if !copied {
				t.Errorf("%s: the final stage does not COPY --from=build %s %s", d.path, d.buildOut, bin)
			}
			if len(d.entrypoint) == 0 || d.entrypoint[0] != bin {
				t.Errorf("%s: ENTRYPOINT %v, want [%q]", d.path, d.entrypoint, bin)
			}
			if c == seedTool {
				return
			}
			if !slices.Equal(d.healthcheck, []string{bin, "-healthcheck"}) {
				t.Errorf("%s: HEALTHCHECK CMD %v, want [%s -healthcheck]", d.path, d.healthcheck, bin)
			}
			// lifecycle.Main gives a service binary its -healthcheck flag.
			if main := readFile(t, filepath.Join(c.pkg, "main.go")); !strings.Contains(main, `"healthcheck"`) && !strings.Contains(main, "lifecycle.Main(") {
				t.Errorf("%s/main.go has no -healthcheck flag", c.pkg)
			}
			addr, ok := d.env[c.addrVar]
			if !ok {
				t.Errorf("%s: no ENV %s: the Config default listens on loopback only", d.path, c.addrVar)
			} else if host, _, _ := strings.Cut(addr, ":"); host != "" && host != "0.0.0.0" {
				t.Errorf("%s: ENV %s=%s is not every interface", d.path, c.addrVar, addr)
			}
			if p := c.port(t); !slices.Contains(d.expose, p) || (ok && mustPort(t, d.path, addr) != p) {
				t.Errorf("%s: want %s on port %d and EXPOSE %d; got %s=%q, EXPOSE %v", d.path, c.addrVar, p, p, c.addrVar, addr, d.expose)
			}
		})
	}
}

func isMainPackage(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("%s has no Go files", dir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if regexp.MustCompile(`(?m)^package main$`).Match(b) {
			return nil
		}
	}
	return fmt.Errorf("%s is not a main package", dir)
}

// TestGatewayImageCarriesWebAssets fails once web apps exist (web/<app>/package.json)
// but the gateway image does not build them and serve the result: a Node
// stage runs `npm ci` and `npm run build` in the app's folder, with the
// OpenAPI document its API types come from, and the final stage copies the
// build output to SIYU_WEB_DIR.
func TestGatewayImageCarriesWebAssets(t *testing.T) {
	apps, err := filepath.Glob(filepath.Join(root, "web", "*", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) == 0 {
		t.Skip("no web/ sources yet; the gateway serves its landing page")
	}
	path := dockerfilePath("gateway")
	d := parseDockerfile(t, path)
	text := readFile(t, path)
	webDir := d.env["SIYU_WEB_DIR"]
	if webDir == "" {
		t.Fatalf("%s: web/ exists, but the image neither builds it nor sets SIYU_WEB_DIR", path)
	}
	if !slices.ContainsFunc(d.froms, func(f string) bool { return strings.HasPrefix(f, "node:") }) {
		t.Errorf("%s: no Node stage builds the web apps", path)
	}
	for _, pkg := range apps {
		rel, _ := filepath.Rel(root, filepath.Dir(pkg))
		app := filepath.ToSlash(rel)
		for _, want := range []string{"WORKDIR /src/" + app, app + "/package-lock.json", "npm ci", "apidocs/siyu.swagger.json", "npm run build"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: %s is not built in its own folder from its lockfile and the API document (no %q)", path, app, want)
			}
		}
		copied := slices.ContainsFunc(d.copies, func(args []string) bool {
			return len(args) == 3 && strings.HasPrefix(args[0], "--from=") && strings.HasSuffix(args[1], app+"/dist") && args[2] == webDir
		})
		if !copied {
			t.Errorf("%s: the final stage does not COPY %s/dist to SIYU_WEB_DIR=%s", path, app, webDir)
		}
	}
}

// TestDockerIgnoreKeepsSecretsOut: the build context is the repository root,
// where `siyu keys > .env` writes the signing keys.
func TestDockerIgnoreKeepsSecretsOut(t *testing.T) {
	for _, file := range []string{".dockerignore", ".gitignore"} {
		lines := strings.Split(readFile(t, file), "\n")
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.TrimSpace(l) == ".env" || strings.TrimSpace(l) == "/.env" }) {
			t.Errorf("%s does not exclude .env (token signing keys)", file)
		}
	}
}
