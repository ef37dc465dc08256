package otlp

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/agentobs/agentobs/internal/model"
)

var update = flag.Bool("update", false, "rewrite the .binpb fixtures and the golden files from the .json fixtures")

// flavours are the fixtures in testdata: <name>.json is the request in OTLP/JSON as an
// exporter of that convention sends it, <name>.binpb the same request in binary protobuf
// (written by proto.Marshal with -update), <name>.golden.json the expected mapping.
var flavours = []string{"genai", "genai_deprecated", "openinference", "openllmetry", "vercel", "langfuse", "phoenix"}

const testWorkspace = "11111111-1111-4111-8111-111111111111"

// golden is the mapped request as the golden files record it.
type golden struct {
	Spans    int           `json:"spans"`
	Rejected int64         `json:"rejected_spans"`
	Message  string        `json:"error_message"`
	Traces   []goldenTrace `json:"traces"`
}

type goldenTrace struct {
	model.Trace
	Origin string `json:"origin"`
}

func renderGolden(t *testing.T, res Result) []byte {
	t.Helper()
	g := golden{Spans: res.Spans, Rejected: res.Rejected, Message: res.Message}
	for _, tr := range res.Traces {
		model.RollUp(&tr, tr.Spans) // the trace as the store rolls it up from these spans
		origin := map[model.Origin]string{model.OriginDeclared: "declared", model.OriginRoot: "root", model.OriginPartial: "partial"}[tr.Declared.Origin]
		g.Traces = append(g.Traces, goldenTrace{Trace: tr, Origin: origin})
	}
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestGolden(t *testing.T) {
	for _, name := range flavours {
		t.Run(name, func(t *testing.T) {
			base := filepath.Join("testdata", name)
			jsonBody, err := os.ReadFile(base + ".json")
			if err != nil {
				t.Fatal(err)
			}
			fromJSON, err := DecodeJSON(jsonBody)
			if err != nil {
				t.Fatalf("DecodeJSON: %v", err)
			}
			gotJSON := renderGolden(t, Convert(fromJSON, testWorkspace, Limits{}))
			if *update {
				pb, err := proto.MarshalOptions{Deterministic: true}.Marshal(fromJSON)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(base+".binpb", pb, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(base+".golden.json", gotJSON, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(base + ".golden.json")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(gotJSON)); diff != "" {
				t.Errorf("JSON fixture mapping differs from %s.golden.json (-want +got); run go test -update if intended:\n%s", name, diff)
			}

			pb, err := os.ReadFile(base + ".binpb")
			if err != nil {
				t.Fatal(err)
			}
			fromProto, err := DecodeProto(pb)
			if err != nil {
				t.Fatalf("DecodeProto: %v", err)
			}
			var reference coltracepb.ExportTraceServiceRequest
			if err := proto.Unmarshal(pb, &reference); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&reference, fromProto, protocmp.Transform()); diff != "" {
				t.Errorf("DecodeProto differs from proto.Unmarshal (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(&reference, fromJSON, protocmp.Transform()); diff != "" {
				t.Errorf("DecodeJSON differs from the protobuf fixture (-want +got):\n%s", diff)
			}
			gotProto := renderGolden(t, Convert(fromProto, testWorkspace, Limits{}))
			if !bytes.Equal(want, gotProto) {
				t.Errorf("protobuf fixture mapping differs from %s.golden.json:\n%s", name, cmp.Diff(string(want), string(gotProto)))
			}
		})
	}
}

// TestGoldenCoverage keeps the fixtures honest: each flavour must exercise its convention.
func TestGoldenCoverage(t *testing.T) {
	want := map[string][]string{
		"genai":            {`"kind": "agent"`, `"kind": "llm"`, `"kind": "tool"`, `"tokens_cached_input": 20`, `"session_id": "conv-42"`, `"agent_id": "weather-agent"`},
		"genai_deprecated": {`"tokens_input": 50`, `"status": "timeout"`, `"user_id": "user-7"`, `Be brief.`},
		"openinference":    {`"kind": "retrieval"`, `"tags": [`, `"experiment": "a/b"`, `"session_id": "sess-9"`, `"model_provider": "anthropic"`},
		"openllmetry":      {`"tokens_total": 345`, `"name": "find_trains"`, `"session_id": "chat-77"`, `"user_id": "alice"`},
		"vercel":           {`"kind": "chain"`, `"name": "lookupOrder"`, `"tokens_cached_input": 64`, `"user_id": "u-55"`},
	}
	for name, needles := range want {
		b, err := os.ReadFile(filepath.Join("testdata", name+".golden.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			if !strings.Contains(string(b), n) {
				t.Errorf("%s.golden.json lacks %s", name, n)
			}
		}
	}
}
