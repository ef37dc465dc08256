package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/queue"
	"github.com/agentobs/agentobs/internal/queue/memory"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// rejectingStore is a real DuckDB store that refuses to write traces while reject is set,
// the way a store refuses a row it cannot hold.
type rejectingStore struct {
	*duckdb.Store
	reject atomic.Bool
}

func (r *rejectingStore) WriteTraces(ctx context.Context, traces []model.Trace) error {
	if r.reject.Load() {
		return errors.New("value out of range for column")
	}
	return r.Store.WriteTraces(ctx, traces)
}

const key = "ao_test_deadletters_000000000000"

func newTestServer(t testing.TB) (*httptest.Server, *rejectingStore) {
	t.Helper()
	ctx := context.Background()
	st, err := duckdb.Open(ctx, filepath.Join(t.TempDir(), duckdb.FileName), duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ws := model.Workspace{ID: "11111111-1111-4111-8111-111111111111", Name: "t", CreatedAt: time.Now()}
	if err := st.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAPIKey(ctx, model.APIKey{ID: "k", WorkspaceID: ws.ID, Name: "k", Prefix: "ao_test", Hash: auth.HashAPIKey(key), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	rs := &rejectingStore{Store: st}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := New(Config{Store: rs, Keys: auth.NewKeyCache(st, time.Minute), Prices: pricing.Default(), Log: log,
		Registry: prometheus.NewRegistry(), API: true, Ingest: true, Query: true})
	gc := memory.New(pipeline.NewProcessor(rs, log, api.Metrics().DeadLettered).Handle, memory.Options{})
	t.Cleanup(func() { gc.Close(context.Background()) })
	api.SetPublisher(gc)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return srv, rs
}

func call(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader([]byte(body)))
	cred := key
	if strings.HasPrefix(path, "/api/v1/admin/") {
		cred = ownerToken(t, srv) // dead letters are for admins, which keys never are
	}
	req.Header.Set("Authorization", "Bearer "+cred)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestDeadLetterListAndReplay(t *testing.T) {
	srv, rs := newTestServer(t)
	rs.reject.Store(true)
	trace := `{"trace_id":"dl-1","agent_id":"bot","timestamp":"2026-11-25T10:00:00Z","model":"gpt-4o-mini","tokens_input":10}`
	if code, body := call(t, srv, "POST", "/api/v1/traces", trace); code != 202 {
		t.Fatalf("ingest = %d %v (a dead-lettered trace is kept, so it is acknowledged)", code, body)
	}
	batch := `{"traces":[{"trace_id":"dl-2","agent_id":"bot","timestamp":"2026-11-25T10:00:00Z"}]}`
	if code, body := call(t, srv, "POST", "/api/v1/traces/batch", batch); code != 202 {
		t.Fatalf("batch = %d %v", code, body)
	}
	code, list := call(t, srv, "GET", "/api/v1/admin/dead-letters?pending=true", "")
	letters, _ := list["dead_letters"].([]any)
	if code != 200 || len(letters) != 2 {
		t.Fatalf("list = %d %v", code, list)
	}
	if code, _ := call(t, srv, "GET", "/api/v1/traces/dl-1", ""); code != 404 {
		t.Fatalf("dead-lettered trace readable: %d", code)
	}
	rs.reject.Store(false)
	for _, l := range letters {
		id := l.(map[string]any)["id"].(string)
		code, one := call(t, srv, "GET", "/api/v1/admin/dead-letters/"+id, "")
		if code != 200 || !strings.Contains(one["payload"].(string), `"trace_id":"dl-`) || !strings.Contains(one["reason"].(string), "out of range") {
			t.Fatalf("get = %d %v", code, one)
		}
		if code, res := call(t, srv, "POST", "/api/v1/admin/dead-letters/"+id+"/replay", ""); code != 200 || res["replayed"] != true {
			t.Fatalf("replay = %d %v", code, res)
		}
	}
	for _, id := range []string{"dl-1", "dl-2"} {
		if code, _ := call(t, srv, "GET", "/api/v1/traces/"+id, ""); code != 200 {
			t.Errorf("replayed %s not stored: %d", id, code)
		}
	}
	if _, list := call(t, srv, "GET", "/api/v1/admin/dead-letters?pending=true", ""); len(list["dead_letters"].([]any)) != 0 {
		t.Errorf("letters still pending after replay: %v", list)
	}
	if code, body := call(t, srv, "GET", "/api/v1/admin/dead-letters?limit=0", ""); code != 400 || !strings.Contains(body["errors"].([]any)[0].(map[string]any)["field"].(string), "limit") {
		t.Errorf("bad limit = %d %v", code, body)
	}
}

// blockingPublisher holds every request until its context ends, like a commit that takes
// longer than the client waits.
type blockingPublisher struct{}

func (blockingPublisher) Publish(ctx context.Context, _ []queue.Item) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestClientCancelIsNotAStoreFailure: a client that leaves before its answer is counted as
// client_canceled and answered 499, not logged as a 500 or counted against the store.
func TestClientCancelIsNotAStoreFailure(t *testing.T) {
	reg := prometheus.NewRegistry()
	api := New(Config{Store: nil, Keys: nil, Prices: pricing.Default(), Registry: reg, API: true, Ingest: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	api.SetPublisher(blockingPublisher{})
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, "POST", "/api/v1/traces",
		strings.NewReader(`{"trace_id":"c-1","agent_id":"bot","timestamp":"2026-11-25T10:00:00Z"}`))
	req.Header.Set("Content-Type", "application/json")
	req = req.WithContext(context.WithValue(ctx, ctxPrincipalKey{}, &auth.Principal{WorkspaceID: "11111111-1111-4111-8111-111111111111"}))
	rec := httptest.NewRecorder()
	time.AfterFunc(20*time.Millisecond, cancel)
	api.wrap(api.ingestTrace).ServeHTTP(rec, req)
	if rec.Code != statusClientClosed {
		t.Fatalf("status %d, want 499", rec.Code)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "agentobs_rejected_items_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" {
					counts[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	if counts["client_canceled"] != 1 || counts["store_unavailable"] != 0 {
		t.Fatalf("rejections %v", counts)
	}
}
