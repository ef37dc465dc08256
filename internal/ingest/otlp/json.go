package otlp

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// DecodeJSON decodes an ExportTraceServiceRequest in the OTLP/JSON encoding: the proto3
// JSON mapping with trace and span ids as hex strings and enums as integers. Leniently,
// it also takes original snake_case field names, enum names and base64 ids (what a generic
// protobuf JSON encoder writes), ignores unknown fields, and replaces invalid UTF-8.
func DecodeJSON(body []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("cannot decode JSON ExportTraceServiceRequest: %w", err)
	}
	if dec.More() {
		return nil, errors.New("cannot decode JSON ExportTraceServiceRequest: data after the top-level object")
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, errors.New("cannot decode JSON ExportTraceServiceRequest: the body is not a JSON object")
	}
	var j jsonDecoder
	req := &coltracepb.ExportTraceServiceRequest{}
	for k, v := range obj {
		if normKey(k) == "resourcespans" {
			for i, el := range j.array(v, "resourceSpans") {
				rs, err := j.resourceSpans(el)
				if err != nil {
					return nil, fmt.Errorf("cannot decode JSON ExportTraceServiceRequest: resourceSpans[%d]: %w", i, err)
				}
				req.ResourceSpans = append(req.ResourceSpans, rs)
			}
		}
	}
	if j.err != nil {
		return nil, fmt.Errorf("cannot decode JSON ExportTraceServiceRequest: %w", j.err)
	}
	return req, nil
}

// normKey folds lowerCamelCase and snake_case field names onto one form.
func normKey(k string) string {
	if !strings.ContainsRune(k, '_') && strings.ToLower(k) == k {
		return k
	}
	return strings.ToLower(strings.ReplaceAll(k, "_", ""))
}

// jsonDecoder records the first type mismatch; decoding goes on so that one bad field
// reports cleanly instead of panicking on a type assertion.
type jsonDecoder struct{ err error }

func (j *jsonDecoder) fail(format string, args ...any) {
	if j.err == nil {
		j.err = fmt.Errorf(format, args...)
	}
}

func (j *jsonDecoder) object(v any, what string) map[string]any {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		j.fail("%s must be an object", what)
	}
	return m
}

func (j *jsonDecoder) array(v any, what string) []any {
	if v == nil {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		j.fail("%s must be an array", what)
	}
	return a
}

func (j *jsonDecoder) str(v any, what string) string {
	switch s := v.(type) {
	case nil:
		return ""
	case string:
		return s
	default:
		j.fail("%s must be a string", what)
		return ""
	}
}

// uint64 reads a 64-bit integer sent as a JSON number or as a decimal string.
func (j *jsonDecoder) uint64(v any, what string) uint64 {
	var s string
	switch n := v.(type) {
	case nil:
		return 0
	case json.Number:
		s = n.String()
	case string:
		s = n
	default:
		j.fail("%s must be an integer", what)
		return 0
	}
	if s == "" {
		return 0
	}
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		// Some encoders write integral values with an exponent or a fraction.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f < 0 || f > math.MaxUint64 || f != math.Trunc(f) {
			j.fail("%s must be a non-negative integer, got %q", what, s)
			return 0
		}
		return uint64(f)
	}
	return u
}

func (j *jsonDecoder) int64(v any, what string) int64 {
	var s string
	switch n := v.(type) {
	case nil:
		return 0
	case json.Number:
		s = n.String()
	case string:
		s = n
	default:
		j.fail("%s must be an integer", what)
		return 0
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f < math.MinInt64 || f > math.MaxInt64 || f != math.Trunc(f) {
			j.fail("%s must be an integer, got %q", what, s)
			return 0
		}
		return int64(f)
	}
	return i
}

func (j *jsonDecoder) float(v any, what string) float64 {
	switch n := v.(type) {
	case nil:
		return 0
	case json.Number:
		f, err := strconv.ParseFloat(n.String(), 64)
		if err != nil {
			j.fail("%s must be a number", what)
		}
		return f
	case string: // the proto3 JSON mapping spells non-finite doubles as strings
		switch n {
		case "NaN":
			return math.NaN()
		case "Infinity":
			return math.Inf(1)
		case "-Infinity":
			return math.Inf(-1)
		}
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			j.fail("%s must be a number", what)
		}
		return f
	default:
		j.fail("%s must be a number", what)
		return 0
	}
}

// enum reads an enum as its integer (OTLP/JSON) or, leniently, its name.
func (j *jsonDecoder) enum(v any, names map[string]int32, what string) int32 {
	if s, ok := v.(string); ok {
		if n, ok := names[s]; ok {
			return n
		}
		if _, err := strconv.Atoi(s); err != nil {
			return 0 // an unknown name is tolerated like an unknown number
		}
	}
	n := j.int64(v, what)
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0
	}
	return int32(n)
}

// id reads a trace or span id: hex as OTLP/JSON requires, or base64 as the plain proto3
// JSON mapping writes it.
func (j *jsonDecoder) id(v any, what string) []byte {
	s := j.str(v, what)
	if s == "" {
		return nil
	}
	if b, err := hex.DecodeString(s); err == nil {
		return b
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b
	}
	if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil {
		return b
	}
	j.fail("%s must be a hex string, got %q", what, truncateForError(s))
	return nil
}

func truncateForError(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func (j *jsonDecoder) resourceSpans(v any) (*tracepb.ResourceSpans, error) {
	rs := &tracepb.ResourceSpans{}
	for k, f := range j.object(v, "resourceSpans[]") {
		switch normKey(k) {
		case "resource":
			r := &resourcepb.Resource{}
			for k2, f2 := range j.object(f, "resource") {
				switch normKey(k2) {
				case "attributes":
					r.Attributes = j.keyValues(f2, "resource.attributes", 0)
				case "droppedattributescount":
					r.DroppedAttributesCount = uint32(j.uint64(f2, "resource.droppedAttributesCount"))
				}
			}
			rs.Resource = r
		case "scopespans":
			for _, el := range j.array(f, "scopeSpans") {
				rs.ScopeSpans = append(rs.ScopeSpans, j.scopeSpans(el))
			}
		case "schemaurl":
			rs.SchemaUrl = j.str(f, "schemaUrl")
		}
		if j.err != nil {
			return nil, j.err
		}
	}
	return rs, j.err
}

func (j *jsonDecoder) scopeSpans(v any) *tracepb.ScopeSpans {
	ss := &tracepb.ScopeSpans{}
	for k, f := range j.object(v, "scopeSpans[]") {
		switch normKey(k) {
		case "scope":
			s := &commonpb.InstrumentationScope{}
			for k2, f2 := range j.object(f, "scope") {
				switch normKey(k2) {
				case "name":
					s.Name = j.str(f2, "scope.name")
				case "version":
					s.Version = j.str(f2, "scope.version")
				case "attributes":
					s.Attributes = j.keyValues(f2, "scope.attributes", 0)
				case "droppedattributescount":
					s.DroppedAttributesCount = uint32(j.uint64(f2, "scope.droppedAttributesCount"))
				}
			}
			ss.Scope = s
		case "spans":
			for _, el := range j.array(f, "spans") {
				ss.Spans = append(ss.Spans, j.span(el))
			}
		case "schemaurl":
			ss.SchemaUrl = j.str(f, "schemaUrl")
		}
	}
	return ss
}

var spanKindNames = map[string]int32{
	"SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
	"SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
}

var statusCodeNames = map[string]int32{"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}

func (j *jsonDecoder) span(v any) *tracepb.Span {
	sp := &tracepb.Span{}
	for k, f := range j.object(v, "spans[]") {
		switch normKey(k) {
		case "traceid":
			sp.TraceId = j.id(f, "traceId")
		case "spanid":
			sp.SpanId = j.id(f, "spanId")
		case "tracestate":
			sp.TraceState = j.str(f, "traceState")
		case "parentspanid":
			sp.ParentSpanId = j.id(f, "parentSpanId")
		case "flags":
			sp.Flags = uint32(j.uint64(f, "flags"))
		case "name":
			sp.Name = j.str(f, "name")
		case "kind":
			sp.Kind = tracepb.Span_SpanKind(j.enum(f, spanKindNames, "kind"))
		case "starttimeunixnano":
			sp.StartTimeUnixNano = j.uint64(f, "startTimeUnixNano")
		case "endtimeunixnano":
			sp.EndTimeUnixNano = j.uint64(f, "endTimeUnixNano")
		case "attributes":
			sp.Attributes = j.keyValues(f, "attributes", 0)
		case "droppedattributescount":
			sp.DroppedAttributesCount = uint32(j.uint64(f, "droppedAttributesCount"))
		case "events":
			for _, el := range j.array(f, "events") {
				ev := &tracepb.Span_Event{}
				for k2, f2 := range j.object(el, "events[]") {
					switch normKey(k2) {
					case "timeunixnano":
						ev.TimeUnixNano = j.uint64(f2, "events[].timeUnixNano")
					case "name":
						ev.Name = j.str(f2, "events[].name")
					case "attributes":
						ev.Attributes = j.keyValues(f2, "events[].attributes", 0)
					case "droppedattributescount":
						ev.DroppedAttributesCount = uint32(j.uint64(f2, "events[].droppedAttributesCount"))
					}
				}
				sp.Events = append(sp.Events, ev)
			}
		case "droppedeventscount":
			sp.DroppedEventsCount = uint32(j.uint64(f, "droppedEventsCount"))
		case "links":
			for _, el := range j.array(f, "links") {
				ln := &tracepb.Span_Link{}
				for k2, f2 := range j.object(el, "links[]") {
					switch normKey(k2) {
					case "traceid":
						ln.TraceId = j.id(f2, "links[].traceId")
					case "spanid":
						ln.SpanId = j.id(f2, "links[].spanId")
					case "tracestate":
						ln.TraceState = j.str(f2, "links[].traceState")
					case "attributes":
						ln.Attributes = j.keyValues(f2, "links[].attributes", 0)
					case "droppedattributescount":
						ln.DroppedAttributesCount = uint32(j.uint64(f2, "links[].droppedAttributesCount"))
					case "flags":
						ln.Flags = uint32(j.uint64(f2, "links[].flags"))
					}
				}
				sp.Links = append(sp.Links, ln)
			}
		case "droppedlinkscount":
			sp.DroppedLinksCount = uint32(j.uint64(f, "droppedLinksCount"))
		case "status":
			st := &tracepb.Status{}
			for k2, f2 := range j.object(f, "status") {
				switch normKey(k2) {
				case "message":
					st.Message = j.str(f2, "status.message")
				case "code":
					st.Code = tracepb.Status_StatusCode(j.enum(f2, statusCodeNames, "status.code"))
				}
			}
			sp.Status = st
		}
	}
	return sp
}

func (j *jsonDecoder) keyValues(v any, what string, depth int) []*commonpb.KeyValue {
	arr := j.array(v, what)
	if len(arr) == 0 {
		return nil
	}
	out := make([]*commonpb.KeyValue, 0, len(arr))
	for _, el := range arr {
		kv := &commonpb.KeyValue{}
		for k, f := range j.object(el, what+"[]") {
			switch normKey(k) {
			case "key":
				kv.Key = j.str(f, what+"[].key")
			case "value":
				kv.Value = j.anyValue(f, what+"[].value", depth)
			}
		}
		out = append(out, kv)
	}
	return out
}

func (j *jsonDecoder) anyValue(v any, what string, depth int) *commonpb.AnyValue {
	if depth > maxDepth {
		j.fail("%s: %v", what, errTooDeep)
		return nil
	}
	av := &commonpb.AnyValue{}
	for k, f := range j.object(v, what) {
		switch normKey(k) {
		case "stringvalue":
			av.Value = &commonpb.AnyValue_StringValue{StringValue: j.str(f, what+".stringValue")}
		case "boolvalue":
			b, ok := f.(bool)
			if !ok {
				j.fail("%s.boolValue must be a boolean", what)
			}
			av.Value = &commonpb.AnyValue_BoolValue{BoolValue: b}
		case "intvalue":
			av.Value = &commonpb.AnyValue_IntValue{IntValue: j.int64(f, what+".intValue")}
		case "doublevalue":
			av.Value = &commonpb.AnyValue_DoubleValue{DoubleValue: j.float(f, what+".doubleValue")}
		case "arrayvalue":
			arr := &commonpb.ArrayValue{}
			for k2, f2 := range j.object(f, what+".arrayValue") {
				if normKey(k2) == "values" {
					for _, el := range j.array(f2, what+".arrayValue.values") {
						arr.Values = append(arr.Values, j.anyValue(el, what+".arrayValue.values[]", depth+1))
					}
				}
			}
			av.Value = &commonpb.AnyValue_ArrayValue{ArrayValue: arr}
		case "kvlistvalue":
			list := &commonpb.KeyValueList{}
			for k2, f2 := range j.object(f, what+".kvlistValue") {
				if normKey(k2) == "values" {
					list.Values = j.keyValues(f2, what+".kvlistValue.values", depth+1)
				}
			}
			av.Value = &commonpb.AnyValue_KvlistValue{KvlistValue: list}
		case "bytesvalue":
			s := j.str(f, what+".bytesValue")
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				if b, err = base64.RawStdEncoding.DecodeString(s); err != nil {
					j.fail("%s.bytesValue must be base64", what)
				}
			}
			av.Value = &commonpb.AnyValue_BytesValue{BytesValue: b}
		}
	}
	return av
}
