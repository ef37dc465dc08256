// Package pipeline turns validated traces into stored ones: it derives missing figures,
// prices model calls, writes batches, and sends what cannot be written to dead letters.
package pipeline

import (
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pricing"
)

// Enrich fills what the client left out, in place:
//   - tokens_total from input + output;
//   - the provider from the price table when the model is known;
//   - cost from the price table when absent (left nil for unknown models: unknown is not free);
//   - a span's latency from its times, or its end from start + latency.
//
// Roll-ups over spans are the store's job, because they must include spans stored earlier.
func Enrich(t *model.Trace, prices *pricing.Table) {
	d := &t.Declared
	d.TokensTotal = totalTokens(d.TokensInput, d.TokensOutput, d.TokensTotal)
	if t.Provider == "" && t.Model != "" {
		t.Provider = prices.ProviderOf(t.Model)
	}
	if d.CostUSD == nil && t.Model != "" && (d.TokensInput != nil || d.TokensOutput != nil) {
		d.CostUSD = price(prices, t.Model, d.TokensInput, d.TokensOutput, d.TokensCached)
	}
	for i := range t.Spans {
		enrichSpan(&t.Spans[i], prices)
	}
}

func enrichSpan(s *model.Span, prices *pricing.Table) {
	switch {
	case s.LatencyMs < 0 && !s.EndTime.IsZero():
		s.LatencyMs = s.EndTime.Sub(s.StartTime).Milliseconds()
	case s.LatencyMs < 0:
		s.LatencyMs = 0
		s.EndTime = s.StartTime
	case s.EndTime.IsZero():
		s.EndTime = s.StartTime.Add(msToDuration(s.LatencyMs))
	}
	s.TokensTotal = totalTokens(s.TokensInput, s.TokensOutput, s.TokensTotal)
	if s.Provider == "" && s.Model != "" {
		s.Provider = prices.ProviderOf(s.Model)
	}
	if s.CostUSD == nil && s.Model != "" && (s.TokensInput != nil || s.TokensOutput != nil) {
		s.CostUSD = price(prices, s.Model, s.TokensInput, s.TokensOutput, s.TokensCached)
	}
}

func totalTokens(in, out, total *int64) *int64 {
	if total != nil || (in == nil && out == nil) {
		return total
	}
	return model.Int64(deref(in) + deref(out))
}

func price(prices *pricing.Table, m string, in, out, cached *int64) *float64 {
	usd, ok := prices.Cost(m, deref(in), deref(out), deref(cached))
	if !ok {
		return nil
	}
	return model.Float64(usd)
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func msToDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
