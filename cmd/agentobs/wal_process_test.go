package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// otlpRequest is one agent run of three spans, the trace id derived from n.
func otlpRequest(prefix byte, n int) (*coltracepb.ExportTraceServiceRequest, string) {
	var tid [16]byte
	tid[0] = prefix
	binary.BigEndian.PutUint64(tid[8:], uint64(n))
	now := time.Now()
	str := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	span := func(id, parent byte, name string, attrs ...*commonpb.KeyValue) *tracepb.Span {
		s := &tracepb.Span{TraceId: tid[:], SpanId: []byte{0, 0, 0, 0, 0, 0, 0, id}, Name: name, Attributes: attrs,
			StartTimeUnixNano: uint64(now.UnixNano()), EndTimeUnixNano: uint64(now.Add(time.Duration(id) * time.Millisecond).UnixNano())}
		if parent != 0 {
			s.ParentSpanId = []byte{0, 0, 0, 0, 0, 0, 0, parent}
		}
		return s
	}
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "otlp-agent")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
			span(1, 0, "run"),
			span(2, 1, "chat", str("gen_ai.operation.name", "chat"), str("gen_ai.request.model", "gpt-4o-mini")),
			span(3, 1, "search", str("gen_ai.operation.name", "execute_tool")),
		}}},
	}}}
	return req, fmt.Sprintf("%x", tid)
}

func startGRPCServer(t *testing.T, dir string, extra ...string) (*server, string) {
	grpcAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	return startServer(t, dir, append([]string{"--otlp-grpc-addr", grpcAddr}, extra...)...), grpcAddr
}

// TestKill9DuringOTLPLoad: OTLP over HTTP (protobuf) and gRPC at full rate, kill -9, restart:
// every acknowledged trace is stored exactly once.
func TestKill9DuringOTLPLoad(t *testing.T) {
	dir := t.TempDir()
	s, grpcAddr := startGRPCServer(t, dir)
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	grpcClient := coltracepb.NewTraceServiceClient(conn)
	authed := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+testKey)

	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req, id := otlpRequest(byte(w+1), i)
				ok := false
				if w%2 == 0 {
					body, _ := proto.Marshal(req)
					hreq, _ := http.NewRequest("POST", s.base+"/v1/traces", bytes.NewReader(body))
					hreq.Header.Set("Authorization", "Bearer "+testKey)
					hreq.Header.Set("Content-Type", "application/x-protobuf")
					resp, err := client.Do(hreq)
					if err != nil {
						return // the server is gone
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ok = resp.StatusCode == 200
				} else {
					ctx, cancel := context.WithTimeout(authed, 5*time.Second)
					_, err := grpcClient.Export(ctx, req)
					cancel()
					if err != nil && strings.Contains(err.Error(), "connection refused") {
						return
					}
					ok = err == nil
				}
				if ok {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	close(stop)
	wg.Wait()
	if len(acked) < 200 {
		t.Fatalf("only %d exports acknowledged before the kill", len(acked))
	}
	s2 := startServer(t, dir)
	s2.awaitCommitted()
	s2.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-s2.done; err != nil {
		t.Fatalf("restarted server exit: %v", err)
	}
	counts := storedCounts(t, dir)
	bad := 0
	for _, id := range acked {
		if counts[id] != 1 {
			if bad++; bad < 5 {
				t.Errorf("acknowledged trace %s stored %d times", id, counts[id])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d acknowledged OTLP traces not stored exactly once", bad, len(acked))
	}
	t.Logf("%d OTLP traces (HTTP and gRPC) acknowledged, all stored exactly once after kill -9", len(acked))
}

// TestWaitCommitReadsBack: ?wait=commit answers after the store commit, so a read right
// after it finds the data (REST single and batch, OTLP/HTTP), cached lists included even
// when commits are made visible to the cache only once an hour.
func TestWaitCommitReadsBack(t *testing.T) {
	s := startServer(t, t.TempDir(), "--commit-visibility", "1h")
	for i := range 20 {
		id := fmt.Sprintf("wc-%d", i)
		if code, body := s.post("/api/v1/traces?wait=commit", traceInput(id)); code != 202 {
			t.Fatalf("POST = %d %s", code, body)
		}
		if code, body, _ := s.do("GET", "/api/v1/traces/"+id, testKey, "", nil); code != 200 {
			t.Fatalf("read right after wait=commit: %d %s", code, body)
		}
		if code, body, _ := s.do("GET", "/api/v1/traces?range=30d", testKey, "", nil); code != 200 || !strings.Contains(string(body), `"`+id+`"`) {
			t.Fatalf("cached list right after wait=commit lacks %s: %d %.300s", id, code, body)
		}
	}
	if code, body := s.post("/api/v1/traces/batch?wait=commit", map[string]any{"traces": []any{traceInput("wc-b1"), traceInput("wc-b2")}}); code != 202 {
		t.Fatalf("batch = %d %s", code, body)
	}
	if code, _, _ := s.do("GET", "/api/v1/traces/wc-b2", testKey, "", nil); code != 200 {
		t.Fatalf("batch not readable after wait=commit: %d", code)
	}
	req, id := otlpRequest(0xcc, 1)
	body, _ := proto.Marshal(req)
	code, resp, _ := s.do("POST", "/v1/traces?wait=commit", testKey, "application/x-protobuf", body)
	if code != 200 {
		t.Fatalf("OTLP = %d %s", code, resp)
	}
	if code, body, _ := s.do("GET", "/api/v1/traces/"+id, testKey, "", nil); code != 200 || !strings.Contains(string(body), `"span_count":3`) {
		t.Fatalf("OTLP trace not readable after wait=commit: %d %s", code, body)
	}
	if code, body := s.post("/api/v1/traces?wait=soon", traceInput("wc-x")); code != 400 || !strings.Contains(string(body), `"field":"wait"`) {
		t.Fatalf("bad wait = %d %s", code, body)
	}
}

// TestFullLogAnswers429: a request the bounded log cannot take is refused with 429,
// Retry-After and the reason, never acknowledged; smaller ones still go in.
func TestFullLogAnswers429(t *testing.T) {
	s := startServer(t, t.TempDir(), "--wal-max-bytes", "16KiB")
	var traces []any
	for i := range 100 {
		traces = append(traces, traceInput(fmt.Sprintf("big-%d", i)))
	}
	body, _ := json.Marshal(map[string]any{"traces": traces})
	code, resp, hdr := s.do("POST", "/api/v1/traces/batch", testKey, "application/json", body)
	if code != 429 || hdr.Get("Retry-After") == "" || !strings.Contains(string(resp), "ingestion log is full") {
		t.Fatalf("over the bound: %d %v %s", code, hdr, resp)
	}
	if code, body := s.post("/api/v1/traces?wait=commit", traceInput("small")); code != 202 {
		t.Fatalf("small trace: %d %s", code, body)
	}
	if code, _, _ := s.do("GET", "/api/v1/traces/big-0", testKey, "", nil); code != 404 {
		t.Fatalf("a refused trace was stored: %d", code)
	}
}

var (
	faultBinOnce sync.Once
	faultBin     string
	faultErr     error
)

// faultBinary builds agentobs with the walfault tag: a file named ENOSPC in the log
// directory makes every segment write fail with ENOSPC, as a full disk does.
func faultBinary(t *testing.T) string {
	faultBinOnce.Do(func() {
		faultBin = filepath.Join(filepath.Dir(binPath), "agentobs-walfault")
		out, err := exec.Command("go", "build", "-tags", "walfault", "-o", faultBin, ".").CombinedOutput()
		if err != nil {
			faultErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if faultErr != nil {
		t.Fatal(faultErr)
	}
	return faultBin
}

// TestDiskFullAnswers503: with the disk full, ingestion answers 503 with a problem body and
// acknowledges nothing, reads go on, and it recovers by itself when space returns.
func TestDiskFullAnswers503(t *testing.T) {
	bin := faultBinary(t)
	saved := binPath
	binPath = bin
	dir := t.TempDir()
	s := startServer(t, dir)
	binPath = saved
	if code, body := s.post("/api/v1/traces?wait=commit", traceInput("before")); code != 202 {
		t.Fatalf("before: %d %s", code, body)
	}
	full := filepath.Join(dir, "wal", "ENOSPC")
	if err := os.WriteFile(full, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, body, hdr := s.do("POST", "/api/v1/traces", testKey, "application/json", mustJSON(traceInput("refused")))
	if code != 503 || hdr.Get("Content-Type") != "application/problem+json" || hdr.Get("Retry-After") == "" ||
		!strings.Contains(string(body), "cannot write the ingestion log") {
		t.Fatalf("disk full: %d %v %s", code, hdr, body)
	}
	otlpReq, _ := otlpRequest(0xdd, 1)
	pb, _ := proto.Marshal(otlpReq)
	if code, _, _ := s.do("POST", "/v1/traces", testKey, "application/x-protobuf", pb); code != 503 {
		t.Fatalf("OTLP with the disk full: %d", code)
	}
	if code, _, _ := s.do("GET", "/api/v1/traces/before", testKey, "", nil); code != 200 {
		t.Fatalf("reads stop with the disk full: %d", code)
	}
	if code, body, _ := s.do("GET", "/ready", "", "", nil); code != 200 || !strings.Contains(string(body), "no space left") {
		t.Fatalf("/ready does not report the log error: %d %s", code, body)
	}
	os.Remove(full)
	if code, body := s.post("/api/v1/traces?wait=commit", traceInput("after")); code != 202 {
		t.Fatalf("no recovery after space returned: %d %s", code, body)
	}
	if code, _, _ := s.do("GET", "/api/v1/traces/refused", testKey, "", nil); code != 404 {
		t.Fatalf("a refused trace was stored: %d", code)
	}
	code, metrics, _ := s.do("GET", "/metrics", "", "", nil)
	if code != 200 || !strings.Contains(string(metrics), "agentobs_wal_write_errors_total 2") ||
		!strings.Contains(string(metrics), "agentobs_wal_commit_lag_seconds") {
		t.Errorf("log metrics missing or wrong")
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
