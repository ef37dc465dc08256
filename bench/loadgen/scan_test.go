package main

import (
	"math/rand/v2"
	"testing"

	"github.com/agentobs/agentobs/internal/guardrail"
)

// BenchmarkScanGeneratedTraces is the background scan's cost per trace on what this load
// generator sends: every default detector over each flat trace's input and output.
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
		bytes += len(traces[i].Input) + len(traces[i].Output)
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
}
