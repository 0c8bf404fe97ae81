package k8scheck

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/chatproxy/chatproxy/internal/config"
)

// Server checks the chatproxy Deployment and the objects around it, as the Helm chart and
// the kustomize overlays must both render them. It returns the Deployment.
func Server(t *testing.T, objs Objects) *appsv1.Deployment {
	t.Helper()
	dep := One[*appsv1.Deployment](t, objs)
	pod := dep.Spec.Template
	if sel, err := metaSelector(dep.Spec.Selector.MatchLabels); err != nil || !sel.Matches(labels.Set(pod.Labels)) {
		t.Errorf("Deployment selector %v does not match its pod labels %v", dep.Spec.Selector.MatchLabels, pod.Labels)
	}
	c := container(t, pod.Spec, "chatproxy")
	checkProbes(t, c)
	checkSecurity(t, pod.Spec, c)
	checkGracePeriod(t, pod.Spec, c)
	checkResources(t, c)
	checkVolumes(t, pod.Spec, c)
	checkNoInlineSecrets(t, c)
	checkSitesConfigMap(t, objs, pod.Spec, c)
	if len(pod.Spec.TopologySpreadConstraints) == 0 {
		t.Error("no topology spread constraints")
	}
	for _, tsc := range pod.Spec.TopologySpreadConstraints {
		if sel, err := metaSelector(tsc.LabelSelector.MatchLabels); err != nil || !sel.Matches(labels.Set(pod.Labels)) {
			t.Errorf("topology spread %s selects %v, not the pods", tsc.TopologyKey, tsc.LabelSelector.MatchLabels)
		}
	}

	svc := One[*corev1.Service](t, objs)
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) {
		t.Errorf("Service selector %v does not match the pods", svc.Spec.Selector)
	}
	for _, p := range svc.Spec.Ports {
		if !hasPort(c, p.TargetPort.String()) {
			t.Errorf("Service port %s targets %s, which the container does not expose", p.Name, p.TargetPort.String())
		}
	}
	checkIngress(t, objs, svc)
	checkPolicies(t, objs, dep)
	return dep
}

func metaSelector(m map[string]string) (labels.Selector, error) {
	if len(m) == 0 {
		return labels.Nothing(), nil
	}
	return labels.SelectorFromSet(m), nil
}

func container(t *testing.T, spec corev1.PodSpec, name string) corev1.Container {
	t.Helper()
	for _, c := range spec.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %q", name)
	return corev1.Container{}
}

func hasPort(c corev1.Container, nameOrNumber string) bool {
	for _, p := range c.Ports {
		if p.Name == nameOrNumber || strconv.Itoa(int(p.ContainerPort)) == nameOrNumber {
			return true
		}
	}
	return false
}

// Env returns the literal value of an environment variable of c ("" when absent).
func Env(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func checkProbes(t *testing.T, c corev1.Container) {
	t.Helper()
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/health/live"}, {"readiness", c.ReadinessProbe, "/health/ready"}, {"startup", c.StartupProbe, "/health/live"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe missing or not HTTP", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || !hasPort(c, p.probe.HTTPGet.Port.String()) {
			t.Errorf("%s probe GET %s on port %s, want %s on the container's port", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.String(), p.path)
		}
	}
	if addr := Env(c, "CHATPROXY_ADDR"); !strings.HasSuffix(addr, ":8080") || !hasPort(c, "8080") {
		t.Errorf("CHATPROXY_ADDR %q and container port 8080 must agree", addr)
	}
}

func checkSecurity(t *testing.T, spec corev1.PodSpec, c corev1.Container) {
	t.Helper()
	psc, sc := spec.SecurityContext, c.SecurityContext
	if sc == nil || psc == nil {
		t.Fatal("pod or container securityContext missing")
	}
	nonRoot := (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) || (psc.RunAsNonRoot != nil && *psc.RunAsNonRoot)
	if !nonRoot {
		t.Error("runAsNonRoot is not set")
	}
	if uid := psc.RunAsUser; uid == nil || *uid != 65532 {
		t.Errorf("runAsUser %v, want 65532 (the image's user)", uid)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("capabilities %+v, want drop ALL and add none", sc.Capabilities)
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccomp profile %+v, want RuntimeDefault", seccomp)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Error("the pod mounts a service account token it does not need")
	}
}

// checkGracePeriod: the kubelet must wait for the preStop pause plus chatproxy's drain.
func checkGracePeriod(t *testing.T, spec corev1.PodSpec, c corev1.Container) {
	t.Helper()
	shutdown := config.Default().ShutdownTimeout
	if v := Env(c, "CHATPROXY_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("CHATPROXY_SHUTDOWN_TIMEOUT %q: %v", v, err)
		}
		shutdown = d
	}
	var preStop time.Duration
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds <= 0 {
		t.Error("no preStop sleep: the pod would get SIGTERM while still in the endpoints")
	} else {
		preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	if spec.TerminationGracePeriodSeconds == nil {
		t.Fatal("terminationGracePeriodSeconds not set (the default 30 s is not derived from the drain)")
	}
	grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	if grace <= shutdown+preStop {
		t.Errorf("terminationGracePeriodSeconds %s must exceed preStop %s + CHATPROXY_SHUTDOWN_TIMEOUT %s", grace, preStop, shutdown)
	}
}

func checkResources(t *testing.T, c corev1.Container) {
	t.Helper()
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		t.Error("CPU and memory requests must be set")
	}
	if c.Resources.Limits.Memory().IsZero() {
		t.Error("a memory limit must be set (chatproxy derives its Go memory limit from it)")
	}
}

func checkVolumes(t *testing.T, spec corev1.PodSpec, c corev1.Container) {
	t.Helper()
	declared := map[string]bool{}
	for _, v := range spec.Volumes {
		declared[v.Name] = true
	}
	mounts := map[string]bool{}
	for _, m := range c.VolumeMounts {
		if !declared[m.Name] {
			t.Errorf("mount %s uses undeclared volume %s", m.MountPath, m.Name)
		}
		mounts[m.MountPath] = true
	}
	// Writable places on a read-only root: the data dir and /tmp.
	for _, p := range []string{"/data", "/tmp"} {
		if !mounts[p] {
			t.Errorf("nothing mounted at %s (the root file system is read-only)", p)
		}
	}
	if d := Env(c, "CHATPROXY_DATA_DIR"); d != "" && !mounts[d] {
		t.Errorf("CHATPROXY_DATA_DIR %s is not a mounted volume", d)
	}
}

// checkNoInlineSecrets: secrets come from Secret references or files, never literal values.
func checkNoInlineSecrets(t *testing.T, c corev1.Container) {
	t.Helper()
	for _, e := range c.Env {
		switch e.Name {
		case "JWT_SECRET_KEY", "SESSION_SECRET_KEY", "CHATPROXY_ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL":
			if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				t.Errorf("%s must come from a secretKeyRef", e.Name)
			}
		}
	}
	has := func(name string) bool {
		return slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
	}
	for _, s := range []string{"JWT_SECRET_KEY", "CHATPROXY_ENCRYPTION_KEYS", "DATABASE_URL"} {
		if !has(s) && !has(s+"_FILE") {
			t.Errorf("%s is required with PostgreSQL and is not set", s)
		}
	}
}

// checkSitesConfigMap loads the rendered sites file with chatproxy's own parser.
func checkSitesConfigMap(t *testing.T, objs Objects, spec corev1.PodSpec, c corev1.Container) {
	t.Helper()
	path := Env(c, "CHATPROXY_SITES_FILE")
	if path == "" {
		t.Fatal("CHATPROXY_SITES_FILE not set")
	}
	var cmName string
	for _, m := range c.VolumeMounts {
		if m.MountPath == filepath.Dir(path) {
			for _, v := range spec.Volumes {
				if v.Name == m.Name && v.ConfigMap != nil {
					cmName = v.ConfigMap.Name
				}
			}
		}
	}
	for _, cm := range All[*corev1.ConfigMap](objs) {
		if cm.Name != cmName {
			continue
		}
		content, ok := cm.Data[filepath.Base(path)]
		if !ok {
			t.Fatalf("ConfigMap %s has no %s", cmName, filepath.Base(path))
		}
		f := filepath.Join(t.TempDir(), "sites.yaml")
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		sites, err := config.LoadSitesFile(f)
		if err != nil || len(sites) == 0 {
			t.Fatalf("the rendered sites file does not load in chatproxy: %v (%d sites)", err, len(sites))
		}
		return
	}
	t.Fatalf("CHATPROXY_SITES_FILE %s is not mounted from a rendered ConfigMap (%q)", path, cmName)
}

func checkIngress(t *testing.T, objs Objects, svc *corev1.Service) {
	t.Helper()
	ing := One[*networkingv1.Ingress](t, objs)
	a := ing.Annotations
	if a["nginx.ingress.kubernetes.io/proxy-buffering"] != "off" {
		t.Error("ingress-nginx would buffer the event streams (proxy-buffering is not off)")
	}
	if s, _ := strconv.Atoi(a["nginx.ingress.kubernetes.io/proxy-read-timeout"]); s < 600 {
		t.Errorf("proxy-read-timeout %q: streams would be cut", a["nginx.ingress.kubernetes.io/proxy-read-timeout"])
	}
	if a["nginx.ingress.kubernetes.io/proxy-body-size"] != strconv.Itoa(config.MaxBodyBytes>>10)+"k" {
		t.Errorf("proxy-body-size %q, want chatproxy's %d KiB", a["nginx.ingress.kubernetes.io/proxy-body-size"], config.MaxBodyBytes>>10)
	}
	if len(ing.Spec.TLS) == 0 {
		t.Error("no TLS on the Ingress")
	}
	for _, r := range ing.Spec.Rules {
		for _, p := range r.HTTP.Paths {
			if p.Path == "/" || strings.HasPrefix(p.Path, "/admin") {
				t.Errorf("Ingress routes %s: /admin/ must not be exposed", p.Path)
			}
			b := p.Backend.Service
			if b == nil || b.Name != svc.Name || !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == b.Port.Name }) {
				t.Errorf("Ingress path %s points at %+v, not the Service's ports", p.Path, b)
			}
		}
	}
}

func checkPolicies(t *testing.T, objs Objects, dep *appsv1.Deployment) {
	t.Helper()
	pods := labels.Set(dep.Spec.Template.Labels)
	pdb := One[*policyv1.PodDisruptionBudget](t, objs)
	if sel, err := metaSelector(pdb.Spec.Selector.MatchLabels); err != nil || !sel.Matches(pods) {
		t.Errorf("PodDisruptionBudget selects %v, not the pods", pdb.Spec.Selector.MatchLabels)
	}
	if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
		t.Error("PodDisruptionBudget sets no budget")
	}
	for _, hpa := range All[*autoscalingv2.HorizontalPodAutoscaler](objs) {
		if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != dep.Name {
			t.Errorf("HPA scales %+v, not the Deployment", hpa.Spec.ScaleTargetRef)
		}
		if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 {
			t.Error("HPA may scale below 2 replicas (no redundancy during a roll)")
		}
	}
	np := One[*networkingv1.NetworkPolicy](t, objs)
	if sel, err := metaSelector(np.Spec.PodSelector.MatchLabels); err != nil || !sel.Matches(pods) {
		t.Errorf("NetworkPolicy selects %v, not the pods", np.Spec.PodSelector.MatchLabels)
	}
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Errorf("NetworkPolicy types %v, want Ingress and Egress", np.Spec.PolicyTypes)
	}
	var in, out []string
	for _, r := range np.Spec.Ingress {
		if len(r.From) == 0 {
			t.Error("a NetworkPolicy ingress rule admits every source")
		}
		for _, p := range r.Ports {
			in = append(in, p.Port.String())
		}
	}
	for _, r := range np.Spec.Egress {
		if len(r.To) == 0 {
			t.Error("a NetworkPolicy egress rule allows every destination")
		}
		for _, p := range r.Ports {
			out = append(out, p.Port.String()+"/"+string(*p.Protocol))
		}
	}
	if !slices.Contains(in, "8080") {
		t.Errorf("NetworkPolicy ingress ports %v: the HTTP port 8080 is closed", in)
	}
	slices.Sort(out)
	if want := []string{"53/TCP", "53/UDP", "5432/TCP", "5678/TCP", "6379/TCP"}; !slices.Equal(out, want) {
		t.Errorf("NetworkPolicy egress %v, want exactly DNS, PostgreSQL, Redis and n8n %v", out, want)
	}
}
