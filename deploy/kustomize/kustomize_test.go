// Tests of deploy/kustomize: the base and both overlays build with `kubectl kustomize` (or
// `kustomize build`), decode strictly into k8s.io/api types and keep what matters.
package kustomize_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/chatproxy/chatproxy/deploy/internal/deploytest"
	"github.com/chatproxy/chatproxy/deploy/internal/k8scheck"
)

// build renders a kustomization directory below deploy/kustomize.
func build(t *testing.T, dir string) k8scheck.Objects {
	t.Helper()
	path := deploytest.Path(t, "deploy", "kustomize", dir)
	var out string
	if _, err := exec.LookPath("kubectl"); err == nil {
		out = deploytest.Cmd{}.Run(t, "kubectl", "kustomize", path)
	} else {
		out = deploytest.Cmd{}.Run(t, deploytest.Tool(t, "kustomize"), "build", path)
	}
	return k8scheck.Decode(t, []byte(out))
}

type overlay struct {
	dir, namespace, host, imageTag string
	minReplicas, maxReplicas       int32
	logLevel                       string
}

func TestKustomizeBaseAndOverlays(t *testing.T) {
	for _, o := range []overlay{
		{dir: "base", namespace: "", host: "chat.example.com", imageTag: "0.1.0", minReplicas: 2, maxReplicas: 10, logLevel: "info"},
		{dir: "overlays/staging", namespace: "chatproxy-staging", host: "chat.staging.example.com", imageTag: "main", minReplicas: 2, maxReplicas: 4, logLevel: "debug"},
		{dir: "overlays/production", namespace: "chatproxy", host: "chat.example.com", imageTag: "0.1.0", minReplicas: 3, maxReplicas: 20, logLevel: "info"},
	} {
		t.Run(o.dir, func(t *testing.T) {
			objs := build(t, o.dir)
			dep := k8scheck.Server(t, objs)
			checkOverlay(t, objs, dep, o)
		})
	}
}

func checkOverlay(t *testing.T, objs k8scheck.Objects, dep *appsv1.Deployment, o overlay) {
	t.Helper()
	for _, obj := range objs {
		if m, err := meta.Accessor(obj); err != nil || m.GetNamespace() != o.namespace {
			t.Errorf("%T %v in namespace %q, want %q", obj, nameOf(obj), m.GetNamespace(), o.namespace)
		}
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if !strings.HasSuffix(c.Image, ":"+o.imageTag) || !strings.HasPrefix(c.Image, "ghcr.io/chatproxy/chatproxy:") {
		t.Errorf("image %s, want tag %s", c.Image, o.imageTag)
	}
	if got := k8scheck.Env(c, "LOG_LEVEL"); got != o.logLevel {
		t.Errorf("LOG_LEVEL %q", got)
	}
	if n := strings.Count(envNames(c), "LOG_LEVEL"); n != 1 {
		t.Errorf("LOG_LEVEL set %d times (a patch appended instead of merging)", n)
	}
	ing := k8scheck.One[*networkingv1.Ingress](t, objs)
	if ing.Spec.Rules[0].Host != o.host || ing.Spec.TLS[0].Hosts[0] != o.host {
		t.Errorf("ingress host %s / TLS %v, want %s", ing.Spec.Rules[0].Host, ing.Spec.TLS[0].Hosts, o.host)
	}
	if pub := k8scheck.Env(c, "CHATPROXY_PUBLIC_URL"); pub != "https://"+o.host {
		t.Errorf("CHATPROXY_PUBLIC_URL %s does not match the ingress host %s", pub, o.host)
	}
	hpa := k8scheck.One[*autoscalingv2.HorizontalPodAutoscaler](t, objs)
	if *hpa.Spec.MinReplicas != o.minReplicas || hpa.Spec.MaxReplicas != o.maxReplicas {
		t.Errorf("HPA %d..%d, want %d..%d", *hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas, o.minReplicas, o.maxReplicas)
	}
	// The generated ConfigMap's hashed name is the one mounted.
	cms := k8scheck.All[*corev1.ConfigMap](objs)
	if len(cms) != 1 || !strings.HasPrefix(cms[0].Name, "chatproxy-sites-") {
		t.Fatalf("sites ConfigMaps %v", cms)
	}
	if !slices.ContainsFunc(dep.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool {
		return v.ConfigMap != nil && v.ConfigMap.Name == cms[0].Name
	}) {
		t.Errorf("Deployment does not mount %s", cms[0].Name)
	}
	// kustomize must not have rewritten the NetworkPolicy's peers with chatproxy's labels.
	np := k8scheck.One[*networkingv1.NetworkPolicy](t, objs)
	for _, r := range np.Spec.Egress {
		for _, p := range r.To {
			if p.PodSelector != nil && p.PodSelector.MatchLabels["app.kubernetes.io/name"] == "chatproxy" {
				t.Errorf("egress peer %v selects chatproxy itself", p.PodSelector.MatchLabels)
			}
		}
	}
}

func envNames(c corev1.Container) string {
	var names []string
	for _, e := range c.Env {
		names = append(names, e.Name)
	}
	return strings.Join(names, " ")
}

func nameOf(o runtime.Object) string {
	if m, err := meta.Accessor(o); err == nil {
		return m.GetName()
	}
	return "?"
}
