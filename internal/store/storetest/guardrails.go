package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

func testViolationPages(t *testing.T, s store.Store) {
	var vs []model.Violation
	for i := range 7 {
		typ := "pii"
		if i%3 == 0 {
			typ = "injection"
		}
		vs = append(vs, model.Violation{WorkspaceID: ws1, ID: fmt.Sprintf("v%d", i), Time: t0.Add(time.Duration(i/2) * time.Hour),
			TraceID: fmt.Sprintf("t%d", i), SpanID: "s1", AgentID: "bot", Type: typ, Subtype: "EMAIL", Severity: "medium",
			Action: "flagged", Detail: "mail [EMAIL] now", Direction: "input", Score: 0.75, Detector: "pii/email@1"})
	}
	other := vs[0]
	other.WorkspaceID = ws2
	if err := s.WriteViolations(ctx(), append(vs, other)); err != nil {
		t.Fatal(err)
	}
	// Newest first, ties broken by id descending, three at a time.
	var got []string
	f := store.ViolationFilter{WorkspaceID: ws1, Limit: 3}
	for range 5 {
		page, err := s.QueryViolations(ctx(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page {
			got = append(got, v.ID)
		}
		if len(page) < 3 {
			break
		}
		last := page[len(page)-1]
		f.AfterTime, f.AfterID = last.Time, last.ID
	}
	if want := []string{"v6", "v5", "v4", "v3", "v2", "v1", "v0"}; !cmp.Equal(got, want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
	inj, err := s.QueryViolations(ctx(), store.ViolationFilter{WorkspaceID: ws1, Types: []string{"injection"}})
	if err != nil || len(inj) != 3 {
		t.Fatalf("type filter: %d rows, %v", len(inj), err)
	}
	if diff := cmp.Diff(vs[6], inj[0]); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	counts, err := s.ViolationCounts(ctx(), store.ViolationFilter{WorkspaceID: ws1}, "hour")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, c := range counts {
		total += c.Count
	}
	if total != 7 || counts[0].Bucket != t0 || counts[0].Type != "injection" {
		t.Errorf("counts = %+v", counts)
	}
	if _, err := s.ViolationCounts(ctx(), store.ViolationFilter{WorkspaceID: ws1}, "minute; DROP"); !isCode(err, model.EINVALID) {
		t.Errorf("bad bucket: %v", err)
	}
}

func testGuardrailRulesAndSettings(t *testing.T, s store.Store) {
	r := model.GuardrailRule{WorkspaceID: ws1, ID: "r1", Name: "orders", Kind: "regex", Pattern: `ORD-\d+`,
		Directions: []string{"output"}, Agents: []string{}, Action: "redact", Severity: "high", Enabled: true,
		Schema: json.RawMessage(`{"type":"object"}`), CreatedAt: t0, UpdatedAt: t0}
	if err := s.PutGuardrailRule(ctx(), r); err != nil {
		t.Fatal(err)
	}
	r.Name, r.UpdatedAt = "order ids", t0.Add(time.Minute)
	if err := s.PutGuardrailRule(ctx(), r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GuardrailRules(ctx(), ws1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]model.GuardrailRule{r}, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if other, _ := s.GuardrailRules(ctx(), ws2); len(other) != 0 {
		t.Errorf("other workspace sees %d rules", len(other))
	}
	if err := s.DeleteGuardrailRule(ctx(), ws2, "r1"); !isCode(err, model.ENOTFOUND) {
		t.Errorf("delete from another workspace: %v", err)
	}
	if err := s.DeleteGuardrailRule(ctx(), ws1, "r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GuardrailSettings(ctx(), ws1); !isCode(err, model.ENOTFOUND) {
		t.Errorf("settings before any save: %v", err)
	}
	gs := model.GuardrailSettings{WorkspaceID: ws1, Actions: map[string]string{"pii": "redact", "injection": "flag"}, UpdatedAt: t0}
	if err := s.PutGuardrailSettings(ctx(), gs); err != nil {
		t.Fatal(err)
	}
	gs.Actions["secret"] = "redact"
	if err := s.PutGuardrailSettings(ctx(), gs); err != nil {
		t.Fatal(err)
	}
	back, err := s.GuardrailSettings(ctx(), ws1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&gs, back); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
}
