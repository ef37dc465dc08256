package guardrail

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
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
	// The weights as 16-bit steps of scale, which Score sums: integer sums are exact in
	// any order, so the scan's sums (packed, in several lanes) equal Score's. Train and
	// ReadModel fill them.
	quant []int16
	scale float64
}

const (
	// AOLR2 hashes n-grams by multiplying their bytes; AOLR1 files chained FNV over them.
	modelMagic   = "AOLR2\n"
	ngramMin     = 2
	ngramMax     = 5
	defaultDims  = 1 << 17 // sumShipped's shift assumes it
	maxScanBytes = 8 << 10 // longer texts are scored on their first and last 4 KB
	// ngramMul spreads an n-gram's bytes over the high bits (Fibonacci hashing), which
	// pick its weight.
	ngramMul = 0x9e3779b97f4a7c15
)

// ngramSlot is the weight index of the n-gram in the low n bytes of x (little-endian, n in
// 2..5), among 1<<(64-shift) weights. The size goes in the top byte, so that an n-gram and
// a longer one ending in zero bytes differ.
func ngramSlot(x uint64, n int, shift uint) uint32 {
	return uint32(((x & (1<<(8*n) - 1)) | uint64(n)<<56) * ngramMul >> shift) // #nosec G115 -- shift >= 32
}

// slotShift is the shift ngramSlot takes for dims weights.
func slotShift(dims int) uint { return uint(64 - bits.TrailingZeros(uint(dims))) }

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
	// A scan's other working lists.
	phrases []phraseEvent
	windows []secretWindow
	spans   []span
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

// hashNgrams lists the n-grams of every position in order, shortest first.
func (fs *featureScratch) hashNgrams(s string, dims int) {
	shift := slotShift(dims)
	norm := fs.normalize(s)
	buf := fs.feats
	for i := range norm {
		x := windowAt(norm, i)
		for n := ngramMin; n <= ngramMax && i+n <= len(norm); n++ {
			buf = append(buf, ngramSlot(x, n, shift))
		}
	}
	fs.feats = buf
}

// windowAt is the eight bytes of norm from i, little-endian; normalize leaves eight zero
// bytes past the end, so the window never reads out of the slice's capacity.
func windowAt(norm []byte, i int) uint64 {
	return binary.LittleEndian.Uint64(norm[i : i+8])
}

// normalize writes s to fs.norm with whitespace runs as one space and framed by spaces, so
// that word boundaries are features too. Eight zero bytes follow it in the buffer, for
// windowAt.
func (fs *featureScratch) normalize(s string) []byte {
	size := len(s) + 2 + 8
	if cap(fs.norm) < size {
		fs.norm = make([]byte, size)
	}
	buf := fs.norm[:size]
	buf[0] = ' '
	// Without branches: every byte is written (whitespace as a space), and the write
	// position moves on unless the byte is whitespace after whitespace.
	n, prevSpace := 1, 1
	for i := 0; i < len(s); i++ {
		c := s[i]
		space := int(byteClasses[c] >> classSpaceShift)
		buf[n] = foldSpace[c]
		n += 1 - space&prevSpace
		prevSpace = space
	}
	if prevSpace == 0 {
		buf[n] = ' '
		n++
	}
	clear(buf[n : n+8])
	return buf[:n]
}

// foldSpace maps the whitespace normalize folds to a space and every other byte to itself.
var foldSpace = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if byteClasses[i]&classSpace != 0 {
			t[i] = ' '
		}
	}
	return t
}()

// quantize fills m.quant from m.Weights.
func (m *Model) quantize() {
	var top float32
	for _, w := range m.Weights {
		top = max(top, w, -w)
	}
	m.scale = 1
	if top > 0 {
		m.scale = float64(top) / math.MaxInt16
	}
	m.quant = make([]int16, len(m.Weights))
	for i, w := range m.Weights {
		m.quant[i] = int16(math.Round(float64(w) / m.scale))
	}
}

// score turns a sum of quantized weights over n features into a probability.
func (m *Model) score(sum int64, n int) float64 {
	if n == 0 {
		return sigmoid(m.Bias)
	}
	return sigmoid(m.Bias + float64(sum)*m.scale/math.Sqrt(float64(n)))
}

// Score is the model's probability that the text (as features) is positive.
func (m *Model) Score(feats []uint32) float64 {
	var z int64
	for _, f := range feats {
		z += int64(m.quant[f])
	}
	return m.score(z, len(feats))
}

// modelPair scores two models of the same size in one pass. Each slot holds both models'
// quantized weights in one int64 (a's times 2^32 plus b's), so a feature costs one load
// and one addition; the sums split apart exactly because no sum of b's weights reaches
// 2^31 (at most 33,000 features of at most 2^15 each).
type modelPair struct {
	a, b   *Model
	packed []int64
}

func pairModels(a, b *Model) *modelPair {
	p := &modelPair{a: a, b: b, packed: make([]int64, len(a.quant))}
	for i := range p.packed {
		p.packed[i] = int64(a.quant[i])<<32 + int64(b.quant[i])
	}
	return p
}

// unpack splits a sum of packed weights into a's sum and b's.
func unpack(sum int64) (int64, int64) {
	low := int64(int32(sum)) // #nosec G115 -- the low half is b's sum, which fits
	return (sum - low) >> 32, low
}

// Score returns what a.Score and b.Score would.
func (p *modelPair) Score(feats []uint32) (float64, float64) {
	var z int64
	for _, f := range feats {
		z += p.packed[f]
	}
	za, zb := unpack(z)
	return p.a.score(za, len(feats)), p.b.score(zb, len(feats))
}

// scoreText returns what Score would on the features of lower without materialising them.
func (p *modelPair) scoreText(lower string, fs *featureScratch) (float64, float64) {
	var z int64
	n := 0
	add := func(s string) {
		norm := fs.normalize(s)
		sum, done := p.sumShipped(norm)
		if done < 0 {
			sum, done = 0, 0
		}
		shift := slotShift(len(p.packed))
		for i := done; i < len(norm); i++ {
			x := windowAt(norm, i)
			for k := ngramMin; k <= ngramMax && i+k <= len(norm); k++ {
				sum += p.packed[ngramSlot(x, k, shift)]
			}
		}
		z += sum
		n += countNgrams(len(norm))
	}
	if len(lower) > maxScanBytes {
		add(lower[:maxScanBytes/2])
		add(lower[len(lower)-maxScanBytes/2:])
	} else {
		add(lower)
	}
	za, zb := unpack(z)
	return p.a.score(za, n), p.b.score(zb, n)
}

// sumShipped sums the weights of every position with all four n-grams when the models
// have the shipped size, whose fixed shift and array length let the loop run without
// bounds checks: it is most of a scan's classifier time. It returns the positions done,
// or -1 for models of another size.
func (p *modelPair) sumShipped(norm []byte) (int64, int) {
	if len(p.packed) != defaultDims {
		return 0, -1
	}
	table := (*[defaultDims]int64)(p.packed)
	const shift = 64 - 17
	// One sum per n-gram size, so that the additions do not wait on each other.
	var s2, s3, s4, s5 int64
	i := 0
	for ; i+ngramMax <= len(norm); i++ {
		x := windowAt(norm, i)
		s2 += table[ngramSlot(x, 2, shift)]
		s3 += table[ngramSlot(x, 3, shift)]
		s4 += table[ngramSlot(x, 4, shift)]
		s5 += table[ngramSlot(x, 5, shift)]
	}
	return s2 + s3 + s4 + s5, i
}

// countNgrams is how many n-grams hashNgrams lists for a normalized text of n bytes.
func countNgrams(n int) int {
	c := 0
	for size := ngramMin; size <= ngramMax; size++ {
		c += max(0, n-size+1)
	}
	return c
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// Example is one labelled text for training and evaluation.
type Example struct {
	Text     string
	Positive bool
	Source   string // file it came from
	// Borrowed marks a clean row taken from another task's set (agent prose for the toxicity
	// classifier): its false positives are bounded apart, by TrainOptions.BorrowedMaxFPR.
	Borrowed bool
}

// ShippedSeed is the shuffling seed of the shipped models. A fit's verdict on a short
// refusal ("I cannot help with that request, sorry.") swings with the shuffling order
// across the injection threshold; seeds 1 to 4 flagged it, 5 is the first that does not
// and still meets the holdout targets.
const ShippedSeed = 5

// TrainOptions tune Train; the zero value, with Seed set to ShippedSeed, gives the shipped
// models.
type TrainOptions struct {
	Epochs int
	Dims   int
	L2     float64
	Seed   uint64
	// MaxFPR picks the threshold: the lowest score at which the share of negative
	// examples of the calibration set flagged is at most MaxFPR. Zero picks the threshold
	// with the best F1 instead.
	MaxFPR float64
	// BorrowedMaxFPR bounds the share of Borrowed negatives flagged as well (0: no bound).
	BorrowedMaxFPR float64
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
	w, bias := fit(train, feats, opt, wPos, wNeg)
	m := &Model{Name: name, Bias: bias, Weights: make([]float32, opt.Dims)}
	for i, v := range w {
		m.Weights[i] = float32(v)
	}
	m.quantize()
	m.Threshold = pickThreshold(m, calibrate, opt.MaxFPR, opt.BorrowedMaxFPR)
	return m, nil
}

// fit runs AdaGrad over the examples' features and returns the weights and bias.
func fit(train []Example, feats [][]uint32, opt TrainOptions, wPos, wNeg float64) ([]float64, float64) {
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
	return w, bias
}

func pickThreshold(m *Model, cal []Example, maxFPR, borrowedMaxFPR float64) float64 {
	if len(cal) == 0 {
		return 0.5
	}
	ss := make([]scoredExample, len(cal))
	var buf []uint32
	for i, e := range cal {
		buf = features(lowerText(e.Text), len(m.Weights), buf)
		ss[i] = scoredExample{m.Score(buf), e.Positive, e.Borrowed}
	}
	return chooseThreshold(ss, maxFPR, borrowedMaxFPR)
}

type scoredExample struct {
	s             float64
	pos, borrowed bool
}

// chooseThreshold is the lowest threshold (in steps of 0.01) whose false-positive rates stay
// within maxFPR on the own negatives and borrowedMaxFPR on the borrowed ones; with maxFPR 0,
// the threshold of the best F1 among those within the borrowed bound.
func chooseThreshold(ss []scoredExample, maxFPR, borrowedMaxFPR float64) float64 {
	best, bestVal := 0.5, -1.0
	for t := 0.05; t < 0.99; t += 0.01 {
		var tp, fp, fn, negs, bfp, bnegs int
		for _, x := range ss {
			switch {
			case x.pos && x.s >= t:
				tp++
			case x.pos:
				fn++
			case x.borrowed:
				bnegs++
				if x.s >= t {
					bfp++
				}
			case x.s >= t:
				fp++
				negs++
			default:
				negs++
			}
		}
		if borrowedMaxFPR > 0 && bnegs > 0 && float64(bfp)/float64(bnegs) > borrowedMaxFPR {
			continue
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
		if string(magic) == "AOLR1\n" {
			return nil, errors.New("cannot decode model: AOLR1 files hash n-grams differently; train it again with this version")
		}
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
	m.quantize()
	return m, nil
}
