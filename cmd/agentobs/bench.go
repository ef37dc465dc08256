package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/agentobs/agentobs/internal/loadtest"
)

func cmdBench(args []string, stdout, stderr io.Writer) error {
	s := newSettings("bench", "Load-test a running server the way the plan's k6 script does (bench/k6/load-test.js):\n"+
		"ramp up to --rate requests per second, hold, ramp to --peak-rate, hold, ramp down. Most\n"+
		"requests post traces (new ids, current times, several agents and models); --dashboard-share\n"+
		"of them read the dashboard's endpoints. Prints a progress bar, then rate, latency\n"+
		"percentiles and errors per group. --scale 10 runs the plan's shape at ten times its rates.", stderr)
	var url, dashURL, key string
	var shape loadtest.Shape
	var scale, share float64
	var timeout time.Duration
	var connections, maxInFlight int
	var asJSON, quiet bool
	s.str(&url, "url", "AGENTOBS_BENCH_URL", "http://127.0.0.1:8000", "base URL of the server to load")
	s.str(&dashURL, "dashboard-url", "AGENTOBS_BENCH_DASHBOARD_URL", "", "base URL of the query API for the dashboard reads (default: --url)")
	s.str(&key, "key", "AGENTOBS_API_KEY", "", "API key with the ingest and read scopes")
	s.float(&shape.Rate, "rate", "AGENTOBS_BENCH_RATE", loadtest.PlanShape.Rate, "requests per second of the first hold")
	s.float(&shape.Peak, "peak-rate", "AGENTOBS_BENCH_PEAK_RATE", loadtest.PlanShape.Peak, "requests per second of the second hold")
	s.duration(&shape.Ramp, "ramp", "AGENTOBS_BENCH_RAMP", loadtest.PlanShape.Ramp, "length of each ramp (up, up again, down)")
	s.duration(&shape.Hold, "hold", "AGENTOBS_BENCH_HOLD", loadtest.PlanShape.Hold, "length of each hold")
	s.float(&scale, "scale", "AGENTOBS_BENCH_SCALE", 1, "multiply both rates by this")
	s.float(&share, "dashboard-share", "AGENTOBS_BENCH_DASHBOARD_SHARE", 0.1, "part of the requests that read dashboard endpoints (0 to below 1)")
	s.duration(&timeout, "timeout", "AGENTOBS_BENCH_TIMEOUT", 30*time.Second, "per-request timeout; a request that takes longer counts as an error")
	s.integer(&connections, "connections", "AGENTOBS_BENCH_CONNECTIONS", 0, "idle connections kept per host (0: the load generator's default)")
	s.integer(&maxInFlight, "max-in-flight", "AGENTOBS_BENCH_MAX_IN_FLIGHT", 0, "most requests awaiting an answer per group; when reached, the rate drops (0: no limit)")
	s.boolean(&asJSON, "json", "AGENTOBS_BENCH_JSON", false, "print the report as JSON instead of a table")
	s.boolean(&quiet, "quiet", "AGENTOBS_BENCH_QUIET", false, "no progress bar")
	if err := s.parse(args); err != nil {
		return err
	}
	if key == "" {
		return usageError{errors.New("--key (or AGENTOBS_API_KEY) is required")}
	}
	if maxInFlight < 0 {
		return usageError{errors.New("--max-in-flight must not be negative")}
	}
	if scale <= 0 {
		return usageError{errors.New("--scale must be positive")}
	}
	cfg := loadtest.Config{URL: url, DashboardURL: dashURL, Key: key, Shape: shape.Scaled(scale), DashboardShare: share, Timeout: timeout, Connections: connections,
		MaxInFlight: uint64(maxInFlight)}
	if err := cfg.Shape.Validate(); err != nil {
		return usageError{err}
	}
	ctx, stop := signalContext()
	defer stop()
	var progress io.Writer = stderr
	if quiet {
		progress = nil
	}
	rep, err := loadtest.Run(ctx, cfg, progress)
	if rep == nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		rep.WriteTable(stdout)
	}
	if err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	return nil
}
