// Tests of the alert rules and the Grafana dashboard: they decode, every PromQL expression
// parses, and every metric and label they name is one chatproxy exports (internal/metrics).
package observability_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/chatproxy/chatproxy/deploy/internal/deploytest"
	"github.com/chatproxy/chatproxy/deploy/internal/k8scheck"
	"github.com/chatproxy/chatproxy/internal/metrics"
)

// series maps every series name chatproxy exports to the labels it carries.
type series map[string][]string

// scrapeLabels are added by Prometheus (and Kubernetes service discovery) to every series.
var scrapeLabels = []string{"job", "instance", "namespace", "pod", "service", "container", "le"}

// exported lists the metrics of a fresh metrics.Metrics: chatproxy's own collectors, found by
// reflection on the struct so a new field is covered, plus the Go and process collectors.
func exported(t *testing.T) series {
	t.Helper()
	m := metrics.New()
	out := series{"up": nil} // Prometheus's own per-target series
	v := reflect.ValueOf(m).Elem()
	descName := regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)
	for i := range v.NumField() {
		c, ok := v.Field(i).Interface().(prometheus.Collector)
		if !ok || v.Type().Field(i).Name == "Registry" {
			continue
		}
		ch := make(chan *prometheus.Desc, 4)
		c.Describe(ch)
		close(ch)
		for d := range ch {
			mt := descName.FindStringSubmatch(d.String())
			if mt == nil {
				t.Fatalf("cannot read %s", d.String())
			}
			labels := strings.FieldsFunc(mt[2], func(r rune) bool { return r == ',' || r == ' ' })
			names := []string{mt[1]}
			if strings.Contains(v.Field(i).Type().String(), "Histogram") {
				names = []string{mt[1] + "_bucket", mt[1] + "_sum", mt[1] + "_count"}
			}
			for _, n := range names {
				out[n] = labels
			}
		}
	}
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if _, ok := out[f.GetName()]; !ok {
			out[f.GetName()] = nil
			if f.GetType().String() == "SUMMARY" {
				out[f.GetName()+"_sum"], out[f.GetName()+"_count"] = nil, nil
			}
		}
	}
	if _, ok := out["chatproxy_upstream_first_token_seconds_bucket"]; !ok {
		t.Fatalf("reflection found no histograms: %v", out)
	}
	return out
}

// checkExpr parses a PromQL expression and checks every selector against the exported series.
func checkExpr(t *testing.T, where, expr string, known series) {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Errorf("%s: %q does not parse: %v", where, expr, err)
		return
	}
	selectors := 0
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		selectors++
		labels, ok := known[vs.Name]
		if !ok {
			t.Errorf("%s: metric %q is not exported by chatproxy", where, vs.Name)
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name != "__name__" && !slices.Contains(labels, m.Name) && !slices.Contains(scrapeLabels, m.Name) {
				t.Errorf("%s: %s has no label %q (it has %v)", where, vs.Name, m.Name, labels)
			}
		}
		return nil
	})
	if selectors == 0 {
		t.Errorf("%s: %q selects no series", where, expr)
	}
}

func TestPrometheusRules(t *testing.T) {
	known := exported(t)
	b, err := os.ReadFile(deploytest.Path(t, "deploy", "observability", "prometheus-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rule := k8scheck.One[*monitoringv1.PrometheusRule](t, k8scheck.Decode(t, b))
	alerts := 0
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("group %s: a rule without an alert name", g.Name)
				continue
			}
			alerts++
			checkExpr(t, r.Alert, r.Expr.String(), known)
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: needs a severity, a summary and a description", r.Alert)
			}
			if r.For != nil {
				if _, err := parseDuration(string(*r.For)); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, *r.For, err)
				}
			}
		}
	}
	if alerts < 8 {
		t.Errorf("%d alerts", alerts)
	}
	// The runbook documents every alert.
	ops, err := os.ReadFile(deploytest.Path(t, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			if !strings.Contains(string(ops), r.Alert) {
				t.Errorf("docs/operations.md does not explain %s", r.Alert)
			}
		}
	}
}

func parseDuration(s string) (any, error) {
	if !regexp.MustCompile(`^[0-9]+(ms|s|m|h|d|w|y)$`).MatchString(s) {
		return nil, fmt.Errorf("not a Prometheus duration")
	}
	return s, nil
}

type dashboard struct {
	Title      string
	UID        string
	Templating struct {
		List []struct {
			Name  string
			Type  string
			Query any
		}
	}
	Panels []struct {
		ID      int
		Title   string
		Type    string
		Targets []struct{ Expr string }
		GridPos struct{ X, Y, W, H int } `json:"gridPos"`
	}
}

// grafanaVars are replaced by values before parsing, as Grafana does before querying.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$job", "chatproxy", "$site", "shop")

func TestGrafanaDashboard(t *testing.T) {
	known := exported(t)
	b, err := os.ReadFile(deploytest.Path(t, "deploy", "observability", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	var d dashboard
	if err := dec.Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || d.Title == "" || len(d.Panels) < 8 {
		t.Fatalf("dashboard %q (%s) with %d panels", d.Title, d.UID, len(d.Panels))
	}
	ids := map[int]bool{}
	covered := map[string]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] || p.Title == "" || p.Type == "" || len(p.Targets) == 0 || p.GridPos.W == 0 {
			t.Errorf("panel %d %q: needs a unique id, a title, a type, a position and a query", p.ID, p.Title)
		}
		ids[p.ID] = true
		for _, tg := range p.Targets {
			expr := grafanaVars.Replace(tg.Expr)
			checkExpr(t, "panel "+p.Title, expr, known)
			for name := range known {
				if strings.Contains(expr, name) {
					covered[strings.TrimSuffix(name, "_bucket")] = true
				}
			}
		}
	}
	// Every chatproxy metric is on the dashboard.
	for name := range known {
		if strings.HasPrefix(name, "chatproxy_") && !strings.HasSuffix(name, "_sum") && !strings.HasSuffix(name, "_count") &&
			!covered[strings.TrimSuffix(name, "_bucket")] {
			t.Errorf("metric %s is on no panel", name)
		}
	}
	for _, v := range d.Templating.List {
		q, _ := v.Query.(map[string]any)
		if s, ok := q["query"].(string); ok {
			m := regexp.MustCompile(`^label_values\((\w+), (\w+)\)$`).FindStringSubmatch(s)
			if m == nil {
				t.Errorf("variable %s: query %q", v.Name, s)
			} else if _, ok := known[m[1]]; !ok {
				t.Errorf("variable %s reads unknown metric %s", v.Name, m[1])
			}
		}
	}
}
