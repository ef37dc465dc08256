package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/agentobs/agentobs/internal/app"
	"github.com/agentobs/agentobs/internal/eval"
	"github.com/agentobs/agentobs/internal/eval/provider"
)

// judgeFlags configure the LLM judge of the evaluate role. Keys are read from the
// environment (or the --config file) only, never from flags, so that they do not show
// in process listings.
type judgeFlags struct {
	kind, model, baseURL, mode string
	concurrency                int
	budget                     string
	timeout, maxAge            time.Duration
	sampleRate                 string
	delay, interval            time.Duration
}

// judgeKeyEnv names each provider's key and base URL variables.
var judgeKeyEnv = map[string][2]string{
	provider.KindGemini:    {"GEMINI_API_KEY", "GEMINI_BASE_URL"},
	provider.KindOpenAI:    {"OPENAI_API_KEY", "OPENAI_BASE_URL"},
	provider.KindAnthropic: {"ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"},
}

var judgeDefaultModel = map[string]string{
	provider.KindGemini:    "gemini-2.5-flash",
	provider.KindOpenAI:    "gpt-4o-mini",
	provider.KindAnthropic: "claude-haiku-4-5",
}

func (f *judgeFlags) bind(s *settings) {
	s.str(&f.kind, "judge-provider", "AGENTOBS_JUDGE_PROVIDER", "",
		"LLM judge: gemini, openai (any OpenAI-compatible server: vLLM, Ollama, LM Studio) or anthropic; default: the first of GEMINI_API_KEY, OPENAI_API_KEY, ANTHROPIC_API_KEY that is set")
	s.str(&f.model, "judge-model", "AGENTOBS_JUDGE_MODEL", "", "judge model (default gemini-2.5-flash, gpt-4o-mini or claude-haiku-4-5)")
	s.str(&f.baseURL, "judge-base-url", "AGENTOBS_JUDGE_BASE_URL", "", "judge endpoint, e.g. http://localhost:11434/v1 for Ollama (default: GEMINI_BASE_URL, OPENAI_BASE_URL or ANTHROPIC_BASE_URL, else the provider's own)")
	s.str(&f.mode, "judge-mode", "AGENTOBS_JUDGE_MODE", "", "strongest structured output the judge model supports: json_schema, tool, json or text (default: the provider's best)")
	s.integer(&f.concurrency, "judge-concurrency", "AGENTOBS_JUDGE_CONCURRENCY", 8, "judge calls in flight at most; halved on each rate limit, grown back on success")
	s.str(&f.budget, "judge-daily-budget-usd", "AGENTOBS_JUDGE_DAILY_BUDGET_USD", "0", "judge spend per UTC day after which evaluations are skipped (0: no limit)")
	s.duration(&f.timeout, "judge-timeout", "AGENTOBS_JUDGE_TIMEOUT", 60*time.Second, "longest wait for one judge answer")
	s.str(&f.sampleRate, "eval-sample-rate", "AGENTOBS_EVAL_SAMPLE_RATE", "0", "share of completed traces judged automatically, 0 (off) to 1; the same traces are picked on every restart (hash sampling)")
	s.duration(&f.delay, "eval-delay", "AGENTOBS_EVAL_DELAY", 30*time.Second, "how long after a trace ended it is judged automatically, so that late spans are in")
	s.duration(&f.interval, "eval-interval", "AGENTOBS_EVAL_INTERVAL", 10*time.Second, "how often completed traces are looked for")
	s.duration(&f.maxAge, "judge-max-retry-age", "AGENTOBS_JUDGE_MAX_RETRY_AGE", 2*time.Minute, "how long one judge call may keep retrying 429, 5xx and timeouts")
}

// config builds the judge configuration after s.parse; no provider and no key: no judge.
func (f *judgeFlags) config(s *settings) (app.JudgeConfig, error) {
	kind := f.kind
	if kind == "" {
		for _, k := range []string{provider.KindGemini, provider.KindOpenAI, provider.KindAnthropic} {
			if v, _ := s.env(judgeKeyEnv[k][0]); v != "" {
				kind = k
				break
			}
		}
	}
	budget, err := strconv.ParseFloat(f.budget, 64)
	if err != nil || budget < 0 {
		return app.JudgeConfig{}, usageError{fmt.Errorf("--judge-daily-budget-usd: must be a non-negative number")}
	}
	rate, err := strconv.ParseFloat(f.sampleRate, 64)
	if err != nil || rate < 0 || rate > 1 {
		return app.JudgeConfig{}, usageError{fmt.Errorf("--eval-sample-rate: must be a number from 0 to 1")}
	}
	if kind == "" {
		return app.JudgeConfig{}, nil
	}
	names, ok := judgeKeyEnv[kind]
	if !ok {
		return app.JudgeConfig{}, usageError{fmt.Errorf("--judge-provider: unknown provider %q (use gemini, openai or anthropic)", kind)}
	}
	key, _ := s.env(names[0])
	base := f.baseURL
	if base == "" {
		base, _ = s.env(names[1])
	}
	model := f.model
	if model == "" {
		model = judgeDefaultModel[kind]
	}
	switch provider.Mode(f.mode) {
	case "", provider.ModeJSONSchema, provider.ModeTool, provider.ModeJSON, provider.ModeText:
	default:
		return app.JudgeConfig{}, usageError{fmt.Errorf("--judge-mode: must be json_schema, tool, json or text")}
	}
	return app.JudgeConfig{
		Provider:       provider.Config{Kind: kind, Model: model, BaseURL: base, APIKey: key, Mode: provider.Mode(f.mode), Timeout: f.timeout},
		Limits:         provider.Limits{MaxConcurrency: f.concurrency, MaxAge: f.maxAge},
		DailyBudgetUSD: budget,
		Online:         eval.Online{SampleRate: rate, Delay: f.delay, Interval: f.interval},
	}, nil
}
