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
	now := time.Now()
	svc.cfg.Now = func() time.Time { return now }
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	svc.Start(ctx, nil)
	o := Online{SampleRate: 0.3, Delay: 100 * time.Second, Criteria: []string{"accuracy"}}
	from := now.Add(-time.Hour)
	next := svc.OnlineTick(ctx, ws, o, from)
	if !next.Equal(now.Add(-o.Delay)) {
		t.Errorf("next window starts at %v, want now minus the delay", next)
	}
	// Ask again over the same window: nothing is judged twice.
	svc.OnlineTick(ctx, ws, o, from)

	// The traces that had ended a delay ago (trace i started i seconds before seeding).
	due, err := st.CompletedTraces(context.Background(), ws, from, next, 1000)
	if err != nil || len(due) < 90 || len(due) > 110 {
		t.Fatalf("%d traces due of %d, %v", len(due), len(ids), err)
	}
	want := 0
	for _, r := range due {
		if Sampled("default", 1, r.TraceID, 0.3) {
			want++
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, total, err := st.ListEvaluations(context.Background(), store.EvaluationQuery{WorkspaceID: ws, Source: model.EvalSourceAuto, Status: model.EvalDone, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if int(total) >= want && len(srv.Calls()) == int(total) {
			if int(total) != want {
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
