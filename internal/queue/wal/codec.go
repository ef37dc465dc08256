package wal

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"
)

// The payload of a record is the traces of one Publish call in a compact binary form:
// a count, then each trace field by field. JSON would cost a second parse of every trace on
// replay and twice the bytes; the log is read back only after a crash or when the
// consumer falls behind its in-memory window, but it is written for every trace.
//
// Strings and raw JSON are length-prefixed, integers are varints, optional numbers carry a
// presence byte, times are Unix nanoseconds (0 for the zero time). The field order is the
// format: changing it needs a new record version (see recordVersion).

// maxItemsPerRecord bounds what a corrupt count can make the decoder allocate.
const maxItemsPerRecord = 1 << 20

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bytes(b []byte) {
	if b == nil {
		e.uvarint(0)
		return
	}
	// Length+1, so that nil and empty stay apart (empty JSON metadata differs from none).
	e.uvarint(uint64(len(b)) + 1)
	e.b = append(e.b, b...)
}

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.varint(0)
		return
	}
	e.varint(t.UnixNano())
}

func (e *encoder) optInt(p *int64) {
	if p == nil {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.varint(*p)
}

func (e *encoder) optFloat(p *float64) {
	if p == nil {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(*p))
}

// appendItems appends the encoded traces of items to dst.
func appendItems(dst []byte, items []queue.Item) []byte {
	e := encoder{b: dst}
	e.uvarint(uint64(len(items)))
	for i := range items {
		e.trace(&items[i].Trace)
	}
	return e.b
}

func (e *encoder) trace(t *model.Trace) {
	e.str(t.WorkspaceID)
	e.str(t.TraceID)
	e.str(t.AgentID)
	e.str(t.Name)
	e.str(t.UserID)
	e.str(t.SessionID)
	e.time(t.StartTime)
	e.time(t.EndTime)
	e.varint(t.LatencyMs)
	e.str(string(t.Status))
	e.str(t.ErrorType)
	e.str(t.ErrorMessage)
	e.str(t.Input)
	e.str(t.Output)
	e.str(t.Model)
	e.str(t.Provider)
	e.optInt(t.TokensInput)
	e.optInt(t.TokensOutput)
	e.optInt(t.TokensCached)
	e.optInt(t.TokensTotal)
	e.optFloat(t.CostUSD)
	e.uvarint(uint64(len(t.Tags)))
	for _, tag := range t.Tags {
		e.str(tag)
	}
	e.bytes(t.Metadata)
	e.varint(t.SpanCount)
	e.varint(t.ErrorSpanCount)
	d := &t.Declared
	e.str(string(d.Status))
	e.optInt(d.LatencyMs)
	e.time(d.EndTime)
	e.optInt(d.TokensInput)
	e.optInt(d.TokensOutput)
	e.optInt(d.TokensCached)
	e.optInt(d.TokensTotal)
	e.optFloat(d.CostUSD)
	e.uvarint(uint64(d.Origin))
	e.uvarint(uint64(len(t.Spans)))
	for i := range t.Spans {
		e.span(&t.Spans[i])
	}
	e.uvarint(uint64(len(t.Scores)))
	for i := range t.Scores {
		s := &t.Scores[i]
		e.str(s.ScoreID)
		e.str(s.SpanID)
		e.str(s.Name)
		e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(s.Value))
		e.str(s.Comment)
		e.str(string(s.Source))
		e.time(s.CreatedAt)
	}
}

// span leaves out the workspace and trace ids (the trace's) and Children (read-side only).
func (e *encoder) span(s *model.Span) {
	e.str(s.SpanID)
	e.str(s.ParentSpanID)
	e.str(string(s.Kind))
	e.str(s.Name)
	e.time(s.StartTime)
	e.time(s.EndTime)
	e.varint(s.LatencyMs)
	e.str(string(s.Status))
	e.str(s.StatusMessage)
	e.str(s.Model)
	e.str(s.Provider)
	e.optInt(s.TokensInput)
	e.optInt(s.TokensOutput)
	e.optInt(s.TokensCached)
	e.optInt(s.TokensTotal)
	e.optFloat(s.CostUSD)
	e.str(s.Input)
	e.str(s.Output)
	e.bytes(s.Attributes)
}

var errShort = errors.New("record ends early")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) raw(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return nil
	}
	out := d.b[:n:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) str() string { return string(d.raw(d.uvarint())) }

// text is str for the prompts, answers and error texts, most of a record's bytes: it shares
// the payload's memory instead of copying it (a batch of 10,000 traces held 15 MB of copies).
// Identifiers still get copies of their own, since registries keep them for the life of the
// process and one kept string would pin its whole record. A payload is never written after it
// is encoded or read, so the texts cannot change under their readers.
func (d *decoder) text() string {
	b := d.raw(d.uvarint())
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (d *decoder) bytes() json.RawMessage {
	n := d.uvarint()
	if n == 0 {
		return nil
	}
	return append(json.RawMessage(nil), d.raw(n-1)...)
}

func (d *decoder) time() time.Time {
	ns := d.varint()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func (d *decoder) flag() bool {
	b := d.raw(1)
	if len(b) == 0 {
		return false
	}
	if b[0] > 1 {
		d.fail(fmt.Errorf("bad presence byte %d", b[0]))
		return false
	}
	return b[0] == 1
}

func (d *decoder) optInt() *int64 {
	if !d.flag() {
		return nil
	}
	v := d.varint()
	return &v
}

func (d *decoder) float() float64 {
	b := d.raw(8)
	if len(b) < 8 {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

func (d *decoder) optFloat() *float64 {
	if !d.flag() {
		return nil
	}
	v := d.float()
	return &v
}

// count reads a list length, refusing one the remaining bytes cannot hold (each element
// takes at least one byte), so a corrupt length never allocates more than the record.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) || n > maxItemsPerRecord {
		d.fail(fmt.Errorf("list of %d elements in %d bytes", n, len(d.b)))
		return 0
	}
	return int(n)
}

// decodeItems decodes a record payload written by appendItems. The traces' texts share the
// payload's memory (see text): the caller must not write to it afterwards.
func decodeItems(payload []byte) ([]queue.Item, error) {
	d := decoder{b: payload}
	n := d.count()
	items := make([]queue.Item, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		var it queue.Item
		d.trace(&it.Trace)
		items = append(items, it)
	}
	if d.err != nil {
		return nil, fmt.Errorf("cannot decode log record: %w", d.err)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("cannot decode log record: %d bytes left over", len(d.b))
	}
	return items, nil
}

func (d *decoder) trace(t *model.Trace) {
	t.WorkspaceID = d.str()
	t.TraceID = d.str()
	t.AgentID = d.str()
	t.Name = d.str()
	t.UserID = d.str()
	t.SessionID = d.str()
	t.StartTime = d.time()
	t.EndTime = d.time()
	t.LatencyMs = d.varint()
	t.Status = model.Status(d.str())
	t.ErrorType = d.str()
	t.ErrorMessage = d.text()
	t.Input = d.text()
	t.Output = d.text()
	t.Model = d.str()
	t.Provider = d.str()
	t.TokensInput = d.optInt()
	t.TokensOutput = d.optInt()
	t.TokensCached = d.optInt()
	t.TokensTotal = d.optInt()
	t.CostUSD = d.optFloat()
	if n := d.count(); n > 0 {
		t.Tags = make([]string, n)
		for i := range t.Tags {
			t.Tags[i] = d.str()
		}
	}
	t.Metadata = d.bytes()
	t.SpanCount = d.varint()
	t.ErrorSpanCount = d.varint()
	dc := &t.Declared
	dc.Status = model.Status(d.str())
	dc.LatencyMs = d.optInt()
	dc.EndTime = d.time()
	dc.TokensInput = d.optInt()
	dc.TokensOutput = d.optInt()
	dc.TokensCached = d.optInt()
	dc.TokensTotal = d.optInt()
	dc.CostUSD = d.optFloat()
	origin := d.uvarint()
	if origin > uint64(model.OriginPartial) {
		d.fail(fmt.Errorf("bad origin %d", origin))
	}
	dc.Origin = model.Origin(origin)
	if n := d.count(); n > 0 {
		t.Spans = make([]model.Span, n)
		for i := range t.Spans {
			s := &t.Spans[i]
			s.WorkspaceID, s.TraceID = t.WorkspaceID, t.TraceID
			d.span(s)
		}
	}
	if n := d.count(); n > 0 {
		t.Scores = make([]model.Score, n)
		for i := range t.Scores {
			s := &t.Scores[i]
			s.WorkspaceID, s.TraceID = t.WorkspaceID, t.TraceID
			s.ScoreID = d.str()
			s.SpanID = d.str()
			s.Name = d.str()
			s.Value = d.float()
			s.Comment = d.str()
			s.Source = model.ScoreSource(d.str())
			s.CreatedAt = d.time()
		}
	}
}

func (d *decoder) span(s *model.Span) {
	s.SpanID = d.str()
	s.ParentSpanID = d.str()
	s.Kind = model.SpanKind(d.str())
	s.Name = d.str()
	s.StartTime = d.time()
	s.EndTime = d.time()
	s.LatencyMs = d.varint()
	s.Status = model.Status(d.str())
	s.StatusMessage = d.text()
	s.Model = d.str()
	s.Provider = d.str()
	s.TokensInput = d.optInt()
	s.TokensOutput = d.optInt()
	s.TokensCached = d.optInt()
	s.TokensTotal = d.optInt()
	s.CostUSD = d.optFloat()
	s.Input = d.text()
	s.Output = d.text()
	s.Attributes = d.bytes()
}
