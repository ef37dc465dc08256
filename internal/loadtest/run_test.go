package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRunSendsTheShape: against a local server, a run posts valid traces with unique ids and
// current times, reads the dashboard paths, and reports what it sent and got.
func TestRunSendsTheShape(t *testing.T) {
	var mu sync.Mutex
	ids := map[string]int{}
	paths := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if r.Method == "POST" {
			var in traceInput
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.AgentID == "" || in.Model == "" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			if ts, err := time.Parse(time.RFC3339Nano, in.Timestamp); err != nil || time.Since(ts) > time.Minute {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			ids[in.TraceID]++
			w.WriteHeader(http.StatusAccepted)
			return
		}
		paths[r.URL.RequestURI()]++
		if strings.Contains(r.URL.Path, "cost") {
			w.WriteHeader(http.StatusInternalServerError) // errors are counted, not hidden
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	shape := Shape{Rate: 40, Peak: 80, Ramp: 250 * time.Millisecond, Hold: 500 * time.Millisecond}
	var progress bytes.Buffer
	rep, err := Run(context.Background(), Config{URL: srv.URL, Key: "k", Shape: shape, DashboardShare: 0.25, Timeout: 5 * time.Second,
		MaxInFlight: 20, RunID: "t"}, &progress)
	if err != nil {
		t.Fatal(err)
	}
	// 40 rps: 5 + 20 + 15 + 40 + 10 = 90 requests in all.
	if n := rep.Total.Requests; n < 80 || n > 100 {
		t.Errorf("sent %d requests; want about 90", n)
	}
	if len(rep.Groups) != 2 || rep.Groups[0].Group != GroupIngest || rep.Groups[1].Group != GroupDashboard {
		t.Fatalf("groups = %+v", rep.Groups)
	}
	ingest, dash := rep.Groups[0], rep.Groups[1]
	if ingest.Errors != 0 || ingest.Codes["202"] != int(ingest.Requests) || len(ids) != int(ingest.Requests) {
		t.Errorf("ingest: %+v, %d distinct ids", ingest, len(ids))
	}
	for id, n := range ids {
		if n != 1 || !strings.HasPrefix(id, "bench-t-") {
			t.Errorf("trace id %s sent %d times", id, n)
		}
	}
	if dash.Errors == 0 || dash.Errors != uint64(dash.Codes["500"]) || len(paths) < 3 {
		t.Errorf("dashboard: %+v over %v", dash, paths)
	}
	if !strings.Contains(progress.String(), "100%") {
		t.Errorf("progress = %q", progress.String())
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	for _, want := range []string{"ingest", "dashboard", "total", "p95", "500 Internal Server Error"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Shape: Shape{Rate: 0, Peak: 1, Hold: time.Second}},
		{Shape: PlanShape, DashboardShare: 1},
	} {
		if _, err := Run(context.Background(), cfg, nil); err == nil {
			t.Errorf("Run(%+v) = nil error", cfg)
		}
	}
}
