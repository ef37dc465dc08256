package model

import (
	"strings"
	"testing"
	"time"
)

func TestEvaluatorDefValidate(t *testing.T) {
	ok := EvaluatorDef{ID: "answer-quality", Name: "Answer quality", Scope: ScopeSpan,
		Filter: EvaluatorFilter{SpanKinds: []string{"llm"}}, SampleRate: 0.5, Delay: Duration(time.Minute)}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid definition: %v", err)
	}
	if !ok.WantsExplanation() {
		t.Error("explanations are on by default")
	}
	off := false
	ok.Explanation = &off
	if ok.WantsExplanation() {
		t.Error("explanation false is ignored")
	}
	for _, tc := range []struct {
		change func(*EvaluatorDef)
		field  string
	}{
		{func(d *EvaluatorDef) { d.ID = "Bad Id" }, "id"},
		{func(d *EvaluatorDef) { d.ID = "default" }, "id"},
		{func(d *EvaluatorDef) { d.Name = " " }, "name"},
		{func(d *EvaluatorDef) { d.Description = strings.Repeat("x", 2001) }, "description"},
		{func(d *EvaluatorDef) { d.Scope = "conversation" }, "scope"},
		{func(d *EvaluatorDef) { d.Scope = ScopeSession }, "filter"},
		{func(d *EvaluatorDef) { d.Scope, d.Filter = ScopeSession, EvaluatorFilter{Tags: []string{"beta"}} }, "filter.tags"},
		{func(d *EvaluatorDef) { d.Scope = ScopeTrace }, "filter"},
		{func(d *EvaluatorDef) { d.Filter.SpanKinds = []string{"robot"} }, "filter.span_kinds[0]"},
		{func(d *EvaluatorDef) { d.Filter.Agents = make([]string, 101) }, "filter.agents"},
		{func(d *EvaluatorDef) { d.SampleRate = 1.5 }, "sample_rate"},
		{func(d *EvaluatorDef) { d.Delay = Duration(25 * time.Hour) }, "delay"},
		{func(d *EvaluatorDef) { d.Criteria = make([]string, 21) }, "criteria"},
		{func(d *EvaluatorDef) { d.Model = strings.Repeat("m", 201) }, "model"},
		{func(d *EvaluatorDef) { d.MaxTokens = -1 }, "max_tokens"},
		{func(d *EvaluatorDef) { d.System = strings.Repeat("s", 8001) }, "template"},
		{func(d *EvaluatorDef) { d.DailyBudgetUSD = -1 }, "daily_budget_usd"},
	} {
		d := ok
		tc.change(&d)
		err := d.Validate()
		var e *Error
		if err == nil || !asError(err, &e) || len(e.Fields) == 0 || e.Fields[0].Path.String() != tc.field {
			t.Errorf("want a problem with %s, got %v", tc.field, err)
		}
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	*target = e
	return ok
}
