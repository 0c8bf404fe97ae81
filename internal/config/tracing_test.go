package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestTracingSettings: tracing is off without an endpoint (and with OTEL_SDK_DISABLED), the
// generic endpoint gets /v1/traces appended while the traces one is used as given and wins,
// and headers (also from a _FILE) and the sampler are read.
func TestTracingSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.Tracing.Enabled() || c.Tracing.Sampler != DefaultSampler || c.Tracing.SamplerArg != 1 {
		t.Fatalf("no settings: %+v %v; want tracing off with the default sampler", c.Tracing, err)
	}
	headersFile := filepath.Join(t.TempDir(), "headers")
	if err := os.WriteFile(headersFile, []byte("x-api-key=s3cret%2Fkey, team=chat\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		vars map[string]string
		want Tracing
	}{
		{"generic endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"},
			Tracing{Endpoint: "http://collector:4318/v1/traces", Sampler: DefaultSampler, SamplerArg: 1}},
		{"traces endpoint wins", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://b/otlp/traces"},
			Tracing{Endpoint: "https://b/otlp/traces", Sampler: DefaultSampler, SamplerArg: 1}},
		{"disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_SDK_DISABLED": "true"},
			Tracing{Sampler: DefaultSampler, SamplerArg: 1}},
		{"everything", map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_HEADERS_FILE": headersFile,
			"OTEL_SERVICE_NAME": "shop-chat", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"},
			Tracing{Endpoint: "http://a:4318/v1/traces", Headers: map[string]string{"x-api-key": "s3cret/key", "team": "chat"},
				ServiceName: "shop-chat", Sampler: "parentbased_traceidratio", SamplerArg: 0.25}},
	}
	for _, tc := range cases {
		c, err := Load(env(tc.vars))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(c.Tracing, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, c.Tracing, tc.want)
		}
	}
}

// TestInvalidTracingSettingsNameTheSetting: a bad value stops start-up naming its variable,
// and a bad header value is never quoted (it holds an API key).
func TestInvalidTracingSettingsNameTheSetting(t *testing.T) {
	cases := map[string]map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":        {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c/v1/traces?x=1"},
		"OTEL_EXPORTER_OTLP_HEADERS":         {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_HEADERS": "api-key-without-equals-SECRET"},
		"OTEL_TRACES_SAMPLER":                {"OTEL_TRACES_SAMPLER": "sometimes"},
		"OTEL_TRACES_SAMPLER_ARG":            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"},
		"OTEL_SDK_DISABLED":                  {"OTEL_SDK_DISABLED": "perhaps"},
	}
	for setting, vars := range cases {
		_, err := Load(env(vars))
		var ce *Error
		if !errors.As(err, &ce) || ce.Setting != setting {
			t.Errorf("%s: got %v", setting, err)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: the error quotes the value: %v", setting, err)
		}
	}
}
