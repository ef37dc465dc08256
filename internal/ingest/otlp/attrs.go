package otlp

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// Limits bound what is kept of each span. Zero fields take the defaults.
type Limits struct {
	MaxTextBytes       int // a span's input or output
	MaxAttributesBytes int // a span's encoded attributes, and a trace's metadata
	MaxAttributes      int // attributes kept per span; the rest are counted as dropped
	MaxValueBytes      int // one attribute's string value
	MaxEvents          int // span events kept in the attributes
}

// DefaultLimits match the REST limits (docs/ingestion.md) and, for the attribute count,
// the OpenTelemetry SDKs' default span limit of 128.
func DefaultLimits() Limits {
	return Limits{MaxTextBytes: 1 << 20, MaxAttributesBytes: 64 << 10, MaxAttributes: 128, MaxValueBytes: 8 << 10, MaxEvents: 32}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = d.MaxTextBytes
	}
	if l.MaxAttributesBytes <= 0 {
		l.MaxAttributesBytes = d.MaxAttributesBytes
	}
	if l.MaxAttributes <= 0 {
		l.MaxAttributes = d.MaxAttributes
	}
	if l.MaxValueBytes <= 0 {
		l.MaxValueBytes = d.MaxValueBytes
	}
	if l.MaxEvents <= 0 {
		l.MaxEvents = d.MaxEvents
	}
	return l
}

// Truncation markers say how much was cut, so that a reader never mistakes a cut value
// for the whole one.
const truncMarkerFmt = "…[truncated %d bytes]"

// truncateText cuts s to at most max bytes including a marker, at a rune boundary.
func truncateText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	marker := "…[truncated " + strconv.Itoa(len(s)) + " bytes]"
	keep := max - len(marker)
	if keep < 0 {
		keep = 0
	}
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	return s[:keep] + marker
}

// cut shortens an identifier-like string to max bytes at a rune boundary, without a
// marker: ids and names must stay usable as keys.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}

// strValue returns the attribute as a string when it is one.
func strValue(av *commonpb.AnyValue) (string, bool) {
	if av == nil {
		return "", false
	}
	if v, ok := av.Value.(*commonpb.AnyValue_StringValue); ok {
		return v.StringValue, true
	}
	return "", false
}

// text renders any attribute as text: strings as they are, other values as JSON.
func text(av *commonpb.AnyValue) string {
	if av == nil {
		return ""
	}
	if s, ok := strValue(av); ok {
		return s
	}
	b := appendAnyJSON(nil, av, 1<<30)
	if string(b) == "null" {
		return ""
	}
	return string(b)
}

// intValue reads token counts, which some SDKs send as strings or doubles.
func intValue(av *commonpb.AnyValue) (int64, bool) {
	if av == nil {
		return 0, false
	}
	switch v := av.Value.(type) {
	case *commonpb.AnyValue_IntValue:
		return v.IntValue, true
	case *commonpb.AnyValue_DoubleValue:
		if math.IsNaN(v.DoubleValue) || math.IsInf(v.DoubleValue, 0) || v.DoubleValue > math.MaxInt64 || v.DoubleValue < math.MinInt64 {
			return 0, false
		}
		return int64(v.DoubleValue), true
	case *commonpb.AnyValue_StringValue:
		n, err := strconv.ParseInt(strings.TrimSpace(v.StringValue), 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(strings.TrimSpace(v.StringValue), 64)
			if ferr != nil || math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64 || f < math.MinInt64 {
				return 0, false
			}
			return int64(f), true
		}
		return n, true
	}
	return 0, false
}

func floatValue(av *commonpb.AnyValue) (float64, bool) {
	if av == nil {
		return 0, false
	}
	var f float64
	switch v := av.Value.(type) {
	case *commonpb.AnyValue_IntValue:
		f = float64(v.IntValue)
	case *commonpb.AnyValue_DoubleValue:
		f = v.DoubleValue
	case *commonpb.AnyValue_StringValue:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(v.StringValue), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// stringList reads a string array attribute (or a single string) such as tag.tags.
func stringList(av *commonpb.AnyValue) []string {
	if av == nil {
		return nil
	}
	switch v := av.Value.(type) {
	case *commonpb.AnyValue_StringValue:
		s := strings.TrimSpace(v.StringValue)
		if strings.HasPrefix(s, "[") {
			var out []string
			if json.Unmarshal([]byte(s), &out) == nil {
				return out
			}
		}
		if s == "" {
			return nil
		}
		return []string{s}
	case *commonpb.AnyValue_ArrayValue:
		var out []string
		for _, el := range v.ArrayValue.GetValues() {
			if s, ok := strValue(el); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// toGo converts a value into the types encoding/json produces, so that structured and
// JSON-string forms of the same message are read by one function.
func toGo(av *commonpb.AnyValue, depth int) any {
	if av == nil || depth > maxDepth {
		return nil
	}
	switch v := av.Value.(type) {
	case *commonpb.AnyValue_StringValue:
		return v.StringValue
	case *commonpb.AnyValue_BoolValue:
		return v.BoolValue
	case *commonpb.AnyValue_IntValue:
		return json.Number(strconv.FormatInt(v.IntValue, 10))
	case *commonpb.AnyValue_DoubleValue:
		if math.IsNaN(v.DoubleValue) || math.IsInf(v.DoubleValue, 0) {
			return strconv.FormatFloat(v.DoubleValue, 'g', -1, 64)
		}
		return json.Number(strconv.FormatFloat(v.DoubleValue, 'g', -1, 64))
	case *commonpb.AnyValue_BytesValue:
		return base64.StdEncoding.EncodeToString(v.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		vals := v.ArrayValue.GetValues()
		out := make([]any, 0, len(vals))
		for _, el := range vals {
			out = append(out, toGo(el, depth+1))
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		vals := v.KvlistValue.GetValues()
		out := make(map[string]any, len(vals))
		for _, kv := range vals {
			out[kv.GetKey()] = toGo(kv.GetValue(), depth+1)
		}
		return out
	}
	return nil
}

// structured returns the value of an attribute that conventions allow as a JSON string or
// as a structured value (gen_ai.input.messages and friends), decoded either way.
func structured(av *commonpb.AnyValue) any {
	if s, ok := strValue(av); ok {
		return parseJSONText(s)
	}
	return toGo(av, 0)
}

// parseJSONText decodes s when it looks like a JSON array or object, else returns s.
func parseJSONText(s string) any {
	t := s
	for len(t) > 0 && (t[0] == ' ' || t[0] == '\n' || t[0] == '\t' || t[0] == '\r') {
		t = t[1:]
	}
	if len(t) < 2 || (t[0] != '[' && t[0] != '{') {
		return s
	}
	v, err := parseJSONValue(t)
	if err != nil {
		return s
	}
	return v
}

// appendAnyJSON appends av as JSON, cutting strings longer than maxValue with a marker.
func appendAnyJSON(b []byte, av *commonpb.AnyValue, maxValue int) []byte {
	return appendAnyJSONDepth(b, av, maxValue, 0)
}

func appendAnyJSONDepth(b []byte, av *commonpb.AnyValue, maxValue, depth int) []byte {
	if av == nil || depth > maxDepth {
		return append(b, "null"...)
	}
	switch v := av.Value.(type) {
	case *commonpb.AnyValue_StringValue:
		return appendJSONString(b, truncateText(v.StringValue, maxValue))
	case *commonpb.AnyValue_BoolValue:
		return strconv.AppendBool(b, v.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return strconv.AppendInt(b, v.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		f := v.DoubleValue
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return appendJSONString(b, strconv.FormatFloat(f, 'g', -1, 64))
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case *commonpb.AnyValue_BytesValue:
		enc := base64.StdEncoding.EncodeToString(v.BytesValue)
		return appendJSONString(b, truncateText(enc, maxValue))
	case *commonpb.AnyValue_ArrayValue:
		b = append(b, '[')
		for i, el := range v.ArrayValue.GetValues() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendAnyJSONDepth(b, el, maxValue, depth+1)
		}
		return append(b, ']')
	case *commonpb.AnyValue_KvlistValue:
		b = append(b, '{')
		for i, kv := range v.KvlistValue.GetValues() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, kv.GetKey())
			b = append(b, ':')
			b = appendAnyJSONDepth(b, kv.GetValue(), maxValue, depth+1)
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. s is valid UTF-8 (the decoders made sure);
// any invalid byte left is written as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript that evals it.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// objectWriter builds a JSON object with a byte budget; members past the budget or past
// the member limit are dropped and counted.
type objectWriter struct {
	buf        []byte
	members    int
	maxMembers int
	maxBytes   int
	maxValue   int
	dropped    int
}

func (w *objectWriter) reset(maxMembers, maxBytes, maxValue int) {
	w.buf = append(w.buf[:0], '{')
	w.members, w.dropped = 0, 0
	w.maxMembers, w.maxBytes, w.maxValue = maxMembers, maxBytes, maxValue
}

// reserve is kept free for the closing members (dropped counts, events).
const reserve = 96

func (w *objectWriter) add(key string, av *commonpb.AnyValue) {
	if w.members >= w.maxMembers {
		w.dropped++
		return
	}
	mark := len(w.buf)
	if w.members > 0 {
		w.buf = append(w.buf, ',')
	}
	w.buf = appendJSONString(w.buf, key)
	w.buf = append(w.buf, ':')
	w.buf = appendAnyJSON(w.buf, av, w.maxValue)
	if len(w.buf)+reserve > w.maxBytes {
		w.buf = w.buf[:mark]
		w.dropped++
		return
	}
	w.members++
}

// addRaw adds a member whose value is already JSON.
func (w *objectWriter) addRaw(key string, raw []byte) bool {
	mark := len(w.buf)
	if w.members > 0 {
		w.buf = append(w.buf, ',')
	}
	w.buf = appendJSONString(w.buf, key)
	w.buf = append(w.buf, ':')
	w.buf = append(w.buf, raw...)
	if len(w.buf)+reserve > w.maxBytes {
		w.buf = w.buf[:mark]
		w.dropped++
		return false
	}
	w.members++
	return true
}

func (w *objectWriter) addString(key, value string) {
	mark := len(w.buf)
	if w.members > 0 {
		w.buf = append(w.buf, ',')
	}
	w.buf = appendJSONString(w.buf, key)
	w.buf = append(w.buf, ':')
	w.buf = appendJSONString(w.buf, truncateText(value, w.maxValue))
	if len(w.buf)+reserve > w.maxBytes {
		w.buf = w.buf[:mark]
		w.dropped++
		return
	}
	w.members++
}

// finish closes the object, recording how many members were dropped, and returns a copy.
func (w *objectWriter) finish(droppedBefore int) json.RawMessage {
	if n := w.dropped + droppedBefore; n > 0 {
		if w.members > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, `"otel.dropped_attributes_count":`...)
		w.buf = strconv.AppendInt(w.buf, int64(n), 10)
	}
	w.buf = append(w.buf, '}')
	return json.RawMessage(append([]byte(nil), w.buf...))
}
