package app

import (
	"io"
	"log/slog"
	"testing"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
	"github.com/agentobs/agentobs/internal/pricing"
)

// TestJudgeWiring: with a judge configured, the guardrail scan gets a second opinion (and its
// metric) only in a process that scans, and the evaluate role can make clients for other
// models of the same provider.
func TestJudgeWiring(t *testing.T) {
	fake := providertest.New(provider.KindOpenAI, providertest.Rate(80))
	defer fake.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	judge := JudgeConfig{Provider: fake.Config("judge-1")}
	client, err := newJudge(judge, log)
	if err != nil || client == nil {
		t.Fatalf("judge client: %v", err)
	}
	cfg := Config{Judge: judge, GuardrailJudgeBelow: 0.8}
	g, err := newGuardrails(cfg, map[string]bool{RoleProcess: true}, nil, nil, client, log)
	if err != nil || g == nil || g.SecondOpinionCollector() == nil {
		t.Fatalf("scanning process: %v, %v", g, err)
	}
	g, err = newGuardrails(cfg, map[string]bool{RoleGuard: true}, nil, nil, client, log)
	if err != nil || g == nil || g.SecondOpinionCollector() != nil {
		t.Fatalf("a guard-only process asks no second opinion: %v", err)
	}
	cfg.GuardrailJudgeBelow = 0
	if g, _ := newGuardrails(cfg, map[string]bool{RoleProcess: true}, nil, nil, client, log); g.SecondOpinionCollector() != nil {
		t.Fatal("second opinions without the flag")
	}
	bad := judge
	bad.Provider.Kind = "nope"
	if _, err := newJudge(bad, log); err == nil {
		t.Fatal("an unknown provider was accepted")
	}
	if none, err := newJudge(JudgeConfig{}, log); none != nil || err != nil {
		t.Fatalf("no provider: %v, %v", none, err)
	}

	svc := newEval(judge, client, nil, pricing.Default(), log)
	if !svc.Configured() {
		t.Fatal("evaluate role without its judge")
	}
}
