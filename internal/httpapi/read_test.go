package httpapi

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/model"
)

func ids(spans []model.Span) any {
	var out []any
	for _, s := range spans {
		if len(s.Children) == 0 {
			out = append(out, s.SpanID)
		} else {
			out = append(out, map[string]any{s.SpanID: ids(s.Children)})
		}
	}
	return out
}

func TestBuildTree(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	flat := []model.Span{
		{SpanID: "c", ParentSpanID: "root", StartTime: at(2)},
		{SpanID: "root", StartTime: at(0)},
		{SpanID: "b", ParentSpanID: "root", StartTime: at(1)},
		{SpanID: "b1", ParentSpanID: "b", StartTime: at(1)},
		{SpanID: "orphan", ParentSpanID: "never-sent", StartTime: at(3)},
		{SpanID: "x", ParentSpanID: "y", StartTime: at(5)},
		{SpanID: "y", ParentSpanID: "x", StartTime: at(4)},
	}
	got := ids(BuildTree(flat))
	// A parent cycle x<->y is broken by showing both at the top level; neither is lost.
	want := []any{
		map[string]any{"root": []any{map[string]any{"b": []any{"b1"}}, "c"}},
		"orphan", "y", "x",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

func TestProblemFor(t *testing.T) {
	p := problemFor(&model.Error{Code: model.EINVALID, Message: "invalid trace", Fields: []model.FieldError{{Path: model.Path{"spans", 0, "kind"}, Detail: "bad"}}})
	if p.Status != 400 || p.Type != ProblemTypeBase+"validation" || p.Errors[0].Field != "spans[0].kind" || p.Errors[0].Pointer != "/spans/0/kind" {
		t.Errorf("problem = %+v", p)
	}
	internal := problemFor(errors.New("duckdb: disk I/O error at /secret/path"))
	if internal.Status != 500 || internal.Detail != "internal error" {
		t.Errorf("internal errors must not leak: %+v", internal)
	}
	if problemFor(model.Errorf(model.ETOOLARGE, "big")).Status != 413 {
		t.Errorf("too large mapping")
	}
}
