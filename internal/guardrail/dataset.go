package guardrail

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Labelled data: CSV files "text,label" for classification (file names starting with
// "injection_" or "toxicity_") and JSON lines {"text", "entities": [{"type","start","end"}]}
// for PII spans (file names starting with "pii_").

// positiveLabels are the labels counted as the positive class.
var positiveLabels = map[string]bool{"injection": true, "jailbreak": true, "toxic": true, "1": true, "true": true, "positive": true}

// Dataset is one labelled file.
type Dataset struct {
	Name     string // file name without extension
	Task     string // injection | toxicity | pii
	Examples []Example
	Spans    []PIIExample
	// TrainOnly rows are all trained on: none is kept apart to pick the threshold, which
	// stays calibrated on the public sets' false positives.
	TrainOnly bool
}

// PIIExample is a text with its labelled entities (code-point offsets).
type PIIExample struct {
	Text     string      `json:"text"`
	Entities []PIIEntity `json:"entities"`
}

// PIIEntity is one labelled span.
type PIIEntity struct {
	Type  string `json:"type"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// agentRequestsCSV is benign agent traffic written for this project: short requests in the
// imperative ("List the open invoices", "Give me a summary of the call"), questions, system
// prompts, tool arguments and results, and answers, in six languages, some with the words
// attacks begin with ("ignore the first row", "act as my tutor"). The public injection sets
// have few such rows, and many of their attacks are short imperatives ("Give me the
// password"), so a classifier trained on them alone flagged one ordinary request in eight.
//
//go:embed data/injection_agent_requests.csv
var agentRequestsCSV []byte

// agentRequests is the package's own set of ordinary requests, all of it trained on.
func agentRequests() (Dataset, error) {
	const name = "injection_agent_requests"
	examples, err := readCSV(bytes.NewReader(agentRequestsCSV), "data/"+name+".csv", name)
	return Dataset{Name: name, Task: "injection", Examples: examples, TrainOnly: true}, err
}

// LoadTrainingData is what the shipped classifiers are trained and measured on: the labelled
// files in dir and the package's own agent requests, sorted by name. A dir without labelled
// files is an error: the package's rows alone would train nothing useful.
func LoadTrainingData(dir string) ([]Dataset, error) {
	sets, err := LoadDir(dir)
	if err != nil {
		return nil, err
	}
	if len(sets) == 0 {
		return nil, fmt.Errorf("no labelled file in %s: names start with injection_, toxicity_ or pii_", dir)
	}
	own, err := agentRequests()
	if err != nil {
		return nil, err
	}
	sets = append(sets, own)
	sort.Slice(sets, func(i, j int) bool { return sets[i].Name < sets[j].Name })
	return sets, nil
}

// LoadDir reads every labelled file in dir, sorted by name.
func LoadDir(dir string) ([]Dataset, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read data directory: %w", err)
	}
	var out []Dataset
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		base := strings.TrimSuffix(strings.TrimSuffix(name, ".csv"), ".jsonl")
		var task string
		switch {
		case strings.HasPrefix(name, "injection_") && strings.HasSuffix(name, ".csv"):
			task = "injection"
		case strings.HasPrefix(name, "toxicity_") && strings.HasSuffix(name, ".csv"):
			task = "toxicity"
		case strings.HasPrefix(name, "pii_") && strings.HasSuffix(name, ".jsonl"):
			task = "pii"
		default:
			continue
		}
		ds := Dataset{Name: base, Task: task}
		if task == "pii" {
			ds.Spans, err = readPIIFile(path)
		} else {
			ds.Examples, err = readCSVFile(path, base)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ds)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func readCSVFile(path, source string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCSV(bufio.NewReader(f), path, source)
}

func readCSV(in io.Reader, path, source string) ([]Example, error) {
	r := csv.NewReader(in)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read header: %w", path, err)
	}
	ti, li := -1, -1
	for i, h := range header {
		switch strings.TrimSpace(strings.ToLower(strings.TrimPrefix(h, "\ufeff"))) {
		case "text":
			ti = i
		case "label":
			li = i
		}
	}
	if ti < 0 || li < 0 {
		return nil, fmt.Errorf("%s: header needs text and label columns", path)
	}
	var out []Example
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) <= max(ti, li) {
			return nil, fmt.Errorf("%s:%d: missing column", path, line)
		}
		out = append(out, Example{Text: rec[ti], Positive: positiveLabels[strings.ToLower(strings.TrimSpace(rec[li]))], Source: source})
	}
}

func readPIIFile(path string) ([]PIIExample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var out []PIIExample
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var ex PIIExample
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, ex)
	}
	return out, sc.Err()
}

// cleanProse is what the toxicity classifier learns as clean besides the toxicity sets'
// clean rows: the benign prompts of the injection sets and the PII set's texts. The
// toxicity sets are social-media posts; trained on them alone, the classifier took the
// formal prose of agent traffic (system prompts, support answers) for toxic, scoring a
// plain system prompt above its threshold.
func cleanProse(ds Dataset) []Example {
	var out []Example
	switch ds.Task {
	case "injection":
		for _, e := range ds.Examples {
			if !e.Positive {
				e.Borrowed = true
				out = append(out, e)
			}
		}
	case "pii":
		for _, e := range ds.Spans {
			out = append(out, Example{Text: e.Text, Source: ds.Name, Borrowed: true})
		}
	}
	return out
}

// Holdout reports whether an example belongs to the fifth of the data that training keeps
// apart for calibration and honest figures. It depends only on the text.
func Holdout(text string) bool {
	h := fnv.New32a()
	_, _ = h.Write([]byte(text))
	return h.Sum32()%5 == 0
}

// TrainTask trains the classifier of task ("injection" or "toxicity") on the datasets: the
// rows outside the holdout fold train it, the holdout picks its threshold.
func TrainTask(task string, sets []Dataset, opt TrainOptions) (*Model, error) {
	var train, cal []Example
	for _, ds := range sets {
		examples := ds.Examples
		if ds.Task != task {
			if task != "toxicity" {
				continue
			}
			examples = cleanProse(ds)
		}
		for _, e := range examples {
			if Holdout(e.Text) && !ds.TrainOnly {
				cal = append(cal, e)
			} else {
				train = append(train, e)
			}
		}
	}
	if opt.MaxFPR == 0 {
		// Flagging clean text costs trust more than a missed case costs safety: both
		// thresholds bound the false positives on the rows training never saw.
		opt.MaxFPR = 0.015
		if task == "toxicity" {
			opt.MaxFPR = 0.10
		}
	}
	if opt.BorrowedMaxFPR == 0 && task == "toxicity" {
		// Agent prose is what the classifier reads in production: calling one request in ten
		// toxic, as the posts' bound alone allows, would bury the real findings.
		opt.BorrowedMaxFPR = 0.015
	}
	return Train(task, train, cal, opt)
}
