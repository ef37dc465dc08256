package abtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

const ws = "11111111-1111-4111-8111-111111111111"

// plant writes traces of users for a test: each user's success probability depends on its
// variant; dropTreatment leaves out that share of the treatment's users (a broken logger).
func plant(t *testing.T, st *duckdb.Store, test *Test, users int, pControl, pTreatment, dropTreatment float64) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 7))
	var traces []model.Trace
	for u := range users {
		user := fmt.Sprintf("user-%05d", u)
		arm := Assign(test.ID, user, []float64{test.Variants[0].Weight, test.Variants[1].Weight})
		if arm == 1 && r.Float64() < dropTreatment {
			continue
		}
		p := pControl
		if arm == 1 {
			p = pTreatment
		}
		for k := range 1 + r.IntN(5) {
			status := model.StatusSuccess
			if r.Float64() >= p {
				status = model.StatusError
			}
			traces = append(traces, model.Trace{WorkspaceID: ws, TraceID: fmt.Sprintf("%s-%d", user, k), AgentID: "bot", Name: "n",
				UserID: user, StartTime: test.StartedAt, Status: status,
				Declared: model.Declared{Status: status, LatencyMs: model.Int64(int64(200 + r.IntN(100))), CostUSD: model.Float64(0.001)}})
		}
	}
	if err := st.WriteTraces(context.Background(), traces); err != nil {
		t.Fatal(err)
	}
}

func newService(t *testing.T) (*Service, *duckdb.Store) {
	st, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), duckdb.FileName), duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	return &Service{Store: st, Now: func() time.Time { return now.Add(time.Hour) }}, st
}

func TestResultsDeclareAWinnerOnlyWhenSignificant(t *testing.T) {
	svc, st := newService(t)
	test, err := svc.Create(context.Background(), ws, Test{Name: "new prompt", Primary: MetricSuccessRate, Guardrails: []string{MetricLatency, MetricCost}})
	if err != nil {
		t.Fatal(err)
	}
	plant(t, st, test, 4000, 0.80, 0.86, 0)
	r, err := svc.Results(context.Background(), ws, test.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.SRM.Blocked || r.Verdict != "winner" || r.Winner != "treatment" {
		t.Fatalf("verdict %s (%s), SRM p %g, primary %+v", r.Verdict, r.Reason, r.SRM.PValue, r.Arms[0].Metrics[0])
	}
	p := r.Arms[0].Metrics[0]
	if p.CILow <= 0 || p.CIHigh >= 0.2 || !p.Better || p.AdjustedP < p.SequentialP {
		t.Errorf("primary %+v", p)
	}
	if r.SampleSizePerArm == 0 || r.Progress <= 0 {
		t.Errorf("sample size %d, progress %g", r.SampleSizePerArm, r.Progress)
	}
}

func TestResultsNoWinnerWithoutEffect(t *testing.T) {
	svc, st := newService(t)
	test, _ := svc.Create(context.Background(), ws, Test{Name: "a/a", Primary: MetricSuccessRate})
	plant(t, st, test, 3000, 0.8, 0.8, 0)
	r, err := svc.Results(context.Background(), ws, test.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != "no_difference_yet" || r.Winner != "" || r.Units["control"] < 1000 {
		t.Errorf("verdict %s winner %q for identical arms", r.Verdict, r.Winner)
	}
}

func TestSampleRatioMismatchBlocksTheVerdict(t *testing.T) {
	svc, st := newService(t)
	test, _ := svc.Create(context.Background(), ws, Test{Name: "leaky", Primary: MetricSuccessRate})
	// Losing 15% of the treatment's users turns 50/50 into about 54/46 (the test id, and so
	// the exact split, is random; stats_test.go checks 52/48 exactly).
	plant(t, st, test, 10000, 0.80, 0.90, 0.15)
	r, err := svc.Results(context.Background(), ws, test.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !r.SRM.Blocked || r.Verdict != "srm" || r.Winner != "" {
		t.Errorf("units %v, SRM p %g, verdict %s", r.Units, r.SRM.PValue, r.Verdict)
	}
}

func TestValidateNamesFields(t *testing.T) {
	err := (&Test{Name: "", Unit: "device", Primary: "vibes", Guardrails: []string{"cost"}, Alpha: 0.7,
		Variants: []Variant{{"a", 1}, {"a", -1}}}).Validate()
	me, ok := err.(*model.Error)
	if !ok {
		t.Fatalf("err %v", err)
	}
	var fields []string
	for _, f := range me.Fields {
		fields = append(fields, f.Path.String())
	}
	want := "[name unit variants[1].name variants[1].weight primary_metric alpha]"
	if fmt.Sprint(fields) != want {
		t.Errorf("fields %v, want %s", fields, want)
	}
}
