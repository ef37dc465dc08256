package otlp

import (
	"strings"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/agentobs/agentobs/internal/model"
)

// Langfuse's OpenTelemetry SDKs (langfuse 3 to 5 for Python, @langfuse/tracing 4 and 5)
// write the observation's type, content, model and usage as langfuse.* attributes whose
// structured values are JSON strings. docs/otlp.md lists the mapping.

// kindFromLangfuse maps langfuse.observation.type.
func kindFromLangfuse(v string) model.SpanKind {
	switch strings.ToLower(v) {
	case "generation":
		return model.KindLLM
	case "embedding":
		return model.KindEmbedding
	case "agent":
		return model.KindAgent
	case "tool":
		return model.KindTool
	case "retriever":
		return model.KindRetrieval
	case "guardrail":
		return model.KindGuardrail
	case "event":
		return model.KindEvent
	case "span", "chain", "evaluator":
		return model.KindChain
	}
	return ""
}

// langfuseUsage reads langfuse.observation.usage_details: a JSON object of counts whose
// keys are Langfuse's (input, output, total, input_cache_read) or the provider's own
// (prompt_tokens, input_tokens, cache_read_input_tokens, ...), as the SDKs pass them on.
func langfuseUsage(av *commonpb.AnyValue) (in, out, total, cached *int64) {
	m, ok := structured(av).(map[string]any)
	if !ok {
		return
	}
	pick := func(keys ...string) *int64 {
		for _, k := range keys {
			if n, ok := jsonInt(m[k]); ok && n >= 0 && n <= maxTokens {
				return model.Int64(n)
			}
		}
		return nil
	}
	in = pick("input", "prompt_tokens", "input_tokens", "promptTokens", "inputTokens")
	out = pick("output", "completion_tokens", "output_tokens", "completionTokens", "outputTokens")
	total = pick("total", "total_tokens", "totalTokens")
	cached = pick("input_cache_read", "input_cached_tokens", "cache_read_input_tokens", "cached_tokens")
	return
}

// langfuseCost reads langfuse.observation.cost_details: its total, else the sum of its
// parts. A cost the client sends wins over the price table.
func langfuseCost(av *commonpb.AnyValue) *float64 {
	m, ok := structured(av).(map[string]any)
	if !ok {
		return nil
	}
	if f, ok := jsonFloat(m["total"]); ok {
		if f >= 0 && f <= maxCostUSD {
			return model.Float64(f)
		}
		return nil
	}
	sum, any := 0.0, false
	for _, v := range m {
		if f, ok := jsonFloat(v); ok && f >= 0 {
			sum, any = sum+f, true
		}
	}
	if !any || sum > maxCostUSD {
		return nil
	}
	return model.Float64(sum)
}

// langfuseMetadataValue decodes one langfuse.trace.metadata.<key> value: SDK 5 encodes
// every value as JSON, older ones send plain strings.
func langfuseMetadataValue(av *commonpb.AnyValue) any {
	s, ok := strValue(av)
	if !ok {
		return toGo(av, 0)
	}
	if v, err := parseJSONValue(s); err == nil {
		return v
	}
	return s
}

func jsonInt(v any) (int64, bool) {
	f, ok := jsonFloat(v)
	if !ok || f > maxTokens || f < -maxTokens {
		return 0, false
	}
	return int64(f), true
}

func jsonFloat(v any) (float64, bool) {
	var av commonpb.AnyValue
	switch x := v.(type) {
	case float64:
		av.Value = &commonpb.AnyValue_DoubleValue{DoubleValue: x}
	case int64:
		av.Value = &commonpb.AnyValue_IntValue{IntValue: x}
	case string:
		av.Value = &commonpb.AnyValue_StringValue{StringValue: x}
	default:
		if n, ok := v.(interface{ String() string }); ok {
			av.Value = &commonpb.AnyValue_StringValue{StringValue: n.String()}
		} else {
			return 0, false
		}
	}
	return floatValue(&av)
}

// langfuseExtra takes what a Langfuse span says about its trace: an agent observation names
// the agent; the trace name names the trace (on the root span, from which the trace's name
// is derived) and stands in for the agent when nothing else names one; trace metadata,
// environment and release go to the trace's metadata.
func (c *converter) langfuseExtra(sp *tracepb.Span, out *model.Span, extra *spanExtra) {
	v := &c.vals
	if v[aLFType] == nil && v[aLFTraceName] == nil && v[aLFTraceMetadata] == nil && v[aLFEnvironment] == nil && v[aLFRelease] == nil {
		return
	}
	if t, _ := strValue(v[aLFType]); strings.EqualFold(t, "agent") && extra.agentName == "" {
		extra.agentName = sp.GetName()
	}
	if name, _ := strValue(v[aLFTraceName]); name != "" {
		if out.ParentSpanID == "" {
			out.Name = cut(name, maxNameLen)
		}
		if extra.workflow == "" {
			extra.workflow = name
		}
	}
	setMeta := func(k string, val any) {
		if extra.meta == nil {
			extra.meta = map[string]any{}
		}
		extra.meta[k] = val
	}
	if md := v[aLFTraceMetadata]; md != nil {
		switch m := langfuseMetadataValue(md).(type) {
		case map[string]any:
			for k, val := range m {
				setMeta(k, val)
			}
		case nil:
		default:
			setMeta("metadata", m)
		}
	}
	if s, _ := strValue(v[aLFEnvironment]); s != "" {
		setMeta("environment", s)
	}
	if s, _ := strValue(v[aLFRelease]); s != "" {
		setMeta("release", s)
	}
}

// langfuseText is the first content value present: a JSON-encoded string is shown as the
// string it encodes, anything else as the JSON or text sent.
func langfuseText(vals ...*commonpb.AnyValue) string {
	s := textOf(vals...)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if v, err := parseJSONValue(s); err == nil {
			if str, ok := v.(string); ok {
				return str
			}
		}
	}
	return s
}
