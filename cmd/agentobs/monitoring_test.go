package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentobs/agentobs/internal/queue/redisstream"
)

// exportedMetrics scrapes a running binary after one ingested trace, and adds the Redis
// queue's metrics, which only a scale-out process exports: their descriptions need no Redis.
func exportedMetrics(t *testing.T) (names map[string]bool, scrape string) {
	t.Helper()
	s := startServer(t, t.TempDir())
	if code, body := s.post("/api/v1/traces", traceInput("t-metrics")); code != 202 {
		t.Fatalf("POST /api/v1/traces = %d %s", code, body)
	}
	// A labelled counter appears once a label is used: one refused request.
	if code, _, _ := s.do("POST", "/api/v1/traces", "", "application/json", []byte(`{}`)); code != 401 {
		t.Fatalf("POST without a key = %d", code)
	}
	code, body, _ := s.do("GET", "/metrics", "", "", nil)
	if code != 200 {
		t.Fatalf("GET /metrics = %d", code)
	}
	names = map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names[line[:strings.IndexAny(line, "{ ")]] = true
	}
	descs := make(chan *prometheus.Desc, 16)
	(&redisstream.Queue{}).NewCollector().Describe(descs)
	close(descs)
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range descs {
		names[fqName.FindStringSubmatch(d.String())[1]] = true
	}
	return names, string(body)
}

// metricName finds the series names of our own metrics and the Go and process collectors
// in a PromQL expression. Recording rules (agentobs:...) and `up` are not exported by the binary.
var metricName = regexp.MustCompile(`\b(?:agentobs|process|go)_[a-z0-9_]+\b`)

// TestMonitoringFilesNameExportedMetrics fails when an alerting or recording rule, or a
// Grafana dashboard, queries a metric the binary does not export.
func TestMonitoringFilesNameExportedMetrics(t *testing.T) {
	exported, scrape := exportedMetrics(t)

	// The trace of traceInput: 1200 input and 80 output tokens on a priced model.
	for _, want := range []string{`agentobs_ingested_tokens_total{direction="input"} 1200`, `agentobs_ingested_tokens_total{direction="output"} 80`} {
		if !strings.Contains(scrape, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if m := regexp.MustCompile(`(?m)^agentobs_ingested_cost_usd_total (\S+)$`).FindStringSubmatch(scrape); m == nil {
		t.Error("scrape lacks agentobs_ingested_cost_usd_total")
	} else if v, _ := strconv.ParseFloat(m[1], 64); v <= 0 {
		t.Errorf("agentobs_ingested_cost_usd_total = %v, want > 0", v)
	}

	exprs := map[string][]string{} // file -> expressions
	rules, _ := filepath.Glob("../../deploy/prometheus/*.yml")
	for _, f := range rules {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Rules are checked whole: comments and annotations name no metric by accident.
		exprs[f] = append(exprs[f], string(data))
	}
	dashboards, _ := filepath.Glob("../../deploy/grafana/*.json")
	for _, f := range dashboards {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Panels []struct {
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
			Templating struct {
				List []struct {
					Query any `json:"query"`
				} `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range d.Panels {
			for _, q := range p.Targets {
				exprs[f] = append(exprs[f], q.Expr)
			}
		}
		for _, v := range d.Templating.List {
			if q, ok := v.Query.(string); ok {
				exprs[f] = append(exprs[f], q)
			}
		}
	}
	if len(rules) == 0 || len(dashboards) < 5 {
		t.Fatalf("found %d rule files and %d dashboards under deploy/", len(rules), len(dashboards))
	}
	checked := 0
	for f, list := range exprs {
		for _, e := range list {
			for _, name := range metricName.FindAllString(e, -1) {
				checked++
				if !exported[name] {
					t.Errorf("%s names %s, which the binary does not export", f, name)
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d metric references found; is the extraction broken?", checked)
	}
	var ours []string
	for n := range exported {
		if strings.HasPrefix(n, "agentobs_") {
			ours = append(ours, n)
		}
	}
	slices.Sort(ours)
	t.Logf("%d references checked against %d agentobs metrics", checked, len(ours))
}

// TestAlertRunbooksExist fails when an alert links a section of TROUBLESHOOTING.md that the
// document does not have.
func TestAlertRunbooksExist(t *testing.T) {
	doc, err := os.ReadFile("../../docs/production/TROUBLESHOOTING.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllStringSubmatch(string(doc), -1) {
		a := strings.ToLower(regexp.MustCompile(`[^\w\- ]`).ReplaceAllString(m[1], ""))
		anchors[strings.ReplaceAll(a, " ", "-")] = true
	}
	rules, err := os.ReadFile("../../deploy/prometheus/agentobs-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`TROUBLESHOOTING\.md#([\w-]+)`).FindAllStringSubmatch(string(rules), -1)
	if len(links) < 10 {
		t.Fatalf("only %d runbook links in the rules", len(links))
	}
	for _, l := range links {
		if !anchors[l[1]] {
			t.Errorf("runbook #%s is not a heading of TROUBLESHOOTING.md", l[1])
		}
	}
}
