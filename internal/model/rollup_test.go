package model

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func TestRollUpFlat(t *testing.T) {
	tr := Trace{StartTime: t0, Declared: Declared{LatencyMs: Int64(300), TokensInput: Int64(10), CostUSD: Float64(0.5)}}
	RollUp(&tr, nil)
	if tr.Status != StatusSuccess || tr.LatencyMs != 300 || !tr.EndTime.Equal(t0.Add(300*time.Millisecond)) ||
		*tr.TokensInput != 10 || tr.TokensOutput != nil || *tr.CostUSD != 0.5 || tr.SpanCount != 0 {
		t.Errorf("flat roll-up = %+v", tr)
	}
}

func TestRollUpSpans(t *testing.T) {
	tests := []struct {
		name       string
		declared   Declared
		spans      []Span
		wantStatus Status
		wantTokens *int64
		wantCost   *float64
		wantLat    int64
		wantModel  string
	}{
		{
			name:     "sums spans, error from failed span",
			declared: Declared{Status: StatusSuccess, TokensInput: Int64(999)},
			spans: []Span{
				{Kind: KindLLM, Model: "b", StartTime: t0.Add(time.Second), EndTime: t0.Add(2 * time.Second), TokensInput: Int64(5), CostUSD: Float64(1)},
				{Kind: KindLLM, Model: "a", StartTime: t0, EndTime: t0.Add(time.Second), TokensInput: Int64(7)},
				{Kind: KindTool, StartTime: t0, EndTime: t0.Add(4 * time.Second), Status: StatusTimeout},
			},
			wantStatus: StatusError, wantTokens: Int64(12), wantCost: Float64(1), wantLat: 4000, wantModel: "a",
		},
		{
			name:       "falls back to declared figures when spans carry none",
			declared:   Declared{Status: StatusTimeout, TokensInput: Int64(42), CostUSD: Float64(2), LatencyMs: Int64(50)},
			spans:      []Span{{Kind: KindTool, StartTime: t0, EndTime: t0.Add(time.Second)}},
			wantStatus: StatusTimeout, wantTokens: Int64(42), wantCost: Float64(2), wantLat: 50,
		},
		{
			name:       "unknown cost stays unknown",
			declared:   Declared{},
			spans:      []Span{{Kind: KindLLM, StartTime: t0, EndTime: t0, TokensInput: Int64(3)}},
			wantStatus: StatusSuccess, wantTokens: Int64(3), wantCost: nil, wantLat: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := Trace{StartTime: t0, Declared: tc.declared}
			RollUp(&tr, tc.spans)
			if tr.Status != tc.wantStatus || tr.LatencyMs != tc.wantLat || tr.Model != tc.wantModel {
				t.Errorf("status=%s latency=%d model=%q", tr.Status, tr.LatencyMs, tr.Model)
			}
			if (tr.TokensInput == nil) != (tc.wantTokens == nil) || (tr.TokensInput != nil && *tr.TokensInput != *tc.wantTokens) {
				t.Errorf("tokens_input = %v", tr.TokensInput)
			}
			if (tr.CostUSD == nil) != (tc.wantCost == nil) || (tr.CostUSD != nil && *tr.CostUSD != *tc.wantCost) {
				t.Errorf("cost = %v", tr.CostUSD)
			}
			if tr.SpanCount != int64(len(tc.spans)) {
				t.Errorf("span_count = %d", tr.SpanCount)
			}
		})
	}
}

func TestPath(t *testing.T) {
	p := Path{"traces", 3, "spans", 0, "a/b~c"}
	if p.String() != "traces[3].spans[0].a/b~c" || p.Pointer() != "/traces/3/spans/0/a~1b~0c" {
		t.Errorf("path = %s %s", p.String(), p.Pointer())
	}
	q := p.Append("x")
	if len(p) != 5 || len(q) != 6 {
		t.Errorf("Append modified the receiver")
	}
}
