package config

import (
	"net/url"
	"strconv"
	"strings"
)

// Tracing is OpenTelemetry tracing, on when an OTLP/HTTP endpoint is set. The variables are
// the standard OTEL_* ones, read here (environment, .env, `_FILE` for the headers) so that a
// bad value stops start-up naming it; the exporter reads the rest of the OTEL_EXPORTER_OTLP_*
// family (timeout, compression, certificates, protocol) and OTEL_RESOURCE_ATTRIBUTES and
// OTEL_BSP_* from the process environment itself.
type Tracing struct {
	// Endpoint is the full URL spans are POSTed to: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given,
	// or OTEL_EXPORTER_OTLP_ENDPOINT with "/v1/traces" appended. "" = tracing off (also when
	// OTEL_SDK_DISABLED=true).
	Endpoint string
	// Headers go with every export (OTEL_EXPORTER_OTLP_TRACES_HEADERS or
	// OTEL_EXPORTER_OTLP_HEADERS, "key=value,…" with URL-encoded values): often an API key.
	Headers map[string]string
	// ServiceName is OTEL_SERVICE_NAME; "" = "chatproxy" (unless OTEL_RESOURCE_ATTRIBUTES names one).
	ServiceName string
	// Sampler is OTEL_TRACES_SAMPLER (default parentbased_always_on) and SamplerArg its
	// OTEL_TRACES_SAMPLER_ARG, the ratio of the *traceidratio samplers (default 1).
	Sampler    string
	SamplerArg float64
}

// Enabled reports whether spans are exported.
func (t Tracing) Enabled() bool { return t.Endpoint != "" }

// DefaultSampler keeps a trace when its parent did, and every trace that starts here.
const DefaultSampler = "parentbased_always_on"

// samplers are the OTEL_TRACES_SAMPLER values the SDK defines (jaeger_remote and xray aside).
var samplers = map[string]bool{
	"always_on": true, "always_off": true, "traceidratio": true, "parentbased_always_on": true,
	"parentbased_always_off": true, "parentbased_traceidratio": true,
}

// tracing reads the OTEL_* settings chatproxy understands over the defaults t.
func (r *reader) tracing(t Tracing) Tracing {
	if r.boolean("OTEL_SDK_DISABLED", false) {
		return t
	}
	t.Endpoint = r.otlpEndpoint()
	t.ServiceName = r.str("OTEL_SERVICE_NAME", "")
	t.Headers = r.otlpHeaders()
	t.Sampler = strings.ToLower(r.str("OTEL_TRACES_SAMPLER", t.Sampler))
	if !samplers[t.Sampler] {
		r.fail(settingErr("OTEL_TRACES_SAMPLER", "want always_on, always_off, traceidratio or parentbased_ with one of them, got %q", t.Sampler))
	}
	if v := r.str("OTEL_TRACES_SAMPLER_ARG", ""); v != "" && strings.HasSuffix(t.Sampler, "traceidratio") {
		ratio, err := strconv.ParseFloat(v, 64)
		if err != nil || ratio < 0 || ratio > 1 {
			r.fail(settingErr("OTEL_TRACES_SAMPLER_ARG", "want a ratio from 0 to 1, got %q", v))
		}
		t.SamplerArg = ratio
	}
	return t
}

// otlpEndpoint is the traces URL, checked the way the exporter needs it.
func (r *reader) otlpEndpoint() string {
	name, v := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", r.str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	signalPath := ""
	if v == "" {
		name, v = "OTEL_EXPORTER_OTLP_ENDPOINT", r.str("OTEL_EXPORTER_OTLP_ENDPOINT", "")
		signalPath = "/v1/traces"
	}
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		r.fail(settingErr(name, "want an http:// or https:// URL with a host and no query, e.g. http://otel-collector:4318"))
		return ""
	}
	if signalPath != "" {
		u.Path = strings.TrimRight(u.Path, "/") + signalPath
	}
	return u.String()
}

// otlpHeaders parses the export headers ("k1=v1,k2=v2", values URL-encoded, as the
// specification has it). Its value is a secret: errors never quote it.
func (r *reader) otlpHeaders() map[string]string {
	name := "OTEL_EXPORTER_OTLP_TRACES_HEADERS"
	v := string(r.secret(name))
	if v == "" {
		name = "OTEL_EXPORTER_OTLP_HEADERS"
		v = string(r.secret(name))
	}
	if v == "" {
		return nil
	}
	out := map[string]string{}
	for _, pair := range strings.Split(v, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, val, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		decoded, err := url.PathUnescape(strings.TrimSpace(val))
		if !ok || k == "" || err != nil {
			r.fail(settingErr(name, "want key=value pairs separated by commas (values URL-encoded)"))
			return nil
		}
		out[k] = decoded
	}
	return out
}
