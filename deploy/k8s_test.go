package deploy

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	kusttypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

const k8sDir = "deploy/k8s"

// overlays are the Kustomize directories people apply.
var overlays = []string{"base", "overlays/production"}

// Secrets the manifests read but never contain (deploy/README.md creates
// them): siyu-jwt from the .env `siyu keys` prints, siyu-sms and siyu-wechat
// from the brand's accounts, siyu-mongodb-uri by the MongoDB operator.
var externalSecrets = map[string][]string{
	"siyu-jwt":         {"SIYU_JWT_PRIVATE_KEY", "SIYU_JWT_PUBLIC_KEY"},
	"siyu-sms":         {"SIYU_ALIYUN_SMS_ACCESS_KEY_ID", "SIYU_ALIYUN_SMS_ACCESS_KEY_SECRET"},
	"siyu-wechat":      {"SIYU_WECHAT_APPSECRET", "SIYU_WECHAT_OTHER_APPS"},
	"siyu-mongodb-uri": {"connectionString.standard"},
	"siyu-payments": {"SIYU_WECHATPAY_MCH_ID", "SIYU_WECHATPAY_APP_ID", "SIYU_WECHATPAY_MCH_CERT_SERIAL", "SIYU_WECHATPAY_MCH_PRIVATE_KEY",
		"SIYU_WECHATPAY_PUBLIC_KEY_ID", "SIYU_WECHATPAY_PUBLIC_KEY", "SIYU_WECHATPAY_API_V3_KEY", "SIYU_WECHATPAY_NOTIFY_URL",
		"SIYU_KUAIDI100_CUSTOMER", "SIYU_KUAIDI100_KEY"},
}

// strictDecoder decodes manifests with the official API types and fails on
// unknown or duplicate fields, as `kubectl apply --validate=strict` would.
var strictDecoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, autoscalingv2.AddToScheme, policyv1.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

func decodeStrict(doc []byte) (runtime.Object, error) {
	obj, _, err := strictDecoder.Decode(doc, nil, nil)
	return obj, err
}

// splitDocs splits a multi-document YAML stream, dropping empty documents.
func splitDocs(t *testing.T, data []byte) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufioReader(data))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if err != nil {
			break
		}
		if len(bytes.TrimSpace(stripComments(doc))) > 0 {
			docs = append(docs, doc)
		}
	}
	return docs
}

func stripComments(doc []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

// TestStrictDecodingCatchesUnknownFields proves the decoder used below is
// strict: a misspelt field is an error, not silently dropped.
func TestStrictDecodingCatchesUnknownFields(t *testing.T) {
	bad := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n")
	if _, err := decodeStrict(bad); err == nil || !runtime.IsStrictDecodingError(err) {
		t.Fatalf("unknown field decoded without a strict error: %v", err)
	}
}

// TestManifestsDecodeStrictly decodes every file under deploy/k8s/base and
// overlays: Kubernetes objects (including overlay patches) with the official
// types, Kustomization files with Kustomize's, JSON patches as patches.
func TestManifestsDecodeStrictly(t *testing.T) {
	files := 0
	err := filepath.WalkDir(filepath.Join(root, k8sDir), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(root, k8sDir), path)
		if strings.HasPrefix(rel, "operators"+string(filepath.Separator)) {
			return nil // custom resources and Helm values: TestOperatorsMatchManifests
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case d.Name() == "kustomization.yaml":
			var k kusttypes.Kustomization
			if err := yaml.UnmarshalStrict(data, &k); err != nil {
				t.Errorf("%s: %v", rel, err)
			}
		case bytes.HasPrefix(stripComments(data), []byte("- ")):
			var ops []struct {
				Op    string `json:"op"`
				Path  string `json:"path"`
				Value any    `json:"value,omitempty"`
			}
			if err := yaml.UnmarshalStrict(data, &ops); err != nil || len(ops) == 0 {
				t.Errorf("%s: not a JSON patch: %v", rel, err)
			}
		default:
			for i, doc := range splitDocs(t, data) {
				if _, err := decodeStrict(doc); err != nil {
					t.Errorf("%s document %d: %v", rel, i+1, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no manifests found")
	}
}

// rendered is one kustomize build, decoded into official types.
type rendered struct {
	dir         string
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	pdbs        []*policyv1.PodDisruptionBudget
	configMaps  map[string]*corev1.ConfigMap
	ingresses   []*networkingv1.Ingress
	policies    []*networkingv1.NetworkPolicy
	all         []runtime.Object
}

// render runs Kustomize in-process (what `kubectl apply -k` runs) and decodes
// every resource strictly.
func render(t *testing.T, dir string) *rendered {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(root, k8sDir, dir))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	r := &rendered{dir: dir, deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{}, configMaps: map[string]*corev1.ConfigMap{}}
	for _, res := range m.Resources() {
		y, err := res.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		obj, err := decodeStrict(y)
		if err != nil {
			t.Fatalf("%s: rendered %s/%s: %v", dir, res.GetKind(), res.GetName(), err)
		}
		r.all = append(r.all, obj)
		switch o := obj.(type) {
		case *appsv1.Deployment:
			r.deployments[o.Name] = o
		case *corev1.Service:
			r.services[o.Name] = o
		case *autoscalingv2.HorizontalPodAutoscaler:
			r.hpas = append(r.hpas, o)
		case *policyv1.PodDisruptionBudget:
			r.pdbs = append(r.pdbs, o)
		case *corev1.ConfigMap:
			r.configMaps[o.Name] = o
		case *networkingv1.Ingress:
			r.ingresses = append(r.ingresses, o)
		case *networkingv1.NetworkPolicy:
			r.policies = append(r.policies, o)
		case *corev1.Secret:
			t.Errorf("%s renders Secret %s: secrets are created in the cluster, never committed", dir, o.Name)
		}
	}
	return r
}

// requiredLabels must be on every workload and its pods.
var requiredLabels = []string{"app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/part-of"}

// TestKustomizeRendersCheckedWorkloads renders the base and every overlay and
// checks each component's Deployment: labels, probes of the right kind on the
// right port, resource requests and limits, rolling updates that never drop
// below the current capacity, a preStop pause inside the grace period, a
// non-root security context, an environment the component's Config accepts,
// and a Service, HorizontalPodAutoscaler and PodDisruptionBudget of its own.
func TestKustomizeRendersCheckedWorkloads(t *testing.T) {
	for _, dir := range overlays {
		t.Run(strings.ReplaceAll(dir, "/", "_"), func(t *testing.T) {
			r := render(t, dir)
			if len(r.deployments) != len(components) {
				t.Errorf("%d Deployments, want one per component (%d)", len(r.deployments), len(components))
			}
			for _, c := range components {
				d, ok := r.deployments[c.name]
				if !ok {
					t.Errorf("no Deployment %s", c.name)
					continue
				}
				checkDeployment(t, r, c, d)
			}
			checkIngress(t, r)
			for _, obj := range r.all {
				if m, ok := obj.(interface{ GetLabels() map[string]string }); !ok || m.GetLabels()["app.kubernetes.io/part-of"] != "siyu" {
					t.Errorf("%T is not labelled app.kubernetes.io/part-of=siyu", obj)
				}
			}
		})
	}
}

func checkDeployment(t *testing.T, r *rendered, c component, d *appsv1.Deployment) {
	where := r.dir + " Deployment " + d.Name
	for _, l := range requiredLabels {
		if d.Labels[l] == "" || d.Spec.Template.Labels[l] == "" {
			t.Errorf("%s: label %s missing on the Deployment or its pods", where, l)
		}
	}
	sel, err := metaSelector(d)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("%s: selector does not match its pods (%v)", where, err)
	}
	if d.Spec.Replicas != nil {
		t.Errorf("%s: sets replicas; its HorizontalPodAutoscaler owns the count and every apply would reset it", where)
	}
	if ru := d.Spec.Strategy.RollingUpdate; d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
		t.Errorf("%s: want a RollingUpdate with maxUnavailable 0 (zero-downtime upgrades)", where)
	}
	pod := d.Spec.Template.Spec
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("%s: pods must run as non-root", where)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: want one container, got %d", where, len(pod.Containers))
	}
	ctr := pod.Containers[0]
	if !strings.Contains(ctr.Image, "siyu/"+c.name) {
		t.Errorf("%s: image %q is not siyu/%s (docker-compose.yml builds that image)", where, ctr.Image, c.name)
	}
	if r.dir != "base" {
		if _, tag, ok := strings.Cut(ctr.Image[strings.LastIndex(ctr.Image, "/")+1:], ":"); !ok || tag == "" || tag == "latest" {
			t.Errorf("%s: image %q is not pinned to a version", where, ctr.Image)
		}
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := ctr.Resources.Requests[res]
		lim, okLim := ctr.Resources.Limits[res]
		if !okReq || !okLim {
			t.Errorf("%s: %s request and limit are both required", where, res)
		} else if req.Cmp(lim) > 0 {
			t.Errorf("%s: %s request %s exceeds its limit %s", where, res, req.String(), lim.String())
		}
	}
	port := int32(c.port(t))
	portName := ""
	for _, p := range ctr.Ports {
		if p.ContainerPort == port {
			portName = p.Name
		}
	}
	if portName == "" {
		t.Errorf("%s: no containerPort %d", where, port)
	}
	checkProbes(t, where, c, ctr, port, portName)
	checkShutdown(t, where, pod, ctr)
	checkEnv(t, where, c, resolveEnv(t, r, where, ctr))
	checkService(t, r, c, d, port)
	checkScaling(t, r, d)
}

func metaSelector(d *appsv1.Deployment) (labels.Selector, error) {
	if d.Spec.Selector == nil {
		return nil, fmt.Errorf("no selector")
	}
	return labels.ValidatedSelectorFromSet(d.Spec.Selector.MatchLabels)
}

// checkProbes: services are probed over grpc.health.v1 on their gRPC port;
// the gateway over HTTP on its HTTP port.
func checkProbes(t *testing.T, where string, c component, ctr corev1.Container, port int32, portName string) {
	probes := map[string]*corev1.Probe{"readiness": ctr.ReadinessProbe, "liveness": ctr.LivenessProbe, "startup": ctr.StartupProbe}
	for kind, p := range probes {
		if p == nil {
			if kind != "startup" {
				t.Errorf("%s: no %s probe", where, kind)
			}
			continue
		}
		switch {
		case c.grpc && p.GRPC == nil:
			t.Errorf("%s: %s probe is not a gRPC probe", where, kind)
		case c.grpc && p.GRPC.Port != port:
			t.Errorf("%s: %s probe on port %d, the service listens on %d", where, kind, p.GRPC.Port, port)
		case !c.grpc && p.HTTPGet == nil:
			t.Errorf("%s: %s probe is not an HTTP probe", where, kind)
		case !c.grpc && p.HTTPGet.Port.String() != portName && p.HTTPGet.Port.IntValue() != int(port):
			t.Errorf("%s: %s probe on port %s, the gateway listens on %d", where, kind, p.HTTPGet.Port.String(), port)
		case !c.grpc && !slices.Contains([]string{"/healthz", "/readyz"}, p.HTTPGet.Path):
			t.Errorf("%s: %s probe path %q is not /healthz or /readyz", where, kind, p.HTTPGet.Path)
		}
	}
}

// checkShutdown: a preStop pause lets endpoints drain before SIGTERM, and the
// grace period leaves the service time for its own graceful shutdown after it.
func checkShutdown(t *testing.T, where string, pod corev1.PodSpec, ctr corev1.Container) {
	if ctr.Lifecycle == nil || ctr.Lifecycle.PreStop == nil || ctr.Lifecycle.PreStop.Sleep == nil {
		t.Errorf("%s: want a preStop sleep (the image has no shell)", where)
		return
	}
	grace := int64(30)
	if pod.TerminationGracePeriodSeconds != nil {
		grace = *pod.TerminationGracePeriodSeconds
	}
	if sleep := ctr.Lifecycle.PreStop.Sleep.Seconds; grace < sleep+15 {
		t.Errorf("%s: grace period %ds leaves less than 15s for graceful shutdown after the %ds preStop", where, grace, sleep)
	}
}

// resolveEnv turns a container's env into the values the process would see:
// literals, ConfigMap keys of the rendered ConfigMaps, and placeholders for
// the external Secrets (whose names and keys must be the known ones).
func resolveEnv(t *testing.T, r *rendered, where string, ctr corev1.Container) map[string]string {
	if len(ctr.EnvFrom) > 0 {
		t.Errorf("%s: envFrom hides which variables a service gets; list them in env", where)
	}
	env := map[string]string{}
	for _, e := range ctr.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("%s: %s set twice", where, e.Name)
		}
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm, ok := r.configMaps[ref.Name]
			if !ok {
				t.Errorf("%s: %s reads ConfigMap %s, which is not rendered", where, e.Name, ref.Name)
				continue
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				t.Errorf("%s: %s reads key %s, which ConfigMap %s lacks", where, e.Name, ref.Key, ref.Name)
			}
			env[e.Name] = v
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			if !slices.Contains(externalSecrets[ref.Name], ref.Key) {
				t.Errorf("%s: %s reads Secret %s key %s, which deploy/README.md does not create", where, e.Name, ref.Name, ref.Key)
			}
			env[e.Name] = "secret:" + ref.Name + "/" + ref.Key
		default:
			t.Errorf("%s: %s has an unsupported valueFrom", where, e.Name)
		}
	}
	return env
}

// checkService: a Service named after the component selects its pods on the
// component's port; services are headless so gRPC clients see every pod.
func checkService(t *testing.T, r *rendered, c component, d *appsv1.Deployment, port int32) {
	s, ok := r.services[c.name]
	if !ok {
		t.Errorf("%s: no Service %s", r.dir, c.name)
		return
	}
	if !labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) || len(s.Spec.Selector) == 0 {
		t.Errorf("%s: Service %s does not select the Deployment's pods", r.dir, c.name)
	}
	if !slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == port }) {
		t.Errorf("%s: Service %s does not expose port %d", r.dir, c.name, port)
	}
	if c.grpc && s.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("%s: Service %s should be headless (clusterIP: None) so gRPC clients can reach every replica", r.dir, c.name)
	}
	for _, other := range components {
		if !other.grpc || c.grpc {
			continue
		}
		// The gateway dials each service at its Service name and port.
		env := resolveEnv(t, r, r.dir+" gateway", r.deployments["gateway"].Spec.Template.Spec.Containers[0])
		want := fmt.Sprintf("%s:%d", other.name, other.port(t))
		if got := env["SIYU_"+strings.ToUpper(other.name)+"_ADDR"]; got != want {
			t.Errorf("%s: the gateway dials %s at %q, want %q", r.dir, other.name, got, want)
		}
	}
}

// checkScaling: one HorizontalPodAutoscaler and one PodDisruptionBudget per
// Deployment, keeping at least two pods so a node drain never empties it.
func checkScaling(t *testing.T, r *rendered, d *appsv1.Deployment) {
	var hpa *autoscalingv2.HorizontalPodAutoscaler
	for _, h := range r.hpas {
		if ref := h.Spec.ScaleTargetRef; ref.Kind == "Deployment" && ref.Name == d.Name && ref.APIVersion == "apps/v1" {
			if hpa != nil {
				t.Errorf("%s: two autoscalers target Deployment %s", r.dir, d.Name)
			}
			hpa = h
		}
	}
	if hpa == nil {
		t.Errorf("%s: no HorizontalPodAutoscaler for %s", r.dir, d.Name)
	} else if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 || hpa.Spec.MaxReplicas < *hpa.Spec.MinReplicas || len(hpa.Spec.Metrics) == 0 {
		t.Errorf("%s: autoscaler for %s needs minReplicas >= 2, maxReplicas >= min and a metric", r.dir, d.Name)
	}
	pdbs := 0
	for _, p := range r.pdbs {
		sel, err := labels.ValidatedSelectorFromSet(p.Spec.Selector.MatchLabels)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			pdbs++
			if p.Spec.MaxUnavailable == nil && p.Spec.MinAvailable == nil {
				t.Errorf("%s: PodDisruptionBudget %s sets no budget", r.dir, p.Name)
			}
		}
	}
	if pdbs != 1 {
		t.Errorf("%s: %d PodDisruptionBudgets cover %s, want 1", r.dir, pdbs, d.Name)
	}
}

// checkIngress: the only public entry routes to the gateway's Service port.
func checkIngress(t *testing.T, r *rendered) {
	if len(r.ingresses) != 1 {
		t.Fatalf("%s: %d Ingresses, want 1 (the gateway)", r.dir, len(r.ingresses))
	}
	gw := r.services["gateway"]
	for _, rule := range r.ingresses[0].Spec.Rules {
		for _, p := range rule.HTTP.Paths {
			b := p.Backend.Service
			if b == nil || b.Name != "gateway" || gw == nil ||
				!slices.ContainsFunc(gw.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == b.Port.Name || sp.Port == b.Port.Number }) {
				t.Errorf("%s: Ingress path %s does not route to a gateway Service port", r.dir, p.Path)
			}
		}
	}
}

// TestProductionOverlay: its own namespace for everything, TLS on the public
// host, and room to scale.
func TestProductionOverlay(t *testing.T) {
	r := render(t, "overlays/production")
	for _, obj := range r.all {
		m, ok := obj.(interface{ GetNamespace() string })
		if !ok || m.GetNamespace() != "siyu" {
			t.Errorf("%T is not in namespace siyu", obj)
		}
	}
	ing := r.ingresses[0]
	if len(ing.Spec.TLS) == 0 || len(ing.Spec.Rules) == 0 || ing.Spec.Rules[0].Host == "" {
		t.Error("production Ingress needs a host and TLS")
	}
	for _, h := range r.hpas {
		if *h.Spec.MinReplicas < 3 {
			t.Errorf("autoscaler %s: minReplicas %d in production, want at least 3", h.Name, *h.Spec.MinReplicas)
		}
	}
	gw := resolveEnv(t, r, "gateway", r.deployments["gateway"].Spec.Template.Spec.Containers[0])
	if gw["SIYU_TRUST_PROXY"] != "true" || gw["SIYU_CORS_ORIGINS"] == "" {
		t.Errorf("production gateway behind the Ingress: SIYU_TRUST_PROXY=%q SIYU_CORS_ORIGINS=%q", gw["SIYU_TRUST_PROXY"], gw["SIYU_CORS_ORIGINS"])
	}
	mem := resolveEnv(t, r, "member", r.deployments["member"].Spec.Template.Spec.Containers[0])
	if mem["SIYU_DEV_MODE"] != "false" || mem["SIYU_DEV_SMS_ECHO"] != "false" {
		t.Errorf("production member must not run dev mode (logged or echoed SMS codes): SIYU_DEV_MODE=%q SIYU_DEV_SMS_ECHO=%q", mem["SIYU_DEV_MODE"], mem["SIYU_DEV_SMS_ECHO"])
	}
	if mem["SIYU_SMS_PROVIDER"] == "" || mem["SIYU_SMS_PROVIDER"] == "dev" || mem["SIYU_WECHAT_SANDBOX"] == "true" {
		t.Errorf("production member needs a real SMS provider and no WeChat sandbox: SIYU_SMS_PROVIDER=%q SIYU_WECHAT_SANDBOX=%q", mem["SIYU_SMS_PROVIDER"], mem["SIYU_WECHAT_SANDBOX"])
	}
}

// TestOperatorsMatchManifests ties the MongoDB resource and the NATS Helm
// values to what the Deployments read: the connection-string Secret the
// operator writes, a role on every service's database, and the NATS Service.
func TestOperatorsMatchManifests(t *testing.T) {
	var mdb struct {
		Kind string `json:"kind"`
		Spec struct {
			Users []struct {
				Name                       string `json:"name"`
				ConnectionStringSecretName string `json:"connectionStringSecretName"`
				Roles                      []struct {
					Name string `json:"name"`
					DB   string `json:"db"`
				} `json:"roles"`
			} `json:"users"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, k8sDir+"/operators/mongodb.yaml")), &mdb); err != nil {
		t.Fatal(err)
	}
	if mdb.Kind != "MongoDBCommunity" || len(mdb.Spec.Users) != 1 {
		t.Fatalf("operators/mongodb.yaml: want a MongoDBCommunity with one user, got %s with %d", mdb.Kind, len(mdb.Spec.Users))
	}
	user := mdb.Spec.Users[0]
	r := render(t, "overlays/production")
	for _, c := range components {
		ctr := r.deployments[c.name].Spec.Template.Spec.Containers[0]
		env := resolveEnv(t, r, c.name, ctr)
		for _, e := range ctr.Env {
			if e.Name == "MONGO_URI" && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != user.ConnectionStringSecretName) {
				t.Errorf("%s: MONGO_URI must come from %s, the Secret the operator writes", c.name, user.ConnectionStringSecretName)
			}
		}
		if _, usesMongo := env["MONGO_URI"]; !usesMongo {
			continue
		}
		cfg, err := c.load(env)
		if err != nil {
			continue // reported by TestKustomizeRendersCheckedWorkloads
		}
		db := databaseOf(cfg)
		if !slices.ContainsFunc(user.Roles, func(r struct {
			Name string `json:"name"`
			DB   string `json:"db"`
		}) bool {
			return r.Name == "readWrite" && r.DB == db
		}) {
			t.Errorf("MongoDB user %s has no readWrite role on %s, the database of %s", user.Name, db, c.name)
		}
	}
	var nats struct {
		Config struct {
			Cluster struct {
				Enabled bool `json:"enabled"`
			} `json:"cluster"`
			JetStream struct {
				Enabled bool `json:"enabled"`
			} `json:"jetstream"`
		} `json:"config"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, k8sDir+"/operators/nats-values.yaml")), &nats); err != nil {
		t.Fatal(err)
	}
	if !nats.Config.JetStream.Enabled || !nats.Config.Cluster.Enabled {
		t.Error("nats-values.yaml: JetStream and clustering must be on")
	}
	// The Helm release is named "nats", so its client Service is nats:4222.
	readme := readFile(t, "deploy/README.md")
	if !strings.Contains(readme, "helm upgrade --install nats nats/nats") || !strings.Contains(readme, "helm upgrade --install mongodb-kubernetes mongodb/mongodb-kubernetes") {
		t.Error("deploy/README.md must give the exact helm commands for NATS and the MongoDB operator")
	}
	for name, cm := range r.configMaps {
		if strings.HasPrefix(name, "siyu-config") && cm.Data["nats-url"] != "nats://nats:4222" {
			t.Errorf("ConfigMap %s nats-url=%q, want the Helm release's Service nats://nats:4222", name, cm.Data["nats-url"])
		}
	}
}

// databaseOf reads the Database field a storage-owning service's Config has.
func databaseOf(cfg any) string {
	v := reflectValue(cfg).FieldByName("Database")
	if !v.IsValid() {
		return ""
	}
	return v.String()
}

// TestServicePortsAreInternal: services trust signed tokens without asking
// whether their session ended (the gateway does), which is safe only while
// no one but the gateway and sibling services reaches a service's gRPC port.
// Every service pod must be selected by a policy whose rules admit its gRPC
// port only from Siyu's own pods, and its metrics port only from Prometheus.
func TestServicePortsAreInternal(t *testing.T) {
	for _, dir := range overlays {
		r := render(t, dir)
		for _, c := range components {
			d := r.deployments[c.name]
			if d == nil {
				continue
			}
			var selecting []*networkingv1.NetworkPolicy
			for _, p := range r.policies {
				sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
				if err != nil {
					t.Fatal(err)
				}
				if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
					selecting = append(selecting, p)
				}
			}
			if len(selecting) == 0 {
				t.Errorf("%s: no NetworkPolicy selects %s", dir, c.name)
				continue
			}
			for _, p := range selecting {
				for _, rule := range p.Spec.Ingress {
					for _, port := range rule.Ports {
						name := port.Port.String()
						switch {
						case name == "http" && !c.grpc:
							// the gateway's public port
						case name == "grpc":
							if len(rule.From) == 0 || rule.From[0].PodSelector == nil || rule.From[0].PodSelector.MatchLabels["app.kubernetes.io/part-of"] != "siyu" || rule.From[0].NamespaceSelector != nil {
								t.Errorf("%s: %s lets others than Siyu's pods reach %s's gRPC port", dir, p.Name, c.name)
							}
						case name == "metrics":
							if len(rule.From) == 0 || rule.From[0].PodSelector == nil || rule.From[0].PodSelector.MatchLabels["app.kubernetes.io/name"] != "prometheus" {
								t.Errorf("%s: %s opens %s's metrics to others than Prometheus", dir, p.Name, c.name)
							}
						default:
							t.Errorf("%s: %s opens port %s of %s", dir, p.Name, name, c.name)
						}
					}
					if len(rule.Ports) == 0 {
						t.Errorf("%s: %s admits every port of %s", dir, p.Name, c.name)
					}
				}
			}
		}
	}
}
