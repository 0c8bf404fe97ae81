// Tests of the Helm chart deploy/helm/chatproxy: helm lint --strict, helm template, every
// rendered object decoded strictly into its Kubernetes type, and the properties that matter.
package helm_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/chatproxy/chatproxy/deploy/internal/deploytest"
	"github.com/chatproxy/chatproxy/deploy/internal/k8scheck"
)

// kubeVersion is the cluster version the chart is rendered for (it needs 1.30+).
const kubeVersion = "1.33.0"

func chart(t *testing.T) string { return deploytest.Path(t, "deploy", "helm", "chatproxy") }

// render runs helm template with extra arguments (--set, -f) and returns its output.
func render(t *testing.T, args ...string) []byte {
	t.Helper()
	helm := deploytest.Tool(t, "helm")
	out := deploytest.Cmd{}.Run(t, helm, append([]string{"template", "rel", chart(t), "--namespace", "chat", "--kube-version", kubeVersion}, args...)...)
	return []byte(out)
}

func TestHelmLintStrict(t *testing.T) {
	helm := deploytest.Tool(t, "helm")
	deploytest.Cmd{}.Run(t, helm, "lint", "--strict", "--kube-version", kubeVersion, chart(t))
	deploytest.Cmd{}.Run(t, helm, "lint", "--strict", "--kube-version", kubeVersion, chart(t),
		"--set", "serviceMonitor.enabled=true,autoscaling.enabled=false,networkPolicy.enabled=false")
}

func TestHelmDefaultRender(t *testing.T) {
	objs := k8scheck.Decode(t, render(t))
	dep := k8scheck.Server(t, objs)
	kinds := map[string]int{}
	for _, o := range objs {
		name := fmt.Sprintf("%T", o)
		kinds[name[strings.LastIndexByte(name, '.')+1:]]++
	}
	for _, k := range []string{"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "ConfigMap", "Job", "ServiceAccount"} {
		if kinds[k] != 1 {
			t.Errorf("%d %s objects, want 1 (all: %v)", kinds[k], k, kinds)
		}
	}
	if kinds["ServiceMonitor"] != 0 {
		t.Error("ServiceMonitor rendered although it is off by default")
	}
	if dep.Spec.Replicas != nil {
		t.Error("replicas set on the Deployment while the HPA owns the count")
	}
	if *dep.Spec.Template.Spec.TerminationGracePeriodSeconds != 40 {
		t.Errorf("grace period %d, want 25 + 5 + 10", *dep.Spec.Template.Spec.TerminationGracePeriodSeconds)
	}
	checkMigrationJob(t, objs, dep)
}

// The migration Job: a pre-install/pre-upgrade hook running `chatproxy migrate` with the same
// image, secrets and hardening as the servers, covered by the NetworkPolicy.
func checkMigrationJob(t *testing.T, objs k8scheck.Objects, dep *appsv1.Deployment) {
	t.Helper()
	job := k8scheck.One[*batchv1.Job](t, objs)
	if hooks := job.Annotations["helm.sh/hook"]; hooks != "pre-install,pre-upgrade" {
		t.Errorf("migration hook %q", hooks)
	}
	if !strings.Contains(job.Annotations["helm.sh/hook-delete-policy"], "before-hook-creation") {
		t.Error("a second upgrade would find the old Job")
	}
	spec := job.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Containers))
	}
	c, server := spec.Containers[0], dep.Spec.Template.Spec.Containers[0]
	if !slices.Equal(c.Args, []string{"migrate"}) || c.Image != server.Image {
		t.Errorf("migration runs %v of %s, want [migrate] of %s", c.Args, c.Image, server.Image)
	}
	if spec.RestartPolicy != corev1.RestartPolicyNever || spec.ServiceAccountName != "" {
		t.Errorf("restartPolicy %s serviceAccount %q (the chart's account does not exist yet at pre-install)", spec.RestartPolicy, spec.ServiceAccountName)
	}
	if c.SecurityContext == nil || !*c.SecurityContext.ReadOnlyRootFilesystem || !*spec.SecurityContext.RunAsNonRoot {
		t.Error("the migration is not hardened like the servers")
	}
	for _, name := range []string{"DATABASE_URL", "JWT_SECRET_KEY_FILE", "CHATPROXY_ENCRYPTION_KEYS_FILE"} {
		if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name }) {
			t.Errorf("migration lacks %s (migrate refuses PostgreSQL without it)", name)
		}
	}
	if k8scheck.Env(c, "CHATPROXY_SITES_FILE") != "" {
		t.Error("the migration must not need the sites ConfigMap (not created yet at pre-install)")
	}
	np := k8scheck.One[*networkingv1.NetworkPolicy](t, objs)
	if !labels.SelectorFromSet(np.Spec.PodSelector.MatchLabels).Matches(labels.Set(job.Spec.Template.Labels)) {
		t.Error("the NetworkPolicy does not cover the migration pod")
	}
}

func TestHelmOptionalObjectsAndOverrides(t *testing.T) {
	objs := k8scheck.Decode(t, render(t,
		"--set", "serviceMonitor.enabled=true,autoscaling.enabled=false,replicaCount=3",
		"--set", "shutdownTimeoutSeconds=60,preStopSeconds=10",
		"--set", "secrets.redisURL.existingSecret=,secrets.sessionSecretKey.existingSecret=",
		"--set", "siteSecrets[0].existingSecret=shop-n8n,siteSecrets[0].mountPath=/run/secrets/sites/shop",
		"--set", "image.tag=1.2.3"))
	dep := k8scheck.Server(t, objs)
	c := dep.Spec.Template.Spec.Containers[0]
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 3 || len(k8scheck.All[*autoscalingv2.HorizontalPodAutoscaler](objs)) != 0 {
		t.Error("without autoscaling the Deployment must carry replicaCount and no HPA render")
	}
	if *dep.Spec.Template.Spec.TerminationGracePeriodSeconds != 80 || k8scheck.Env(c, "CHATPROXY_SHUTDOWN_TIMEOUT") != "60s" {
		t.Errorf("grace %d, shutdown %q", *dep.Spec.Template.Spec.TerminationGracePeriodSeconds, k8scheck.Env(c, "CHATPROXY_SHUTDOWN_TIMEOUT"))
	}
	for _, e := range c.Env {
		if e.Name == "REDIS_URL" || e.Name == "SESSION_SECRET_KEY_FILE" {
			t.Errorf("%s set although its Secret reference is empty", e.Name)
		}
	}
	if !strings.HasSuffix(c.Image, ":1.2.3") {
		t.Errorf("image %s", c.Image)
	}
	if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/run/secrets/sites/shop" }) {
		t.Error("site secret not mounted")
	}
	sm := k8scheck.One[*monitoringv1.ServiceMonitor](t, objs)
	svc := k8scheck.One[*corev1.Service](t, objs)
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "metrics" ||
		!labels.SelectorFromSet(sm.Spec.Selector.MatchLabels).Matches(labels.Set(svc.Labels)) {
		t.Errorf("ServiceMonitor %+v does not scrape the Service's metrics port", sm.Spec)
	}
}

// values.schema.json refuses what would break a deployment.
func TestHelmSchemaRefusesBadValues(t *testing.T) {
	helm := deploytest.Tool(t, "helm")
	for _, set := range []string{
		"securityContext.readOnlyRootFilesystem=false",
		"podSecurityContext.runAsNonRoot=false",
		"secrets.databaseURL.existingSecret=",
		"secrets.jwtSecretKey.existingSecret=",
		"shutdownTimeoutSeconds=0",
		"logLevel=chatty",
		"publicURL=chat.example.com",
		"ingress.paths[0].path=admin",
		"imageTag=typo",
	} {
		_, errOut, err := deploytest.Cmd{}.Try(helm, "template", "rel", chart(t), "--kube-version", kubeVersion, "--set", set)
		if err == nil || !strings.Contains(errOut, "schema") {
			t.Errorf("--set %s: rendered (err %v) %s", set, err, errOut)
		}
	}
}

// A manifest with a misspelled field fails the strict decoding (the check itself works).
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	good := render(t)
	for _, typo := range []struct{ from, to string }{
		{"readOnlyRootFilesystem:", "readOnlyRootFileSystem:"},
		{"terminationGracePeriodSeconds:", "terminationGracePeriod:"},
		{"periodSeconds:", "periodsSeconds:"},
	} {
		bad := strings.Replace(string(good), typo.from, typo.to, 1)
		if bad == string(good) {
			t.Fatalf("%q not in the rendered chart", typo.from)
		}
		if _, err := k8scheck.DecodeErr([]byte(bad)); err == nil {
			t.Errorf("%s → %s decoded without error", typo.from, typo.to)
		}
	}
	if _, err := k8scheck.DecodeErr([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n")); err == nil {
		t.Error("an unexpected kind decoded")
	}
}
