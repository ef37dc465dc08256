package insight

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/alert"
	"github.com/agentobs/agentobs/internal/model"
)

func TestInventedNumber(t *testing.T) {
	run := &model.InsightRun{Summary: "2 findings, $12.3456 of estimated savings.", TotalSavingsUSD: 12.3456,
		Findings: []model.Finding{{Title: "7 identical requests", Detail: "saved 1,250 tokens", SavingsUSD: 12.3456, Evidence: model.Evidence{Value: 0.5}},
			{Title: "gpt-4o on draft"}}}
	for _, tc := range []struct {
		text, bad string
	}{
		{"Seven requests could save $12.35.", ""},
		{"About $12 could be saved on gpt-4o.", ""},
		{"1,250 tokens and 2 findings; 0.5 of the cost.", ""},
		{"We could save $12.4.", "12.4"},
		{"That is 35% of the spend.", "35"},
		{"8 identical requests", "8"},
		{"No numbers at all.", ""},
	} {
		if got := InventedNumber(tc.text, run); got != tc.bad {
			t.Errorf("InventedNumber(%q) = %q, want %q", tc.text, got, tc.bad)
		}
	}
}

func TestROIWithoutCost(t *testing.T) {
	r := computeROI(50, 0, 0, 24*time.Hour)
	if r.ROIPercent != nil || r.NetUSD != 50 || r.TotalCostUSD != 0 {
		t.Errorf("computeROI without cost = %+v, want no percentage and net 50", r)
	}
	r = computeROI(0, 10, 0, 24*time.Hour)
	if r.ROIPercent == nil || *r.ROIPercent != -100 {
		t.Errorf("computeROI(0 value, $10) = %+v, want -100 %%", r)
	}
}

func TestTemplateMiner(t *testing.T) {
	m := newTemplateMiner()
	a := m.add("connection to 10.0.0.1:5432 refused")
	b := m.add("connection to 10.0.0.7:5432 refused")
	c := m.add("user alice not found in directory")
	d := m.add("user bob not found in directory")
	e := m.add("disk full")
	if a != b || c != d || a == c || e == a {
		t.Fatalf("templates: %d %d %d %d %d", a, b, c, d, e)
	}
	if got := m.text(a); got != "connection to <*> refused" {
		t.Errorf("template a = %q", got)
	}
	if got := m.text(c); got != "user <*> not found in directory" {
		t.Errorf("template c = %q", got)
	}
}

func TestSentiment(t *testing.T) {
	if s := sentiment("great answer, thanks!"); s <= 0.5 {
		t.Errorf("positive comment scored %v", s)
	}
	if s := sentiment("wrong and slow"); s >= -0.3 {
		t.Errorf("negative comment scored %v", s)
	}
	if pos, neg := sentiment("helpful"), sentiment("not helpful"); neg >= 0 || pos <= 0 {
		t.Errorf("negation: helpful %v, not helpful %v", pos, neg)
	}
	if s := sentiment("the order id is 42"); s != 0 {
		t.Errorf("neutral comment scored %v", s)
	}
}

// jobStore records what the daily job enqueues, over a real store.
type jobStore struct {
	ws    []model.Workspace
	notes map[string]model.Notification
	lease string
}

func (j *jobStore) ListWorkspaces(context.Context) ([]model.Workspace, error) { return j.ws, nil }
func (j *jobStore) AcquireLease(_ context.Context, _, holder string, _ time.Time, _ time.Duration) (bool, error) {
	if j.lease == "" {
		j.lease = holder
	}
	return j.lease == holder, nil
}
func (j *jobStore) EnqueueNotification(_ context.Context, n model.Notification) (bool, error) {
	if _, ok := j.notes[n.DedupKey]; ok {
		return false, nil
	}
	j.notes[n.DedupKey] = n
	return true, nil
}

func TestDailyJobNotifiesOnce(t *testing.T) {
	st := openStore(t)
	now := time.Date(2026, 11, 25, 0, 30, 0, 0, time.UTC)
	svc := New(Config{Store: st, Now: func() time.Time { return now }})
	ctx := context.Background()
	tr := model.Trace{WorkspaceID: "w", TraceID: "x", AgentID: "bot", Name: "bot", StartTime: now.Add(-5 * time.Hour), Tags: []string{},
		Declared: model.Declared{Status: model.StatusSuccess, CostUSD: model.Float64(2)}}
	if err := st.WriteTraces(ctx, []model.Trace{tr}); err != nil {
		t.Fatal(err)
	}
	js := &jobStore{ws: []model.Workspace{{ID: "w"}, {ID: "quiet"}}, notes: map[string]model.Notification{}}
	job := &Daily{Service: svc, Store: js, Holder: "me", Log: svc.log}
	if _, err := svc.PutSettings(ctx, "w", model.ImpactSettings{DailySummaryChannels: []string{"webhook", "slack"}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := job.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(js.notes) != 2 {
		t.Fatalf("notifications = %d, want one per channel: %+v", len(js.notes), js.notes)
	}
	n := js.notes["insights:daily-2026-11-24:webhook"]
	var m alert.Message
	if err := json.Unmarshal([]byte(n.Payload), &m); err != nil || len(m.Firing) != 1 || m.Firing[0].Title != "Daily summary 2026-11-24" {
		t.Fatalf("payload = %s (%v)", n.Payload, err)
	}
	run, err := st.GetInsightRun(ctx, "w", "daily-2026-11-24")
	if err != nil || !run.Notified || run.Findings[0].Kind != "cost_change" {
		t.Fatalf("stored summary = %+v, %v", run, err)
	}
	if _, err := st.GetInsightRun(ctx, "quiet", "daily-2026-11-24"); err != nil {
		t.Errorf("a workspace without channels still gets its summary stored: %v", err)
	}
	other := &Daily{Service: svc, Store: js, Holder: "other", Log: svc.log}
	if err := other.Once(ctx); err != nil || len(js.notes) != 2 {
		t.Errorf("a second holder without the lease: err %v, %d notifications", err, len(js.notes))
	}
}

func TestNarrationSpend(t *testing.T) {
	st := openStore(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	svc := New(Config{Store: st, Now: func() time.Time { return now }})
	ctx := context.Background()
	for i, at := range []time.Time{now.Add(-time.Hour), now.Add(-48 * time.Hour), now.Add(-40 * 24 * time.Hour)} {
		run := model.InsightRun{WorkspaceID: "w", ID: string(rune('a' + i)), Kind: model.InsightCost, CreatedAt: at, From: at, To: at,
			Findings: []model.Finding{}, NarrationCost: 0.25 * float64(i+1)}
		if err := st.PutInsightRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	got, err := svc.NarrationSpend(ctx, "w")
	if err != nil || got.TodayUSD != 0.25 || got.Last30DaysUSD != 0.75 {
		t.Errorf("NarrationSpend = %+v, %v; want today 0.25, 30 days 0.75", got, err)
	}
}
