// Package storetest is the conformance suite every store backend runs. A backend calls
// Run from its own test with a constructor for a fresh, migrated store; it may skip a test
// only by naming it.
package storetest

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

//go:embed fixtures/*.json
var fixtures embed.FS

// Open returns a fresh, migrated store; the suite closes it.
type Open func(t *testing.T) store.Store

// Run runs every conformance test against stores made by open.
func Run(t *testing.T, open Open, skip ...string) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"MigrateIsIdempotent", testMigrateIdempotent},
		{"Workspaces", testWorkspaces},
		{"APIKeys", testAPIKeys},
		{"FlatTraceReadsAsOneLLMSpan", testFlatTrace},
		{"SpanTreeRollUp", testSpanTreeRollUp},
		{"RewriteIsIdempotent", testRewriteIdempotent},
		{"LaterSpanVersionWins", testLaterSpanVersionWins},
		{"SpansAcrossWrites", testSpansAcrossWrites},
		{"DuplicatesInOneBatch", testDuplicatesInOneBatch},
		{"FlatRetryAfterSpans", testFlatAfterSpans},
		{"Scores", testScores},
		{"AgentsRegistry", testAgents},
		{"WorkspaceIsolation", testWorkspaceIsolation},
		{"TraceNotFound", testNotFound},
		{"StoredTraceIDs", testStoredTraceIDs},
		{"DeadLetters", testDeadLetters},
		{"Activity", testActivity},
		{"LargeBatch", testLargeBatch},
		{"LogPosition", testLogPosition},
		{"Analytics", testAnalytics},
		{"TextSearch", testTextSearch},
		{"SessionsInWindow", testSessionsInWindow},
		{"RootArrivesLast", testRootArrivesLast},
		{"Accounts", testAccounts},
		{"Evaluations", testEvaluations},
		{"EvaluatorDefs", testEvaluatorDefs},
		{"SessionEvaluations", testSessionEvaluations},
		{"JudgeCompanion", testJudgeCompanion},
		{"Ingestion", testIngestion},
		{"ABTests", testABTests},
		{"ViolationPages", testViolationPages},
		{"GuardrailRulesAndSettings", testGuardrailRulesAndSettings},
		{"Alerting", testAlerting},
		{"Retention", testRetention},
		{"Insights", testInsights},
	}
	skipped := map[string]bool{}
	for _, s := range skip {
		skipped[s] = true
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if skipped[tc.name] {
				t.Skipf("skipped by the backend")
			}
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

const ws1 = "11111111-1111-4111-8111-111111111111"
const ws2 = "22222222-2222-4222-8222-222222222222"

func ctx() context.Context { return context.Background() }

func mustWrite(t *testing.T, s store.Store, traces ...model.Trace) {
	t.Helper()
	if err := s.WriteTraces(ctx(), traces); err != nil {
		t.Fatalf("WriteTraces: %v", err)
	}
}

func mustGet(t *testing.T, s store.Store, ws, id string) *model.Trace {
	t.Helper()
	got, err := s.GetTrace(ctx(), ws, id)
	if err != nil {
		t.Fatalf("GetTrace(%s): %v", id, err)
	}
	return got
}

func flat(ws, id string) model.Trace {
	return model.Trace{
		WorkspaceID: ws, TraceID: id, AgentID: "support-bot", Name: "support-bot",
		StartTime: t0, Status: model.StatusSuccess, Input: "hi", Output: "hello",
		Model: "gpt-4o-mini", Provider: "openai", Tags: []string{"a"}, Metadata: json.RawMessage(`{"k":"v"}`),
		Declared: model.Declared{Status: model.StatusSuccess, LatencyMs: model.Int64(250),
			TokensInput: model.Int64(100), TokensOutput: model.Int64(20), TokensTotal: model.Int64(120), CostUSD: model.Float64(0.001)},
	}
}

// fixtureTrace decodes an embedded fixture: a trace in the read-back JSON shape plus declared_status.
func fixtureTrace(t *testing.T, name, ws string) model.Trace {
	t.Helper()
	raw, err := fixtures.ReadFile("fixtures/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		model.Trace
		DeclaredStatus model.Status `json:"declared_status"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	tr := f.Trace
	tr.WorkspaceID = ws
	tr.Declared.Status = f.DeclaredStatus
	for i := range tr.Spans {
		tr.Spans[i].WorkspaceID, tr.Spans[i].TraceID = ws, tr.TraceID
	}
	return tr
}

func isCode(err error, code string) bool {
	var e *model.Error
	return errors.As(err, &e) && e.Code == code
}

func testMigrateIdempotent(t *testing.T, s store.Store) {
	v, err := s.SchemaVersion(ctx())
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion = %d, %v; want >= 1", v, err)
	}
	n, err := s.Migrate(ctx())
	if err != nil || n != 0 {
		t.Fatalf("second Migrate = %d, %v; want 0, nil", n, err)
	}
	if err := s.Ping(ctx()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testWorkspaces(t *testing.T, s store.Store) {
	ws := model.Workspace{ID: ws1, Name: "Default", CreatedAt: t0}
	if err := s.CreateWorkspace(ctx(), ws); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateWorkspace(ctx(), ws); !isCode(err, model.ECONFLICT) {
		t.Fatalf("duplicate CreateWorkspace = %v, want conflict", err)
	}
	got, err := s.GetWorkspace(ctx(), ws1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&ws, got); diff != "" {
		t.Errorf("GetWorkspace (-want +got):\n%s", diff)
	}
	if _, err := s.GetWorkspace(ctx(), "nope"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("GetWorkspace(unknown) = %v, want not found", err)
	}
	if err := s.CreateWorkspace(ctx(), model.Workspace{ID: ws2, Name: "Second", CreatedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListWorkspaces(ctx())
	if err != nil || len(list) != 2 || list[0].ID != ws1 || list[1].ID != ws2 {
		t.Fatalf("ListWorkspaces = %+v, %v", list, err)
	}
}

func testAPIKeys(t *testing.T, s store.Store) {
	revoked := t0.Add(time.Minute)
	keys := []model.APIKey{
		{ID: "k1", WorkspaceID: ws1, Name: "bootstrap", Prefix: "ao_12345", Hash: "hash-1", CreatedAt: t0},
		{ID: "k2", WorkspaceID: ws1, Name: "old", Prefix: "ao_99999", Hash: "hash-2", CreatedAt: t0, RevokedAt: &revoked},
	}
	for _, k := range keys {
		if err := s.CreateAPIKey(ctx(), k); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.APIKeyByHash(ctx(), "hash-1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&keys[0], got); diff != "" {
		t.Errorf("APIKeyByHash (-want +got):\n%s", diff)
	}
	if _, err := s.APIKeyByHash(ctx(), "hash-2"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("revoked key lookup = %v, want not found", err)
	}
	if _, err := s.APIKeyByHash(ctx(), "nope"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("unknown key lookup = %v, want not found", err)
	}
	list, err := s.ListAPIKeys(ctx(), ws1)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListAPIKeys = %+v, %v", list, err)
	}
	if err := s.CreateAPIKey(ctx(), model.APIKey{ID: "k3", WorkspaceID: ws1, Name: "dup", Prefix: "x", Hash: "hash-1", CreatedAt: t0}); !isCode(err, model.ECONFLICT) {
		t.Errorf("duplicate hash = %v, want conflict", err)
	}
}

func testFlatTrace(t *testing.T, s store.Store) {
	in := flat(ws1, "t-flat")
	mustWrite(t, s, in)
	got := mustGet(t, s, ws1, "t-flat")
	if got.SpanCount != 0 || len(got.Spans) != 1 {
		t.Fatalf("flat trace: span_count=%d spans=%d, want 0 stored and 1 presented", got.SpanCount, len(got.Spans))
	}
	root := got.Spans[0]
	if root.SpanID != model.RootSpanID || root.Kind != model.KindLLM || root.Model != "gpt-4o-mini" || *root.TokensInput != 100 || root.Input != "hi" {
		t.Errorf("root span = %+v", root)
	}
	if *got.TokensTotal != 120 || *got.CostUSD != 0.001 || got.LatencyMs != 250 || got.Status != model.StatusSuccess {
		t.Errorf("totals: tokens=%v cost=%v latency=%d status=%s", *got.TokensTotal, *got.CostUSD, got.LatencyMs, got.Status)
	}
	if !got.EndTime.Equal(t0.Add(250*time.Millisecond)) || !got.StartTime.Equal(t0) {
		t.Errorf("times: %v .. %v", got.StartTime, got.EndTime)
	}
	if diff := cmp.Diff([]string{"a"}, got.Tags); diff != "" {
		t.Errorf("tags: %s", diff)
	}
	var meta map[string]any
	if err := json.Unmarshal(got.Metadata, &meta); err != nil || meta["k"] != "v" {
		t.Errorf("metadata = %s, %v", got.Metadata, err)
	}
	n, err := s.CountTraces(ctx(), ws1)
	if err != nil || n != 1 {
		t.Errorf("CountTraces = %d, %v", n, err)
	}
}

func testSpanTreeRollUp(t *testing.T, s store.Store) {
	in := fixtureTrace(t, "agent_run.json", ws1)
	mustWrite(t, s, in)
	got := mustGet(t, s, ws1, "run-1")
	if got.SpanCount != 5 || got.ErrorSpanCount != 1 || len(got.Spans) != 5 {
		t.Fatalf("span_count=%d error_span_count=%d spans=%d", got.SpanCount, got.ErrorSpanCount, len(got.Spans))
	}
	if got.Status != model.StatusError {
		t.Errorf("status = %s, want error (a span failed)", got.Status)
	}
	if *got.TokensInput != 2000 || *got.TokensOutput != 400 || *got.TokensCached != 200 || *got.TokensTotal != 2400 {
		t.Errorf("tokens = %d/%d/%d/%d", *got.TokensInput, *got.TokensOutput, *got.TokensCached, *got.TokensTotal)
	}
	if got.CostUSD == nil || *got.CostUSD != 0.00036 {
		t.Errorf("cost = %v, want the sum of priced spans", got.CostUSD)
	}
	if got.Model != "gpt-4o-mini" {
		t.Errorf("model = %q, want the first llm span's", got.Model)
	}
	if !got.EndTime.Equal(t0.Add(4*time.Second)) || got.LatencyMs != 4000 {
		t.Errorf("end=%v latency=%d", got.EndTime, got.LatencyMs)
	}
	ids := []string{}
	for _, sp := range got.Spans {
		ids = append(ids, sp.SpanID)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e"}, ids); diff != "" {
		t.Errorf("span order by start time (-want +got):\n%s", diff)
	}
	want := in.Spans[2]
	gotC := got.Spans[2]
	gotC.WorkspaceID, gotC.TraceID = want.WorkspaceID, want.TraceID
	if diff := cmp.Diff(want, gotC, cmpopts.EquateEmpty(), cmp.Comparer(jsonEqual)); diff != "" {
		t.Errorf("llm span round trip (-want +got):\n%s", diff)
	}
	if got.Spans[3].StatusMessage != "timeout talking to orders" || got.Spans[1].ParentSpanID != "a" {
		t.Errorf("span fields lost: %+v", got.Spans[3])
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return cmp.Equal(x, y)
}

func testRewriteIdempotent(t *testing.T, s store.Store) {
	run := fixtureTrace(t, "agent_run.json", ws1)
	mustWrite(t, s, run, flat(ws1, "t-1"))
	first := mustGet(t, s, ws1, "run-1")
	mustWrite(t, s, run, flat(ws1, "t-1"))
	mustWrite(t, s, flat(ws1, "t-1"))
	second := mustGet(t, s, ws1, "run-1")
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("rewrite changed the trace (-first +second):\n%s", diff)
	}
	if n, _ := s.CountTraces(ctx(), ws1); n != 2 {
		t.Errorf("CountTraces = %d after retries, want 2", n)
	}
	if f := mustGet(t, s, ws1, "t-1"); *f.TokensTotal != 120 {
		t.Errorf("flat retry changed tokens to %d", *f.TokensTotal)
	}
}

func testLaterSpanVersionWins(t *testing.T, s store.Store) {
	run := fixtureTrace(t, "agent_run.json", ws1)
	mustWrite(t, s, run)
	fixed := run
	fixed.Spans = append([]model.Span(nil), run.Spans...)
	fixed.Spans[3].Status = model.StatusSuccess
	fixed.Spans[3].StatusMessage = ""
	fixed.Spans[4].TokensOutput = model.Int64(200)
	fixed.Spans[4].TokensTotal = model.Int64(1000)
	mustWrite(t, s, fixed)
	got := mustGet(t, s, ws1, "run-1")
	if got.Status != model.StatusSuccess || got.ErrorSpanCount != 0 {
		t.Errorf("status=%s errors=%d after the failed span was corrected", got.Status, got.ErrorSpanCount)
	}
	if *got.TokensOutput != 500 || *got.TokensTotal != 2500 || got.SpanCount != 5 {
		t.Errorf("tokens out=%d total=%d spans=%d", *got.TokensOutput, *got.TokensTotal, got.SpanCount)
	}
}

func testSpansAcrossWrites(t *testing.T, s store.Store) {
	run := fixtureTrace(t, "agent_run.json", ws1)
	part1, part2 := run, run
	part1.Spans = run.Spans[:2]
	part2.Spans = run.Spans[2:]
	mustWrite(t, s, part1)
	mustWrite(t, s, part2)
	got := mustGet(t, s, ws1, "run-1")
	if got.SpanCount != 5 || *got.TokensTotal != 2400 || got.ErrorSpanCount != 1 || got.Status != model.StatusError {
		t.Errorf("after two parts: spans=%d tokens=%v errors=%d status=%s", got.SpanCount, *got.TokensTotal, got.ErrorSpanCount, got.Status)
	}
	// The first part carried no tokens: the trace must not keep a stale total.
	mustWrite(t, s, part1)
	if again := mustGet(t, s, ws1, "run-1"); *again.TokensTotal != 2400 || again.SpanCount != 5 {
		t.Errorf("re-sending part 1 changed totals: %d spans=%d", *again.TokensTotal, again.SpanCount)
	}
}

func testDuplicatesInOneBatch(t *testing.T, s store.Store) {
	run := fixtureTrace(t, "agent_run.json", ws1)
	part1, part2 := run, run
	part1.Spans = run.Spans[:3]
	part2.Spans = run.Spans[2:]
	a, b := flat(ws1, "dup"), flat(ws1, "dup")
	b.Output = "second version"
	mustWrite(t, s, part1, a, part2, b)
	got := mustGet(t, s, ws1, "run-1")
	if got.SpanCount != 5 || *got.TokensTotal != 2400 {
		t.Errorf("merged in batch: spans=%d tokens=%d", got.SpanCount, *got.TokensTotal)
	}
	if d := mustGet(t, s, ws1, "dup"); d.Output != "second version" {
		t.Errorf("later duplicate did not win: %q", d.Output)
	}
	if n, _ := s.CountTraces(ctx(), ws1); n != 2 {
		t.Errorf("CountTraces = %d, want 2", n)
	}
}

func testFlatAfterSpans(t *testing.T, s store.Store) {
	run := fixtureTrace(t, "agent_run.json", ws1)
	mustWrite(t, s, run)
	header := run
	header.Spans = nil
	header.Output = "final answer"
	mustWrite(t, s, header)
	got := mustGet(t, s, ws1, "run-1")
	if got.SpanCount != 5 || *got.TokensTotal != 2400 || got.Output != "final answer" {
		t.Errorf("trace header after spans: spans=%d tokens=%d output=%q", got.SpanCount, *got.TokensTotal, got.Output)
	}
}

func testScores(t *testing.T, s store.Store) {
	tr := flat(ws1, "scored")
	tr.Scores = []model.Score{
		{ScoreID: "helpfulness", Name: "helpfulness", Value: 0.5, Source: model.ScoreSourceAPI, CreatedAt: t0},
		{ScoreID: "thumbs", Name: "thumbs", Value: 1, Source: model.ScoreSourceHuman, Comment: "great", CreatedAt: t0.Add(time.Second)},
	}
	mustWrite(t, s, tr)
	tr.Scores = []model.Score{{ScoreID: "helpfulness", Name: "helpfulness", Value: 0.9, Source: model.ScoreSourceEval, CreatedAt: t0.Add(time.Hour)}}
	mustWrite(t, s, tr)
	got := mustGet(t, s, ws1, "scored")
	if len(got.Scores) != 2 {
		t.Fatalf("scores = %+v, want 2", got.Scores)
	}
	if got.Scores[0].ScoreID != "helpfulness" || got.Scores[0].Value != 0.9 || got.Scores[0].Source != model.ScoreSourceEval {
		t.Errorf("score not replaced: %+v", got.Scores[0])
	}
	if got.Scores[1].Comment != "great" {
		t.Errorf("score comment lost: %+v", got.Scores[1])
	}
}

func testAgents(t *testing.T, s store.Store) {
	a := flat(ws1, "x1")
	b := flat(ws1, "x2")
	b.StartTime = t0.Add(48 * time.Hour)
	b.Model = "claude-haiku-4-5"
	run := fixtureTrace(t, "agent_run.json", ws1)
	mustWrite(t, s, a)
	mustWrite(t, s, b, run)
	got, err := s.ListAgents(ctx(), ws1)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Agent{
		{WorkspaceID: ws1, AgentID: "research-agent", FirstSeen: t0, LastSeen: t0, Models: []string{"claude-haiku-4-5", "gpt-4o-mini"}},
		{WorkspaceID: ws1, AgentID: "support-bot", FirstSeen: t0, LastSeen: t0.Add(48 * time.Hour), Models: []string{"claude-haiku-4-5", "gpt-4o-mini"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListAgents (-want +got):\n%s", diff)
	}
}

func testWorkspaceIsolation(t *testing.T, s store.Store) {
	a, b := flat(ws1, "same"), flat(ws2, "same")
	b.Output = "other workspace"
	mustWrite(t, s, a, b)
	if got := mustGet(t, s, ws1, "same"); got.Output != "hello" {
		t.Errorf("ws1 sees %q", got.Output)
	}
	if got := mustGet(t, s, ws2, "same"); got.Output != "other workspace" {
		t.Errorf("ws2 sees %q", got.Output)
	}
	if n, _ := s.CountTraces(ctx(), ws2); n != 1 {
		t.Errorf("CountTraces(ws2) = %d", n)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	mustWrite(t, s, flat(ws1, "exists"))
	if _, err := s.GetTrace(ctx(), ws1, "missing"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("GetTrace(missing) = %v, want not found", err)
	}
	if _, err := s.GetTrace(ctx(), ws2, "exists"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("GetTrace(other workspace) = %v, want not found", err)
	}
}

func testStoredTraceIDs(t *testing.T, s store.Store) {
	mustWrite(t, s, flat(ws1, "a"), flat(ws1, "b"), flat(ws2, "c"))
	got, err := s.StoredTraceIDs(ctx(), ws1, []string{"b", "c", "missing", "a", "a"})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "a,b" {
		t.Errorf("StoredTraceIDs = %v, want a and b (c is another workspace's)", got)
	}
	if got, err := s.StoredTraceIDs(ctx(), ws1, nil); err != nil || len(got) != 0 {
		t.Errorf("StoredTraceIDs(none) = %v, %v", got, err)
	}
}

func testDeadLetters(t *testing.T, s store.Store) {
	for i := 0; i < 3; i++ {
		dl := model.DeadLetter{ID: fmt.Sprintf("dl-%d", i), WorkspaceID: ws1, Source: "rest", Reason: "boom",
			Payload: []byte(fmt.Sprintf(`{"n":%d}`, i)), CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
		if err := s.AddDeadLetter(ctx(), dl); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.ListDeadLetters(ctx(), ws1, true, 10)
	if err != nil || len(list) != 3 || list[0].ID != "dl-2" {
		t.Fatalf("ListDeadLetters = %+v, %v", list, err)
	}
	at := t0.Add(time.Hour)
	if err := s.MarkDeadLetterReplayed(ctx(), ws1, "dl-1", &at, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDeadLetterReplayed(ctx(), ws1, "dl-0", nil, "still failing"); err != nil {
		t.Fatal(err)
	}
	pending, _ := s.ListDeadLetters(ctx(), ws1, true, 10)
	if len(pending) != 2 {
		t.Errorf("pending = %d, want 2", len(pending))
	}
	got, err := s.GetDeadLetter(ctx(), ws1, "dl-0")
	if err != nil || got.Attempts != 1 || got.Reason != "still failing" || string(got.Payload) != `{"n":0}` || got.ReplayedAt != nil {
		t.Errorf("GetDeadLetter = %+v, %v", got, err)
	}
	replayed, _ := s.GetDeadLetter(ctx(), ws1, "dl-1")
	if replayed.ReplayedAt == nil || !replayed.ReplayedAt.Equal(at) || replayed.Reason != "boom" {
		t.Errorf("replayed letter = %+v", replayed)
	}
	if _, err := s.GetDeadLetter(ctx(), ws2, "dl-0"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("other workspace sees the letter: %v", err)
	}
	if err := s.MarkDeadLetterReplayed(ctx(), ws1, "nope", nil, ""); !isCode(err, model.ENOTFOUND) {
		t.Errorf("MarkDeadLetterReplayed(unknown) = %v", err)
	}
}

func testActivity(t *testing.T, s store.Store) {
	events := []model.Event{
		{WorkspaceID: ws1, ID: "e1", Time: t0, Type: "deployment", AgentID: "a", Title: "v2 deployed", Severity: "info", Details: json.RawMessage(`{"version":"2"}`)},
		{WorkspaceID: ws1, ID: "e2", Time: t0.Add(time.Hour), Type: "incident", AgentID: "a", Title: "latency spike", Severity: "warning", Details: json.RawMessage(`{}`)},
	}
	if err := s.WriteEvents(ctx(), events); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteEvents(ctx(), events[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListEvents(ctx(), ws1, 10)
	if err != nil || len(got) != 2 || got[0].ID != "e2" {
		t.Fatalf("ListEvents = %+v, %v", got, err)
	}
	vs := []model.Violation{{WorkspaceID: ws1, ID: "v1", Time: t0, TraceID: "t", AgentID: "a", Type: "pii", Subtype: "email", Severity: "high", Action: "redacted", Detail: "email in output"}}
	if err := s.WriteViolations(ctx(), vs); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteViolations(ctx(), vs); err != nil {
		t.Fatal(err)
	}
	gotV, err := s.ListViolations(ctx(), ws1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(vs, gotV); diff != "" {
		t.Errorf("ListViolations (-want +got):\n%s", diff)
	}
}

func testLargeBatch(t *testing.T, s store.Store) {
	batch := make([]model.Trace, 0, 2000)
	for i := 0; i < 2000; i++ {
		tr := flat(ws1, fmt.Sprintf("bulk-%04d", i))
		tr.StartTime = t0.Add(time.Duration(i) * time.Second)
		batch = append(batch, tr)
	}
	mustWrite(t, s, batch...)
	mustWrite(t, s, batch[1000:]...)
	if n, _ := s.CountTraces(ctx(), ws1); n != 2000 {
		t.Errorf("CountTraces = %d, want 2000", n)
	}
}

// testLogPosition: a log position is stored with the traces it covers, moves with each
// write, can be stored alone, and belongs to one log id.
func testLogPosition(t *testing.T, s store.Store) {
	ws := ws1
	if got, err := s.LogPosition(ctx(), "log-a"); err != nil || got != 0 {
		t.Fatalf("position of an unknown log = %d, %v", got, err)
	}
	if err := s.WriteTracesAt(ctx(), []model.Trace{flat(ws, "p1"), flat(ws, "p2")}, model.LogPosition{LogID: "log-a", Seq: 7}); err != nil {
		t.Fatal(err)
	}
	mustGet(t, s, ws, "p1")
	// The slow path (a trace already stored) keeps the position too.
	if err := s.WriteTracesAt(ctx(), []model.Trace{flat(ws, "p1"), flat(ws, "p3")}, model.LogPosition{LogID: "log-a", Seq: 9}); err != nil {
		t.Fatal(err)
	}
	mustGet(t, s, ws, "p3")
	if err := s.WriteTracesAt(ctx(), nil, model.LogPosition{LogID: "log-b", Seq: 3}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]uint64{"log-a": 9, "log-b": 3} {
		if got, err := s.LogPosition(ctx(), id); err != nil || got != want {
			t.Fatalf("position of %s = %d, %v; want %d", id, got, err, want)
		}
	}
}
