package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"

	"gonum.org/v1/gonum/stat"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/model"
)

// CalibrationItem is one human-labelled example: pointwise (Input, Output and a Label of
// the criterion, "true"/"false" or a category) or pairwise (Instruction, A, B and a Label
// "a" or "b").
type CalibrationItem struct {
	ID          string
	Input       string
	Output      string
	Instruction string
	A, B        string
	Label       string
}

// Dataset kinds.
const (
	DatasetPointwise = "pointwise"
	DatasetPairwise  = "pairwise"
)

// maxDatasetLine caps one JSONL line of a calibration dataset.
const maxDatasetLine = 4 << 20

// ReadDataset reads a JSONL calibration set: lines with query/response/label (the label
// "hallucinated" or "faithful", or true/false, or a category) are pointwise; lines with
// instruction/output_a/output_b/label ("a" or "b") are pairwise. Every line must be of
// the same kind.
func ReadDataset(r io.Reader) ([]CalibrationItem, string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxDatasetLine)
	var items []CalibrationItem
	kind := ""
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var raw struct {
			ID          string `json:"id"`
			Query       string `json:"query"`
			Input       string `json:"input"`
			Response    string `json:"response"`
			Output      string `json:"output"`
			Instruction string `json:"instruction"`
			OutputA     string `json:"output_a"`
			OutputB     string `json:"output_b"`
			Label       any    `json:"label"`
		}
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			return nil, "", fmt.Errorf("line %d: cannot decode: %w", n, err)
		}
		it := CalibrationItem{ID: raw.ID, Input: raw.Query + raw.Input, Output: raw.Response + raw.Output,
			Instruction: raw.Instruction, A: raw.OutputA, B: raw.OutputB}
		switch l := raw.Label.(type) {
		case string:
			it.Label = strings.ToLower(strings.TrimSpace(l))
		case bool:
			it.Label = fmt.Sprint(l)
		default:
			return nil, "", fmt.Errorf("line %d: label must be a string or a boolean", n)
		}
		k := DatasetPointwise
		if it.A != "" || it.B != "" {
			k = DatasetPairwise
			if it.Label != "a" && it.Label != "b" {
				return nil, "", fmt.Errorf("line %d: a pairwise label must be \"a\" or \"b\"", n)
			}
		} else {
			switch it.Label {
			case "hallucinated", "yes":
				it.Label = "true"
			case "faithful", "no":
				it.Label = "false"
			}
			if it.Output == "" {
				return nil, "", fmt.Errorf("line %d: needs response (pointwise) or output_a and output_b (pairwise)", n)
			}
		}
		if kind != "" && k != kind {
			return nil, "", fmt.Errorf("line %d: %s example in a %s dataset", n, k, kind)
		}
		kind = k
		if it.ID == "" {
			it.ID = fmt.Sprint(n)
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, "", fmt.Errorf("cannot read dataset: %w", err)
	}
	if len(items) == 0 {
		return nil, "", fmt.Errorf("the dataset is empty")
	}
	return items, kind, nil
}

// CalibrationReport is how well a judge agrees with human labels.
type CalibrationReport struct {
	Kind       string  `json:"kind"`
	Criterion  string  `json:"criterion,omitempty"`
	Items      int     `json:"items"`
	Judged     int     `json:"judged"`     // answered and readable
	Unparsable int     `json:"unparsable"` // answered but unreadable
	Failed     int     `json:"failed"`     // no answer
	Accuracy   float64 `json:"accuracy"`
	Kappa      float64 `json:"cohen_kappa"`
	Spearman   float64 `json:"spearman"`
	// PositionConsistency is, for pairwise judging, the share of pairs where both orders
	// picked the same response; Ties count the pairs where they did not.
	PositionConsistency float64        `json:"position_consistency,omitempty"`
	Ties                int            `json:"ties,omitempty"`
	Usage               provider.Usage `json:"usage"`
}

// Calibrate runs the judge over items and compares it with their labels. Pointwise items
// are judged on criterion c; pairwise items in both orders. workers bounds concurrency.
func Calibrate(ctx context.Context, judge *provider.Client, kind string, c model.Criterion, items []CalibrationItem, workers int) (CalibrationReport, error) {
	rep := CalibrationReport{Kind: kind, Items: len(items)}
	if kind == DatasetPointwise {
		rep.Criterion = c.Name
	}
	pred := make([]string, len(items))
	score := make([]float64, len(items))
	consistent := make([]bool, len(items))
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, max(workers, 1))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var label string
			var s float64
			var usage provider.Usage
			var cons bool
			var err error
			if kind == DatasetPairwise {
				var v PairVerdict
				v, err = JudgePair(ctx, judge, it.Instruction, it.A, it.B)
				label, cons, usage = v.Winner, v.Consistent, v.Usage
				s = map[string]float64{"a": 0, "tie": 0.5, "b": 1}[v.Winner]
			} else {
				cs := []model.Criterion{c}
				tr := &model.Trace{Input: it.Input, Output: it.Output}
				var resp *provider.Response
				resp, _, err = judge.Complete(ctx, provider.Request{System: DefaultSystem, Prompt: renderPrompt(DefaultTemplate, tr, cs), Schema: verdictSchema(cs, true)})
				if err == nil {
					if resp.Usage != nil {
						usage = *resp.Usage
					}
					v := parseAnswer(resp.Text, cs)[0]
					if v.Score != nil {
						s = *v.Score
						label = v.Label
						if c.Output == model.OutputNumeric {
							label = fmt.Sprint(*v.Score >= 50)
						}
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			rep.Usage.InputTokens += usage.InputTokens
			rep.Usage.OutputTokens += usage.OutputTokens
			if err != nil {
				rep.Failed++
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			pred[i], score[i], consistent[i] = label, s, cons
		}()
	}
	wg.Wait()
	if rep.Failed == len(items) && firstErr != nil {
		return rep, firstErr
	}
	var p, t []string
	var ps, ts []float64
	for i, it := range items {
		if pred[i] == "" {
			continue // failed, or answered without a readable verdict
		}
		p, t = append(p, pred[i]), append(t, it.Label)
		ps, ts = append(ps, score[i]), append(ts, labelScore(it.Label))
		if kind == DatasetPairwise {
			if consistent[i] {
				rep.PositionConsistency++
			} else {
				rep.Ties++
			}
		}
	}
	rep.Unparsable = max(rep.Items-rep.Failed-len(p), 0)
	rep.Judged = len(p)
	rep.Accuracy, rep.Kappa = Agreement(p, t)
	rep.Spearman = Spearman(ps, ts)
	if kind == DatasetPairwise && rep.Judged > 0 {
		rep.PositionConsistency /= float64(rep.Judged)
	}
	return rep, nil
}

func labelScore(l string) float64 {
	switch l {
	case "true", "b":
		return 1
	}
	return 0
}

// Agreement returns the share of equal labels and Cohen's κ, the agreement beyond what
// the two label distributions give by chance.
func Agreement(pred, truth []string) (accuracy, kappa float64) {
	n := float64(len(pred))
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	agree := 0.0
	pc, tc := map[string]float64{}, map[string]float64{}
	for i := range pred {
		if pred[i] == truth[i] {
			agree++
		}
		pc[pred[i]]++
		tc[truth[i]]++
	}
	po := agree / n
	pe := 0.0
	for l, c := range pc {
		pe += c / n * tc[l] / n
	}
	if pe == 1 {
		return po, math.NaN()
	}
	return po, (po - pe) / (1 - pe)
}

// Spearman is the rank correlation of x and y (ties get their mean rank).
func Spearman(x, y []float64) float64 {
	if len(x) < 2 {
		return math.NaN()
	}
	return stat.Correlation(ranks(x), ranks(y), nil)
}

func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	out := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		r := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			out[idx[k]] = r
		}
		i = j + 1
	}
	return out
}
