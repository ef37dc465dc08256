package storetest

import (
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// testEvaluatorDefs: every save is the next version; delete hides an evaluator but keeps
// its versions readable by number; a save after a delete continues the numbering.
func testEvaluatorDefs(t *testing.T, s store.Store) {
	c := ctx()
	def := model.EvaluatorDef{WorkspaceID: ws1, ID: "support-quality", Name: "Support quality", Scope: model.ScopeTrace,
		Filter: model.EvaluatorFilter{Agents: []string{"support-bot"}}, SampleRate: 0.25, Delay: model.Duration(time.Minute),
		Criteria: []string{"helpfulness"}, Enabled: true, CreatedAt: t0}
	v1, err := s.PutEvaluatorDef(c, def)
	if err != nil || v1.Version != 1 {
		t.Fatalf("first save = %+v, %v", v1, err)
	}
	def.SampleRate, def.CreatedAt = 0.5, t0.Add(time.Hour)
	if v2, err := s.PutEvaluatorDef(c, def); err != nil || v2.Version != 2 {
		t.Fatalf("second save = %+v, %v", v2, err)
	}
	other := model.EvaluatorDef{WorkspaceID: ws1, ID: "answers", Name: "Answers", Scope: model.ScopeSpan, Enabled: true, CreatedAt: t0}
	if _, err := s.PutEvaluatorDef(c, other); err != nil {
		t.Fatal(err)
	}
	latest, err := s.GetEvaluatorDef(c, ws1, "support-quality", 0)
	if err != nil || latest.Version != 2 || latest.SampleRate != 0.5 || !latest.CreatedAt.Equal(t0.Add(time.Hour)) ||
		len(latest.Filter.Agents) != 1 || latest.Delay != model.Duration(time.Minute) {
		t.Fatalf("latest = %+v, %v", latest, err)
	}
	if first, err := s.GetEvaluatorDef(c, ws1, "support-quality", 1); err != nil || first.SampleRate != 0.25 {
		t.Fatalf("version 1 = %+v, %v", first, err)
	}
	list, err := s.ListEvaluatorDefs(c, ws1)
	if err != nil || len(list) != 2 || list[0].ID != "answers" || list[1].ID != "support-quality" || list[1].Version != 2 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if vs, err := s.ListEvaluatorVersions(c, ws1, "support-quality"); err != nil || len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 {
		t.Fatalf("versions = %+v, %v", vs, err)
	}
	if l, _ := s.ListEvaluatorDefs(c, ws2); len(l) != 0 {
		t.Errorf("evaluators leak across workspaces: %+v", l)
	}
	if _, err := s.GetEvaluatorDef(c, ws2, "support-quality", 0); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("other workspace: %v", err)
	}

	if err := s.DeleteEvaluatorDef(c, ws1, "support-quality"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEvaluatorDef(c, ws1, "support-quality"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("second delete: %v", err)
	}
	if _, err := s.GetEvaluatorDef(c, ws1, "support-quality", 0); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("latest of a deleted evaluator: %v", err)
	}
	if old, err := s.GetEvaluatorDef(c, ws1, "support-quality", 2); err != nil || old.Version != 2 {
		t.Errorf("a deleted evaluator's version by number = %+v, %v", old, err)
	}
	if list, _ := s.ListEvaluatorDefs(c, ws1); len(list) != 1 || list[0].ID != "answers" {
		t.Errorf("list after delete = %+v", list)
	}
	// Saved again: live, numbered after the deleted versions.
	if v3, err := s.PutEvaluatorDef(c, def); err != nil || v3.Version != 3 {
		t.Fatalf("save after delete = %+v, %v", v3, err)
	}
	if list, _ := s.ListEvaluatorDefs(c, ws1); len(list) != 2 {
		t.Errorf("list after revival = %+v", list)
	}
}
