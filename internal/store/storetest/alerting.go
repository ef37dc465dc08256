package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

func testAlerting(t *testing.T, s store.Store) {
	t.Run("Rules", func(t *testing.T) { testAlertRules(t, s) })
	t.Run("Episodes", func(t *testing.T) { testAlertEpisodes(t, s) })
	t.Run("StateAndHistory", func(t *testing.T) { testAlertState(t, s) })
	t.Run("Silences", func(t *testing.T) { testSilences(t, s) })
	t.Run("Integrations", func(t *testing.T) { testIntegrations(t, s) })
	t.Run("NotificationQueue", func(t *testing.T) { testNotificationQueue(t, s) })
	t.Run("Lease", func(t *testing.T) { testLease(t, s) })
	t.Run("SignalStats", func(t *testing.T) { testSignalStats(t, s) })
}

func testAlertRules(t *testing.T, s store.Store) {
	r := model.AlertRule{WorkspaceID: ws1, ID: "r1", Name: "slow", Metric: "latency_p95", Operator: ">", Threshold: 2000,
		Window: model.Duration(5 * time.Minute), Severity: "critical", Channels: []string{"webhook"}, Enabled: true,
		CreatedAt: t0, UpdatedAt: t0}
	r.ApplyDefaults()
	r2 := r
	r2.WorkspaceID, r2.ID, r2.CreatedAt = ws2, "r2", t0.Add(time.Second)
	for _, x := range []model.AlertRule{r, r2} {
		if err := s.PutAlertRule(ctx(), x); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetAlertRule(ctx(), ws1, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, *got); diff != "" {
		t.Errorf("GetAlertRule (-want +got):\n%s", diff)
	}
	if _, err := s.GetAlertRule(ctx(), ws2, "r1"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("rule of another workspace: err = %v, want not found", err)
	}
	r.Threshold, r.UpdatedAt = 3000, t0.Add(time.Minute)
	if err := s.PutAlertRule(ctx(), r); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListAlertRules(ctx(), ws1)
	if err != nil || len(list) != 1 || list[0].Threshold != 3000 {
		t.Fatalf("ListAlertRules(ws1) = %+v, %v", list, err)
	}
	all, err := s.ListAlertRules(ctx(), "")
	if err != nil || len(all) != 2 || all[1].WorkspaceID != ws2 {
		t.Fatalf("ListAlertRules(all) = %+v, %v", all, err)
	}
	if err := s.PutAlertInstances(ctx(), []model.AlertInstance{{WorkspaceID: ws1, RuleID: "r1", GroupKey: "", State: model.StateFiring}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAlertRule(ctx(), ws1, "r1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAlertRule(ctx(), ws1, "r1"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("second delete: err = %v, want not found", err)
	}
	if in, err := s.ListAlertInstances(ctx(), ws1, "r1"); err != nil || len(in) != 0 {
		t.Errorf("state of a deleted rule = %+v, %v", in, err)
	}
}

func testAlertEpisodes(t *testing.T, s store.Store) {
	a := model.Alert{WorkspaceID: ws1, ID: "a1", RuleID: "r1", Severity: "critical", Status: model.StateFiring, Title: "slow",
		Description: "p95 3000 > 2000", AgentID: "bot", TriggeredAt: t0, GroupKey: "bot", Labels: map[string]string{"agent": "bot"},
		Value: 3000, Threshold: 2000}
	b := a
	b.ID, b.TriggeredAt, b.Status = "a2", t0.Add(time.Hour), model.StateResolved
	resolved := t0.Add(2 * time.Hour)
	b.ResolvedAt = &resolved
	for _, x := range []model.Alert{a, b} {
		if err := s.PutAlert(ctx(), x); err != nil {
			t.Fatal(err)
		}
	}
	ack := t0.Add(time.Minute)
	a.Status, a.AcknowledgedAt, a.AcknowledgedBy, a.LastError = model.StateAcknowledged, &ack, "user:u1", "slack: 404"
	if err := s.PutAlert(ctx(), a); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAlert(ctx(), ws1, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, *got); diff != "" {
		t.Errorf("GetAlert (-want +got):\n%s", diff)
	}
	active, err := s.QueryAlerts(ctx(), ws1, "active", 10)
	if err != nil || len(active) != 1 || active[0].ID != "a1" {
		t.Errorf("active alerts = %+v, %v", active, err)
	}
	all, err := s.QueryAlerts(ctx(), ws1, "", 10)
	if err != nil || len(all) != 2 || all[0].ID != "a2" {
		t.Errorf("all alerts = %+v, %v", all, err)
	}
	if an, ok := s.(store.Analytics); ok {
		if recent, err := an.ListAlerts(ctx(), ws1, 10); err != nil || len(recent) != 2 {
			t.Errorf("ListAlerts = %+v, %v", recent, err)
		}
	}
	if other, err := s.QueryAlerts(ctx(), ws2, "", 10); err != nil || len(other) != 0 {
		t.Errorf("another workspace sees %+v, %v", other, err)
	}
	if _, err := s.GetAlert(ctx(), ws2, "a1"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("GetAlert of another workspace: %v", err)
	}
}

func testAlertState(t *testing.T, s store.Store) {
	in := []model.AlertInstance{
		{WorkspaceID: ws1, RuleID: "r1", GroupKey: "b", State: model.StatePending, Since: t0, Value: 3},
		{WorkspaceID: ws1, RuleID: "r1", GroupKey: "a", State: model.StateFiring, Since: t0, AlertID: "a1", Value: 4, EvaluatedAt: t0},
	}
	if err := s.PutAlertInstances(ctx(), in); err != nil {
		t.Fatal(err)
	}
	in[0].State = model.StateFiring
	if err := s.PutAlertInstances(ctx(), in[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListAlertInstances(ctx(), ws1, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]model.AlertInstance{in[1], in[0]}, got); diff != "" {
		t.Errorf("ListAlertInstances (-want +got):\n%s", diff)
	}
	v := 4.5
	ev := []model.AlertEvaluation{
		{WorkspaceID: ws1, RuleID: "r1", GroupKey: "a", Time: t0, State: model.StateNormal, Value: &v, Samples: 30,
			WindowFrom: t0.Add(-5 * time.Minute), WindowTo: t0},
		{WorkspaceID: ws1, RuleID: "r1", GroupKey: "a", AlertID: "a1", Time: t0.Add(time.Minute), State: model.StateFiring, Value: &v,
			Baseline: &v, PValue: &v, Samples: 31, WindowFrom: t0.Add(-4 * time.Minute), WindowTo: t0.Add(time.Minute), Message: "m"},
	}
	if err := s.AddAlertEvaluations(ctx(), ev); err != nil {
		t.Fatal(err)
	}
	hist, err := s.ListAlertEvaluations(ctx(), ws1, "r1", "a", 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]model.AlertEvaluation{ev[1], ev[0]}, hist); diff != "" {
		t.Errorf("ListAlertEvaluations (-want +got):\n%s", diff)
	}
	if hist, _ := s.ListAlertEvaluations(ctx(), ws2, "r1", "a", 10); len(hist) != 0 {
		t.Errorf("another workspace sees evaluations %+v", hist)
	}
}

func testSilences(t *testing.T, s store.Store) {
	sl := model.Silence{WorkspaceID: ws1, ID: "s1", Matchers: []model.AlertMatcher{{Name: "agent", Value: "bot"}},
		StartsAt: t0, EndsAt: t0.Add(time.Hour), Comment: "deploy", CreatedBy: "user:u", CreatedAt: t0}
	old := sl
	old.ID, old.EndsAt = "s0", t0.Add(-time.Minute)
	for _, x := range []model.Silence{sl, old} {
		if err := s.PutSilence(ctx(), x); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ListSilences(ctx(), ws1, t0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]model.Silence{sl}, got); diff != "" {
		t.Errorf("ListSilences (-want +got):\n%s", diff)
	}
	if err := s.DeleteSilence(ctx(), ws2, "s1"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("delete from another workspace: %v", err)
	}
	if err := s.DeleteSilence(ctx(), ws1, "s1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ListSilences(ctx(), ws1, t0); len(got) != 0 {
		t.Errorf("after delete: %+v", got)
	}
}

func testIntegrations(t *testing.T, s store.Store) {
	if err := s.PutIntegration(ctx(), ws1, "webhook", "sealed-1", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIntegration(ctx(), ws1, "webhook", "sealed-2", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	sealed, at, err := s.GetIntegration(ctx(), ws1, "webhook")
	if err != nil || sealed != "sealed-2" || !at.Equal(t0.Add(time.Minute)) {
		t.Errorf("GetIntegration = %q, %v, %v", sealed, at, err)
	}
	if _, _, err := s.GetIntegration(ctx(), ws2, "webhook"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("another workspace: %v", err)
	}
	list, err := s.ListIntegrations(ctx(), ws1)
	if err != nil || len(list) != 1 {
		t.Errorf("ListIntegrations = %v, %v", list, err)
	}
	if err := s.DeleteIntegration(ctx(), ws1, "webhook"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteIntegration(ctx(), ws1, "webhook"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("second delete: %v", err)
	}
}

func testNotificationQueue(t *testing.T, s store.Store) {
	n := model.Notification{WorkspaceID: ws1, DedupKey: "r1/webhook/1", AlertID: "a1", Channel: "webhook", Kind: "firing",
		Payload: `{"x":1}`, State: model.NotifyPending, NextAt: t0, CreatedAt: t0}
	for i, want := range []bool{true, false} {
		stored, err := s.EnqueueNotification(ctx(), n)
		if err != nil || stored != want {
			t.Fatalf("enqueue #%d = %v, %v; want %v", i, stored, err, want)
		}
	}
	later := n
	later.DedupKey, later.NextAt = "r1/webhook/2", t0.Add(time.Hour)
	if _, err := s.EnqueueNotification(ctx(), later); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimNotifications(ctx(), t0, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].DedupKey != n.DedupKey || got[0].Payload != n.Payload {
		t.Fatalf("claim = %+v, %v", got, err)
	}
	if again, _ := s.ClaimNotifications(ctx(), t0.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
		t.Fatalf("a claimed notification was claimed again: %+v", again)
	}
	// The claim of a sender that died expires.
	got, _ = s.ClaimNotifications(ctx(), t0.Add(time.Minute), time.Minute, 10)
	if len(got) != 1 {
		t.Fatalf("expired claim not reclaimed: %+v", got)
	}
	sent := t0.Add(61 * time.Second)
	got[0].State, got[0].Attempts, got[0].SentAt = model.NotifySent, 1, &sent
	if err := s.UpdateNotification(ctx(), got[0]); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.ClaimNotifications(ctx(), t0.Add(2*time.Hour), time.Minute, 10); len(again) != 1 || again[0].DedupKey != later.DedupKey {
		t.Fatalf("after sending: claim = %+v", again)
	}
	list, err := s.ListNotifications(ctx(), ws1, "a1")
	if err != nil || len(list) != 2 || list[0].State != model.NotifySent || list[0].SentAt == nil || !list[0].SentAt.Equal(sent) {
		t.Errorf("ListNotifications = %+v, %v", list, err)
	}
	if other, _ := s.ListNotifications(ctx(), ws2, ""); len(other) != 0 {
		t.Errorf("another workspace sees %+v", other)
	}
	if err := s.PutAlertGroup(ctx(), ws1, "r1/webhook", `{"seq":1}`); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAlertGroup(ctx(), ws1, "r1/webhook", `{"seq":2}`); err != nil {
		t.Fatal(err)
	}
	if g, err := s.GetAlertGroup(ctx(), ws1, "r1/webhook"); err != nil || g != `{"seq":2}` {
		t.Errorf("GetAlertGroup = %q, %v", g, err)
	}
	if g, err := s.GetAlertGroup(ctx(), ws2, "r1/webhook"); err != nil || g != "" {
		t.Errorf("GetAlertGroup of another workspace = %q, %v", g, err)
	}
	if err := s.PutAlertGroups(ctx(), []store.AlertGroupState{{WorkspaceID: ws1, Key: "r1/webhook", State: `{"seq":3}`},
		{WorkspaceID: ws2, Key: "r1/webhook", State: `{"seq":1}`}}); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.GetAlertGroup(ctx(), ws1, "r1/webhook"); g != `{"seq":3}` {
		t.Errorf("after PutAlertGroups: %q", g)
	}
	// A batch stores each key once, ignoring keys already queued.
	batch := []model.Notification{n, later, n}
	batch[1].DedupKey, batch[2].DedupKey = "r1/webhook/3", "r1/webhook/3"
	if err := s.EnqueueNotifications(ctx(), batch); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.ListNotifications(ctx(), ws1, "a1"); len(list) != 3 {
		t.Errorf("after a batch with one new key: %d notifications", len(list))
	}
}

func testLease(t *testing.T, s store.Store) {
	steps := []struct {
		holder string
		at     time.Duration
		want   bool
	}{
		{"p1", 0, true},
		{"p2", 10 * time.Second, false},
		{"p1", 20 * time.Second, true}, // renews until 50s
		{"p2", 45 * time.Second, false},
		{"p2", 50 * time.Second, true}, // p1 stopped renewing
		{"p1", 55 * time.Second, false},
	}
	for _, st := range steps {
		got, err := s.AcquireLease(ctx(), "alert", st.holder, t0.Add(st.at), 30*time.Second)
		if err != nil || got != st.want {
			t.Errorf("%s at %s: %v, %v; want %v", st.holder, st.at, got, err, st.want)
		}
	}
}

func testSignalStats(t *testing.T, s store.Store) {
	mustWrite(t, s,
		model.Trace{WorkspaceID: ws1, TraceID: "t1", AgentID: "a", Name: "n", StartTime: t0, Model: "m1", Status: model.StatusSuccess,
			Scores: []model.Score{{ScoreID: "s1", Name: "relevance", Value: 0.5, Source: model.ScoreSourceEval, CreatedAt: t0},
				{ScoreID: "s2", Name: "relevance", Value: 1, Source: model.ScoreSourceHuman, CreatedAt: t0}}},
		model.Trace{WorkspaceID: ws1, TraceID: "t2", AgentID: "b", Name: "n", StartTime: t0, Model: "m2", Status: model.StatusSuccess,
			Scores: []model.Score{{ScoreID: "s1", Name: "relevance", Value: 0.9, Source: model.ScoreSourceEval, CreatedAt: t0.Add(time.Minute)},
				{ScoreID: "s3", Name: "tone", Value: 0.1, Source: model.ScoreSourceEval, CreatedAt: t0}}},
	)
	if err := s.WriteViolations(ctx(), []model.Violation{
		{WorkspaceID: ws1, ID: "v1", Time: t0, TraceID: "t1", AgentID: "a", Type: "pii", Subtype: "email", Severity: "high", Action: "flag"},
		{WorkspaceID: ws1, ID: "v2", Time: t0, TraceID: "t2", AgentID: "b", Type: "pii", Subtype: "phone", Severity: "high", Action: "flag"},
		{WorkspaceID: ws1, ID: "v3", Time: t0, TraceID: "gone", AgentID: "b", Type: "toxicity", Severity: "high", Action: "flag"},
	}); err != nil {
		t.Fatal(err)
	}
	f := store.TraceFilter{WorkspaceID: ws1, From: t0, To: t0.Add(time.Hour)}
	cases := []struct {
		name string
		q    store.SignalQuery
		want []store.SignalRow
	}{
		{"eval relevance", store.SignalQuery{Filter: f, Name: "relevance", ScoreSources: []string{"eval"}}, []store.SignalRow{{Key: "", Count: 2, Sum: 1.4}}},
		{"eval by model", store.SignalQuery{Filter: f, ScoreSources: []string{"eval"}, GroupBy: store.DimModel},
			[]store.SignalRow{{Key: "m1", Count: 1, Sum: 0.5}, {Key: "m2", Count: 2, Sum: 1}}},
		{"human", store.SignalQuery{Filter: f, ScoreSources: []string{"human"}}, []store.SignalRow{{Key: "", Count: 1, Sum: 1}}},
		{"filtered by agent", func() store.SignalQuery {
			ff := f
			ff.AgentIDs = []string{"b"}
			return store.SignalQuery{Filter: ff, Name: "relevance"}
		}(), []store.SignalRow{{Key: "", Count: 1, Sum: 0.9}}},
		{"violations by agent", store.SignalQuery{Filter: f, Violations: true, GroupBy: store.DimAgent},
			[]store.SignalRow{{Key: "a", Count: 1}, {Key: "b", Count: 2}}},
		{"pii violations by model", store.SignalQuery{Filter: f, Violations: true, Name: "pii", GroupBy: store.DimModel},
			[]store.SignalRow{{Key: "m1", Count: 1}, {Key: "m2", Count: 1}}},
		{"outside the window", store.SignalQuery{Filter: store.TraceFilter{WorkspaceID: ws1, From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)}}, []store.SignalRow{}},
	}
	for _, c := range cases {
		got, err := s.SignalStats(ctx(), c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if diff := cmp.Diff(c.want, got, cmp.Comparer(func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 })); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}
