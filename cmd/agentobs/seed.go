package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/app"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/synth"
)

func cmdSeed(args []string, stdout, stderr io.Writer) error {
	s := newSettings("seed", "Write realistic, deterministic synthetic data into the store: ~10 agents, models across\n"+
		"providers priced from the price table, a daily traffic cycle, errors and timeouts, users and\n"+
		"sessions, multi-span agent traces, activity events and guardrail violations. Stop the server\n"+
		"first: the embedded database allows one process at a time.", stderr)
	var sf storeFlags
	sf.bind(s)
	var traces, days, events, violations, batch int
	var seed int
	var workspace, initKey, prices, end string
	var quiet bool
	s.integer(&traces, "traces", "AGENTOBS_SEED_TRACES", 10000, "number of traces")
	s.integer(&days, "days", "AGENTOBS_SEED_DAYS", 30, "spread the traces over this many days up to --end")
	s.integer(&seed, "seed", "AGENTOBS_SEED", 1, "random seed: the same seed gives the same data")
	s.integer(&events, "events", "AGENTOBS_SEED_EVENTS", synth.DefaultEvents, "activity events (negative: none)")
	s.integer(&violations, "violations", "AGENTOBS_SEED_VIOLATIONS", synth.DefaultViolations, "guardrail violations (negative: none)")
	s.integer(&batch, "batch", "AGENTOBS_SEED_BATCH", synth.DefaultBatchSize, "traces per write")
	s.str(&workspace, "workspace", "AGENTOBS_SEED_WORKSPACE", "", "workspace id (default: the first workspace, created if none)")
	s.str(&initKey, "init-api-key", "AGENTOBS_INIT_API_KEY", "", "API key for a newly created first workspace")
	var salt string
	s.str(&salt, "api-key-salt", "API_KEY_SALT", "", "secret the API key hash is keyed with (default: generated once into the data directory)")
	s.str(&prices, "prices", "AGENTOBS_PRICES_FILE", "", "JSON price file overriding the built-in model prices")
	s.str(&end, "end", "AGENTOBS_SEED_END", "", "end of the period, RFC 3339 (default: now)")
	s.fs.BoolVar(&quiet, "quiet", false, "no progress bar")
	if err := s.parse(args); err != nil {
		return err
	}
	if traces < 1 {
		return usageError{fmt.Errorf("--traces must be at least 1")}
	}
	if days < 1 {
		return usageError{fmt.Errorf("--days must be at least 1")}
	}
	endTime := time.Now().UTC()
	if end != "" {
		t, err := time.Parse(time.RFC3339, end)
		if err != nil {
			return usageError{fmt.Errorf("--end: %v", err)}
		}
		endTime = t.UTC()
	}
	table := pricing.Default()
	if prices != "" {
		var err error
		if table, err = pricing.Load(prices); err != nil {
			return err
		}
	}
	ctx, stop := signalContext()
	defer stop()
	cfg := sf.config()
	cfg.Auth.APIKeySalt = salt
	st, _, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if workspace == "" {
		hasher, err := app.KeyHasher(cfg, nil)
		if err != nil {
			return err
		}
		ws, err := app.Bootstrap(ctx, st, hasher, initKey, stdout)
		if err != nil {
			return err
		}
		workspace = ws.ID
	} else if _, err := st.GetWorkspace(ctx, workspace); err != nil {
		return err
	}
	bar := newProgressBar(stderr, traces, quiet)
	start := time.Now()
	sum, err := synth.Generate(ctx, st, synth.Config{
		WorkspaceID: workspace, Traces: traces, Days: days, End: endTime, Seed: int64(seed),
		Events: events, Violations: violations, BatchSize: batch, Prices: table,
	}, bar.update)
	bar.finish()
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "seeded %d traces (%d spans, %d scores, %d errors, %d timeouts, %d users, %d sessions), %d events, %d violations\n",
		sum.Traces, sum.Spans, sum.Scores, sum.Errors, sum.Timeouts, sum.Users, sum.Sessions, sum.Events, sum.Violations)
	fmt.Fprintf(stdout, "period %s to %s, %d tokens, $%.2f, in %s (%.0f traces/s) into workspace %s\n",
		sum.From.Format(time.RFC3339), sum.To.Format(time.RFC3339), sum.Tokens, sum.CostUSD,
		took.Round(time.Millisecond), float64(sum.Traces)/took.Seconds(), workspace)
	return nil
}

// progressBar draws on a terminal only; piped output stays clean for scripts and logs.
type progressBar struct {
	w       io.Writer
	total   int
	enabled bool
	start   time.Time
	last    time.Time
}

func newProgressBar(w io.Writer, total int, quiet bool) *progressBar {
	enabled := false
	if f, ok := w.(*os.File); ok && !quiet {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			enabled = true
		}
	}
	return &progressBar{w: w, total: total, enabled: enabled, start: time.Now()}
}

func (p *progressBar) update(done, total int) {
	if !p.enabled || (time.Since(p.last) < 100*time.Millisecond && done < total) {
		return
	}
	p.last = time.Now()
	const width = 30
	frac := float64(done) / float64(max(total, 1))
	filled := int(frac * width)
	rate := float64(done) / time.Since(p.start).Seconds()
	eta := ""
	if rate > 0 && done < total {
		eta = " eta " + (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %d/%d traces %.0f/s%s   ", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		frac*100, done, total, rate, eta)
}

func (p *progressBar) finish() {
	if p.enabled {
		fmt.Fprintln(p.w)
	}
}
