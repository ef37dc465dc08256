package insight

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/scripttest"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// The scripts in testdata/*.test plant traces, spans, feedback and events with known
// patterns and state the findings the analysers must give, in the manner of the query
// scripts (internal/query/testdata). Every expected figure was worked out by hand.
// Commands:
//
//	now TIME                     the service's clock from here on
//	load                         indented lines below are written in one batch:
//	  trace ID key=value…        agent, name, start, status, msg, model, cost, in, out, cached, input
//	  span TRACE/ID key=value…   kind, name, start, cost, model
//	  score TRACE/ID key=value…  name, value, comment, at (human feedback)
//	event ID key=value…          time, type, agent, title, version
//	goal ID key=value…           name, value (per unit), target, source, agent, achieved
//	settings infra=USD           monthly infrastructure cost
//	narrator TEXT                an OpenAI-compatible model that answers TEXT from now on
//	budget USD                   the narrator's daily budget (judge spend included)
//	run KIND key=value…          from, to, agent: run an analysis, expectations below
//	daily DAY                    the daily summary of DAY
//	impact key=value…            from, to, deployment: the Impact page
//
// An expectation is "path expected". A path is a JSON path such as findings[0].kind, where
// an index may also be a filter, findings[kind=model_switch,agent_id=writer], the first
// element whose fields read so; len(path) counts; "none(path)" asserts a filter matches
// nothing. Numbers match within 1e-9 relative; bare words are strings.

const scriptWS = "ws-insight"

func TestScripts(t *testing.T) {
	scripttest.RunFiles(t, runScript)
}

type scriptRun struct {
	t    *testing.T
	file string
	st   *duckdb.Store
	svc  *Service
	now  time.Time
	ran  int
}

func openStore(t testing.TB) *duckdb.Store {
	st, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), duckdb.FileName), duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func runScript(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r := &scriptRun{t: t, file: file, st: openStore(t), now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	r.svc = New(Config{Store: r.st, Prices: pricing.Default(), Now: func() time.Time { return r.now }})
	for _, c := range scripttest.Parse(string(raw)) {
		cmd, rest, lineNo, block, blockLines := c.Name, c.Rest, c.Line, c.Block, c.BlockLines
		f := scripttest.Fields(rest)
		switch cmd {
		case "now":
			r.now = r.time(lineNo, strings.TrimSpace(rest))
		case "load":
			r.load(lineNo, block)
		case "event":
			id, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
			details := mustJSON(model.EventDetails{Version: f["version"]})
			r.check(lineNo, r.st.WriteEvents(context.Background(), []model.Event{{WorkspaceID: scriptWS, ID: id, Time: r.time(lineNo, f["time"]),
				Type: f["type"], AgentID: f["agent"], Title: f["title"], Severity: "info", Details: json.RawMessage(details)}}))
		case "goal":
			g := model.Goal{Name: f["name"], Unit: f["unit"], ValuePerUnitUSD: r.num(lineNo, f["value"]), Target: r.num(lineNo, f["target"]),
				Source: f["source"], AgentID: f["agent"], Achieved: r.num(lineNo, f["achieved"])}
			_, err := r.svc.CreateGoal(context.Background(), scriptWS, g)
			r.check(lineNo, err)
		case "settings":
			_, err := r.svc.PutSettings(context.Background(), scriptWS, model.ImpactSettings{InfraMonthlyUSD: r.num(lineNo, f["infra"])})
			r.check(lineNo, err)
		case "narrator":
			text := strings.TrimSpace(rest)
			srv := providertest.New(provider.KindOpenAI, func(providertest.Call) providertest.Reply {
				return providertest.Reply{Text: text, InputTokens: 2000, OutputTokens: 100}
			})
			t.Cleanup(srv.Close)
			p, err := provider.New(srv.Config("gpt-4o-mini"))
			r.check(lineNo, err)
			r.svc.narrator = &Narrator{Client: provider.NewClient(p, provider.Limits{}), Prices: pricing.Default()}
		case "budget":
			r.svc.narrator.DailyBudgetUSD = r.num(lineNo, strings.TrimSpace(rest))
		case "run", "daily", "impact":
			r.ran++
			var doc any
			var err error
			switch cmd {
			case "run":
				kind, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
				doc, err = r.svc.Run(context.Background(), scriptWS, kind, r.request(lineNo, f))
			case "daily":
				doc, err = r.svc.DailySummary(context.Background(), scriptWS, r.time(lineNo, strings.TrimSpace(rest)+"T00:00:00Z"))
			case "impact":
				doc, err = r.svc.Impact(context.Background(), scriptWS, ImpactRequest{Request: r.request(lineNo, f), DeploymentID: f["deployment"]})
			}
			r.check(lineNo, err)
			r.expect(doc, block, blockLines)
		default:
			t.Fatalf("%s:%d: unknown command %q", file, lineNo, cmd)
		}
	}
	if r.ran == 0 {
		t.Fatalf("%s: nothing run", file)
	}
}

func (r *scriptRun) check(line int, err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatalf("%s:%d: %v", r.file, line, err)
	}
}

func (r *scriptRun) time(line int, s string) time.Time {
	ts, err := time.Parse(time.RFC3339Nano, s)
	r.check(line, err)
	return ts.UTC()
}

func (r *scriptRun) num(line int, s string) float64 {
	if s == "" {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	r.check(line, err)
	return v
}

func (r *scriptRun) optInt(line int, s string) *int64 {
	if s == "" {
		return nil
	}
	n := int64(r.num(line, s))
	return &n
}

func (r *scriptRun) request(line int, f map[string]string) Request {
	req := Request{AgentID: f["agent"]}
	if f["from"] != "" {
		from := r.time(line, f["from"])
		req.From = &from
	}
	if f["to"] != "" {
		to := r.time(line, f["to"])
		req.To = &to
	}
	return req
}

func (r *scriptRun) load(line int, block []string) {
	var traces []model.Trace
	index := map[string]int{}
	var scores []model.Score
	for _, b := range block {
		kind, rest, _ := strings.Cut(b, " ")
		id, attrs, _ := strings.Cut(strings.TrimSpace(rest), " ")
		f := scripttest.Fields(attrs)
		switch kind {
		case "trace":
			tr := model.Trace{WorkspaceID: scriptWS, TraceID: id, AgentID: f["agent"], Name: f["name"], ErrorMessage: f["msg"],
				Model: f["model"], Provider: "openai", Input: f["input"], Tags: []string{}, StartTime: r.time(line, f["start"])}
			if tr.Name == "" {
				tr.Name = tr.AgentID
			}
			tr.Declared.Status = model.StatusSuccess
			if s := f["status"]; s != "" {
				tr.Declared.Status = model.Status(s)
			}
			tr.Declared.LatencyMs = model.Int64(100)
			tr.Declared.TokensInput, tr.Declared.TokensOutput = r.optInt(line, f["in"]), r.optInt(line, f["out"])
			tr.Declared.TokensCached = r.optInt(line, f["cached"])
			if c := f["cost"]; c != "" {
				tr.Declared.CostUSD = model.Float64(r.num(line, c))
			}
			index[id] = len(traces)
			traces = append(traces, tr)
		case "span":
			tid, sid, _ := strings.Cut(id, "/")
			i, ok := index[tid]
			if !ok {
				r.t.Fatalf("%s:%d: span %q before its trace", r.file, line, id)
			}
			start := r.time(line, f["start"])
			sp := model.Span{WorkspaceID: scriptWS, TraceID: tid, SpanID: sid, Kind: model.SpanKind(f["kind"]), Name: f["name"],
				StartTime: start, EndTime: start.Add(time.Second), LatencyMs: 1000, Status: model.StatusSuccess, Model: f["model"],
				Attributes: json.RawMessage("{}")}
			if c := f["cost"]; c != "" {
				sp.CostUSD = model.Float64(r.num(line, c))
			}
			traces[i].Spans = append(traces[i].Spans, sp)
		case "score":
			tid, sid, _ := strings.Cut(id, "/")
			scores = append(scores, model.Score{WorkspaceID: scriptWS, TraceID: tid, ScoreID: sid, Name: f["name"],
				Value: r.num(line, f["value"]), Comment: f["comment"], Source: model.ScoreSourceHuman, CreatedAt: r.time(line, f["at"])})
		default:
			r.t.Fatalf("%s:%d: unknown load line %q", r.file, line, b)
		}
	}
	r.check(line, r.st.WriteTraces(context.Background(), traces))
	for _, s := range scores {
		r.check(line, r.st.PutScore(context.Background(), s))
	}
}

func (r *scriptRun) expect(v any, block []string, lines []int) {
	raw, _ := json.Marshal(v)
	var doc any
	_ = json.Unmarshal(raw, &doc)
	for j, exp := range block {
		path, want, _ := strings.Cut(exp, " ")
		want = strings.TrimSpace(want)
		if strings.HasPrefix(path, "none(") {
			if _, err := scripttest.Lookup(doc, path[5:len(path)-1]); err == nil {
				r.t.Fatalf("%s:%d: %s matches, want nothing\nanswer: %s", r.file, lines[j], path, scripttest.Brief(doc))
			}
			continue
		}
		got, err := scripttest.Lookup(doc, path)
		if err != nil {
			r.t.Fatalf("%s:%d: %s: %v\nanswer: %s", r.file, lines[j], path, err, scripttest.Brief(doc))
		}
		if !scripttest.Matches(got, want) {
			g, _ := json.Marshal(got)
			r.t.Fatalf("%s:%d: %s = %s, want %s\nanswer: %s", r.file, lines[j], path, g, want, scripttest.Brief(doc))
		}
	}
}
