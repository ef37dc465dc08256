// Command loadgen posts realistic agent traces to a running agentobs server and reports
// ingestion throughput and latency.
//
// It is a closed-loop generator: each of -concurrency workers sends a request, waits for
// the answer and sends the next, so the numbers are what the server sustains, not what was
// offered. With -rate the workers also keep to a schedule of evenly spaced requests, to
// measure latency at a given load below saturation. Bodies are pre-built so that the
// client, which usually shares the machine with the server, stays cheap.
//
//	go run ./bench/loadgen -mode batch -batch 100 -duration 30s
//
// The exit status is 0 if every request was acknowledged, 1 if any failed (non-2xx answer,
// a 207 with rejected items, or a transport error) and 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(mainErr(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// mainErr is main with its surroundings passed in, and an exit status out.
func mainErr(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}

	// The first interrupt ends the run early but still reports it; a second one kills.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()

	res, err := run(ctx, cfg)
	if res == nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	if cfg.JSON {
		_ = writeJSON(stdout, res)
	} else {
		_ = writeText(stdout, res)
	}
	switch {
	case errors.Is(err, errFailed):
		fmt.Fprintln(stderr, "loadgen:", failureLine(res))
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: go run ./bench/loadgen [flags]

Posts generated agent traces to an agentobs server (POST /api/v1/traces or
/api/v1/traces/batch) for -duration after a -warmup, then prints requests,
traces sent and acknowledged, errors, throughput and latency percentiles.
Exits 1 if any request failed.

flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8000", "base `URL` of the agentobs server")
	fs.StringVar(&cfg.Key, "key", "", "API `key`, sent as \"Authorization: Bearer <key>\" (default $AGENTOBS_API_KEY)")
	fs.StringVar(&cfg.Mode, "mode", "single", "single: one trace per POST /api/v1/traces; batch: -batch traces per POST /api/v1/traces/batch; otlp: -batch spans per OTLP/HTTP protobuf POST /v1/traces; grpc: the same over OTLP/gRPC (-grpc-addr); langfuse-otlp: the same with Langfuse attributes to POST /api/public/otel/v1/traces; langfuse: -batch Langfuse events per POST /api/public/ingestion")
	fs.IntVar(&cfg.Batch, "batch", 100, "traces per request in batch mode (the server accepts 100 by default); spans per request in the otlp, grpc and langfuse-otlp modes; events per request in langfuse mode")
	fs.IntVar(&cfg.Concurrency, "concurrency", 64, "requests in flight: workers, each with its own connection")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to measure, after the warmup")
	fs.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "how long to send before measuring, so connections and server caches are warm; not counted in the rates")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "per-request timeout, answer included")
	fs.IntVar(&cfg.Spans, "spans", 0, "extra spans per trace, sent in its spans array: a root agent span, then llm/tool/retrieval steps; 0 sends flat traces, which the server stores as one llm span")
	fs.StringVar(&cfg.GRPCAddr, "grpc-addr", "", "host:port of the OTLP/gRPC receiver, for -mode grpc (the otlp mode's requests over gRPC)")
	fs.BoolVar(&cfg.JSON, "json", false, "print the result as one JSON object instead of text")
	fs.Float64Var(&cfg.Repeat, "repeat", 0, "share of traces (0 to <1) that resend an id the worker sent before, as client retries do; single and batch modes")
	fs.BoolVar(&cfg.Probe, "probe", false, "also measure ack-to-queryable: every 50 ms post one more trace and poll GET /api/v1/traces/{id} until it answers (the key needs the read scope)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "requests per second over all workers, evenly spaced (e.g. 150 batches of 100 for 15,000 traces/s), to measure latency and ack-to-read at a given load; 0: as fast as the server answers")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the generated trace contents; trace ids differ on every run regardless")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if cfg.Key == "" {
		cfg.Key = getenv("AGENTOBS_API_KEY")
	}
	return cfg, cfg.validate()
}
