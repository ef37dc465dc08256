package main

import (
	"strings"
	"testing"

	"github.com/agentobs/agentobs/internal/app"
	"github.com/agentobs/agentobs/internal/eval/provider"
)

func TestGuardrailJudgeFlags(t *testing.T) {
	judge := app.JudgeConfig{Provider: provider.Config{Kind: provider.KindGemini, Model: "m"}}
	for _, tc := range []struct {
		on, below string
		judge     app.JudgeConfig
		want      float64
		err       string
	}{
		{"off", "0.9", app.JudgeConfig{}, 0, ""},
		{"on", "0.8", judge, 0.8, ""},
		{"on", "0.9", app.JudgeConfig{}, 0, "no judge is configured"},
		{"yes", "0.9", judge, 0, `--guardrail-judge "yes"`},
		{"on", "1.5", judge, 0, "--guardrail-judge-below"},
		{"on", "x", judge, 0, "--guardrail-judge-below"},
	} {
		got, err := guardrailJudgeBelow(tc.on, tc.below, tc.judge)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("guardrailJudgeBelow(%q, %q) = %v, %v; want %v, error with %q", tc.on, tc.below, got, err, tc.want, tc.err)
		}
	}
}
