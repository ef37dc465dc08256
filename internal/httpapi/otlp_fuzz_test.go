package httpapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/queue"
)

type acceptingPublisher struct{}

func (acceptingPublisher) Publish(context.Context, []queue.Item) error { return nil }

// FuzzOTLPHandler feeds raw bodies to the OTLP/HTTP handler (behind authorization): every
// answer must be a success with an ExportTraceServiceResponse or a 4xx with a Status, in
// the request's encoding, and nothing may panic.
func FuzzOTLPHandler(f *testing.F) {
	for _, name := range []string{"genai.binpb", "vercel.binpb", "openinference.json", "openllmetry.json"} {
		b, err := os.ReadFile(filepath.Join("..", "ingest", "otlp", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, filepath.Ext(name) == ".json", false)
	}
	f.Add([]byte{0x1f, 0x8b, 0x08}, false, true)
	api := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(),
		Prices: pricing.Default(), API: true, Ingest: true})
	api.SetPublisher(acceptingPublisher{})
	f.Fuzz(func(t *testing.T, body []byte, asJSON, gz bool) {
		r := httptest.NewRequest("POST", "/v1/traces", bytes.NewReader(body))
		enc := otlpProto
		if asJSON {
			enc = otlpJSON
		}
		r.Header.Set("Content-Type", enc.contentType())
		if gz {
			r.Header.Set("Content-Encoding", "gzip")
		}
		w := httptest.NewRecorder()
		api.otlpTraces(w, r)
		unmarshal := proto.Unmarshal
		if asJSON {
			unmarshal = protojson.Unmarshal
		}
		switch w.Code {
		case 200:
			if err := unmarshal(w.Body.Bytes(), &coltracepb.ExportTraceServiceResponse{}); err != nil {
				t.Fatalf("200 with a body that is no ExportTraceServiceResponse: %v", err)
			}
		case 400, 413:
			if err := unmarshal(w.Body.Bytes(), &spb.Status{}); err != nil {
				t.Fatalf("%d with a body that is no Status: %v", w.Code, err)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	})
}
