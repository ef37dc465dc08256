package guardrail

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
	"github.com/agentobs/agentobs/internal/model"
)

// violationLog keeps every write, in order.
type violationLog struct {
	flakyStore
	mu     sync.Mutex
	writes [][]model.Violation
}

func (l *violationLog) WriteViolations(_ context.Context, vs []model.Violation) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes = append(l.writes, append([]model.Violation(nil), vs...))
	return nil
}

// latest is the last write of each violation.
func (l *violationLog) latest() map[string]model.Violation {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]model.Violation{}
	for _, w := range l.writes {
		for _, v := range w {
			out[v.ID] = v
		}
	}
	return out
}

// TestSecondOpinion: the toxicity classifier flags a curt remark at 0.44; the
// judge (a Gemini fake speaking the wire format) dismisses it, and the stored violation is
// rewritten as logged with the judge's reason. Confident classifier verdicts and rule
// matches are never sent.
func TestSecondOpinion(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		wantAction   string
		wantDetail   string
		wantStats    SecondOpinionStats
	}{
		{"dismissed", `{"violation": false, "reason": "curt, but not an insult"}`, "logged", "dismissed by judge-1: curt, but not", SecondOpinionStats{Dismissed: 1}},
		{"confirmed", `{"violation": true, "reason": "hostile"}`, "flagged", "confirmed by judge-1: hostile", SecondOpinionStats{Confirmed: 1}},
		{"unparsable", `I cannot tell`, "flagged", "", SecondOpinionStats{Failed: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := providertest.New(provider.KindGemini, func(c providertest.Call) providertest.Reply {
				return providertest.Reply{Text: tc.answer}
			})
			defer fake.Close()
			p, err := provider.New(fake.Config("judge-1"))
			if err != nil {
				t.Fatal(err)
			}
			st := &violationLog{flakyStore: flakyStore{actions: map[string]string{"injection": "flag", "toxicity": "flag"}}}
			svc := NewService(Config{Scanner: newScanner(t), Store: st,
				SecondOpinion: &SecondOpinion{Judge: provider.NewClient(p, provider.Limits{}), Below: 0.9}})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go svc.Run(ctx)
			text := "you people are all the same, get lost"
			svc.OnCommit([]model.Trace{{WorkspaceID: "w", TraceID: "t1", AgentID: "bot", StartTime: time.Now(),
				Spans: []model.Span{{SpanID: "s1", Input: text, StartTime: time.Now()}}}})
			deadline := time.Now().Add(10 * time.Second)
			for svc.SecondOpinionStats() == (SecondOpinionStats{}) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if got := svc.SecondOpinionStats(); got != tc.wantStats {
				t.Fatalf("stats = %+v, want %+v", got, tc.wantStats)
			}
			calls := fake.Calls()
			if len(calls) != 1 || !strings.Contains(calls[0].Prompt, "toxic") || !strings.Contains(calls[0].Prompt, text) || calls[0].Schema == nil {
				t.Fatalf("judge calls = %+v, want one toxicity question with the text and a schema", calls)
			}
			var tox model.Violation
			for _, v := range st.latest() {
				switch {
				case v.Type == "toxicity" && strings.Contains(v.Detector, "classifier"):
					tox = v
				case v.Action != "flagged" || strings.Contains(v.Detector, "judge"):
					t.Errorf("unreviewed violation changed: %+v", v)
				}
			}
			if tox.Action != tc.wantAction || !strings.Contains(tox.Detail, tc.wantDetail) ||
				strings.HasSuffix(tox.Detector, "+judge") != (tc.wantDetail != "") {
				t.Fatalf("toxicity verdict = %+v, want action %s, detail with %q", tox, tc.wantAction, tc.wantDetail)
			}
		})
	}
}

// TestSecondOpinionQueueFull: when reviews pile up, verdicts keep the classifier's word and
// are counted as skipped; the scan never waits for the judge.
func TestSecondOpinionQueueFull(t *testing.T) {
	o := newSecondOpinions(&SecondOpinion{Judge: provider.NewClient(nil, provider.Limits{}), Queue: 1})
	v := model.Violation{Type: "toxicity", Detector: "toxicity/classifier@1", Score: 0.7, Action: "flagged"}
	if !o.wants(v) {
		t.Fatal("an uncertain classifier verdict is not wanted")
	}
	for _, w := range []model.Violation{
		{Type: "toxicity", Detector: "toxicity/lexicon@1", Score: 0.8, Action: "flagged"},
		{Type: "toxicity", Detector: "toxicity/classifier@1", Score: 0.95, Action: "flagged"},
		{Type: "pii", Detector: "pii/classifier", Score: 0.5, Action: "flagged"},
		{Type: "injection", Detector: "injection/classifier@1", Score: 0.6, Action: "redacted"},
	} {
		if o.wants(w) {
			t.Errorf("wants %+v", w)
		}
	}
	o.offer(review{v: v})
	o.offer(review{v: v})
	if st := o.stats(); st.Skipped != 1 {
		t.Fatalf("stats = %+v, want one skipped", st)
	}
}
