// Package k8scheck decodes rendered Kubernetes manifests strictly and checks what matters.
//
// Every document of a `helm template` or `kubectl kustomize` output is decoded into its
// k8s.io/api (or prometheus-operator) Go type with sigs.k8s.io/json's strict mode, as the API
// server's strict field validation does: an unknown or misspelled field, a field in the wrong
// case or a duplicate field fails. A kind the test does not know fails too.
package k8scheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// known are the kinds the deployment manifests may contain.
var known = map[schema.GroupVersionKind]func() runtime.Object{
	{Version: "v1", Kind: "ConfigMap"}:                                      func() runtime.Object { return &corev1.ConfigMap{} },
	{Version: "v1", Kind: "Service"}:                                        func() runtime.Object { return &corev1.Service{} },
	{Version: "v1", Kind: "ServiceAccount"}:                                 func() runtime.Object { return &corev1.ServiceAccount{} },
	{Version: "v1", Kind: "Secret"}:                                         func() runtime.Object { return &corev1.Secret{} },
	{Group: "apps", Version: "v1", Kind: "Deployment"}:                      func() runtime.Object { return &appsv1.Deployment{} },
	{Group: "batch", Version: "v1", Kind: "Job"}:                            func() runtime.Object { return &batchv1.Job{} },
	{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}:  func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} },
	{Group: "policy", Version: "v1", Kind: "PodDisruptionBudget"}:           func() runtime.Object { return &policyv1.PodDisruptionBudget{} },
	{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}:            func() runtime.Object { return &networkingv1.Ingress{} },
	{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}:      func() runtime.Object { return &networkingv1.NetworkPolicy{} },
	{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor"}: func() runtime.Object { return &monitoringv1.ServiceMonitor{} },
	{Group: "monitoring.coreos.com", Version: "v1", Kind: "PrometheusRule"}: func() runtime.Object { return &monitoringv1.PrometheusRule{} },
}

// Objects are the decoded documents, in order.
type Objects []runtime.Object

// Decode decodes every YAML document of manifests strictly; it fails the test on the first
// document that does not decode.
func Decode(t testing.TB, manifests []byte) Objects {
	t.Helper()
	objs, err := DecodeErr(manifests)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatal("no Kubernetes objects in the rendered output")
	}
	return objs
}

// DecodeErr is Decode returning the error, for tests that expect a failure.
func DecodeErr(manifests []byte) (Objects, error) {
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(manifests)))
	var out Objects
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if blank(doc) {
			continue // a separator, comments, or a template that rendered nothing
		}
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %v", i, err)
		}
		obj, err := decodeOne(js)
		if err != nil {
			return nil, fmt.Errorf("document %d: %v\n%s", i, err, doc)
		}
		out = append(out, obj)
	}
}

func blank(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		l := bytes.TrimSpace(line)
		if len(l) > 0 && l[0] != '#' && !bytes.Equal(l, []byte("---")) {
			return false
		}
	}
	return true
}

func decodeOne(js []byte) (runtime.Object, error) {
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(js, &tm); err != nil {
		return nil, err
	}
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		return nil, err
	}
	newObj, ok := known[gv.WithKind(tm.Kind)]
	if !ok {
		return nil, fmt.Errorf("unexpected kind %s %s", tm.APIVersion, tm.Kind)
	}
	obj := newObj()
	strictErrs, err := sigsjson.UnmarshalStrict(js, obj, sigsjson.DisallowUnknownFields, sigsjson.DisallowDuplicateFields)
	if err != nil {
		return nil, err
	}
	if len(strictErrs) > 0 {
		return nil, fmt.Errorf("%s: %v", tm.Kind, errors.Join(strictErrs...))
	}
	return obj, nil
}

// One returns the only object of type T; it fails the test unless there is exactly one.
func One[T runtime.Object](t testing.TB, objs Objects) T {
	t.Helper()
	all := All[T](objs)
	if len(all) != 1 {
		var zero T
		t.Fatalf("want exactly one %T, found %d", zero, len(all))
	}
	return all[0]
}

// All returns every object of type T.
func All[T runtime.Object](objs Objects) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}
