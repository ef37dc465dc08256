package alert

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/scripttest"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// The alert scripts in testdata/*.test drive rule evaluation over time on a real DuckDB
// store with an injected clock, the way internal/query's scripts test the query API. Every
// expectation was worked out by hand from the loaded traces. Commands:
//
//	now TIME                   the clock from here on (RFC 3339)
//	advance DURATION           moves the clock
//	traces AGENT N key=value…  N traces of AGENT spread evenly over [start, start+span):
//	                           start (TIME or an offset from now such as -1m), span (1m),
//	                           latency (ms, 100), errors (how many fail, 0), cost (0.01 each),
//	                           days (comma-separated day offsets, e.g. -1,-2: the same load
//	                           on each of those days instead of today)
//	rule ID JSON               a rule as the API takes it (defaults applied, validated)
//	evaluate [ID]              evaluates rule ID, or runs one round of every rule, at now
//	expect ID GROUP key=value… the group's instance ("-" for an ungrouped rule): state,
//	                           severity, value, baseline, p_below (p-value under it), samples
//	                           (of the last evaluation), episode (firing, resolved or none),
//	                           episode_severity, episode_value, label_NAME (a label of the
//	                           episode), evaluations (count)
//	expect_events TYPE…        the activity stream's alert events, newest first
const scriptNow = "2026-11-17T10:00:00Z" // a Tuesday

func TestAlertScripts(t *testing.T) {
	scripttest.RunFiles(t, runAlertScript)
}

type alertScript struct {
	t     *testing.T
	file  string
	line  int
	st    *duckdb.Store
	clk   *clock
	ev    *Evaluator
	rules map[string]*model.AlertRule
	seq   int
}

func runAlertScript(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	now, _ := time.Parse(time.RFC3339, scriptNow)
	s := &alertScript{t: t, file: file, st: openStore(t), clk: &clock{t: now}, rules: map[string]*model.AlertRule{}}
	s.ev = NewEvaluator(s.st, s.clk.Now, quietLog())
	expects := 0
	for _, c := range scripttest.Parse(string(raw)) {
		s.line = c.Line
		rest := strings.TrimSpace(c.Rest)
		switch c.Name {
		case "now":
			s.clk.Set(s.time(rest))
		case "advance":
			s.clk.Add(s.duration(rest))
		case "traces":
			s.traces(rest)
		case "rule":
			s.rule(rest)
		case "evaluate":
			s.evaluate(rest)
		case "expect":
			s.expect(rest)
			expects++
		case "expect_events":
			s.expectEvents(strings.Fields(rest))
			expects++
		default:
			s.fail("unknown command %q", c.Name)
		}
	}
	if expects == 0 {
		t.Fatalf("%s: no expectation", file)
	}
}

func (s *alertScript) fail(format string, args ...any) {
	s.t.Helper()
	args = append([]any{s.file, s.line}, args...)
	s.t.Fatalf("%s:%d: "+format, args...)
}

func (s *alertScript) time(v string) time.Time {
	if strings.HasPrefix(v, "-") || strings.HasPrefix(v, "+") {
		return s.clk.Now().Add(s.duration(v))
	}
	ts, err := time.Parse(time.RFC3339, v)
	if err != nil {
		s.fail("time %q: %v", v, err)
	}
	return ts
}

func (s *alertScript) duration(v string) time.Duration {
	d, err := time.ParseDuration(v)
	if err != nil {
		s.fail("duration %q: %v", v, err)
	}
	return d
}

func (s *alertScript) number(v string) float64 {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		s.fail("number %q: %v", v, err)
	}
	return f
}

func (s *alertScript) traces(rest string) {
	parts := strings.Fields(rest)
	if len(parts) < 2 {
		s.fail("traces AGENT N key=value…")
	}
	agent, n := parts[0], int(s.number(parts[1]))
	f := scripttest.Fields(rest)
	get := func(k, def string) string {
		if v, ok := f[k]; ok {
			return v
		}
		return def
	}
	start, span := s.time(get("start", "-1m")), s.duration(get("span", "1m"))
	latency, errors, cost := int64(s.number(get("latency", "100"))), int(s.number(get("errors", "0"))), s.number(get("cost", "0.01"))
	days := []int{0}
	if v, ok := f["days"]; ok {
		days = nil
		for _, d := range strings.Split(v, ",") {
			days = append(days, int(s.number(d)))
		}
	}
	var batch []model.Trace
	for _, d := range days {
		from := start.AddDate(0, 0, d)
		for i := range n {
			st := model.StatusSuccess
			if i < errors {
				st = model.StatusError
			}
			batch = append(batch, trace(agent, from.Add(span*time.Duration(i)/time.Duration(n)), st, latency, cost))
		}
	}
	if err := s.st.WriteTraces(context.Background(), batch); err != nil {
		s.fail("load: %v", err)
	}
}

func (s *alertScript) rule(rest string) {
	id, body, _ := strings.Cut(rest, " ")
	var r model.AlertRule
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		s.fail("rule %s: %v", id, err)
	}
	r.WorkspaceID, r.ID, r.Enabled = ws, id, true
	r.ApplyDefaults()
	if err := r.Validate(); err != nil {
		s.fail("rule %s: %v", id, err)
	}
	if err := s.st.PutAlertRule(context.Background(), r); err != nil {
		s.fail("rule %s: %v", id, err)
	}
	s.rules[id] = &r
}

func (s *alertScript) evaluate(id string) {
	ctx := context.Background()
	if id == "" {
		if err := s.ev.Tick(ctx); err != nil {
			s.fail("round: %v", err)
		}
		return
	}
	r, ok := s.rules[id]
	if !ok {
		s.fail("no rule %q", id)
	}
	if err := s.ev.EvaluateRule(ctx, r, s.clk.Now()); err != nil {
		s.fail("evaluate %s: %v", id, err)
	}
}

func (s *alertScript) expect(rest string) {
	parts := strings.Fields(rest)
	if len(parts) < 3 {
		s.fail("expect RULE GROUP key=value…")
	}
	ctx := context.Background()
	rule, group := parts[0], parts[1]
	if group == "-" {
		group = ""
	}
	list, err := s.st.ListAlertInstances(ctx, ws, rule)
	if err != nil {
		s.fail("instances: %v", err)
	}
	var in *model.AlertInstance
	for i := range list {
		if list[i].GroupKey == group {
			in = &list[i]
		}
	}
	if in == nil {
		s.fail("rule %s has no group %q (groups: %+v)", rule, group, list)
	}
	hist, err := s.st.ListAlertEvaluations(ctx, ws, rule, group, 1000)
	if err != nil {
		s.fail("evaluations: %v", err)
	}
	var last model.AlertEvaluation
	if len(hist) > 0 {
		last = hist[0]
	}
	var episode *model.Alert
	if in.AlertID != "" {
		if episode, err = s.st.GetAlert(ctx, ws, in.AlertID); err != nil {
			s.fail("episode: %v", err)
		}
	}
	near := func(got float64, want string) bool {
		w := s.number(want)
		return math.Abs(got-w) <= 1e-9*math.Max(1, math.Abs(w))
	}
	for k, want := range scripttest.Fields(strings.Join(parts[2:], " ")) {
		ok, got := true, any(nil)
		switch k {
		case "state":
			got, ok = in.State, in.State == want
		case "severity":
			got, ok = in.Severity, in.Severity == want
		case "value":
			got, ok = in.Value, near(in.Value, want)
		case "baseline":
			got, ok = last.Baseline, last.Baseline != nil && near(*last.Baseline, want)
		case "p_below":
			got, ok = last.PValue, last.PValue != nil && *last.PValue < s.number(want)
		case "samples":
			got, ok = last.Samples, near(float64(last.Samples), want)
		case "evaluations":
			got, ok = len(hist), near(float64(len(hist)), want)
		case "episode":
			status := "none"
			if episode != nil {
				status = episode.Status
			}
			got, ok = status, status == want
		case "episode_severity", "episode_value":
			if episode == nil {
				s.fail("%s: no episode", k)
			}
			if k == "episode_severity" {
				got, ok = episode.Severity, episode.Severity == want
			} else {
				got, ok = episode.Value, near(episode.Value, want)
			}
		default:
			name, isLabel := strings.CutPrefix(k, "label_")
			if !isLabel {
				s.fail("unknown expectation %q", k)
			}
			if episode == nil {
				s.fail("%s: no episode", k)
			}
			got, ok = episode.Labels[name], episode.Labels[name] == want
		}
		if !ok {
			s.fail("rule %s group %q: %s = %v, want %s (instance %+v, last evaluation %+v)", rule, group, k, got, want, *in, last)
		}
	}
}

func (s *alertScript) expectEvents(want []string) {
	events, err := s.st.ListEvents(context.Background(), ws, 100)
	if err != nil {
		s.fail("events: %v", err)
	}
	var got []string
	for _, e := range events {
		if strings.HasPrefix(e.Type, "alert.") {
			got = append(got, e.Type)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		s.fail("alert events = %v, want %v", got, want)
	}
}
