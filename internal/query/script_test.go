package query

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/scripttest"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// The query scripts in testdata/*.test load traces and state the answers the API must give,
// in the manner of Prometheus' promqltest. Every expectation was worked out by hand from the
// loaded data. Commands:
//
//	load [ws=ID]            indented lines below are traces and spans, written in one batch
//	  trace ID key=value…   agent, name, start, latency, status, error, msg, model, provider,
//	                        cost, in, out, user, session, tags (comma-separated), input, output
//	  span TRACE/ID key=…   parent, kind, name, start, latency, status, model, provider, cost, in, out
//	event ID key=value…     time, agent, type, title, severity
//	now TIME                the clock of the service from here on
//	eval METHOD PATH [BODY] indented lines are "path expected"; the request must succeed
//	eval_fail METHOD PATH [BODY]  the same for a request that must fail; paths read the problem
//
// In a PATH, {next_cursor} stands for the next_cursor of the previous successful answer.
// An expectation path is a JSON path such as buckets[2].by_agent.bot; len(path) is the
// length of an array or object; @cached is whether the answer came from the cache. Expected
// values are JSON (numbers match within 1e-9 relative) or bare words for strings.

const scriptWS = "11111111-1111-4111-8111-111111111111"

func TestScripts(t *testing.T) {
	scripttest.RunFiles(t, runScript)
}

type scriptRun struct {
	t       *testing.T
	file    string
	st      *duckdb.Store
	svc     *Service
	now     time.Time
	mux     *http.ServeMux
	lastRes Result
	lastErr error
	lastDoc any
	evals   int
}

func runScript(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	st, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), duckdb.FileName), duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := &scriptRun{t: t, file: file, st: st, now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	r.svc = New(Config{Store: st, Cache: NewMemoryCache(1 << 20), Versions: NewMemoryVersions(), Now: func() time.Time { return r.now }})
	r.mux = http.NewServeMux()
	for _, e := range Endpoints() {
		e := e
		r.mux.HandleFunc(e.Method+" "+e.Path, func(w http.ResponseWriter, req *http.Request) {
			r.lastRes, r.lastErr = e.Serve(r.svc, req.Context(), scriptWS, req)
		})
	}
	for _, c := range scripttest.Parse(string(raw)) {
		switch c.Name {
		case "load":
			r.load(c.Line, c.Rest, c.Block)
		case "event":
			r.event(c.Line, c.Rest)
		case "now":
			ts, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(c.Rest))
			if err != nil {
				t.Fatalf("%s:%d: now: %v", file, c.Line, err)
			}
			r.now = ts
		case "eval", "eval_fail":
			r.eval(c.Line, c.Name == "eval_fail", c.Rest, c.Block, c.BlockLines)
		default:
			t.Fatalf("%s:%d: unknown command %q", file, c.Line, c.Name)
		}
	}
	if r.evals == 0 {
		t.Fatalf("%s: no eval", file)
	}
}

func (r *scriptRun) fail(line int, format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("%s:%d: %s", r.file, line, fmt.Sprintf(format, args...))
}

func (r *scriptRun) load(line int, opts string, block []string) {
	ws := scriptWS
	if f := scripttest.Fields(opts); f["ws"] != "" {
		ws = f["ws"]
	}
	var traces []model.Trace
	index := map[string]int{}
	for _, b := range block {
		kind, rest, _ := strings.Cut(b, " ")
		id, attrs, _ := strings.Cut(strings.TrimSpace(rest), " ")
		f := scripttest.Fields(attrs)
		switch kind {
		case "trace":
			tr := model.Trace{WorkspaceID: ws, TraceID: id, AgentID: f["agent"], Name: f["name"], UserID: f["user"],
				SessionID: f["session"], ErrorType: f["error"], ErrorMessage: f["msg"], Model: f["model"], Provider: f["provider"],
				Input: f["input"], Output: f["output"], Tags: []string{}}
			if tr.AgentID == "" {
				tr.AgentID = "bot"
			}
			if tr.Name == "" {
				tr.Name = tr.AgentID
			}
			tr.StartTime = r.time(line, f["start"])
			tr.Declared.Status = model.StatusSuccess
			if s := f["status"]; s != "" {
				tr.Declared.Status = model.Status(s)
			}
			tr.Declared.LatencyMs = r.optInt(line, f["latency"])
			tr.Declared.TokensInput = r.optInt(line, f["in"])
			tr.Declared.TokensOutput = r.optInt(line, f["out"])
			if tr.Declared.TokensInput != nil || tr.Declared.TokensOutput != nil {
				tr.Declared.TokensTotal = model.Int64(deref(tr.Declared.TokensInput) + deref(tr.Declared.TokensOutput))
			}
			tr.Declared.CostUSD = r.optFloat(line, f["cost"])
			if tags := f["tags"]; tags != "" {
				tr.Tags = strings.Split(tags, ",")
			}
			index[id] = len(traces)
			traces = append(traces, tr)
		case "span":
			tid, sid, ok := strings.Cut(id, "/")
			i, known := index[tid]
			if !ok || !known {
				r.fail(line, "span %q: name it TRACE/SPAN after its trace", id)
			}
			sp := model.Span{WorkspaceID: ws, TraceID: tid, SpanID: sid, ParentSpanID: f["parent"], Kind: model.SpanKind(f["kind"]),
				Name: f["name"], Status: model.StatusSuccess, Model: f["model"], Provider: f["provider"], Attributes: json.RawMessage("{}")}
			if sp.Kind == "" {
				sp.Kind = model.KindChain
			}
			if sp.Name == "" {
				sp.Name = sid
			}
			if s := f["status"]; s != "" {
				sp.Status = model.Status(s)
			}
			sp.StartTime = r.time(line, f["start"])
			sp.LatencyMs = deref(r.optInt(line, f["latency"]))
			sp.EndTime = sp.StartTime.Add(time.Duration(sp.LatencyMs) * time.Millisecond)
			sp.TokensInput, sp.TokensOutput = r.optInt(line, f["in"]), r.optInt(line, f["out"])
			sp.CostUSD = r.optFloat(line, f["cost"])
			traces[i].Spans = append(traces[i].Spans, sp)
		default:
			r.fail(line, "load: unknown line %q", b)
		}
	}
	if err := r.st.WriteTraces(context.Background(), traces); err != nil {
		r.fail(line, "load: %v", err)
	}
	// What ingestion does after a commit, so that the cache sees the new data.
	CommitHook(r.svc.Versions(), nil)(traces)
}

func (r *scriptRun) event(line int, rest string) {
	id, attrs, _ := strings.Cut(strings.TrimSpace(rest), " ")
	f := scripttest.Fields(attrs)
	e := model.Event{WorkspaceID: scriptWS, ID: id, Time: r.time(line, f["time"]), Type: f["type"], AgentID: f["agent"],
		Title: f["title"], Severity: f["severity"], Details: json.RawMessage("{}")}
	if err := r.st.WriteEvents(context.Background(), []model.Event{e}); err != nil {
		r.fail(line, "event: %v", err)
	}
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func (r *scriptRun) time(line int, s string) time.Time {
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		r.fail(line, "bad time %q: %v", s, err)
	}
	return ts.UTC()
}

func (r *scriptRun) optInt(line int, s string) *int64 {
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		r.fail(line, "bad integer %q", s)
	}
	return &n
}

func (r *scriptRun) optFloat(line int, s string) *float64 {
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		r.fail(line, "bad number %q", s)
	}
	return &f
}

var scriptStatus = map[string]int{model.EINVALID: 400, model.ENOTFOUND: 404, model.EUNSUPPORTED: 415}

func (r *scriptRun) eval(line int, wantFail bool, rest string, block []string, blockLines []int) {
	r.evals++
	method, rest, _ := strings.Cut(strings.TrimSpace(rest), " ")
	target, body, _ := strings.Cut(strings.TrimSpace(rest), " ")
	if strings.Contains(target, "{next_cursor}") {
		c, err := scripttest.Lookup(r.lastDoc, "next_cursor")
		s, ok := c.(string)
		if err != nil || !ok {
			r.fail(line, "{next_cursor}: the previous answer has none")
		}
		target = strings.ReplaceAll(target, "{next_cursor}", url.QueryEscape(s))
	}
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	r.lastRes, r.lastErr = Result{}, fmt.Errorf("no route for %s %s", method, target)
	r.mux.ServeHTTP(httptest.NewRecorder(), req)
	var doc any
	switch {
	case wantFail && r.lastErr == nil:
		r.fail(line, "%s %s succeeded, want a failure: %s", method, target, r.lastRes.Body)
	case !wantFail && r.lastErr != nil:
		r.fail(line, "%s %s: %v", method, target, r.lastErr)
	case wantFail:
		var me *model.Error
		p := map[string]any{"status": float64(500), "detail": r.lastErr.Error(), "errors": []any{}}
		if s, ok := scriptStatus[model.ErrorCode(r.lastErr)]; ok {
			p["status"] = float64(s)
		}
		if e, ok := r.lastErr.(*model.Error); ok {
			me = e
			for _, f := range me.Fields {
				p["errors"] = append(p["errors"].([]any), map[string]any{"field": f.Path.String(), "detail": f.Detail})
			}
		}
		doc = p
	default:
		if err := json.Unmarshal(r.lastRes.Body, &doc); err != nil {
			r.fail(line, "answer is not JSON: %v", err)
		}
		r.lastDoc = doc
	}
	for j, exp := range block {
		path, want, _ := strings.Cut(exp, " ")
		want = strings.TrimSpace(want)
		var got any
		if path == "@cached" {
			got = r.lastRes.Cached
		} else {
			var err error
			got, err = scripttest.Lookup(doc, path)
			if err != nil {
				r.fail(blockLines[j], "%s: %v\nanswer: %s", path, err, scripttest.Brief(doc))
			}
		}
		if !scripttest.Matches(got, want) {
			r.fail(blockLines[j], "%s = %s, want %s\nanswer: %s", path, scripttest.Brief(got), want, scripttest.Brief(doc))
		}
	}
}
