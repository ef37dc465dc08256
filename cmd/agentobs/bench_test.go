package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/agentobs/agentobs/internal/loadtest"
)

// TestBenchShortRun: a few seconds of the plan's shape against the built binary produce the
// summary, every request answered without error, and the traces are stored.
func TestBenchShortRun(t *testing.T) {
	s := startServer(t, t.TempDir())
	args := []string{"bench", "--url", s.base, "--key", testKey, "--rate", "20", "--peak-rate", "40", "--ramp", "1s", "--hold", "1s"}
	out, err := exec.Command(binPath, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"100%", "endpoints", "requests", "p95", "p99", "errors"} {
		if !strings.Contains(text, want) {
			t.Errorf("the output lacks %q:\n%s", want, text)
		}
	}
	for _, group := range []string{"ingest ", "dashboard ", "total "} {
		found := false
		for _, line := range strings.Split(text, "\n") {
			if f := strings.Fields(line); strings.HasPrefix(line, group) && len(f) >= 8 {
				found = true
				if f[1] == "0" || f[7] != "0" {
					t.Errorf("%s: requests %s, errors %s", group, f[1], f[7])
				}
			}
		}
		if !found {
			t.Errorf("no %q row in the summary:\n%s", group, text)
		}
	}

	out, err = exec.Command(binPath, append(args, "--json", "--quiet", "--dashboard-share", "0", "--max-in-flight", "50")...).Output()
	if err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out)
	}
	var rep loadtest.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("bench --json output: %v\n%s", err, out)
	}
	// The shape sends 10 + 20 + 30 + 40 + 20 requests.
	if n := rep.Total.Requests; n < 100 || n > 140 || rep.Total.Errors != 0 || len(rep.Groups) != 1 || rep.Total.Codes["202"] != int(n) {
		t.Errorf("report = %+v", rep.Total)
	}
	s.awaitCommitted()
	var list struct {
		Total int `json:"total"`
	}
	code, body, _ := s.do("GET", "/api/v1/traces?limit=1", testKey, "", nil)
	if err := json.Unmarshal(body, &list); code != 200 || err != nil {
		t.Fatalf("list traces = %d %s", code, body)
	}
	if list.Total < int(rep.Total.Requests) {
		t.Errorf("%d traces stored after %d posted in the second run alone", list.Total, rep.Total.Requests)
	}
}
