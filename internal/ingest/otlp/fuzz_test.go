package otlp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// checkResult asserts what every mapping must satisfy, whatever the input: valid JSON
// where JSON is stored, valid UTF-8 everywhere, sizes within the limits.
func checkResult(t *testing.T, res Result, lim Limits) {
	t.Helper()
	lim = lim.withDefaults()
	spans := 0
	for _, tr := range res.Traces {
		if !json.Valid(tr.Metadata) {
			t.Fatalf("trace %s: metadata is not JSON: %q", tr.TraceID, tr.Metadata)
		}
		if len(tr.TraceID) != 32 || tr.AgentID == "" {
			t.Fatalf("trace id %q agent %q", tr.TraceID, tr.AgentID)
		}
		for _, s := range []string{tr.Name, tr.Input, tr.Output, tr.UserID, tr.SessionID, tr.AgentID} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in trace field %q", s)
			}
		}
		for _, sp := range tr.Spans {
			spans++
			if !json.Valid(sp.Attributes) {
				t.Fatalf("span %s: attributes are not JSON: %q", sp.SpanID, sp.Attributes)
			}
			if len(sp.Attributes) > lim.MaxAttributesBytes {
				t.Fatalf("span %s: attributes of %d bytes exceed %d", sp.SpanID, len(sp.Attributes), lim.MaxAttributesBytes)
			}
			if len(sp.Input) > lim.MaxTextBytes || len(sp.Output) > lim.MaxTextBytes {
				t.Fatalf("span %s: input/output too long", sp.SpanID)
			}
			for _, s := range []string{sp.Name, sp.Input, sp.Output, sp.Model, sp.Provider, sp.StatusMessage} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 in span field %q", s)
				}
			}
			if !sp.Kind.Valid() || !sp.Status.Valid() || sp.EndTime.Before(sp.StartTime) || sp.LatencyMs < 0 {
				t.Fatalf("span %+v", sp)
			}
		}
	}
	if spans != res.Spans {
		t.Fatalf("Result.Spans = %d, traces hold %d", res.Spans, spans)
	}
}

func fixtureSeeds(f *testing.F, ext string) {
	for _, name := range flavours {
		b, err := os.ReadFile(filepath.Join("testdata", name+ext))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzDecodeProto(f *testing.F) {
	fixtureSeeds(f, ".binpb")
	f.Add([]byte{0x0a, 0x00})
	f.Add([]byte{0x0a, 0x05, 0x12, 0x03, 0x12, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeProto(body)
		if err != nil {
			return
		}
		lim := Limits{MaxTextBytes: 4096, MaxAttributesBytes: 4096, MaxAttributes: 16, MaxValueBytes: 256, MaxEvents: 4}
		checkResult(t, Convert(req, testWorkspace, lim), lim)
		// Whatever we accepted must be a message the reference implementation can encode.
		if _, err := proto.Marshal(req); err != nil {
			t.Fatalf("decoded request does not marshal: %v", err)
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	fixtureSeeds(f, ".json")
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00","spanId":"01"}]}]}]}`))
	f.Add([]byte(`{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"AAAAAAAAAAAAAAAAAAAAAQ==","span_id":"AAAAAAAAAAE=","start_time_unix_nano":1}]}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeJSON(body)
		if err != nil {
			return
		}
		lim := Limits{MaxTextBytes: 4096, MaxAttributesBytes: 4096, MaxAttributes: 16, MaxValueBytes: 256, MaxEvents: 4}
		checkResult(t, Convert(req, testWorkspace, lim), lim)
	})
}

// FuzzMapAttributes feeds arbitrary keys and values to the attribute mapper: the fuzzer
// picks among the convention names so that it reaches their parsers.
func FuzzMapAttributes(f *testing.F) {
	var keys []string
	for k := range keyTable {
		keys = append(keys, k)
	}
	for _, fam := range families {
		keys = append(keys, fam.prefix+"0.message.content", fam.prefix+"0.role", fam.prefix+"1.message.tool_calls.0.tool_call.function.name")
	}
	f.Add(uint8(0), "x", uint8(1), `[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`, int64(3), uint8(2))
	f.Add(uint8(5), "gen_ai.prompt.0.content", uint8(9), `{"system":"s","prompt":"p"}`, int64(-1), uint8(0))
	f.Fuzz(func(t *testing.T, k1 uint8, free string, k2 uint8, val string, n int64, shape uint8) {
		// The decoders hand Convert valid UTF-8 only; the mapper's own output is checked.
		free, val = strings.ToValidUTF8(free, "\uFFFD"), strings.ToValidUTF8(val, "\uFFFD")
		attrs := []*commonpb.KeyValue{
			{Key: keys[int(k1)%len(keys)], Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: val}}},
			{Key: keys[int(k2)%len(keys)], Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: n}}},
			{Key: free, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: val}}},
		}
		switch shape % 3 {
		case 1:
			attrs = append(attrs, &commonpb.KeyValue{Key: keys[int(k2+k1)%len(keys)], Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{
				ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{{Value: &commonpb.AnyValue_StringValue{StringValue: val}}, nil}}}}})
		case 2:
			attrs = append(attrs, &commonpb.KeyValue{Key: keys[int(k1^k2)%len(keys)], Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{
				KvlistValue: &commonpb.KeyValueList{Values: []*commonpb.KeyValue{{Key: "role", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: val}}}, nil}}}}})
		}
		sp := &tracepb.Span{TraceId: []byte("0123456789abcdef"), SpanId: []byte("01234567"), Name: free,
			StartTimeUnixNano: uint64(n), EndTimeUnixNano: 1, Attributes: attrs,
			Events: []*tracepb.Span_Event{{Name: "gen_ai.choice", Attributes: attrs}, {Name: "exception", Attributes: attrs}},
			Status: &tracepb.Status{Code: tracepb.Status_StatusCode(shape), Message: val}}
		req := requestOf(sp)
		lim := Limits{MaxTextBytes: 512, MaxAttributesBytes: 1024, MaxAttributes: 8, MaxValueBytes: 64, MaxEvents: 2}
		checkResult(t, Convert(req, testWorkspace, lim), lim)
	})
}

// FuzzParseJSONValue checks the message parser against encoding/json.
func FuzzParseJSONValue(f *testing.F) {
	for _, s := range []string{`[{"role":"user","parts":[{"type":"text","content":"hi \u00e9\ud83d\ude00"}]}]`,
		`{"a":[1,-2.5e3,true,false,null],"b":{}}`, `["\"\\\/\b\f\n\r\t"]`, `[1,]`, `{"a" 1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // the decoders hand over valid UTF-8 only
		}
		got, err := parseJSONValue(s)
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var want any
		werr := dec.Decode(&want)
		if !json.Valid([]byte(s)) {
			werr = errJSONSyntax
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("parse(%q): err %v, encoding/json: %v", s, err, werr)
		}
		if err == nil && !reflect.DeepEqual(normalizeEmpty(got), normalizeEmpty(want)) {
			t.Fatalf("parse(%q) = %#v, encoding/json = %#v", s, got, want)
		}
	})
}

// normalizeEmpty makes empty arrays compare equal whether nil or not.
func normalizeEmpty(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalizeEmpty(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeEmpty(e)
		}
		return out
	}
	return v
}

// FuzzFastMessages checks that the fast message reader, when it accepts an input, reads it
// exactly as the generic one does.
func FuzzFastMessages(f *testing.F) {
	for _, name := range flavours {
		b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		req, err := DecodeJSON(b)
		if err != nil {
			f.Fatal(err)
		}
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					for _, kv := range sp.Attributes {
						if s, ok := strValue(kv.Value); ok && strings.HasPrefix(s, "[") {
							f.Add(s)
						}
					}
				}
			}
		}
	}
	f.Add(`[{"role":"user","content":"a","parts":[{"type":"tool-result","output":"x","id":"1"}],"tool_call_id":""}]`)
	f.Add(`["hi",{"content":null,"parts":[{"type":"image","url":"u"},"t",{"type":"tool_call","args":"{}","name":"n"}]},3]`)
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		fast, ok := fastMessages(s, "user")
		if !ok {
			return
		}
		slow := messagesFrom(parseJSONText(s), "user")
		if len(fast) == 0 && len(slow) == 0 {
			return
		}
		for i := range slow {
			if len(slow[i].ToolCalls) == 0 {
				slow[i].ToolCalls = nil
			}
		}
		for i := range fast {
			if len(fast[i].ToolCalls) == 0 {
				fast[i].ToolCalls = nil
			}
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fastMessages(%q)\n = %#v\ngeneric = %#v", s, fast, slow)
		}
	})
}
