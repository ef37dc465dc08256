package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/agentobs/agentobs/internal/model"
)

const grpcTestKey = "ao_test_otlp_grpc_0000000000000000"

func TestOTLPGRPC(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(ctx, Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Roles: []string{RoleAll}, InitAPIKey: grpcTestKey,
		OTLPGRPCAddr: "127.0.0.1:0", ShutdownTimeout: 10 * time.Second}, log, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	httpAddr, err := a.Listen()
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	if a.OTLPAddr() == nil {
		t.Fatal("OTLP/gRPC is not listening")
	}
	conn, err := grpc.NewClient(a.OTLPAddr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := coltracepb.NewTraceServiceClient(conn)

	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	str := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	traceID := []byte{0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "grpc-agent")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
			{TraceId: traceID, SpanId: []byte{0, 0, 0, 0, 0, 0, 0, 2}, ParentSpanId: []byte{0, 0, 0, 0, 0, 0, 0, 1}, Name: "chat",
				StartTimeUnixNano: uint64(t0.Add(time.Second).UnixNano()), EndTimeUnixNano: uint64(t0.Add(2 * time.Second).UnixNano()),
				Attributes: []*commonpb.KeyValue{str("gen_ai.operation.name", "chat"), str("gen_ai.request.model", "gpt-4o-mini"),
					{Key: "gen_ai.usage.input_tokens", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 10}}}}},
			{TraceId: traceID, SpanId: []byte{0, 0, 0, 0, 0, 0, 0, 1}, Name: "run",
				StartTimeUnixNano: uint64(t0.UnixNano()), EndTimeUnixNano: uint64(t0.Add(3 * time.Second).UnixNano())},
			{TraceId: []byte{1}, SpanId: []byte{1}, Name: "bad"},
		}}},
	}}}

	if _, err := client.Export(ctx, req); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("without a key: %v", err)
	}
	authed := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+grpcTestKey)
	if _, err := client.Export(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer ao_wrong"), req); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("with a wrong key: %v", err)
	}
	// Read-your-write: the export returns after the store commit.
	resp, err := client.Export(metadata.AppendToOutgoingContext(authed, "agentobs-wait", "commit"), req, grpc.UseCompressor(gzip.Name))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetPartialSuccess().GetRejectedSpans() != 1 {
		t.Errorf("partial success = %v", resp.GetPartialSuccess())
	}

	hreq, _ := http.NewRequestWithContext(ctx, "GET", "http://"+httpAddr.String()+"/api/v1/traces/ab0102030405060708090a0b0c0d0e0f", nil)
	hreq.Header.Set("Authorization", "Bearer "+grpcTestKey)
	hres, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	defer hres.Body.Close()
	var tr map[string]any
	json.NewDecoder(hres.Body).Decode(&tr)
	if hres.StatusCode != 200 || tr["agent_id"] != "grpc-agent" || tr["name"] != "run" || tr["span_count"] != float64(2) || tr["tokens_input"] != float64(10) {
		t.Errorf("read back = %d %v", hres.StatusCode, tr)
	}
}

func TestGRPCStatusIsRetryableWhenOverloaded(t *testing.T) {
	for code, want := range map[string]codes.Code{model.ETOOMANYREQUEST: codes.ResourceExhausted, model.EUNAVAILABLE: codes.Unavailable} {
		st := status.Convert(grpcStatus(model.Errorf(code, "overloaded")))
		if st.Code() != want || len(st.Details()) != 1 {
			t.Errorf("%s: %v %v", code, st.Code(), st.Details())
		}
	}
}
