package guardrail

import (
	_ "embed"
	"fmt"
	"slices"
	"sync"
	"unsafe"
)

// The shipped classifier weights, reproducible with "agentobs guardrails train".
var (
	//go:embed data/injection.model
	injectionModel []byte
	//go:embed data/toxicity.model
	toxicityModel []byte
)

// Scanner runs the detectors. It is safe for concurrent use.
type Scanner struct {
	secrets   *secretRules
	injection *Model
	toxicity  *Model
	both      *modelPair // both classifiers, when there are two
	scratch   sync.Pool  // *featureScratch
	// keywords finds the words of every detector's keyword index in one pass.
	keywords *keywordSet
}

// New builds a scanner with the embedded rules and models.
func New() (*Scanner, error) {
	inj, err := ReadModel(injectionModel)
	if err != nil {
		return nil, fmt.Errorf("injection model: %w", err)
	}
	tox, err := ReadModel(toxicityModel)
	if err != nil {
		return nil, fmt.Errorf("toxicity model: %w", err)
	}
	return NewWithModels(inj, tox)
}

// NewWithModels builds a scanner with the given classifiers (either may be nil: its
// category then relies on rules alone).
func NewWithModels(injection, toxicity *Model) (*Scanner, error) {
	sec, err := loadSecretRules()
	if err != nil {
		return nil, err
	}
	if injection != nil && toxicity != nil && len(injection.Weights) != len(toxicity.Weights) {
		return nil, fmt.Errorf("models differ in size (%d and %d weights)", len(injection.Weights), len(toxicity.Weights))
	}
	s := &Scanner{secrets: sec, injection: injection, toxicity: toxicity,
		keywords: newKeywordSet(personCues, sec.keywords, injectionRules.words, toxicPhrases)}
	if injection != nil && toxicity != nil {
		s.both = pairModels(injection, toxicity)
	}
	s.scratch.New = func() any { return &featureScratch{feats: make([]uint32, 0, 4096), norm: make([]byte, 0, 1024)} }
	return s, nil
}

// minClassifyBytes is the shortest text the classifiers score.
const minClassifyBytes = 24

// Options choose what Scan looks for.
type Options struct {
	// Categories to scan; nil means every default category (custom rules run whenever
	// Rules is not empty).
	Categories map[Category]bool
	Direction  Direction
	AgentID    string
	Rules      []Rule
}

func (o Options) want(c Category) bool { return o.Categories == nil || o.Categories[c] }

// Scan returns the findings in text, ordered by position.
func (s *Scanner) Scan(text string, opt Options) []Finding {
	if text == "" {
		return nil
	}
	fs := s.scratch.Get().(*featureScratch)
	defer s.scratch.Put(fs)
	lower := fs.lowerText(text)
	// Every default detector looks up keywords: with two or more of them on, one pass
	// finds all their words.
	var hits keywordHits
	keywordUsers := 0
	for _, c := range []Category{CategoryPII, CategorySecret, CategoryInjection, CategoryToxicity} {
		if opt.want(c) {
			keywordUsers++
		}
	}
	if keywordUsers >= 2 {
		hits = s.keywords.find(lower, fs.hits[:0])
		defer func() { fs.hits = hits.list[:0] }()
	}
	// The spans are working state: toFindings copies what the caller gets.
	spans := fs.spans[:0]
	defer func() { fs.spans = spans[:0] }()
	if opt.want(CategoryPII) {
		spans = scanPII(text, lower, &hits, spans)
	}
	if opt.want(CategorySecret) {
		spans = s.secrets.scan(text, lower, &hits, fs, spans)
	}
	wantInj, wantTox := opt.want(CategoryInjection), opt.want(CategoryToxicity)
	// A few characters give the classifiers nothing to go on but their prior; rules and the
	// lexicon still run on them.
	classify := len(text) >= minClassifyBytes
	if wantInj || wantTox {
		var injScore, toxScore float64
		if classify && ((wantInj && s.injection != nil) || (wantTox && s.toxicity != nil)) {
			switch {
			case s.both != nil:
				// Scoring both costs what scoring one does: the table read is shared.
				injScore, toxScore = s.both.scoreText(lower, fs)
			case wantInj && s.injection != nil:
				injScore = s.injection.Score(fs.compute(lower, len(s.injection.Weights)))
			case wantTox && s.toxicity != nil:
				toxScore = s.toxicity.Score(fs.compute(lower, len(s.toxicity.Weights)))
			}
		}
		if wantInj {
			if opt.Direction == DirectionOutput {
				// The classifier learned attacks on models, not model answers; injected text
				// reaching a model arrives in an input (tool results included), where it runs.
				injScore = 0
			}
			spans = s.scanInjection(text, lower, &hits, fs, injScore, spans)
		}
		if wantTox {
			spans = s.scanToxicity(text, lower, &hits, toxScore, spans)
		}
	}
	if len(opt.Rules) > 0 {
		spans = applyRules(text, lower, opt, spans)
	}
	slices.SortStableFunc(spans, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	return toFindings(text, dedupe(spans))
}

// dedupe drops a finding that repeats another's category, type and range.
func dedupe(spans []span) []span {
	out := spans[:0]
	for i, s := range spans {
		if i > 0 {
			p := out[len(out)-1]
			if p.cat == s.cat && p.typ == s.typ && p.start == s.start && p.end == s.end {
				if s.score > p.score {
					out[len(out)-1] = s
				}
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// lowerText is lowerText(s) written into the scratch's buffer: the string is valid only
// until the scratch is reused, which Scan ensures by holding it until it returns (nothing
// it returns points into the lowered text).
func (fs *featureScratch) lowerText(s string) string {
	b, changed := appendLower(fs.lower[:0], s)
	if !changed {
		return s
	}
	fs.lower = b
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// lowerText lowers ASCII letters only, so byte offsets stay those of text.
func lowerText(s string) string {
	if b, changed := appendLower(nil, s); changed {
		return string(b)
	}
	return s
}

// appendLower appends s with ASCII letters lowered to dst; when s has no capital it
// appends nothing and reports no change.
func appendLower(dst []byte, s string) ([]byte, bool) {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return dst, false
	}
	n := len(dst)
	dst = append(dst, s...)
	for j := n + i; j < len(dst); j++ {
		if c := dst[j]; c >= 'A' && c <= 'Z' {
			dst[j] = c + 'a' - 'A'
		}
	}
	return dst, true
}
