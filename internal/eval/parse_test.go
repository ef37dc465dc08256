package eval

import (
	"testing"

	"github.com/agentobs/agentobs/internal/model"
)

var testCriteria = []model.Criterion{
	{Name: "accuracy", Output: model.OutputNumeric, HigherIsBetter: true},
	{Name: "hallucination", Output: model.OutputBoolean},
	{Name: "sentiment", Output: model.OutputCategorical, HigherIsBetter: true,
		Labels: []model.Label{{Name: "positive", Score: 100}, {Name: "neutral", Score: 50}, {Name: "negative", Score: 0}}},
}

func TestParseAnswer(t *testing.T) {
	type want struct {
		score *float64
		label string
	}
	f := model.Float64
	cases := []struct {
		name string
		text string
		want []want
	}{
		{"strict", `{"accuracy":{"score":80,"explanation":"ok"},"hallucination":{"score":false},"sentiment":{"score":"neutral"}}`,
			[]want{{f(80), ""}, {f(0), "false"}, {f(50), "neutral"}}},
		{"fenced", "Here you go:\n```json\n{\"accuracy\": {\"score\": 70}, \"hallucination\": {\"score\": true}, \"sentiment\": {\"score\": \"Positive\"}}\n```",
			[]want{{f(70), ""}, {f(100), "true"}, {f(100), "positive"}}},
		{"outermost with repairs", "Sure! {'accuracy': {'score': '9/10',}, 'hallucination': {'score': False}, 'sentiment': {'score': 'mostly negative'},} Hope that helps",
			[]want{{f(90), ""}, {f(0), "false"}, {f(0), "negative"}}},
		{"flat values and odd keys", `{"Accuracy_Score": "85%", "HALLUCINATION": "no", "sentiment": "NEUTRAL."}`,
			[]want{{f(85), ""}, {f(0), "false"}, {f(50), "neutral"}}},
		{"nested under scores", `{"scores": {"accuracy": 60, "hallucination": {"value": "yes"}}, "overall": 10}`,
			[]want{{f(60), ""}, {f(100), "true"}, {nil, ""}}},
		{"bare keys and smart quotes", `{accuracy: {score: 55}, hallucination: {score: “true”}}`,
			[]want{{f(55), ""}, {f(100), "true"}, {nil, ""}}},
		{"out of range is not clamped", `{"accuracy": {"score": 150}, "hallucination": {"score": "maybe"}, "sentiment": {"score": "positive or negative"}}`,
			[]want{{nil, ""}, {nil, ""}, {nil, ""}}},
		{"prose", "The answer looks accurate to me, I'd give it a high score.", []want{{nil, ""}, {nil, ""}, {nil, ""}}},
		{"empty", "", []want{{nil, ""}, {nil, ""}, {nil, ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := parseAnswer(tc.text, testCriteria)
			for i, w := range tc.want {
				g := got[i]
				if (g.Score == nil) != (w.score == nil) || (g.Score != nil && *g.Score != *w.score) || g.Label != w.label {
					t.Errorf("%s: score %v label %q, want %v %q", g.Criterion, deref(g.Score), g.Label, deref(w.score), w.label)
				}
				if (g.Score == nil) != (g.Status == model.EvalUnparsable) {
					t.Errorf("%s: status %s with score %v", g.Criterion, g.Status, deref(g.Score))
				}
			}
		})
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestBareCategoricalAnswerSnaps(t *testing.T) {
	c := []model.Criterion{testCriteria[2]}
	got := parseAnswer("Negative.", c)
	if got[0].Label != "negative" || got[0].Score == nil || *got[0].Score != 0 {
		t.Errorf("got %+v", got[0])
	}
}

func TestOverallTurnsLowerIsBetter(t *testing.T) {
	vs := parseAnswer(`{"accuracy": 80, "hallucination": true, "sentiment": "positive"}`, testCriteria)
	// accuracy 80, hallucination true = 100 (bad) → 0, sentiment 100: mean 60.
	if o := overall(vs, testCriteria); o == nil || *o != 60 {
		t.Errorf("overall %v, want 60", deref(o))
	}
	if o := overall(parseAnswer("nothing", testCriteria), testCriteria); o != nil {
		t.Errorf("overall of nothing parsed = %v, want nil", *o)
	}
}

func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{`{"accuracy":{"score":80}}`, "```json\n{\"a\":1,}\n```", `{'accuracy': True}`, `{accuracy: "9/10"}`, "{{{", "neutral"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, v := range parseAnswer(text, testCriteria) {
			if v.Score != nil && (*v.Score < 0 || *v.Score > 100) {
				t.Fatalf("score %v out of range for %q", *v.Score, text)
			}
			if (v.Score == nil) != (v.Status == model.EvalUnparsable) {
				t.Fatalf("status %s with score %v", v.Status, v.Score)
			}
		}
	})
}
