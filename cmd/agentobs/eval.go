package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/agentobs/agentobs/internal/eval"
	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
)

func cmdEval(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "calibrate" {
		return usageError{errors.New(`usage: agentobs eval calibrate --dataset FILE [--evaluator CRITERION] (see "agentobs eval calibrate --help")`)}
	}
	return cmdCalibrate(args[1:], stdout, stderr)
}

// cmdCalibrate runs the configured judge over a labelled dataset and reports how well it
// agrees with the human labels.
func cmdCalibrate(args []string, stdout, stderr io.Writer) error {
	s := newSettings("eval calibrate", `Measure the LLM judge against human labels: accuracy, Cohen's kappa, Spearman's rank
correlation and, for pairwise datasets, position consistency (both orders are asked; a
disagreement is a tie). A dataset is JSONL: pointwise lines {"id", "query", "response",
"label"} (label "hallucinated"/"faithful", true/false or a category of the criterion) or
pairwise lines {"id", "instruction", "output_a", "output_b", "label": "a" or "b"}.
The judge is configured as for serve (GEMINI_API_KEY, --judge-provider, ...).`, stderr)
	var dataset, evaluator, format string
	var limit, workers int
	s.str(&dataset, "dataset", "AGENTOBS_CALIBRATE_DATASET", "", "labelled JSONL file (required)")
	s.str(&evaluator, "evaluator", "AGENTOBS_CALIBRATE_EVALUATOR", "hallucination", "built-in criterion judged on a pointwise dataset (accuracy, helpfulness, tone, relevance, coherence, hallucination, toxicity); pairwise datasets use the pairwise judge")
	s.integer(&limit, "limit", "AGENTOBS_CALIBRATE_LIMIT", 0, "judge only the first N examples (0: all)")
	s.integer(&workers, "workers", "AGENTOBS_CALIBRATE_WORKERS", 8, "examples judged at once")
	s.str(&format, "format", "AGENTOBS_CALIBRATE_FORMAT", "text", "text or json")
	var jf judgeFlags
	jf.bind(s)
	if err := s.parse(args); err != nil {
		return err
	}
	if dataset == "" {
		return usageError{errors.New("--dataset is required")}
	}
	i := slices.IndexFunc(eval.BuiltInCriteria, func(c model.Criterion) bool { return c.Name == evaluator })
	if i < 0 {
		return usageError{fmt.Errorf("--evaluator: unknown criterion %q", evaluator)}
	}
	jc, err := jf.config(s)
	if err != nil {
		return err
	}
	if jc.Provider.Kind == "" {
		return usageError{errors.New("no judge is configured: set GEMINI_API_KEY (or --judge-provider with its key)")}
	}
	f, err := os.Open(dataset)
	if err != nil {
		return err
	}
	defer f.Close()
	items, kind, err := eval.ReadDataset(f)
	if err != nil {
		return fmt.Errorf("%s: %w", dataset, err)
	}
	if limit > 0 && limit < len(items) {
		items = items[:limit]
	}
	p, err := provider.New(jc.Provider)
	if err != nil {
		return err
	}
	rep, err := eval.Calibrate(context.Background(), provider.NewClient(p, jc.Limits), kind, eval.BuiltInCriteria[i], items, workers)
	if err != nil {
		return err
	}
	cost, priced := pricing.Default().Cost(p.Model(), rep.Usage.InputTokens, rep.Usage.OutputTokens, 0)
	if format == "json" {
		return json.NewEncoder(stdout).Encode(map[string]any{"report": rep, "model": p.Model(), "cost_usd": cost, "cost_known": priced})
	}
	fmt.Fprintf(stdout, "dataset    %s (%s, %d examples)\n", dataset, kind, rep.Items)
	if kind == eval.DatasetPointwise {
		fmt.Fprintf(stdout, "criterion  %s\n", rep.Criterion)
	}
	fmt.Fprintf(stdout, "judge      %s %s\n", p.Kind(), p.Model())
	fmt.Fprintf(stdout, "judged     %d (unparsable %d, failed %d)\n", rep.Judged, rep.Unparsable, rep.Failed)
	fmt.Fprintf(stdout, "accuracy   %.4f\nkappa      %.4f\nspearman   %.4f\n", rep.Accuracy, rep.Kappa, rep.Spearman)
	if kind == eval.DatasetPairwise {
		fmt.Fprintf(stdout, "position consistency %.4f (ties %d)\n", rep.PositionConsistency, rep.Ties)
	}
	if priced {
		fmt.Fprintf(stdout, "judge cost $%.4f (%d input, %d output tokens)\n", cost, rep.Usage.InputTokens, rep.Usage.OutputTokens)
	}
	return nil
}
