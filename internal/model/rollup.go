package model

import "sort"

// RollUp sets t's totals from its spans, falling back to t.Declared.
//
// Tokens and cost are the sums over the spans that carry them; when no span carries a
// figure, the trace-level one is used. A successful trace with a failed span becomes an
// error. The end time is the latest end of the trace and its spans; the latency is the
// declared one, else end minus start. The model is the declared one, else that of the
// earliest llm span naming one.
func RollUp(t *Trace, spans []Span) {
	d := t.Declared
	t.SpanCount = int64(len(spans))
	t.ErrorSpanCount = 0
	t.TokensInput, t.TokensOutput, t.TokensCached, t.TokensTotal, t.CostUSD = d.TokensInput, d.TokensOutput, d.TokensCached, d.TokensTotal, d.CostUSD
	t.Status = d.Status
	if t.Status == "" {
		t.Status = StatusSuccess
	}
	t.EndTime = d.EndTime
	if len(spans) > 0 {
		var in, out, cached, total sumInt
		var cost sumFloat
		for i := range spans {
			s := &spans[i]
			if s.Status.Failed() {
				t.ErrorSpanCount++
			}
			in.add(s.TokensInput)
			out.add(s.TokensOutput)
			cached.add(s.TokensCached)
			total.add(s.TokensTotal)
			cost.add(s.CostUSD)
			if s.EndTime.After(t.EndTime) {
				t.EndTime = s.EndTime
			}
		}
		if in.any || out.any || cached.any || total.any || cost.any {
			t.TokensInput, t.TokensOutput, t.TokensCached, t.TokensTotal, t.CostUSD = in.ptr(), out.ptr(), cached.ptr(), total.ptr(), cost.ptr()
		}
		if t.ErrorSpanCount > 0 && t.Status == StatusSuccess {
			t.Status = StatusError
		}
		if t.Model == "" {
			if s := firstLLMWithModel(spans); s != nil {
				t.Model, t.Provider = s.Model, s.Provider
			}
		}
	}
	if d.Origin != OriginDeclared && len(spans) > 0 {
		deriveFromSpans(t, spans) // OTLP: from the root span, whichever part brought it
	}
	if t.EndTime.Before(t.StartTime) {
		t.EndTime = t.StartTime
	}
	switch {
	case d.LatencyMs != nil:
		t.LatencyMs = *d.LatencyMs
		if d.EndTime.IsZero() && len(spans) == 0 {
			t.EndTime = t.StartTime.Add(msDuration(*d.LatencyMs))
		}
	default:
		t.LatencyMs = t.EndTime.Sub(t.StartTime).Milliseconds()
	}
}

func firstLLMWithModel(spans []Span) *Span {
	idx := make([]int, 0, len(spans))
	for i := range spans {
		if spans[i].Kind == KindLLM && spans[i].Model != "" {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	sort.SliceStable(idx, func(a, b int) bool { return spans[idx[a]].StartTime.Before(spans[idx[b]].StartTime) })
	return &spans[idx[0]]
}

type sumInt struct {
	v   int64
	any bool
}

func (s *sumInt) add(p *int64) {
	if p != nil {
		s.v += *p
		s.any = true
	}
}

func (s sumInt) ptr() *int64 {
	if !s.any {
		return nil
	}
	return Int64(s.v)
}

type sumFloat struct {
	v   float64
	any bool
}

func (s *sumFloat) add(p *float64) {
	if p != nil {
		s.v += *p
		s.any = true
	}
}

func (s sumFloat) ptr() *float64 {
	if !s.any {
		return nil
	}
	return Float64(s.v)
}
