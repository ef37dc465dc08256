package alert

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/store/duckdb"
	"github.com/agentobs/agentobs/internal/synth"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchStore opens AGENTOBS_BENCH_DATA_DIR (a database seeded by `agentobs seed`, e.g. the
// 10M-trace one of SEED_TRACES=10000000 bench/query.sh), or seeds AGENTOBS_BENCH_TRACES
// (default 200000) synthetic traces over 30 days into a temporary one. It returns the
// store, the workspace and the end of the data.
func benchStore(b *testing.B) (*duckdb.Store, string, time.Time) {
	ctx := context.Background()
	dir := os.Getenv("AGENTOBS_BENCH_DATA_DIR")
	fresh := dir == ""
	if fresh {
		dir = b.TempDir()
	}
	st, err := duckdb.Open(ctx, filepath.Join(dir, duckdb.FileName), duckdb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if fresh {
		n, _ := strconv.Atoi(os.Getenv("AGENTOBS_BENCH_TRACES"))
		if n == 0 {
			n = 200000
		}
		if err := st.CreateWorkspace(ctx, model.Workspace{ID: ws, Name: "bench", CreatedAt: time.Now().UTC()}); err != nil {
			b.Fatal(err)
		}
		if _, err := synth.Generate(ctx, st, synth.Config{WorkspaceID: ws, Traces: n, Days: 30, End: time.Now().UTC(), Seed: 1}, nil); err != nil {
			b.Fatal(err)
		}
	}
	wss, err := st.ListWorkspaces(ctx)
	if err != nil || len(wss) == 0 {
		b.Fatalf("workspaces: %v %v", wss, err)
	}
	res, err := st.TraceStats(ctx, store.StatsQuery{Filter: store.TraceFilter{WorkspaceID: wss[0].ID}, Times: true, Measures: store.MeasureCount})
	if err != nil || len(res.Rows) == 0 {
		b.Fatalf("stats: %v %v", res, err)
	}
	b.Logf("%d traces, %s to %s", res.Rows[0].Count, res.Rows[0].FirstStart.Format(time.RFC3339), res.Rows[0].LastStart.Format(time.RFC3339))
	return st, wss[0].ID, res.Rows[0].LastStart.Add(time.Second)
}

// BenchmarkEvaluateRules evaluates 1000 rules, each split into groups (agent or model,
// about 10 each), once per iteration: the work of one minute at the default interval. It
// reports the CPU seconds of the whole process per round.
func BenchmarkEvaluateRules(b *testing.B) {
	st, wsID, end := benchStore(b)
	ctx := context.Background()
	metrics := []string{"request_count", "error_rate", "latency_p95", "cost_total", "tokens_total", "cost_per_trace", "latency_p50"}
	var rules []model.AlertRule
	for i := 0; i < 1000; i++ {
		r := model.AlertRule{WorkspaceID: wsID, ID: fmt.Sprintf("bench-%d", i), Name: "bench", Metric: metrics[i%len(metrics)],
			Operator: ">", Threshold: 1e12, Window: model.Duration(time.Duration(5+i%4*5) * time.Minute), GroupBy: []string{"agent", "model"}[i%2],
			Enabled: true, CreatedAt: end, UpdatedAt: end}
		r.ApplyDefaults()
		rules = append(rules, r)
	}
	for _, r := range rules {
		if err := st.PutAlertRule(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	clk := &clock{t: end}
	ev := NewEvaluator(st, clk.Now, quietLog())
	groups := 0
	var cpu time.Duration
	b.ResetTimer()
	for b.Loop() {
		c0 := cpuTime()
		if err := ev.Tick(ctx); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		clk.Add(time.Minute) // every rule is due again
	}
	b.StopTimer()
	for _, r := range rules[:2] {
		in, _ := st.ListAlertInstances(ctx, wsID, r.ID)
		groups += len(in)
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/round")
	b.ReportMetric(float64(groups)/2, "groups/rule")
}

// BenchmarkNotificationFanOut groups and delivers 100 firing alerts (100 rules, a webhook
// each) to a local receiver, per iteration.
func BenchmarkNotificationFanOut(b *testing.B) {
	st := openStore(b)
	ctx := context.Background()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	defer recv.Close()
	sl, _ := NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	sealed, _ := sl.Seal(ws, "webhook", ChannelConfig{URL: recv.URL, Secret: "s"})
	if err := st.PutIntegration(ctx, ws, "webhook", sealed, t0); err != nil {
		b.Fatal(err)
	}
	clk := &clock{t: t0}
	n := NewNotifier(st, sl, &Senders{HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}, clk.Now, quietLog())
	for i := 0; i < 100; i++ {
		r := model.AlertRule{WorkspaceID: ws, ID: fmt.Sprintf("fan-%d", i), Name: "fan", Metric: "request_count", Operator: ">",
			Window: model.Duration(5 * time.Minute), Channels: []string{"webhook"}, Enabled: true}
		r.ApplyDefaults()
		if err := st.PutAlertRule(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	sent := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		// A fresh episode per rule, firing since long enough to be past the group wait.
		clk.Add(time.Hour)
		for j := 0; j < 100; j++ {
			if err := st.PutAlert(ctx, model.Alert{WorkspaceID: ws, ID: fmt.Sprintf("a-%d-%d", i, j), RuleID: fmt.Sprintf("fan-%d", j),
				Severity: "critical", Status: model.StateFiring, Title: "fan", TriggeredAt: clk.Now()}); err != nil {
				b.Fatal(err)
			}
		}
		clk.Add(time.Minute)
		b.StartTimer()
		for k := 0; k < 2; k++ { // the first round starts each group's wait on new rules
			if err := n.Tick(ctx); err != nil {
				b.Fatal(err)
			}
			clk.Add(31 * time.Second)
		}
		got, err := n.Deliver(ctx)
		if err != nil {
			b.Fatal(err)
		}
		sent += got
		b.StopTimer()
		// Resolve them all so the next round's groups change again.
		as, _ := st.QueryAlerts(ctx, ws, "active", 1000)
		for _, a := range as {
			now := clk.Now()
			a.Status, a.ResolvedAt = model.StateResolved, &now
			st.PutAlert(ctx, a)
		}
		clk.Add(10 * time.Minute)
		n.Tick(ctx)
		n.Deliver(ctx)
		b.StartTimer()
	}
	b.ReportMetric(float64(sent)/float64(b.N), "messages/op")
}
