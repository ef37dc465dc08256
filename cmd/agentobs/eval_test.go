package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
)

func TestEvalCalibrateCommand(t *testing.T) {
	srv := providertest.New(provider.KindOpenAI, func(c providertest.Call) providertest.Reply {
		// Calls everything hallucinated: right on the first example, wrong on the second.
		return providertest.Reply{Text: `{"hallucination": {"explanation": "x", "score": true}}`}
	})
	defer srv.Close()
	data := filepath.Join(t.TempDir(), "set.jsonl")
	os.WriteFile(data, []byte(`{"id":"1","query":"Capital of France?","response":"Lyon","label":"hallucinated"}
{"id":"2","query":"2+2?","response":"4","label":"faithful"}
`), 0o644)
	t.Setenv("OPENAI_API_KEY", "k")
	var out, errb bytes.Buffer
	code := run([]string{"eval", "calibrate", "--dataset", data, "--judge-provider", "openai", "--judge-model", "gpt-4o-mini",
		"--judge-base-url", srv.URL + "/v1"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"pointwise, 2 examples", "judged     2 (unparsable 0, failed 0)", "accuracy   0.5000", "kappa      0.0000"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if code := run([]string{"eval", "calibrate"}, &out, &errb); code == 0 {
		t.Error("calibrate without --dataset succeeded")
	}
}
