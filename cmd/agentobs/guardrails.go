package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/agentobs/agentobs/internal/guardrail"
)

const guardrailsUsage = `Usage: agentobs guardrails <train|eval> [flags]

  train   fit the injection and toxicity classifiers on labelled data and write their
          weight files (the shipped ones are internal/guardrail/data/*.model)
  eval    measure every detector on labelled data: precision, recall, F1 and false-positive
          rate per dataset and per PII type

Labelled data: CSV files "text,label" named injection_*.csv (labels injection|benign) or
toxicity_*.csv (toxic|clean), and JSON lines pii_*.jsonl ({"text", "entities":[{"type",
"start","end"}]}, offsets in code points).
`

func cmdGuardrails(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, guardrailsUsage)
		return usageError{fmt.Errorf("missing subcommand")}
	}
	switch args[0] {
	case "train":
		return cmdGuardrailsTrain(args[1:], stdout, stderr)
	case "eval":
		return cmdGuardrailsEval(args[1:], stdout, stderr)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, guardrailsUsage)
		return nil
	}
	fmt.Fprint(stderr, guardrailsUsage)
	return usageError{fmt.Errorf("unknown subcommand %q", args[0])}
}

func cmdGuardrailsTrain(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("guardrails train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "directory of labelled files (required)")
	out := fs.String("out", "internal/guardrail/data", "directory the .model files are written to")
	epochs := fs.Int("epochs", 12, "passes over the training rows")
	seed := fs.Uint64("seed", guardrail.ShippedSeed, "shuffling seed; the same data and seed give the same bytes")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: agentobs guardrails train --data DIR [--out DIR]\n\nTrains on four fifths of the rows; the fifth that guardrail.Holdout selects picks the\nthreshold (at most 1.5 % false positives for injection; for toxicity 10 % of the clean posts\nand 1.5 % of the agent prose learnt as clean). The package's own ordinary requests\n(data/injection_agent_requests.csv) are trained on with DIR's files.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return usageError{fmt.Errorf("--data is required")}
	}
	sets, err := guardrail.LoadTrainingData(*data)
	if err != nil {
		return err
	}
	for _, task := range []string{"injection", "toxicity"} {
		m, err := guardrail.TrainTask(task, sets, guardrail.TrainOptions{Epochs: *epochs, Seed: *seed})
		if err != nil {
			return err
		}
		path := filepath.Join(*out, task+".model")
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if _, err := m.WriteTo(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: threshold %.2f, written to %s\n", task, m.Threshold, path)
	}
	return nil
}

func cmdGuardrailsEval(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("guardrails eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "directory of labelled files (required)")
	holdout := fs.Bool("holdout", false, "only the fifth of the rows that training keeps apart")
	format := fs.String("format", "markdown", "markdown or json")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: agentobs guardrails eval --data DIR [--holdout] [--format markdown|json]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return usageError{fmt.Errorf("--data is required")}
	}
	sets, err := guardrail.LoadTrainingData(*data)
	if err != nil {
		return err
	}
	s, err := guardrail.New()
	if err != nil {
		return err
	}
	results := guardrail.Evaluate(s, sets, guardrail.EvalOptions{HoldoutOnly: *holdout})
	switch *format {
	case "markdown":
		guardrail.WriteMarkdown(stdout, results)
	case "json":
		type row struct {
			guardrail.Result
			Precision, Recall, F1, FPR float64
		}
		rows := make([]row, len(results))
		for i, r := range results {
			rows[i] = row{r, r.Precision(), r.Recall(), r.F1(), r.FPR()}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	default:
		return usageError{fmt.Errorf("--format %q: use markdown or json", *format)}
	}
	return nil
}
