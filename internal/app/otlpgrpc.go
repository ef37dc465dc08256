package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // exporters may compress (OTEL_EXPORTER_OTLP_COMPRESSION=gzip)
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/agentobs/agentobs/internal/httpapi"
	"github.com/agentobs/agentobs/internal/ingest/otlp"
	"github.com/agentobs/agentobs/internal/model"
)

// DefaultOTLPGRPCAddr is the OTLP/gRPC port of the specification.
const DefaultOTLPGRPCAddr = ":4317"

// otlpServer serves OTLP/gRPC TraceService/Export on its own port, with the same
// authorization, mapping and durable pipeline as OTLP/HTTP (httpapi.API.ExportOTLP).
type otlpServer struct {
	coltracepb.UnimplementedTraceServiceServer
	api      *httpapi.API
	log      *slog.Logger
	addr     string
	optional bool // the default address: if it is taken, run without gRPC rather than fail
	srv      *grpc.Server
	ln       net.Listener
}

// newOTLPServer returns nil when gRPC is off (no address) or the process does not ingest.
func newOTLPServer(cfg Config, api *httpapi.API, log *slog.Logger, ingest bool) *otlpServer {
	if cfg.OTLPGRPCAddr == "" || !ingest {
		return nil
	}
	s := &otlpServer{api: api, log: log, addr: cfg.OTLPGRPCAddr, optional: cfg.OTLPGRPCAddr == DefaultOTLPGRPCAddr}
	limit := int(cfg.Limits.WithDefaults().MaxBodyBytes)
	s.srv = grpc.NewServer(
		grpc.ForceServerCodecV2(otlpCodec{base: encoding.GetCodecV2("proto")}),
		grpc.MaxRecvMsgSize(limit),
		grpc.ConnectionTimeout(10*time.Second),
	)
	coltracepb.RegisterTraceServiceServer(s.srv, s)
	return s
}

func (s *otlpServer) listen() error {
	if s == nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		if s.optional {
			s.log.Warn("OTLP/gRPC is not served: its default port is taken; set --otlp-grpc-addr", "addr", s.addr, "err", err)
			s.srv = nil
			return nil
		}
		return fmt.Errorf("cannot listen for OTLP/gRPC on %s: %w", s.addr, err)
	}
	s.ln = ln
	s.log.Info("OTLP/gRPC ready", "addr", ln.Addr().String())
	return nil
}

// Addr is where OTLP/gRPC listens, nil when it does not.
func (s *otlpServer) Addr() net.Addr {
	if s == nil || s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

func (s *otlpServer) serve(errc chan<- error) {
	if s == nil || s.ln == nil {
		return
	}
	go func() {
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			errc <- fmt.Errorf("OTLP/gRPC: %w", err)
		}
	}()
}

// stop lets in-flight exports finish (each waits for its commit) until ctx ends.
func (s *otlpServer) stop(ctx context.Context) {
	if s == nil || s.srv == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		s.srv.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.srv.Stop()
	}
}

// Export implements the OTLP TraceService.
func (s *otlpServer) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (resp *coltracepb.ExportTraceServiceResponse, err error) {
	// gRPC does not recover handler panics; one bad request must not end the process.
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic in OTLP/gRPC export", "panic", fmt.Sprint(v))
			resp, err = nil, status.Error(codes.Internal, "internal error")
		}
	}()
	md, _ := metadata.FromIncomingContext(ctx)
	ws, err := s.api.AuthorizeOTLP(ctx, first(md, "authorization"), first(md, "x-api-key"))
	if err != nil {
		return nil, grpcStatus(err)
	}
	switch w := first(md, strings.ToLower(httpapi.WaitHeader)); w {
	case "":
	case "commit":
		ctx = httpapi.WithWaitCommit(ctx)
	default:
		return nil, status.Errorf(codes.InvalidArgument, "metadata %s must be commit, got %q", strings.ToLower(httpapi.WaitHeader), w)
	}
	resp, err = s.api.ExportOTLP(ctx, ws, req)
	if err != nil {
		if model.ErrorCode(err) == model.EINTERNAL && !errors.Is(err, context.Canceled) {
			s.log.Error("OTLP/gRPC export failed", "err", err)
		}
		return nil, grpcStatus(err)
	}
	return resp, nil
}

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// grpcStatus maps our errors onto the codes OTLP/gRPC clients act on: UNAVAILABLE and
// RESOURCE_EXHAUSTED with RetryInfo are retried, the others are not.
func grpcStatus(err error) error {
	msg := model.ErrorMessage(err)
	var st *status.Status
	switch model.ErrorCode(err) {
	case model.EUNAUTHORIZED:
		return status.Error(codes.Unauthenticated, msg)
	case model.EFORBIDDEN:
		return status.Error(codes.PermissionDenied, msg)
	case model.EINVALID, model.EUNSUPPORTED:
		return status.Error(codes.InvalidArgument, msg)
	case model.ETOOLARGE:
		return status.Error(codes.ResourceExhausted, msg) // no RetryInfo: not retryable
	case model.ETOOMANYREQUEST:
		st = status.New(codes.ResourceExhausted, msg)
	default: // the store cannot commit now, or our own failure: retryable, like the Collector
		if errors.Is(err, context.Canceled) {
			return status.Error(codes.Canceled, "request cancelled")
		}
		if model.ErrorCode(err) == model.EINTERNAL {
			msg = "cannot store the spans right now; retry later"
		}
		st = status.New(codes.Unavailable, msg)
	}
	if withInfo, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Second)}); derr == nil {
		st = withInfo
	}
	return st.Err()
}

// otlpCodec decodes export requests with the lenient OTLP decoder (invalid UTF-8 is
// replaced, not a reason to drop the whole request) and leaves everything else to the
// standard protobuf codec.
type otlpCodec struct{ base encoding.CodecV2 }

func (c otlpCodec) Name() string { return c.base.Name() }

func (c otlpCodec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c otlpCodec) Unmarshal(data mem.BufferSlice, v any) error {
	dst, ok := v.(*coltracepb.ExportTraceServiceRequest)
	if !ok {
		return c.base.Unmarshal(data, v)
	}
	req, err := otlp.DecodeProto(data.Materialize())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	dst.ResourceSpans = req.ResourceSpans
	return nil
}

// OTLPAddr is where OTLP/gRPC listens once Listen has run; nil when it does not.
func (a *App) OTLPAddr() net.Addr { return a.otlp.Addr() }
