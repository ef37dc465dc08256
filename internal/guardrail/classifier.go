package guardrail

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"unicode/utf8"
)

// Model is a logistic regression over hashed character n-grams (2 to 5 bytes of the
// lowercased text). It is small, needs no tokenizer, copes with misspellings and mixed
// languages, and scores 1 KB in microseconds.
type Model struct {
	Name      string
	Threshold float64 // score at or above which the text is flagged
	Bias      float64
	Weights   []float32 // len is a power of two
}

const (
	modelMagic   = "AOLR1\n"
	ngramMin     = 2
	ngramMax     = 5
	defaultDims  = 1 << 17
	maxScanBytes = 8 << 10 // longer texts are scored on their first and last 4 KB
)

// features returns the hashed n-gram indexes of text, appended to buf.
func features(lower string, dims int, buf []uint32) []uint32 {
	fs := featureScratch{feats: buf}
	return fs.compute(lower, dims)
}

// featureScratch holds the buffers of one feature extraction, for reuse.
type featureScratch struct {
	feats []uint32
	norm  []byte
	hits  []keywordHit // a scan's keyword hits
	lower []byte       // a scan's lowered text
}

// compute writes the hashed n-gram indexes of lower into fs.feats and returns them.
func (fs *featureScratch) compute(lower string, dims int) []uint32 {
	fs.feats = fs.feats[:0]
	if len(lower) > maxScanBytes {
		fs.hashNgrams(lower[:maxScanBytes/2], dims)
		fs.hashNgrams(lower[len(lower)-maxScanBytes/2:], dims)
	} else {
		fs.hashNgrams(lower, dims)
	}
	return fs.feats
}

func (fs *featureScratch) hashNgrams(s string, dims int) {
	mask := uint32(dims - 1)
	norm := fs.normalize(s)
	buf := fs.feats
	for i := 0; i < len(norm); i++ {
		h := uint32(2166136261)
		for k := 0; k < ngramMax && i+k < len(norm); k++ {
			h = (h ^ uint32(norm[i+k])) * 16777619
			if k+1 >= ngramMin {
				// Mix in the length so that n-grams of different sizes spread apart.
				buf = append(buf, (h^uint32(k)*0x9e3779b9)&mask)
			}
		}
	}
	fs.feats = buf
}

// normalize writes s to fs.norm with whitespace runs as one space and framed by spaces, so
// that word boundaries are features too.
func (fs *featureScratch) normalize(s string) []byte {
	prevSpace := true
	norm := append(fs.norm[:0], ' ')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' || c == '\t' || c == '\r' || c == ' ' {
			if prevSpace {
				continue
			}
			c, prevSpace = ' ', true
		} else {
			prevSpace = false
		}
		norm = append(norm, c)
	}
	if !prevSpace {
		norm = append(norm, ' ')
	}
	fs.norm = norm
	return norm
}

// Score is the model's probability that the text (as features) is positive.
func (m *Model) Score(feats []uint32) float64 {
	if len(feats) == 0 {
		return sigmoid(m.Bias)
	}
	var z float32
	for _, f := range feats {
		z += m.Weights[f]
	}
	return sigmoid(m.Bias + float64(z)/math.Sqrt(float64(len(feats))))
}

// modelPair scores two models of the same size in one pass, their weights interleaved so
// that each feature costs one memory access rather than two.
type modelPair struct {
	a, b    *Model
	weights [][2]float32
}

func pairModels(a, b *Model) *modelPair {
	p := &modelPair{a: a, b: b, weights: make([][2]float32, len(a.Weights))}
	for i := range p.weights {
		p.weights[i] = [2]float32{a.Weights[i], b.Weights[i]}
	}
	return p
}

// Score returns what a.Score and b.Score would, bit for bit.
func (p *modelPair) Score(feats []uint32) (float64, float64) {
	if len(feats) == 0 {
		return sigmoid(p.a.Bias), sigmoid(p.b.Bias)
	}
	var za, zb float32
	for _, f := range feats {
		w := &p.weights[f]
		za += w[0]
		zb += w[1]
	}
	n := math.Sqrt(float64(len(feats)))
	return sigmoid(p.a.Bias + float64(za)/n), sigmoid(p.b.Bias + float64(zb)/n)
}

// scoreText returns what Score would on the features of lower, bit for bit, without
// materialising them: the sums run in the order the features would be listed.
func (p *modelPair) scoreText(lower string, fs *featureScratch) (float64, float64) {
	var za, zb float32
	n := 0
	sum := func(s string) {
		norm := fs.normalize(s)
		mask := uint32(len(p.weights) - 1)
		for i := 0; i < len(norm); i++ {
			h := uint32(2166136261)
			end := min(len(norm), i+ngramMax)
			for k, c := range norm[i:end] {
				h = (h ^ uint32(c)) * 16777619
				if k+1 >= ngramMin {
					w := &p.weights[(h^uint32(k)*0x9e3779b9)&mask]
					za += w[0]
					zb += w[1]
					n++
				}
			}
		}
	}
	if len(lower) > maxScanBytes {
		sum(lower[:maxScanBytes/2])
		sum(lower[len(lower)-maxScanBytes/2:])
	} else {
		sum(lower)
	}
	if n == 0 {
		return sigmoid(p.a.Bias), sigmoid(p.b.Bias)
	}
	d := math.Sqrt(float64(n))
	return sigmoid(p.a.Bias + float64(za)/d), sigmoid(p.b.Bias + float64(zb)/d)
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// Example is one labelled text for training and evaluation.
type Example struct {
	Text     string
	Positive bool
	Source   string // file it came from
}

// TrainOptions tune Train; the zero value gives the shipped models.
type TrainOptions struct {
	Epochs int
	Dims   int
	L2     float64
	Seed   uint64
	// MaxFPR picks the threshold: the lowest score at which the share of negative
	// examples of the calibration set flagged is at most MaxFPR. Zero picks the threshold
	// with the best F1 instead.
	MaxFPR float64
}

// Train fits a model with AdaGrad on train, weighting classes equally, and picks its
// threshold on calibrate. The same examples and options always give the same bytes.
func Train(name string, train, calibrate []Example, opt TrainOptions) (*Model, error) {
	if opt.Epochs == 0 {
		opt.Epochs = 12
	}
	if opt.Dims == 0 {
		opt.Dims = defaultDims
	}
	if opt.L2 == 0 {
		opt.L2 = 1e-6
	}
	if opt.Dims&(opt.Dims-1) != 0 {
		return nil, errors.New("dims must be a power of two")
	}
	var pos, neg int
	for _, e := range train {
		if e.Positive {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return nil, fmt.Errorf("training %s needs positive and negative examples (have %d and %d)", name, pos, neg)
	}
	wPos := float64(len(train)) / (2 * float64(pos))
	wNeg := float64(len(train)) / (2 * float64(neg))
	feats := make([][]uint32, len(train))
	for i, e := range train {
		feats[i] = features(lowerText(e.Text), opt.Dims, nil)
	}
	w := make([]float64, opt.Dims)
	g2 := make([]float64, opt.Dims)
	var bias, bias2 float64
	const lr = 0.5
	order := make([]int, len(train))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5eed))
	for epoch := 0; epoch < opt.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			f := feats[i]
			if len(f) == 0 {
				continue
			}
			norm := 1 / math.Sqrt(float64(len(f)))
			z := bias
			for _, k := range f {
				z += w[k] * norm
			}
			y, cw := 0.0, wNeg
			if train[i].Positive {
				y, cw = 1, wPos
			}
			g := (sigmoid(z) - y) * cw
			bias2 += g * g
			bias -= lr * g / math.Sqrt(bias2+1e-8)
			for _, k := range f {
				gk := g*norm + opt.L2*w[k]
				g2[k] += gk * gk
				w[k] -= lr * gk / math.Sqrt(g2[k]+1e-8)
			}
		}
	}
	m := &Model{Name: name, Bias: bias, Weights: make([]float32, opt.Dims)}
	for i, v := range w {
		m.Weights[i] = float32(v)
	}
	m.Threshold = pickThreshold(m, calibrate, opt.MaxFPR)
	return m, nil
}

func pickThreshold(m *Model, cal []Example, maxFPR float64) float64 {
	if len(cal) == 0 {
		return 0.5
	}
	type scored struct {
		s   float64
		pos bool
	}
	ss := make([]scored, len(cal))
	var buf []uint32
	for i, e := range cal {
		buf = features(lowerText(e.Text), len(m.Weights), buf)
		ss[i] = scored{m.Score(buf), e.Positive}
	}
	best, bestVal := 0.5, -1.0
	for t := 0.05; t < 0.99; t += 0.01 {
		var tp, fp, fn, negs int
		for _, x := range ss {
			switch {
			case x.pos && x.s >= t:
				tp++
			case x.pos:
				fn++
			case x.s >= t:
				fp++
				negs++
			default:
				negs++
			}
		}
		if maxFPR > 0 {
			if negs > 0 && float64(fp)/float64(negs) <= maxFPR {
				return math.Round(t*100) / 100
			}
			continue
		}
		f1 := 2 * float64(tp) / float64(2*tp+fp+fn)
		if f1 > bestVal {
			best, bestVal = t, f1
		}
	}
	return math.Round(best*100) / 100
}

// WriteTo writes the model in its binary file format.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	b.WriteString(modelMagic)
	name := []byte(m.Name)
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(name)))
	b.Write(name)
	_ = binary.Write(&b, binary.LittleEndian, m.Threshold)
	_ = binary.Write(&b, binary.LittleEndian, m.Bias)
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(m.Weights)))
	_ = binary.Write(&b, binary.LittleEndian, m.Weights)
	n, err := w.Write(b.Bytes())
	return int64(n), err
}

// ReadModel decodes a model file written by WriteTo.
func ReadModel(data []byte) (*Model, error) {
	r := bytes.NewReader(data)
	magic := make([]byte, len(modelMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != modelMagic {
		return nil, errors.New("cannot decode model: not a model file")
	}
	var nameLen uint16
	if err := binary.Read(r, binary.LittleEndian, &nameLen); err != nil {
		return nil, fmt.Errorf("cannot decode model: %w", err)
	}
	name := make([]byte, nameLen)
	if _, err := io.ReadFull(r, name); err != nil || !utf8.Valid(name) {
		return nil, errors.New("cannot decode model: bad name")
	}
	m := &Model{Name: string(name)}
	var dims uint32
	for _, p := range []any{&m.Threshold, &m.Bias, &dims} {
		if err := binary.Read(r, binary.LittleEndian, p); err != nil {
			return nil, fmt.Errorf("cannot decode model: %w", err)
		}
	}
	if dims == 0 || dims&(dims-1) != 0 || int64(dims)*4 != int64(r.Len()) {
		return nil, errors.New("cannot decode model: weight count does not match the file")
	}
	m.Weights = make([]float32, dims)
	if err := binary.Read(r, binary.LittleEndian, m.Weights); err != nil {
		return nil, fmt.Errorf("cannot decode model: %w", err)
	}
	return m, nil
}
