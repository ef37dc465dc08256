package ingest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/model"
)

const validTrace = `{
  "trace_id": "t-1", "agent_id": "support-bot", "timestamp": "2026-11-25T10:00:00Z",
  "input": "hi", "output": "hello", "latency_ms": 120, "status": "success",
  "model": "gpt-4o-mini", "model_provider": "openai", "tokens_input": 100, "tokens_output": 20,
  "metadata": {"k": 1}, "tags": ["prod"]
}`

// withField returns validTrace with one top-level field replaced (or removed when value is "").
func withField(t *testing.T, key, value string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(validTrace), &m); err != nil {
		t.Fatal(err)
	}
	if value == "" {
		delete(m, key)
	} else {
		m[key] = json.RawMessage(value)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type fieldErr struct{ Field, Detail string }

func fieldErrors(t *testing.T, err error) []fieldErr {
	t.Helper()
	var me *model.Error
	if !errors.As(err, &me) {
		t.Fatalf("error %v is not a *model.Error", err)
	}
	if me.Code != model.EINVALID {
		t.Fatalf("code = %s, want invalid", me.Code)
	}
	out := make([]fieldErr, len(me.Fields))
	for i, f := range me.Fields {
		out[i] = fieldErr{f.Path.String(), f.Detail}
	}
	return out
}

func TestDecodeTraceValid(t *testing.T) {
	in, err := DecodeTrace([]byte(validTrace), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if in.TraceID != "t-1" || *in.TokensInput != 100 || in.TokensCached != nil || string(in.Metadata) != `{"k": 1}` {
		t.Errorf("decoded %+v", in)
	}
}

func TestDecodeTraceRules(t *testing.T) {
	long := strings.Repeat("x", 257)
	tests := []struct {
		name, key, value string
		want             []fieldErr
	}{
		{"missing trace_id", "trace_id", "", []fieldErr{{"trace_id", "is required"}}},
		{"empty agent_id", "agent_id", `""`, []fieldErr{{"agent_id", "is required"}}},
		{"long trace_id", "trace_id", `"` + long + `"`, []fieldErr{{"trace_id", "must be at most 256 bytes, got 257"}}},
		{"missing timestamp", "timestamp", "", []fieldErr{{"timestamp", "is required (RFC 3339 time, e.g. 2026-01-02T15:04:05Z)"}}},
		{"bad timestamp", "timestamp", `"yesterday"`, []fieldErr{{"timestamp", "must be an RFC 3339 time such as 2026-01-02T15:04:05.123Z"}}},
		{"timestamp without zone", "timestamp", `"2026-11-25T10:00:00"`, []fieldErr{{"timestamp", "must be an RFC 3339 time such as 2026-01-02T15:04:05.123Z"}}},
		{"ancient timestamp", "timestamp", `"1900-01-01T00:00:00Z"`, []fieldErr{{"timestamp", "must be between years 1970 and 9999"}}},
		{"end before start", "end_time", `"2026-11-25T09:00:00Z"`, []fieldErr{{"end_time", "must not be before timestamp"}}},
		{"bad status", "status", `"ok"`, []fieldErr{{"status", "must be one of success, error, timeout"}}},
		{"negative latency", "latency_ms", `-1`, []fieldErr{{"latency_ms", "must be >= 0"}}},
		{"negative tokens", "tokens_input", `-5`, []fieldErr{{"tokens_input", "must be >= 0"}}},
		{"huge tokens", "tokens_output", `2000000000000`, []fieldErr{{"tokens_output", "must be <= 1000000000000"}}},
		{"cached above input", "tokens_cached_input", `101`, []fieldErr{{"tokens_cached_input", "must not exceed tokens_input (cached tokens are part of the input)"}}},
		{"negative cost", "cost_usd", `-0.5`, []fieldErr{{"cost_usd", "must be >= 0"}}},
		{"fractional tokens", "tokens_input", `1.5`, []fieldErr{{"tokens_input", "must be an integer"}}},
		{"string tokens", "tokens_total", `"10"`, []fieldErr{{"tokens_total", "must be an integer"}}},
		{"metadata array", "metadata", `[1]`, []fieldErr{{"metadata", "must be a JSON object"}}},
		{"metadata string", "metadata", `"x"`, []fieldErr{{"metadata", "must be a JSON object"}}},
		{"bad workspace", "workspace_id", `"not-a-uuid"`, []fieldErr{{"workspace_id", "must be a UUID"}}},
		{"tag not string", "tags", `["a", 2]`, []fieldErr{{"tags[1]", "must be a string"}}},
		{"empty tag", "tags", `["a", ""]`, []fieldErr{{"tags[1]", "is required"}}},
		{"NUL in input", "input", `"a\u0000b"`, []fieldErr{{"input", "must not contain NUL characters"}}},
		{"model too long", "model", `"` + long + `"`, []fieldErr{{"model", "must be at most 256 bytes, got 257"}}},
		{"spans not array", "spans", `{}`, []fieldErr{{"spans", "must be an array of objects"}}},
		{"span missing fields", "spans", `[{}]`, []fieldErr{
			{"spans[0].span_id", "is required"}, {"spans[0].name", "is required"},
			{"spans[0].start_time", "is required (RFC 3339 time, e.g. 2026-01-02T15:04:05Z)"}}},
		{"span rules", "spans", `[{"span_id":"a","parent_span_id":"a","kind":"robot","name":"n","start_time":"2026-11-25T10:00:01Z","end_time":"2026-11-25T10:00:00Z","status":"meh","tokens_output":-1,"cost_usd":-1,"attributes":[]}]`, []fieldErr{
			{"spans[0].parent_span_id", "must differ from span_id"},
			{"spans[0].kind", "must be one of agent, llm, tool, retrieval, chain, embedding, guardrail, event"},
			{"spans[0].end_time", "must not be before start_time"},
			{"spans[0].status", "must be one of success, error, timeout"},
			{"spans[0].tokens_output", "must be >= 0"},
			{"spans[0].cost_usd", "must be >= 0"},
			{"spans[0].attributes", "must be a JSON object"}}},
		{"duplicate span ids", "spans", `[{"span_id":"a","name":"n","start_time":"2026-11-25T10:00:00Z"},{"span_id":"a","name":"m","start_time":"2026-11-25T10:00:00Z"}]`,
			[]fieldErr{{"spans[1].span_id", `duplicates spans[0].span_id "a"`}}},
		{"score rules", "scores", `[{"name":"","source":"robot"}]`, []fieldErr{
			{"scores[0].name", "is required"}, {"scores[0].value", "is required"}, {"scores[0].source", "must be one of api, human, eval"}}},
		{"score value type", "scores", `[{"name":"x","value":"high"}]`, []fieldErr{{"scores[0].value", "must be a number"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeTrace(withField(t, tc.key, tc.value), Limits{})
			if err == nil {
				t.Fatal("accepted invalid trace")
			}
			if diff := cmp.Diff(tc.want, fieldErrors(t, err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeTraceReportsEveryField(t *testing.T) {
	body := `{"trace_id": 5, "agent_id": "", "timestamp": "x", "status": "weird", "tokens_input": -1,
		"spans": [{"span_id": "a", "name": "n", "start_time": "2026-11-25T10:00:00Z", "tokens_output": "many"}]}`
	_, err := DecodeTrace([]byte(body), Limits{})
	want := []fieldErr{
		{"spans[0].tokens_output", "must be an integer"},
		{"trace_id", "must be a string"},
		{"agent_id", "is required"},
		{"timestamp", "must be an RFC 3339 time such as 2026-01-02T15:04:05.123Z"},
		{"status", "must be one of success, error, timeout"},
		{"tokens_input", "must be >= 0"},
	}
	if diff := cmp.Diff(want, fieldErrors(t, err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestDecodeTraceMalformed(t *testing.T) {
	tests := []struct{ name, body, detailPrefix string }{
		{"empty", "", "body is empty"},
		{"truncated", `{"trace_id": "a"`, "malformed JSON at line 1, column 16: unexpected end of JSON input"},
		{"syntax", "{\n  \"trace_id\": ,\n}", "malformed JSON at line 2, column"},
		{"not object", `[1,2]`, "must be a JSON object"},
		{"invalid utf8", "{\"trace_id\": \"\xff\"}", "invalid UTF-8 at byte offset 14"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeTrace([]byte(tc.body), Limits{})
			got := fieldErrors(t, err)
			if len(got) != 1 || !strings.HasPrefix(got[0].Detail, tc.detailPrefix) {
				t.Errorf("errors = %+v, want one starting %q", got, tc.detailPrefix)
			}
		})
	}
}

func TestDecodeTraceSizeLimits(t *testing.T) {
	lim := Limits{MaxTextBytes: 10, MaxObjectBytes: 20, MaxSpans: 1, MaxScores: 1}
	body := `{"trace_id":"t","agent_id":"a","timestamp":"2026-11-25T10:00:00Z","input":"12345678901",
		"metadata":{"k":"0123456789012345"},
		"spans":[{"span_id":"a","name":"n","start_time":"2026-11-25T10:00:00Z"},{"span_id":"b","name":"n","start_time":"2026-11-25T10:00:00Z"}],
		"scores":[{"name":"a","value":1},{"name":"b","value":2}]}`
	_, err := DecodeTrace([]byte(body), lim)
	want := []fieldErr{
		{"input", "must be at most 10 bytes, got 11"},
		{"metadata", "must be at most 20 bytes of JSON, got 24"},
		{"spans", "must hold at most 1 spans, got 2"},
		{"scores", "must hold at most 1 scores, got 2"},
	}
	if diff := cmp.Diff(want, fieldErrors(t, err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestDecodeBatch(t *testing.T) {
	good := validTrace
	bad := `{"trace_id":"t-bad","agent_id":"a","timestamp":"2026-11-25T10:00:00Z","status":"nope"}`
	for _, body := range []string{`{"traces":[` + good + `,` + bad + `,42]}`, `[` + good + `,` + bad + `,42]`} {
		items, err := DecodeBatch([]byte(body), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 3 || items[0].Trace == nil || items[0].Err != nil {
			t.Fatalf("items = %+v", items)
		}
		if items[1].Err == nil || items[1].TraceID != "t-bad" || items[1].Trace != nil {
			t.Errorf("bad item = %+v", items[1])
		}
		prefix := "traces[1]"
		if body[0] == '[' {
			prefix = "[1]"
		}
		if got := items[1].Err.Fields[0].Path.String(); got != prefix+".status" {
			t.Errorf("bad item path = %q", got)
		}
		if items[2].Err == nil || items[2].Err.Fields[0].Detail != "must be a JSON object" {
			t.Errorf("non-object item = %+v", items[2].Err)
		}
		if string(items[0].Raw) != good {
			t.Errorf("raw item not kept")
		}
	}
}

func TestDecodeBatchEnvelope(t *testing.T) {
	tests := []struct {
		name, body string
		code       string
	}{
		{"missing traces", `{}`, model.EINVALID},
		{"traces not array", `{"traces": 1}`, model.EINVALID},
		{"empty", `{"traces": []}`, model.EINVALID},
		{"scalar", `"x"`, model.EINVALID},
		{"malformed", `{"traces": [`, model.EINVALID},
		{"too many", `[` + strings.Repeat(validTrace+",", 3) + validTrace + `]`, model.ETOOLARGE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeBatch([]byte(tc.body), Limits{MaxBatch: 3})
			if model.ErrorCode(err) != tc.code {
				t.Errorf("error = %v, want code %s", err, tc.code)
			}
			// The problem's detail says what was wrong, not just the word "batch".
			var me *model.Error
			if errors.As(err, &me) && tc.code == model.EINVALID && me.Message != "invalid batch" {
				t.Errorf("message = %q", me.Message)
			}
		})
	}
}

func TestToModel(t *testing.T) {
	body := `{"trace_id":"t","agent_id":"bot","timestamp":"2026-11-25T12:00:00+02:00","tokens_input":5,
		"spans":[{"span_id":"s","name":"call","start_time":"2026-11-25T10:00:00Z"}],
		"scores":[{"name":"thumbs","value":1},{"name":"thumbs","value":0,"span_id":"s"}]}`
	in, err := DecodeTrace([]byte(body), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	m := in.ToModel("ws")
	if m.Name != "bot" || m.Declared.Status != model.StatusSuccess || m.StartTime.Location().String() != "UTC" || m.StartTime.Hour() != 10 {
		t.Errorf("trace = %+v", m)
	}
	if m.Spans[0].Kind != model.KindChain || m.Spans[0].LatencyMs != -1 || m.Spans[0].WorkspaceID != "ws" {
		t.Errorf("span = %+v", m.Spans[0])
	}
	if m.Scores[0].ScoreID != "thumbs" || m.Scores[1].ScoreID != "thumbs@s" || m.Scores[0].Source != model.ScoreSourceAPI {
		t.Errorf("scores = %+v", m.Scores)
	}
	if string(m.Metadata) != "{}" {
		t.Errorf("metadata = %s", m.Metadata)
	}
}

func TestDecodeBatchOnePassReportsRules(t *testing.T) {
	bad := `{"trace_id":"t-bad","agent_id":"a","timestamp":"2026-11-25T10:00:00Z","status":"nope","tokens_input":-1}`
	items, err := DecodeBatch([]byte(`{"traces":[`+validTrace+`,`+bad+`]}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if items[0].Trace == nil || items[1].Err == nil || items[1].TraceID != "t-bad" {
		t.Fatalf("items = %+v", items)
	}
	got := fieldErrors(t, items[1].Err)
	want := []fieldErr{{"traces[1].status", "must be one of success, error, timeout"}, {"traces[1].tokens_input", "must be >= 0"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestFromModelRoundTrip(t *testing.T) {
	body := `{"trace_id":"t","agent_id":"bot","timestamp":"2026-11-25T10:00:00.5Z","end_time":"2026-11-25T10:00:02Z",
		"status":"error","error_type":"tool_error","model":"gpt-4o","tokens_input":5,"cost_usd":0.1,"metadata":{"a":1},"tags":["x"],
		"spans":[{"span_id":"s","kind":"tool","name":"call","start_time":"2026-11-25T10:00:01Z","latency_ms":20,"attributes":{"k":"v"}}],
		"scores":[{"name":"thumbs","value":1,"source":"human"}]}`
	in, err := DecodeTrace([]byte(body), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	const ws = "11111111-1111-4111-8111-111111111111"
	first := in.ToModel(ws)
	encoded, err := json.Marshal(FromModel(&first))
	if err != nil {
		t.Fatal(err)
	}
	again, err := DecodeTrace(encoded, Limits{})
	if err != nil {
		t.Fatalf("re-encoded trace does not decode: %v\n%s", err, encoded)
	}
	second := again.ToModel(ws)
	if diff := cmp.Diff(first, second, cmp.Comparer(func(a, b json.RawMessage) bool { return string(a) == string(b) })); diff != "" {
		t.Errorf("round trip (-first +second):\n%s", diff)
	}
}
