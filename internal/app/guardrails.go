package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/guardrail"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/store"
)

// newGuardrails builds the guardrail service when a role of this process uses it: guard
// (checks, rules, violations), ingest (redaction before queueing) or process (the
// background scan). It is nil when guardrails are off.
func newGuardrails(cfg Config, active map[string]bool, st store.Store, onViolations func([]model.Violation), judge *provider.Client, log *slog.Logger) (*guardrail.Service, error) {
	// The query role takes single traces too (see httpapi.API.Routes): it redacts them.
	if cfg.GuardrailsOff || !(active[RoleGuard] || active[RoleIngest] || active[RoleProcess] || active[RoleQuery]) {
		return nil, nil
	}
	sc, err := guardrail.New()
	if err != nil {
		return nil, fmt.Errorf("cannot load guardrail detectors: %w", err)
	}
	gc := guardrail.Config{Scanner: sc, Store: st, Log: log, OnViolations: onViolations}
	// Second opinions are asked where the scan runs.
	if cfg.GuardrailJudgeBelow > 0 && active[RoleProcess] && judge != nil {
		gc.SecondOpinion = &guardrail.SecondOpinion{Judge: judge, Below: cfg.GuardrailJudgeBelow}
		log.Info("guardrail second opinions on", "model", judge.Provider().Model(), "below", cfg.GuardrailJudgeBelow)
	}
	return guardrail.NewService(gc), nil
}

// watchGuardrails makes the processor queue committed traces for the guardrail scan and
// runs the scan until the process stops.
func watchGuardrails(proc *pipeline.Processor, guard *guardrail.Service, run func(func())) {
	if guard == nil {
		return
	}
	proc.OnCommit(guard.OnCommit)
	run(func() { guard.Run(context.Background()) })
}
