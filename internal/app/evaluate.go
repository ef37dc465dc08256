package app

import (
	"context"
	"log/slog"

	"github.com/agentobs/agentobs/internal/eval"
	"github.com/agentobs/agentobs/internal/eval/abtest"
	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/store"
)

// JudgeConfig selects the LLM judge of the evaluate role; a zero Provider.Kind means none
// is configured (evaluations then answer 503 saying so).
type JudgeConfig struct {
	Provider       provider.Config
	Limits         provider.Limits
	DailyBudgetUSD float64
	// Online judges a sample of completed traces; a zero SampleRate leaves it off.
	Online eval.Online
}

// newJudge makes the one client of the configured judge model that evaluation, guardrail
// second opinions and insight narration share, so that its rate limit and concurrency hold
// for all of them; nil when no judge is configured.
func newJudge(cfg JudgeConfig, log *slog.Logger) (*provider.Client, error) {
	if cfg.Provider.Kind == "" {
		return nil, nil
	}
	p, err := provider.New(cfg.Provider)
	if err != nil {
		return nil, err
	}
	log.Info("LLM judge configured", "provider", p.Kind(), "model", p.Model(), "base_url", cfg.Provider.BaseURL)
	return provider.NewClient(p, cfg.Limits), nil
}

// newEval builds the evaluate role's service on st, judging with judge (nil: none).
func newEval(cfg JudgeConfig, judge *provider.Client, st store.Store, prices *pricing.Table, log *slog.Logger) *eval.Service {
	ec := eval.Config{Store: st, Prices: prices, Log: log, Evaluator: eval.Evaluator{DailyBudgetUSD: cfg.DailyBudgetUSD}}
	if judge != nil {
		ec.Judge = judge
		ec.NewJudge = func(model string) (*provider.Client, error) {
			pc := cfg.Provider
			pc.Model = model
			p, err := provider.New(pc)
			if err != nil {
				return nil, err
			}
			return provider.NewClient(p, cfg.Limits), nil
		}
		ec.Workers = cfg.Limits.MaxConcurrency * 2
	}
	return eval.New(ec)
}

// startEval runs the batch workers, resumes the evaluations a previous process left
// pending, in every workspace, and runs the online evaluator when it is on.
func startEval(ctx context.Context, svc *eval.Service, online eval.Online, st store.Store, log *slog.Logger) {
	list := func(ctx context.Context) ([]string, error) {
		wss, err := st.ListWorkspaces(ctx)
		ids := make([]string, len(wss))
		for i, w := range wss {
			ids[i] = w.ID
		}
		return ids, err
	}
	ids, err := list(ctx)
	if err != nil {
		log.Error("cannot list workspaces to resume evaluations", "err", err)
	}
	svc.Start(ctx, ids)
	go svc.RunOnline(ctx, online, list)
}

// abTests serves A/B tests in processes with the evaluate role.
func abTests(active bool, st store.Store) *abtest.Service {
	if !active {
		return nil
	}
	return &abtest.Service{Store: st}
}
