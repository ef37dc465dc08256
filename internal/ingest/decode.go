package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agentobs/agentobs/internal/model"
)

// Limits bound what one request may carry. Zero fields take the defaults.
type Limits struct {
	MaxBodyBytes   int64 // whole request body, after gzip
	MaxBatch       int   // traces per batch request
	MaxTextBytes   int   // input, output
	MaxObjectBytes int   // metadata, attributes
	MaxSpans       int   // spans per trace
	MaxScores      int   // scores per trace
}

// DefaultLimits are documented in docs/ingestion.md.
func DefaultLimits() Limits {
	return Limits{
		MaxBodyBytes:   8 << 20,
		MaxBatch:       100,
		MaxTextBytes:   1 << 20,
		MaxObjectBytes: 64 << 10,
		MaxSpans:       1000,
		MaxScores:      100,
	}
}

// WithDefaults fills zero fields with DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxBatch <= 0 {
		l.MaxBatch = d.MaxBatch
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = d.MaxTextBytes
	}
	if l.MaxObjectBytes <= 0 {
		l.MaxObjectBytes = d.MaxObjectBytes
	}
	if l.MaxSpans <= 0 {
		l.MaxSpans = d.MaxSpans
	}
	if l.MaxScores <= 0 {
		l.MaxScores = d.MaxScores
	}
	return l
}

const (
	maxIDLen      = 256
	maxNameLen    = 1024
	maxShortLen   = 256
	maxProvider   = 64
	maxMessageLen = 64 << 10
	maxTags       = 64
	maxTagLen     = 128
	maxTokens     = 1_000_000_000_000 // keeps sums far from int64 overflow
	maxCostUSD    = 1_000_000
)

// DecodeTrace decodes and validates the body of a single-trace request. Invalid input
// returns a model.EINVALID error listing every bad field.
func DecodeTrace(body []byte, lim Limits) (*TraceInput, error) {
	if err := checkUTF8(body); err != nil {
		return nil, err
	}
	return decodeTrace(body, lim.WithDefaults(), nil)
}

// BatchItem is one trace of a batch: either Trace or Err is set.
type BatchItem struct {
	Index   int
	TraceID string
	Raw     []byte // the item's JSON when it was decoded on its own; nil otherwise
	Trace   *TraceInput
	Err     *model.Error
}

// DecodeBatch decodes a batch body, {"traces": [...]} or a bare array. Each item is
// validated on its own so a bad item never hides the good ones. A body that is not a batch
// at all, or holds more items than allowed, returns an error instead.
func DecodeBatch(body []byte, lim Limits) ([]BatchItem, error) {
	lim = lim.WithDefaults()
	if err := checkUTF8(body); err != nil {
		return nil, err
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	prefix := model.Path{"traces"}
	if len(trimmed) > 0 && trimmed[0] == '[' {
		prefix = model.Path{}
	}
	if items, ok := decodeBatchOnePass(body, prefix, lim); ok {
		if len(items) > lim.MaxBatch {
			return nil, model.Errorf(model.ETOOLARGE, "a batch holds at most %d traces, got %d", lim.MaxBatch, len(items))
		}
		return items, nil
	}
	var raw []json.RawMessage
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, syntaxProblem(body, err, "invalid batch")
		}
	case len(trimmed) > 0 && trimmed[0] == '{':
		var env struct {
			Traces *[]json.RawMessage `json:"traces"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, fieldProblem("invalid batch", model.Path{"traces"}, "must be an array of traces")
			}
			return nil, syntaxProblem(body, err, "invalid batch")
		}
		if env.Traces == nil {
			return nil, fieldProblem("invalid batch", model.Path{"traces"}, "is required")
		}
		raw = *env.Traces
	default:
		return nil, fieldProblem("invalid batch", model.Path{}, "body must be a JSON object with \"traces\" or a JSON array")
	}
	if len(raw) == 0 {
		return nil, fieldProblem("invalid batch", prefix, "must hold at least one trace")
	}
	if len(raw) > lim.MaxBatch {
		return nil, model.Errorf(model.ETOOLARGE, "a batch holds at most %d traces, got %d", lim.MaxBatch, len(raw))
	}
	items := make([]BatchItem, len(raw))
	for i, r := range raw {
		items[i].Index = i
		items[i].Raw = r
		in, err := decodeTrace(r, lim, prefix.Append(i))
		if err != nil {
			var me *model.Error
			if !errors.As(err, &me) {
				me = &model.Error{Code: model.EINVALID, Message: err.Error()}
			}
			items[i].Err = me
			items[i].TraceID = peekTraceID(r)
			continue
		}
		items[i].Trace = in
		items[i].TraceID = in.TraceID
	}
	return items, nil
}

// decodeBatchOnePass decodes every item in one pass over the body, the common case of a batch
// whose items all have the right JSON types. It reports false when some item does not, and
// the caller then decodes item by item to report each item's own errors.
func decodeBatchOnePass(body []byte, prefix model.Path, lim Limits) ([]BatchItem, bool) {
	traces, fast := decodeBatchFast(body, len(prefix) == 0)
	switch {
	case fast:
	case len(prefix) == 0:
		traces = nil
		if json.Unmarshal(body, &traces) != nil {
			return nil, false
		}
	default:
		var env struct {
			Traces []TraceInput `json:"traces"`
		}
		if json.Unmarshal(body, &env) != nil {
			return nil, false
		}
		traces = env.Traces
	}
	n := len(traces)
	if n == 0 {
		return nil, false // missing or empty: the item-by-item path words the error
	}
	items := make([]BatchItem, n)
	for i := range traces {
		in := &traces[i]
		items[i].Index, items[i].TraceID = i, in.TraceID
		var fe model.FieldErrors
		validateTrace(in, lim, prefix.Append(i), &fe)
		if err := fe.Err("invalid trace"); err != nil {
			items[i].Err = err.(*model.Error)
			if len(in.TraceID) > maxIDLen {
				items[i].TraceID = ""
			}
			continue
		}
		items[i].Trace = in
	}
	return items, true
}

// peekTraceID recovers the trace id of an invalid item so the client can match errors to items.
func peekTraceID(raw []byte) string {
	var v struct {
		TraceID any `json:"trace_id"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	s, _ := v.TraceID.(string)
	if len(s) > maxIDLen {
		return ""
	}
	return s
}

func decodeTrace(body []byte, lim Limits, prefix model.Path) (*TraceInput, error) {
	what := "invalid trace"
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fieldProblem(what, prefix, "body is empty")
	}
	var in TraceInput
	if decodeTraceFast(body, &in) {
		return validated(&in, lim, prefix, what)
	}
	in = TraceInput{} // what the fast path read is not kept
	if err := json.Unmarshal(body, &in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, typeProblems(body, lim, prefix)
		}
		return nil, syntaxProblem(body, err, what)
	}
	return validated(&in, lim, prefix, what)
}

func validated(in *TraceInput, lim Limits, prefix model.Path, what string) (*TraceInput, error) {
	var fe model.FieldErrors
	validateTrace(in, lim, prefix, &fe)
	if err := fe.Err(what); err != nil {
		return nil, err
	}
	return in, nil
}

// underAny reports whether path is one of paths or lies inside one of them.
func underAny(path string, paths map[string]bool) bool {
	for p := range paths {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return true
		}
	}
	return false
}

func checkUTF8(body []byte) error {
	if utf8.Valid(body) {
		return nil
	}
	off := 0
	for off < len(body) {
		r, size := utf8.DecodeRune(body[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	return &model.Error{Code: model.EINVALID, Message: "body is not valid UTF-8",
		Fields: []model.FieldError{{Path: model.Path{}, Detail: fmt.Sprintf("invalid UTF-8 at byte offset %d", off)}}}
}

func fieldProblem(what string, path model.Path, detail string) error {
	return &model.Error{Code: model.EINVALID, Message: what, Fields: []model.FieldError{{Path: path, Detail: detail}}}
}

func syntaxProblem(body []byte, err error, what string) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(body, se.Offset)
		return fieldProblem(what, model.Path{}, fmt.Sprintf("malformed JSON at line %d, column %d: %s", line, col, se.Error()))
	}
	if strings.Contains(err.Error(), "unexpected end of JSON input") {
		return fieldProblem(what, model.Path{}, "malformed JSON: unexpected end of input")
	}
	return fieldProblem(what, model.Path{}, "malformed JSON: "+err.Error())
}

func position(body []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset-1 && i < int64(len(body)); i++ {
		if body[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// typeProblems re-reads a body that failed typed decoding and reports every field whose
// JSON type is wrong, not only the first, together with the rule violations of the fields
// that do have the right type.
func typeProblems(body []byte, lim Limits, prefix model.Path) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return syntaxProblem(body, err, "invalid trace")
	}
	var fe model.FieldErrors
	obj, ok := v.(map[string]any)
	if !ok {
		fe.Add(prefix, "must be a JSON object")
		return fe.Err("invalid trace")
	}
	checkObject(obj, traceSchema, prefix, &fe)
	if len(fe) == 0 {
		fe.Add(prefix, "has a value of the wrong type")
		return fe.Err("invalid trace")
	}
	// checkObject removed the mistyped values; validate what is left, skipping rules on
	// fields already reported.
	mistyped := make(map[string]bool, len(fe))
	for _, f := range fe {
		mistyped[f.Path.String()] = true
	}
	if cleaned, err := json.Marshal(obj); err == nil {
		var in TraceInput
		if json.Unmarshal(cleaned, &in) == nil {
			var rules model.FieldErrors
			validateTrace(&in, lim, prefix, &rules)
			for _, f := range rules {
				if !underAny(f.Path.String(), mistyped) {
					fe = append(fe, f)
				}
			}
		}
	}
	return fe.Err("invalid trace")
}

// checkObject reports each field of obj whose JSON type does not match schema and removes
// it from obj, so that the rest can still be validated. Nested span and score objects are
// checked the same way.
func checkObject(obj map[string]any, schema map[string]fieldKind, path model.Path, fe *model.FieldErrors) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kind, known := schema[k]
		v := obj[k]
		if !known || v == nil {
			continue
		}
		if !checkValue(v, kind, path.Append(k), fe) {
			delete(obj, k)
		}
	}
}

// checkValue reports whether v, found at p, has the JSON type kind asks for.
func checkValue(v any, kind fieldKind, p model.Path, fe *model.FieldErrors) bool {
	switch kind {
	case kindString:
		if _, ok := v.(string); !ok {
			fe.Add(p, "must be a string")
			return false
		}
	case kindInt:
		n, ok := v.(json.Number)
		if !ok {
			fe.Add(p, "must be an integer")
			return false
		}
		if _, err := n.Int64(); err != nil {
			if strings.ContainsAny(n.String(), ".eE") {
				fe.Add(p, "must be an integer")
			} else {
				fe.Add(p, "must be an integer within 64 bits")
			}
			return false
		}
	case kindNumber:
		n, ok := v.(json.Number)
		if !ok {
			fe.Add(p, "must be a number")
			return false
		}
		if _, err := n.Float64(); err != nil {
			fe.Add(p, "must be a finite number")
			return false
		}
	case kindObject:
		if _, ok := v.(map[string]any); !ok {
			fe.Add(p, "must be a JSON object")
			return false
		}
	case kindStringArray:
		arr, ok := v.([]any)
		if !ok {
			fe.Add(p, "must be an array of strings")
			return false
		}
		good := true
		for i, e := range arr {
			if _, ok := e.(string); !ok {
				fe.Add(p.Append(i), "must be a string")
				good = false
			}
		}
		return good
	case kindSpans, kindScores:
		arr, ok := v.([]any)
		if !ok {
			fe.Add(p, "must be an array of objects")
			return false
		}
		sub := spanSchema
		if kind == kindScores {
			sub = scoreSchema
		}
		for i, e := range arr {
			o, ok := e.(map[string]any)
			if !ok {
				fe.Add(p.Append(i), "must be a JSON object")
				arr[i] = map[string]any{}
				continue
			}
			checkObject(o, sub, p.Append(i), fe)
		}
	}
	return true
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ParseTime accepts RFC 3339 with optional fractional seconds.
func ParseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

type validator struct {
	fe *model.FieldErrors
}

// fieldAt names a field for an error; its Path is built only when there is an error, since
// a valid trace has dozens of fields.
type fieldAt struct {
	prefix model.Path
	name   string
	index  int // element of the named array, or -1
}

func (f fieldAt) path() model.Path {
	out := make(model.Path, len(f.prefix), len(f.prefix)+2)
	copy(out, f.prefix)
	out = append(out, f.name)
	if f.index >= 0 {
		out = append(out, f.index)
	}
	return out
}

func (v validator) text(p fieldAt, s string, max int, required bool) {
	switch {
	case s == "" && required:
		v.fe.Add(p.path(), "is required")
	case len(s) > max:
		v.fe.Add(p.path(), "must be at most %d bytes, got %d", max, len(s))
	case strings.IndexByte(s, 0) >= 0:
		v.fe.Add(p.path(), "must not contain NUL characters")
	}
}

func (v validator) count(p fieldAt, n *int64) {
	if n == nil {
		return
	}
	if *n < 0 {
		v.fe.Add(p.path(), "must be >= 0")
	} else if *n > maxTokens {
		v.fe.Add(p.path(), "must be <= %d", int64(maxTokens))
	}
}

func (v validator) cost(p fieldAt, c *float64) {
	if c == nil {
		return
	}
	if math.IsNaN(*c) || math.IsInf(*c, 0) {
		v.fe.Add(p.path(), "must be a finite number")
	} else if *c < 0 {
		v.fe.Add(p.path(), "must be >= 0")
	} else if *c > maxCostUSD {
		v.fe.Add(p.path(), "must be <= %d", maxCostUSD)
	}
}

func (v validator) time(p fieldAt, s string, required bool) (time.Time, bool) {
	if s == "" {
		if required {
			v.fe.Add(p.path(), "is required (RFC 3339 time, e.g. 2026-01-02T15:04:05Z)")
		}
		return time.Time{}, false
	}
	t, err := ParseTime(s)
	if err != nil {
		v.fe.Add(p.path(), "must be an RFC 3339 time such as 2026-01-02T15:04:05.123Z")
		return time.Time{}, false
	}
	if t.Year() < 1970 || t.Year() > 9999 {
		v.fe.Add(p.path(), "must be between years 1970 and 9999")
		return time.Time{}, false
	}
	return t, true
}

func (v validator) status(p fieldAt, s string) {
	if s != "" && !model.Status(s).Valid() {
		v.fe.Add(p.path(), "must be one of success, error, timeout")
	}
}

func (v validator) object(p fieldAt, raw json.RawMessage, max int) {
	if len(raw) == 0 {
		return
	}
	trimmed := bytes.TrimSpace(raw)
	if bytes.Equal(trimmed, []byte("null")) {
		return
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		v.fe.Add(p.path(), "must be a JSON object")
		return
	}
	if len(raw) > max {
		v.fe.Add(p.path(), "must be at most %d bytes of JSON, got %d", max, len(raw))
	}
	if bytes.Contains(raw, []byte(`\u0000`)) {
		v.fe.Add(p.path(), "must not contain NUL characters")
	}
}

func validateTrace(in *TraceInput, lim Limits, prefix model.Path, fe *model.FieldErrors) {
	v := validator{fe}
	at := func(name string) fieldAt { return fieldAt{prefix, name, -1} }
	v.text(at("trace_id"), in.TraceID, maxIDLen, true)
	v.text(at("agent_id"), in.AgentID, maxIDLen, true)
	if in.WorkspaceID != "" && !uuidPattern.MatchString(in.WorkspaceID) {
		fe.Add(at("workspace_id").path(), "must be a UUID")
	}
	start, okStart := v.time(at("timestamp"), in.Timestamp, true)
	end, okEnd := v.time(at("end_time"), in.EndTime, false)
	if okStart && okEnd && end.Before(start) {
		fe.Add(at("end_time").path(), "must not be before timestamp")
	}
	v.text(at("name"), in.Name, maxNameLen, false)
	v.text(at("user_id"), in.UserID, maxIDLen, false)
	v.text(at("session_id"), in.SessionID, maxIDLen, false)
	v.text(at("input"), in.Input, lim.MaxTextBytes, false)
	v.text(at("output"), in.Output, lim.MaxTextBytes, false)
	if in.LatencyMs != nil && *in.LatencyMs < 0 {
		fe.Add(at("latency_ms").path(), "must be >= 0")
	}
	v.status(at("status"), in.Status)
	v.text(at("error_type"), in.ErrorType, maxShortLen, false)
	v.text(at("error_message"), in.ErrorMessage, maxMessageLen, false)
	v.text(at("model"), in.Model, maxShortLen, false)
	v.text(at("model_provider"), in.ModelProvider, maxProvider, false)
	v.count(at("tokens_input"), in.TokensInput)
	v.count(at("tokens_output"), in.TokensOutput)
	v.count(at("tokens_cached_input"), in.TokensCached)
	v.count(at("tokens_total"), in.TokensTotal)
	cachedWithinInput(v, at("tokens_cached_input"), in.TokensCached, in.TokensInput)
	v.cost(at("cost_usd"), in.CostUSD)
	v.object(at("metadata"), in.Metadata, lim.MaxObjectBytes)
	if len(in.Tags) > maxTags {
		fe.Add(at("tags").path(), "must hold at most %d tags, got %d", maxTags, len(in.Tags))
	} else {
		for i, tag := range in.Tags {
			v.text(fieldAt{prefix, "tags", i}, tag, maxTagLen, true)
		}
	}
	if len(in.Spans) > lim.MaxSpans {
		fe.Add(at("spans").path(), "must hold at most %d spans, got %d", lim.MaxSpans, len(in.Spans))
	} else {
		seen := make(map[string]int, len(in.Spans))
		for i := range in.Spans {
			sp := &in.Spans[i]
			p := fieldAt{prefix, "spans", i}.path()
			validateSpan(v, sp, lim, p)
			if first, dup := seen[sp.SpanID]; dup && sp.SpanID != "" {
				fe.Add(p.Append("span_id"), "duplicates spans[%d].span_id %q", first, sp.SpanID)
			} else {
				seen[sp.SpanID] = i
			}
		}
	}
	if len(in.Scores) > lim.MaxScores {
		fe.Add(at("scores").path(), "must hold at most %d scores, got %d", lim.MaxScores, len(in.Scores))
	} else {
		for i := range in.Scores {
			validateScore(v, &in.Scores[i], fieldAt{prefix, "scores", i}.path())
		}
	}
}

func cachedWithinInput(v validator, p fieldAt, cached, input *int64) {
	if cached != nil && input != nil && *cached >= 0 && *input >= 0 && *cached > *input {
		v.fe.Add(p.path(), "must not exceed tokens_input (cached tokens are part of the input)")
	}
}

func validateSpan(v validator, sp *SpanInput, lim Limits, p model.Path) {
	at := func(name string) fieldAt { return fieldAt{p, name, -1} }
	v.text(at("span_id"), sp.SpanID, maxIDLen, true)
	v.text(at("parent_span_id"), sp.ParentSpanID, maxIDLen, false)
	if sp.ParentSpanID != "" && sp.ParentSpanID == sp.SpanID {
		v.fe.Add(at("parent_span_id").path(), "must differ from span_id")
	}
	if sp.Kind != "" && !model.SpanKind(sp.Kind).Valid() {
		v.fe.Add(at("kind").path(), "must be one of agent, llm, tool, retrieval, chain, embedding, guardrail, event")
	}
	v.text(at("name"), sp.Name, maxNameLen, true)
	start, okStart := v.time(at("start_time"), sp.StartTime, true)
	end, okEnd := v.time(at("end_time"), sp.EndTime, false)
	if okStart && okEnd && end.Before(start) {
		v.fe.Add(at("end_time").path(), "must not be before start_time")
	}
	if sp.LatencyMs != nil && *sp.LatencyMs < 0 {
		v.fe.Add(at("latency_ms").path(), "must be >= 0")
	}
	v.status(at("status"), sp.Status)
	v.text(at("status_message"), sp.StatusMessage, maxMessageLen, false)
	v.text(at("model"), sp.Model, maxShortLen, false)
	v.text(at("model_provider"), sp.ModelProvider, maxProvider, false)
	v.count(at("tokens_input"), sp.TokensInput)
	v.count(at("tokens_output"), sp.TokensOutput)
	v.count(at("tokens_cached_input"), sp.TokensCached)
	v.count(at("tokens_total"), sp.TokensTotal)
	cachedWithinInput(v, at("tokens_cached_input"), sp.TokensCached, sp.TokensInput)
	v.cost(at("cost_usd"), sp.CostUSD)
	v.text(at("input"), sp.Input, lim.MaxTextBytes, false)
	v.text(at("output"), sp.Output, lim.MaxTextBytes, false)
	v.object(at("attributes"), sp.Attributes, lim.MaxObjectBytes)
}

func validateScore(v validator, sc *ScoreInput, p model.Path) {
	at := func(name string) fieldAt { return fieldAt{p, name, -1} }
	v.text(at("name"), sc.Name, maxShortLen, true)
	v.text(at("score_id"), sc.ScoreID, maxIDLen, false)
	v.text(at("span_id"), sc.SpanID, maxIDLen, false)
	v.text(at("comment"), sc.Comment, maxMessageLen, false)
	if sc.Value == nil {
		v.fe.Add(at("value").path(), "is required")
	} else if math.IsNaN(*sc.Value) || math.IsInf(*sc.Value, 0) {
		v.fe.Add(at("value").path(), "must be a finite number")
	}
	if sc.Source != "" && !model.ScoreSource(sc.Source).Valid() {
		v.fe.Add(at("source").path(), "must be one of api, human, eval")
	}
}
