package eval

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

func TestSampledIsDeterministicAndProportional(t *testing.T) {
	n := 0
	for i := range 20000 {
		id := "t-" + string(rune('a'+i%26)) + time.Duration(i).String()
		if Sampled("default", 1, id, 0.1) {
			n++
		}
		if Sampled("default", 1, id, 0.1) != Sampled("default", 1, id, 0.1) {
			t.Fatal("sampling is not deterministic")
		}
	}
	if rate := float64(n) / 20000; math.Abs(rate-0.1) > 0.01 {
		t.Errorf("sampled %.3f, want 0.1", rate)
	}
}

// TestOnlineTickJudgesASampleAfterTheDelay: traces that ended within the delay wait; the
// sampled ones of the others are judged once, as auto evaluations, even if seen again.
func TestOnlineTickJudgesASampleAfterTheDelay(t *testing.T) {
	st := openStore(t, "")
	defer st.Close()
	ids := seedTraces(t, st, 200) // ended between now−200 s and now (300 ms each)
	srv := providertest.New(provider.KindGemini, goodJudge)
	defer srv.Close()
	svc := newService(t, st, srv, Evaluator{})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	svc.Start(ctx, nil)
	o := Online{SampleRate: 0.3, Delay: 100 * time.Second, Criteria: []string{"accuracy"}}
	from := time.Now().Add(-time.Hour)
	next := svc.OnlineTick(ctx, ws, o, from)
	if d := time.Since(next); d < 99*time.Second || d > 101*time.Second {
		t.Errorf("next window starts %v ago, want the delay", d)
	}
	// Ask again over the same window: nothing is judged twice.
	svc.OnlineTick(ctx, ws, o, from)

	want := 0
	for i, id := range ids {
		// seedTraces: trace i started i seconds ago and lasted 300 ms.
		if time.Duration(i)*time.Second > 101*time.Second && Sampled("default", 1, id, 0.3) {
			want++
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, total, err := st.ListEvaluations(context.Background(), store.EvaluationQuery{WorkspaceID: ws, Source: model.EvalSourceAuto, Status: model.EvalDone, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if int(total) >= want-1 && len(srv.Calls()) == int(total) {
			if math.Abs(float64(int(total)-want)) > 1 { // a trace right at the window's edge may fall either way
				t.Errorf("%d auto evaluations, want %d", total, want)
			}
			for _, ev := range evs {
				if !Sampled("default", 1, ev.TraceID, 0.3) {
					t.Errorf("trace %s was judged but not sampled", ev.TraceID)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d auto evaluations after 10 s (%d judge calls)", total, want, len(srv.Calls()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
