package ingest

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/agentobs/agentobs/internal/jsonlex"
)

// A decoder without reflection for the shapes trace bodies take in practice. encoding/json
// reads a body twice (a validity scan, then the decode) and sets every field through
// reflection: under batch ingestion that was a sixth of the server's CPU. This decoder gives
// up (ok=false, never an error) on anything it is not certain encoding/json reads the same
// way: a JSON type the field does not take, a key that matches a field only when case is
// ignored or that repeats, deep nesting, invalid JSON. The caller then
// decodes with encoding/json, whose result or error stands, so problems are worded as
// before. FuzzFastDecode checks that whatever this decoder accepts, encoding/json decodes
// to the same value. Bodies must be valid UTF-8 (checkUTF8 runs first).

// maxFastDepth bounds the nesting of metadata and attributes read here; deeper values go to
// encoding/json.
const maxFastDepth = 64

type fastReader struct {
	b string // the body
	i int
}

// decodeTraceFast decodes a single-trace body into in, which must be zero.
func decodeTraceFast(body []byte, in *TraceInput) bool {
	r := fastReader{b: string(body)}
	return r.trace(in) && r.end()
}

// decodeBatchFast decodes a batch body: a bare array of traces when bare, else an object
// whose "traces" member holds them.
func decodeBatchFast(body []byte, bare bool) ([]TraceInput, bool) {
	r := fastReader{b: string(body)}
	var traces []TraceInput
	if bare {
		if !arrayOf(&r, &traces, r.trace) {
			return nil, false
		}
		return traces, r.end()
	}
	seen := false
	ok := r.object(func(key string) bool {
		switch key {
		case "traces":
			if seen {
				return false
			}
			seen = true
			return arrayOf(&r, &traces, r.trace)
		default:
			return !foldsToField(key, batchSchema) && r.skip(0)
		}
	})
	return traces, ok && r.end()
}

var batchSchema = map[string]fieldKind{"traces": kindSpans}

func (r *fastReader) ws() { r.i = jsonlex.SkipSpace(r.b, r.i) }

// end reports whether only whitespace follows.
func (r *fastReader) end() bool {
	r.ws()
	return r.i == len(r.b)
}

func (r *fastReader) peek() byte {
	r.ws()
	if r.i >= len(r.b) {
		return 0
	}
	return r.b[r.i]
}

// null consumes a null literal if one is next.
func (r *fastReader) null() bool {
	if r.peek() == 'n' && strings.HasPrefix(r.b[r.i:], "null") {
		r.i += 4
		return true
	}
	return false
}

// object reads an object, calling field with each key (unescaped) with r.i at its value;
// field reads the value or reports false to give up.
func (r *fastReader) object(field func(key string) bool) bool {
	if r.peek() != '{' {
		return false
	}
	r.i++
	if r.peek() == '}' {
		r.i++
		return true
	}
	for {
		r.ws()
		key, next, ok := jsonlex.String(r.b, r.i)
		if !ok {
			return false
		}
		r.i = next
		if r.peek() != ':' {
			return false
		}
		r.i++
		r.ws()
		if !field(key) {
			return false
		}
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return true
		default:
			return false
		}
	}
}

// array reads an array, calling elem with r.i at each element. It reports empty when the
// array has no element.
func (r *fastReader) array(elem func() bool) (ok, empty bool) {
	if r.peek() != '[' {
		return false, false
	}
	r.i++
	if r.peek() == ']' {
		r.i++
		return true, true
	}
	for {
		r.ws()
		if !elem() {
			return false, false
		}
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return true, false
		default:
			return false, false
		}
	}
}

// foldsToField reports whether encoding/json could match key to a field of schema other
// than by equality: case-insensitively, or through Unicode folding of a non-ASCII key.
func foldsToField(key string, schema map[string]fieldKind) bool {
	var buf [32]byte
	if len(key) > len(buf) {
		return false // longer than every field name
	}
	for i, c := range []byte(key) {
		switch {
		case c >= utf8.RuneSelf:
			return true
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	_, ok := schema[string(buf[:len(key)])]
	return ok
}

// str reads a string value into a string of its own (not holding on to the body); null
// leaves dst as it is, as encoding/json does.
func (r *fastReader) str(dst *string) bool {
	if r.null() {
		return true
	}
	v, next, ok := jsonlex.String(r.b, r.i)
	if !ok {
		return false
	}
	*dst, r.i = strings.Clone(v), next
	return true
}

// number reads a JSON number and returns its text and whether it is a plain integer.
func (r *fastReader) number() (text string, integer, ok bool) {
	end, integer, ok := jsonlex.Number(r.b, r.i)
	if !ok {
		return "", false, false
	}
	text, r.i = r.b[r.i:end], end
	return text, integer, true
}

// int64Ptr reads an integer; null sets dst to nil. A fraction or exponent is an error for
// encoding/json, so gives up.
func (r *fastReader) int64Ptr(dst **int64) bool {
	if r.null() {
		*dst = nil
		return true
	}
	text, integer, ok := r.number()
	if !ok || !integer {
		return false
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return false
	}
	*dst = &n
	return true
}

// float64Ptr reads a number; null sets dst to nil.
func (r *fastReader) float64Ptr(dst **float64) bool {
	if r.null() {
		*dst = nil
		return true
	}
	text, _, ok := r.number()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return false
	}
	*dst = &f
	return true
}

// raw reads any value and keeps its bytes, as json.RawMessage does (null included).
func (r *fastReader) raw(dst *json.RawMessage) bool {
	r.ws()
	start := r.i
	if !r.skip(0) {
		return false
	}
	*dst = json.RawMessage(r.b[start:r.i])
	return true
}

// element reads a string element of an array: null elements and other types go to
// encoding/json.
func (r *fastReader) element(dst *string) bool {
	return r.peek() == '"' && r.str(dst)
}

// skip reads any value, checking that it is valid JSON.
func (r *fastReader) skip(depth int) bool {
	switch r.peek() {
	case '"':
		_, next, ok := jsonlex.String(r.b, r.i)
		r.i = next
		return ok
	case '{':
		if depth >= maxFastDepth {
			return false
		}
		return r.object(func(key string) bool { return r.skip(depth + 1) })
	case '[':
		if depth >= maxFastDepth {
			return false
		}
		ok, _ := r.array(func() bool { return r.skip(depth + 1) })
		return ok
	case 't':
		return r.literal("true")
	case 'f':
		return r.literal("false")
	case 'n':
		return r.literal("null")
	default:
		_, _, ok := r.number()
		return ok
	}
}

func (r *fastReader) literal(word string) bool {
	if strings.HasPrefix(r.b[r.i:], word) {
		r.i += len(word)
		return true
	}
	return false
}

// arrayOf reads an array with read for each element; null sets dst to nil, an empty array
// to an empty slice, as encoding/json does. read gives up on null elements.
func arrayOf[T any](r *fastReader, dst *[]T, read func(*T) bool) bool {
	if r.null() {
		*dst = nil
		return true
	}
	var out []T
	ok, empty := r.array(func() bool {
		var zero T
		out = append(out, zero)
		return read(&out[len(out)-1])
	})
	if !ok {
		return false
	}
	if empty {
		out = []T{}
	}
	*dst = out
	return true
}

// seenField marks field bit in seen; a repeated key gives up (encoding/json's handling of
// repeats differs by type).
func seenField(seen *uint32, bit uint) bool {
	if *seen&(1<<bit) != 0 {
		return false
	}
	*seen |= 1 << bit
	return true
}

func (r *fastReader) trace(t *TraceInput) bool {
	var seen uint32
	return r.object(func(key string) bool {
		var bit uint
		var ok bool
		switch key {
		case "trace_id":
			bit, ok = 0, r.str(&t.TraceID)
		case "agent_id":
			bit, ok = 1, r.str(&t.AgentID)
		case "workspace_id":
			bit, ok = 2, r.str(&t.WorkspaceID)
		case "timestamp":
			bit, ok = 3, r.str(&t.Timestamp)
		case "end_time":
			bit, ok = 4, r.str(&t.EndTime)
		case "name":
			bit, ok = 5, r.str(&t.Name)
		case "user_id":
			bit, ok = 6, r.str(&t.UserID)
		case "session_id":
			bit, ok = 7, r.str(&t.SessionID)
		case "input":
			bit, ok = 8, r.str(&t.Input)
		case "output":
			bit, ok = 9, r.str(&t.Output)
		case "latency_ms":
			bit, ok = 10, r.int64Ptr(&t.LatencyMs)
		case "status":
			bit, ok = 11, r.str(&t.Status)
		case "error_type":
			bit, ok = 12, r.str(&t.ErrorType)
		case "error_message":
			bit, ok = 13, r.str(&t.ErrorMessage)
		case "model":
			bit, ok = 14, r.str(&t.Model)
		case "model_provider":
			bit, ok = 15, r.str(&t.ModelProvider)
		case "tokens_input":
			bit, ok = 16, r.int64Ptr(&t.TokensInput)
		case "tokens_output":
			bit, ok = 17, r.int64Ptr(&t.TokensOutput)
		case "tokens_cached_input":
			bit, ok = 18, r.int64Ptr(&t.TokensCached)
		case "tokens_total":
			bit, ok = 19, r.int64Ptr(&t.TokensTotal)
		case "cost_usd":
			bit, ok = 20, r.float64Ptr(&t.CostUSD)
		case "metadata":
			bit, ok = 21, r.raw(&t.Metadata)
		case "tags":
			bit, ok = 22, arrayOf(r, &t.Tags, r.element)
		case "spans":
			bit, ok = 23, arrayOf(r, &t.Spans, r.span)
		case "scores":
			bit, ok = 24, arrayOf(r, &t.Scores, r.score)
		default:
			return !foldsToField(key, traceSchema) && r.skip(0)
		}
		return ok && seenField(&seen, bit)
	})
}

func (r *fastReader) span(s *SpanInput) bool {
	var seen uint32
	return r.object(func(key string) bool {
		var bit uint
		var ok bool
		switch key {
		case "span_id":
			bit, ok = 0, r.str(&s.SpanID)
		case "parent_span_id":
			bit, ok = 1, r.str(&s.ParentSpanID)
		case "kind":
			bit, ok = 2, r.str(&s.Kind)
		case "name":
			bit, ok = 3, r.str(&s.Name)
		case "start_time":
			bit, ok = 4, r.str(&s.StartTime)
		case "end_time":
			bit, ok = 5, r.str(&s.EndTime)
		case "latency_ms":
			bit, ok = 6, r.int64Ptr(&s.LatencyMs)
		case "status":
			bit, ok = 7, r.str(&s.Status)
		case "status_message":
			bit, ok = 8, r.str(&s.StatusMessage)
		case "model":
			bit, ok = 9, r.str(&s.Model)
		case "model_provider":
			bit, ok = 10, r.str(&s.ModelProvider)
		case "tokens_input":
			bit, ok = 11, r.int64Ptr(&s.TokensInput)
		case "tokens_output":
			bit, ok = 12, r.int64Ptr(&s.TokensOutput)
		case "tokens_cached_input":
			bit, ok = 13, r.int64Ptr(&s.TokensCached)
		case "tokens_total":
			bit, ok = 14, r.int64Ptr(&s.TokensTotal)
		case "cost_usd":
			bit, ok = 15, r.float64Ptr(&s.CostUSD)
		case "input":
			bit, ok = 16, r.str(&s.Input)
		case "output":
			bit, ok = 17, r.str(&s.Output)
		case "attributes":
			bit, ok = 18, r.raw(&s.Attributes)
		default:
			return !foldsToField(key, spanSchema) && r.skip(0)
		}
		return ok && seenField(&seen, bit)
	})
}

func (r *fastReader) score(s *ScoreInput) bool {
	var seen uint32
	return r.object(func(key string) bool {
		var bit uint
		var ok bool
		switch key {
		case "score_id":
			bit, ok = 0, r.str(&s.ScoreID)
		case "name":
			bit, ok = 1, r.str(&s.Name)
		case "value":
			bit, ok = 2, r.float64Ptr(&s.Value)
		case "span_id":
			bit, ok = 3, r.str(&s.SpanID)
		case "comment":
			bit, ok = 4, r.str(&s.Comment)
		case "source":
			bit, ok = 5, r.str(&s.Source)
		default:
			return !foldsToField(key, scoreSchema) && r.skip(0)
		}
		return ok && seenField(&seen, bit)
	})
}
