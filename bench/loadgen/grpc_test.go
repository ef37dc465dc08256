package main

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

type countingExporter struct {
	coltracepb.UnimplementedTraceServiceServer
	spans  atomic.Int64
	unauth atomic.Int64
}

func (c *countingExporter) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	if md, _ := metadata.FromIncomingContext(ctx); len(md.Get("authorization")) == 0 || md.Get("authorization")[0] != "Bearer "+testKey {
		c.unauth.Add(1)
	}
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			c.spans.Add(int64(len(ss.Spans)))
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// TestGRPCMode: the otlp mode's requests arrive over gRPC as valid Export calls with the
// key, and the counts agree with what the receiver decoded.
func TestGRPCMode(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	exp := &countingExporter{}
	coltracepb.RegisterTraceServiceServer(srv, exp)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	cfg := testConfig("http://unused")
	cfg.Mode, cfg.GRPCAddr, cfg.Batch = "grpc", ln.Addr().String(), 50
	res, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.TracesAcked == 0 || res.TracesAcked != res.TracesSent || exp.spans.Load() < res.TracesAcked || exp.unauth.Load() != 0 {
		t.Fatalf("sent %d, acked %d, receiver decoded %d spans, %d without the key", res.TracesSent, res.TracesAcked, exp.spans.Load(), exp.unauth.Load())
	}
}
