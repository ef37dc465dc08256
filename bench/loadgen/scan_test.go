package main

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/agentobs/agentobs/internal/guardrail"
)

// BenchmarkScanGeneratedTraces is the background scan's cost per trace on what this load
// generator sends: every default detector over each flat trace's input and output. It also
// checks that those texts are clean, as the load must not turn every trace into a violation.
func BenchmarkScanGeneratedTraces(b *testing.B) {
	s, err := guardrail.New()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	traces := make([]traceInput, 4096)
	bytes := 0
	for i := range traces {
		traces[i] = randomTrace(rng, 0)
		ticket := string(appendTicket(nil, []byte("lg-bench-0-"), uint64(i)))
		traces[i].Input = strings.ReplaceAll(traces[i].Input, sentinelRef, ticket)
		traces[i].Output = strings.ReplaceAll(traces[i].Output, sentinelRef, ticket)
		bytes += len(traces[i].Input) + len(traces[i].Output)
	}
	flagged := 0
	for _, t := range traces {
		if len(s.Scan(t.Input, guardrail.Options{Direction: guardrail.DirectionInput})) > 0 ||
			len(s.Scan(t.Output, guardrail.Options{Direction: guardrail.DirectionOutput})) > 0 {
			flagged++
		}
	}
	if flagged > len(traces)/20 {
		b.Fatalf("%d of %d generated traces have findings", flagged, len(traces))
	}
	b.SetBytes(int64(bytes / len(traces)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := &traces[i%len(traces)]
		s.Scan(t.Input, guardrail.Options{Direction: guardrail.DirectionInput})
		if t.Output != "" {
			s.Scan(t.Output, guardrail.Options{Direction: guardrail.DirectionOutput})
		}
	}
	b.ReportMetric(float64(flagged)/float64(len(traces))*100, "%flagged")
}
