package eval

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
)

// judgeData is the labelled data shared next to the repository; HaluEval's queries are
// licensed for tests and measurement only, so the files are read here, never copied in.
const judgeData = "../../../shared/data/judge"

func loadDataset(t *testing.T, name string) ([]CalibrationItem, string) {
	t.Helper()
	f, err := os.Open(filepath.Join(judgeData, name))
	if os.IsNotExist(err) {
		t.Skipf("labelled judge data not found at %s", judgeData)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, kind, err := ReadDataset(f)
	if err != nil {
		t.Fatal(err)
	}
	return items, kind
}

// flip decides, the same way every time for a key, whether the noisy oracle lies.
func flip(key string, noise float64) bool {
	h := fnv.New64a()
	h.Write([]byte(key))
	return float64(h.Sum64()%1_000_000)/1_000_000 < noise
}

func clientFor(t *testing.T, srv *providertest.Server) *provider.Client {
	p, err := provider.New(srv.Config("gemini-2.5-flash"))
	if err != nil {
		t.Fatal(err)
	}
	return provider.NewClient(p, provider.Limits{MaxConcurrency: 32})
}

// TestCalibrationOracleWithNoise judges HaluEval with an oracle that knows every label and
// flips a fixed share of them: accuracy and κ must come out as the noise predicts.
func TestCalibrationOracleWithNoise(t *testing.T) {
	items, kind := loadDataset(t, "halueval_general.dev.jsonl")
	if kind != DatasetPointwise {
		t.Fatalf("kind %s", kind)
	}
	truth := map[string]bool{}
	pos := 0
	for _, it := range items {
		truth[it.Output] = it.Label == "true"
		if it.Label == "true" {
			pos++
		}
	}
	const noise = 0.15
	srv := providertest.New(provider.KindGemini, func(c providertest.Call) providertest.Reply {
		out := c.Prompt[strings.Index(c.Prompt, "<output>\n")+len("<output>\n") : strings.Index(c.Prompt, "\n</output>")]
		v, ok := truth[out]
		if !ok {
			return providertest.Reply{Text: "I cannot find this output."}
		}
		if flip(out, noise) {
			v = !v
		}
		return providertest.Reply{Text: fmt.Sprintf(`{"hallucination": {"explanation": "oracle", "score": %v}}`, v)}
	})
	defer srv.Close()
	var hall = BuiltInCriteria[5]
	rep, err := Calibrate(context.Background(), clientFor(t, srv), kind, hall, items, 16)
	if err != nil {
		t.Fatal(err)
	}
	pi := float64(pos) / float64(len(items))
	q := pi*(1-noise) + (1-pi)*noise // share the judge calls hallucinated
	pe := pi*q + (1-pi)*(1-q)
	wantKappa := ((1 - noise) - pe) / (1 - pe)
	t.Logf("HaluEval (%d items, %.1f%% hallucinated), noise %.2f: accuracy %.4f (want %.4f), kappa %.4f (want %.4f), spearman %.4f",
		len(items), pi*100, noise, rep.Accuracy, 1-noise, rep.Kappa, wantKappa, rep.Spearman)
	if rep.Judged != len(items) || rep.Unparsable != 0 || rep.Failed != 0 {
		t.Fatalf("report %+v", rep)
	}
	// Hash flips are a sample of the noise: allow three binomial standard errors.
	tol := 3 * math.Sqrt(noise*(1-noise)/float64(len(items)))
	if math.Abs(rep.Accuracy-(1-noise)) > tol {
		t.Errorf("accuracy %.4f, want %.4f ± %.4f", rep.Accuracy, 1-noise, tol)
	}
	if math.Abs(rep.Kappa-wantKappa) > 2.5*tol {
		t.Errorf("kappa %.4f, want %.4f ± %.4f", rep.Kappa, wantKappa, 2.5*tol)
	}
	if rep.Spearman <= 0.3 {
		t.Errorf("spearman %.4f, want a clear positive correlation", rep.Spearman)
	}
}

// TestPairwiseAlwaysAHasNoPositionConsistency: a judge that always answers "A" prefers
// whichever response is shown first, so asking in both orders exposes it: every pair is a
// tie and position consistency is zero.
func TestPairwiseAlwaysAHasNoPositionConsistency(t *testing.T) {
	items, kind := loadDataset(t, "llmbar.dev.jsonl")
	if kind != DatasetPairwise {
		t.Fatalf("kind %s", kind)
	}
	srv := providertest.New(provider.KindOpenAI, func(providertest.Call) providertest.Reply {
		return providertest.Reply{Text: `{"explanation": "A is better", "winner": "A"}`}
	})
	defer srv.Close()
	rep, err := Calibrate(context.Background(), clientFor(t, srv), kind, BuiltInCriteria[0], items, 16)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("LLMBar always-A: position consistency %.3f, ties %d of %d, accuracy %.3f", rep.PositionConsistency, rep.Ties, rep.Items, rep.Accuracy)
	if rep.PositionConsistency > 0.01 || rep.Ties != len(items) || rep.Accuracy != 0 {
		t.Errorf("report %+v", rep)
	}
	if got := len(srv.Calls()); got != 2*len(items) {
		t.Errorf("%d judge calls for %d pairs, want both orders of each", got, len(items))
	}
}

// TestPairwiseOracleWithNoise: an oracle that errs independently in each order agrees with
// itself (1−p)² + p² of the time and, as disagreements are ties, is right (1−p)² of the time.
func TestPairwiseOracleWithNoise(t *testing.T) {
	items, kind := loadDataset(t, "llmbar.dev.jsonl")
	truth := map[string]string{}
	for _, it := range items {
		truth[it.A+"\x00"+it.B] = it.Label
	}
	const noise = 0.1
	srv := providertest.New(provider.KindAnthropic, func(c providertest.Call) providertest.Reply {
		a := c.Prompt[strings.Index(c.Prompt, "<response_a>\n")+len("<response_a>\n") : strings.Index(c.Prompt, "\n</response_a>")]
		b := c.Prompt[strings.Index(c.Prompt, "<response_b>\n")+len("<response_b>\n") : strings.Index(c.Prompt, "\n</response_b>")]
		w, swapped := truth[a+"\x00"+b], false
		if w == "" {
			w, swapped = truth[b+"\x00"+a], true
		}
		shown := map[bool]map[string]string{false: {"a": "A", "b": "B"}, true: {"a": "B", "b": "A"}}[swapped][w]
		if flip(a+b, noise) {
			shown = map[string]string{"A": "B", "B": "A"}[shown]
		}
		return providertest.Reply{Text: fmt.Sprintf(`{"explanation": "oracle", "winner": %q}`, shown)}
	})
	defer srv.Close()
	rep, err := Calibrate(context.Background(), clientFor(t, srv), kind, BuiltInCriteria[0], items, 16)
	if err != nil {
		t.Fatal(err)
	}
	wantCons, wantAcc := (1-noise)*(1-noise)+noise*noise, (1-noise)*(1-noise)
	t.Logf("LLMBar oracle, noise %.2f per order: consistency %.3f (want %.3f), accuracy %.3f (want %.3f)", noise, rep.PositionConsistency, wantCons, rep.Accuracy, wantAcc)
	tol := 3 * math.Sqrt(wantCons*(1-wantCons)/float64(len(items)))
	if math.Abs(rep.PositionConsistency-wantCons) > tol || math.Abs(rep.Accuracy-wantAcc) > 3*math.Sqrt(wantAcc*(1-wantAcc)/float64(len(items))) {
		t.Errorf("report %+v", rep)
	}
}

func TestAgreementAndSpearman(t *testing.T) {
	acc, k := Agreement([]string{"a", "a", "b", "b"}, []string{"a", "b", "b", "b"})
	if acc != 0.75 || math.Abs(k-0.5) > 1e-9 {
		t.Errorf("accuracy %v kappa %v, want 0.75 and 0.5", acc, k)
	}
	if s := Spearman([]float64{1, 2, 3, 4}, []float64{10, 20, 20, 40}); math.Abs(s-0.9486832980505138) > 1e-9 {
		t.Errorf("spearman %v", s)
	}
}

func FuzzReadDataset(f *testing.F) {
	f.Add(`{"id":"1","query":"q","response":"r","label":"faithful"}`)
	f.Add(`{"id":"1","instruction":"i","output_a":"x","output_b":"y","label":"a"}` + "\n" + `{"label":true,"response":"r"}`)
	f.Add(`{"label": 3}`)
	f.Fuzz(func(t *testing.T, data string) {
		items, kind, err := ReadDataset(strings.NewReader(data))
		if err != nil {
			return
		}
		if len(items) == 0 || (kind != DatasetPointwise && kind != DatasetPairwise) {
			t.Fatalf("%d items of kind %q without error", len(items), kind)
		}
		for _, it := range items {
			if kind == DatasetPairwise && it.Label != "a" && it.Label != "b" {
				t.Fatalf("pairwise label %q", it.Label)
			}
		}
	})
}
