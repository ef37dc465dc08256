package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The README's quick start is what a newcomer types first: its shell block runs as written
// (only the key and the port are this test's), and the trace it sends must read back at once,
// priced.
func TestReadmeQuickStart(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start := strings.Index(readme, "## Quick start")
	if start < 0 {
		t.Fatal("README.md has no Quick start section")
	}
	block := readme[start:]
	open := strings.Index(block, "```sh\n")
	if open < 0 {
		t.Fatal("the Quick start has no sh block")
	}
	block = block[open+len("```sh\n"):]
	block = block[:strings.Index(block, "```")]
	const keyLine = "export AGENTOBS_API_KEY=ao_...   # the printed key"
	if !strings.Contains(block, keyLine) || !strings.Contains(block, "http://localhost:8000/") {
		t.Fatalf("the Quick start block changed shape; update this test:\n%s", block)
	}
	s := startServer(t, t.TempDir())
	script := strings.ReplaceAll(block, keyLine, "export AGENTOBS_API_KEY="+testKey)
	script = strings.ReplaceAll(script, "http://localhost:8000/", s.base+"/")
	out, err := exec.Command("bash", "-euo", "pipefail", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("the Quick start failed: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] != `{"spans":0,"trace_id":"demo-1"}` {
		t.Fatalf("answers:\n%s", out)
	}
	read := lines[1]
	for _, want := range []string{`"trace_id":"demo-1"`, `"tokens_total":1280`, `"cost_usd":0.000228`, `"span_id":"root"`, `"kind":"llm"`} {
		if !strings.Contains(read, want) {
			t.Errorf("the read-back lacks %s: %s", want, read)
		}
	}
}
