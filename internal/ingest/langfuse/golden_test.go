package langfuse

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const testWorkspace = "11111111-1111-4111-8111-111111111111"

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func sequentialIDs() func() string {
	n := 0
	return func() string { n++; return "generated-" + strconv.Itoa(n) }
}

// TestGolden maps testdata/batch.json, the events Langfuse's older SDKs send, and compares
// the answer and the traces (rolled up as the store rolls them up) with batch.golden.json.
func TestGolden(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	events, err := DecodeRequest(body, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBuilder(testWorkspace, Limits{}, testNow, sequentialIDs())
	for _, ev := range events {
		b.Add(ev)
	}
	traces := b.Build(nil)
	for i := range traces {
		model.RollUp(&traces[i], traces[i].Spans)
	}
	got, err := json.MarshalIndent(map[string]any{"successes": b.Successes, "errors": b.Errors, "traces": traces}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "batch.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("mapping differs from %s (go test -update to accept):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

// TestUpdatesMergeOntoStored sends an observation's parts in separate requests, the update
// first, and checks that each request builds on what the previous one stored.
func TestUpdatesMergeOntoStored(t *testing.T) {
	build := func(stored map[string]*model.Trace, events ...string) []model.Trace {
		t.Helper()
		evs, err := DecodeRequest([]byte(`{"batch":[`+joinComma(events)+`]}`), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		b := NewBuilder(testWorkspace, Limits{}, testNow, sequentialIDs())
		for _, ev := range evs {
			b.Add(ev)
		}
		if len(b.Errors) > 0 {
			t.Fatalf("errors: %+v", b.Errors)
		}
		return b.Build(stored)
	}
	first := build(nil, `{"id":"1","type":"generation-update","body":{"id":"g","traceId":"t","endTime":"2026-11-25T10:00:01Z","output":"hi","usage":{"input":3,"output":1}}}`)
	stored := first[0]
	stored.Spans[0].Attributes = json.RawMessage(`{"langfuse.observation.type":"generation"}`)
	stored.SpanCount = 1
	second := build(map[string]*model.Trace{"t": &stored},
		`{"id":"2","type":"generation-create","body":{"id":"g","traceId":"t","name":"chat","model":"gpt-4o-mini","startTime":"2026-11-25T10:00:00Z","input":"hello"}}`,
		`{"id":"3","type":"trace-create","body":{"id":"t","name":"greeter","userId":"u"}}`)
	sp := second[0].Spans[0]
	if sp.Kind != model.KindLLM || sp.Name != "chat" || sp.Model != "gpt-4o-mini" || sp.Input != "hello" || sp.Output != "hi" ||
		sp.LatencyMs != 1000 || sp.TokensInput == nil || *sp.TokensInput != 3 {
		t.Errorf("merged span = %+v", sp)
	}
	if tr := second[0]; tr.Name != "greeter" || tr.UserID != "u" || tr.AgentID != "greeter" && tr.AgentID != stored.AgentID {
		t.Errorf("merged trace = %+v", tr)
	}
}

func joinComma(parts []string) string {
	var b bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p)
	}
	return b.String()
}
