// Package otlp receives OpenTelemetry traces (OTLP over HTTP and gRPC) and maps their
// spans onto agentobs traces, understanding the GenAI semantic conventions of
// OpenTelemetry, OpenInference, OpenLLMetry and the Vercel AI SDK.
//
// Decoding fills the generated types of go.opentelemetry.io/proto/otlp. The protobuf
// decoder is written against the wire format instead of proto.Unmarshal for two reasons:
// proto3 rejects a whole request for one string with invalid UTF-8, where OTLP senders
// deserve the rest of their data (we replace the bad bytes), and it is the ingestion hot
// path: strings are cut from one copy of the body instead of being allocated one by one.
package otlp

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
)

// maxDepth bounds nested AnyValue arrays and maps. Real attributes nest a few levels;
// a hostile body could nest thousands to exhaust the stack.
const maxDepth = 64

var errTooDeep = errors.New("attribute values nested too deep")

// DecodeProto decodes a binary ExportTraceServiceRequest. Unknown fields and unknown enum
// values are ignored, invalid UTF-8 is replaced by U+FFFD, and malformed wire data is an
// error. The result does not alias body: strings are cut from one private copy of it, so
// a long-lived string taken from the result keeps that copy alive (clone such strings).
func DecodeProto(body []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	d := protoDecoder{buf: body, src: string(body)}
	req := &coltracepb.ExportTraceServiceRequest{}
	for b := body; len(b) > 0; {
		num, typ, v, rest, err := next(b)
		if err != nil {
			return nil, fmt.Errorf("cannot decode protobuf ExportTraceServiceRequest: %w", err)
		}
		b = rest
		if num == 1 && typ == protowire.BytesType {
			rs := &tracepb.ResourceSpans{}
			if err := d.resourceSpans(v, rs); err != nil {
				return nil, fmt.Errorf("cannot decode protobuf ExportTraceServiceRequest: %w", err)
			}
			req.ResourceSpans = append(req.ResourceSpans, rs)
		}
	}
	return req, nil
}

type protoDecoder struct {
	buf []byte // the whole body
	src string // a copy of buf; valid strings are cut from it without allocating
	// arena holds copies of ids and other byte fields.
	arena    []byte
	scratch  []*commonpb.KeyValue
	kvSlab   []kvBlock
	spanSlab []spanBlock
}

// str returns v, a sub-slice of d.buf, as a string, replacing invalid UTF-8.
func (d *protoDecoder) str(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	if !utf8.Valid(v) {
		return strings.ToValidUTF8(string(v), "\uFFFD")
	}
	off := cap(d.buf) - cap(v)
	if off < 0 || off+len(v) > len(d.src) {
		return string(v)
	}
	return d.src[off : off+len(v)]
}

// bytes copies v, from a shared arena so that the ids of a span cost no allocation each.
func (d *protoDecoder) bytes(v []byte) []byte {
	if len(v) == 0 {
		return nil
	}
	if cap(d.arena)-len(d.arena) < len(v) {
		d.arena = make([]byte, 0, max(4096, len(v)))
	}
	start := len(d.arena)
	d.arena = append(d.arena, v...)
	return d.arena[start:len(d.arena):len(d.arena)]
}

// next reads one field of a message: its number, wire type and payload (the bytes of a
// length-delimited field, else the encoded scalar), and returns the rest. The decoders
// loop over it rather than taking callbacks: a closure per message cost an allocation per
// attribute on the hot path.
func next(b []byte) (num protowire.Number, typ protowire.Type, v, rest []byte, err error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, nil, nil, protowire.ParseError(n)
	}
	b = b[n:]
	if typ == protowire.BytesType {
		v, m := protowire.ConsumeBytes(b)
		if m < 0 {
			return 0, 0, nil, nil, protowire.ParseError(m)
		}
		return num, typ, v, b[m:], nil
	}
	m := protowire.ConsumeFieldValue(num, typ, b)
	if m < 0 {
		return 0, 0, nil, nil, protowire.ParseError(m)
	}
	return num, typ, b[:m], b[m:], nil
}

func varint(v []byte) uint64 {
	x, _ := protowire.ConsumeVarint(v)
	return x
}

func fixed64(v []byte) uint64 {
	x, _ := protowire.ConsumeFixed64(v)
	return x
}

func fixed32(v []byte) uint32 {
	x, _ := protowire.ConsumeFixed32(v)
	return x
}

func (d *protoDecoder) resourceSpans(b []byte, rs *tracepb.ResourceSpans) error {
	for len(b) > 0 {
		num, typ, v, rest, err := next(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			rs.Resource = &resourcepb.Resource{}
			if err := d.resource(v, rs.Resource); err != nil {
				return err
			}
		case num == 2 && typ == protowire.BytesType:
			ss := &tracepb.ScopeSpans{}
			if err := d.scopeSpans(v, ss); err != nil {
				return err
			}
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
		case num == 3 && typ == protowire.BytesType:
			rs.SchemaUrl = d.str(v)
		}
	}
	return nil
}

func (d *protoDecoder) resource(b []byte, r *resourcepb.Resource) error {
	for len(b) > 0 {
		num, typ, v, rest, err := next(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			kv, err := d.keyValue(v, 0)
			if err != nil {
				return err
			}
			r.Attributes = append(r.Attributes, kv)
		case num == 2 && typ == protowire.VarintType:
			r.DroppedAttributesCount = uint32(varint(v))
		}
	}
	return nil
}

func (d *protoDecoder) scopeSpans(b []byte, ss *tracepb.ScopeSpans) error {
	for len(b) > 0 {
		num, typ, v, rest, err := next(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			ss.Scope = &commonpb.InstrumentationScope{}
			if err := d.scope(v, ss.Scope); err != nil {
				return err
			}
		case num == 2 && typ == protowire.BytesType:
			if len(d.spanSlab) == 0 {
				d.spanSlab = make([]spanBlock, 32)
			}
			blk := &d.spanSlab[0]
			d.spanSlab = d.spanSlab[1:]
			sp := &blk.span
			if err := d.span(v, blk); err != nil {
				return err
			}
			ss.Spans = append(ss.Spans, sp)
		case num == 3 && typ == protowire.BytesType:
			ss.SchemaUrl = d.str(v)
		}
	}
	return nil
}

func (d *protoDecoder) scope(b []byte, s *commonpb.InstrumentationScope) error {
	for len(b) > 0 {
		num, typ, v, rest, err := next(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			s.Name = d.str(v)
		case num == 2 && typ == protowire.BytesType:
			s.Version = d.str(v)
		case num == 3 && typ == protowire.BytesType:
			kv, err := d.keyValue(v, 0)
			if err != nil {
				return err
			}
			s.Attributes = append(s.Attributes, kv)
		case num == 4 && typ == protowire.VarintType:
			s.DroppedAttributesCount = uint32(varint(v))
		}
	}
	return nil
}

func (d *protoDecoder) span(b []byte, blk *spanBlock) error {
	sp := &blk.span
	// Attributes gather in a reused slice and are copied once at their final size.
	attrs := d.scratch[:0]
	defer func() {
		if len(attrs) > 0 {
			sp.Attributes = append(make([]*commonpb.KeyValue, 0, len(attrs)), attrs...)
		}
		clear(attrs)
		d.scratch = attrs[:0]
	}()
	for len(b) > 0 {
		num, typ, v, rest, err := next(b)
		if err != nil {
			return err
		}
		b = rest
		switch num {
		case 1:
			if typ == protowire.BytesType {
				sp.TraceId = d.bytes(v)
			}
		case 2:
			if typ == protowire.BytesType {
				sp.SpanId = d.bytes(v)
			}
		case 3:
			if typ == protowire.BytesType {
				sp.TraceState = d.str(v)
			}
		case 4:
			if typ == protowire.BytesType {
				sp.ParentSpanId = d.bytes(v)
			}
		case 5:
			if typ == protowire.BytesType {
				sp.Name = d.str(v)
			}
		case 6:
			if typ == protowire.VarintType {
				sp.Kind = tracepb.Span_SpanKind(int32(varint(v)))
			}
		case 7:
			if typ == protowire.Fixed64Type {
				sp.StartTimeUnixNano = fixed64(v)
			}
		case 8:
			if typ == protowire.Fixed64Type {
				sp.EndTimeUnixNano = fixed64(v)
			}
		case 9:
			if typ == protowire.BytesType {
				kv, err := d.keyValue(v, 0)
				if err != nil {
					return err
				}
				attrs = append(attrs, kv)
			}
		case 10:
			if typ == protowire.VarintType {
				sp.DroppedAttributesCount = uint32(varint(v))
			}
		case 11:
			if typ == protowire.BytesType {
				ev := &tracepb.Span_Event{}
				if err := d.event(v, ev); err != nil {
					return err
				}
				sp.Events = append(sp.Events, ev)
			}
		case 12:
			if typ == protowire.VarintType {
				sp.DroppedEventsCount = uint32(varint(v))
			}
		case 13:
			if typ == protowire.BytesType {
				ln := &tracepb.Span_Link{}
				if err := d.link(v, ln); err != nil {
					return err
				}
				sp.Links = append(sp.Links, ln)
			}
		case 14:
			if typ == protowire.VarintType {
				sp.DroppedLinksCount = uint32(varint(v))
			}
		case 15:
			if typ == protowire.BytesType {
				sp.Status = &blk.status
				if err := d.status(v, sp.Status); err != nil {
					return err
				}
			}
		case 16:
			if typ == protowire.Fixed32Type {
				sp.Flags = fixed32(v)
			}
		}
	}
	return nil
}

func (d *protoDecoder) status(b []byte, st *tracepb.Status) error {
	for len(b) > 0 {
		num, typ, v, rest, err := next(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == 2 && typ == protowire.BytesType:
			st.Message = d.str(v)
		case num == 3 && typ == protowire.VarintType:
			st.Code = tracepb.Status_StatusCode(int32(varint(v)))
		}
	}
	return nil
}

func (d *protoDecoder) event(b []byte, ev *tracepb.Span_Event) error {
	for len(b) > 0 {
		num, typ, v, rest, err := next(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == 1 && typ == protowire.Fixed64Type:
			ev.TimeUnixNano = fixed64(v)
		case num == 2 && typ == protowire.BytesType:
			ev.Name = d.str(v)
		case num == 3 && typ == protowire.BytesType:
			kv, err := d.keyValue(v, 0)
			if err != nil {
				return err
			}
			ev.Attributes = append(ev.Attributes, kv)
		case num == 4 && typ == protowire.VarintType:
			ev.DroppedAttributesCount = uint32(varint(v))
		}
	}
	return nil
}

func (d *protoDecoder) link(b []byte, ln *tracepb.Span_Link) error {
	for len(b) > 0 {
		num, typ, v, rest, err := next(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			ln.TraceId = d.bytes(v)
		case num == 2 && typ == protowire.BytesType:
			ln.SpanId = d.bytes(v)
		case num == 3 && typ == protowire.BytesType:
			ln.TraceState = d.str(v)
		case num == 4 && typ == protowire.BytesType:
			kv, err := d.keyValue(v, 0)
			if err != nil {
				return err
			}
			ln.Attributes = append(ln.Attributes, kv)
		case num == 5 && typ == protowire.VarintType:
			ln.DroppedAttributesCount = uint32(varint(v))
		case num == 6 && typ == protowire.Fixed32Type:
			ln.Flags = fixed32(v)
		}
	}
	return nil
}

// spanBlock allocates a span with its status.
type spanBlock struct {
	span   tracepb.Span
	status tracepb.Status
}

// kvBlock allocates an attribute, its value and the commonest oneof case together: one
// allocation instead of three per attribute on the hot path.
type kvBlock struct {
	kv commonpb.KeyValue
	av commonpb.AnyValue
	sv commonpb.AnyValue_StringValue
}

// newKV takes an attribute from a slab: one allocation per 64 attributes. The slab lives
// as long as the request does, which is how long its attributes do.
func (d *protoDecoder) newKV() *kvBlock {
	if len(d.kvSlab) == 0 {
		d.kvSlab = make([]kvBlock, 64)
	}
	blk := &d.kvSlab[0]
	d.kvSlab = d.kvSlab[1:]
	return blk
}

func (d *protoDecoder) keyValue(b []byte, depth int) (*commonpb.KeyValue, error) {
	blk := d.newKV()
	kv := &blk.kv
	for len(b) > 0 {
		num, typ, v, rest, err := next(b)
		if err != nil {
			return nil, err
		}
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			kv.Key = d.str(v)
		case num == 2 && typ == protowire.BytesType:
			kv.Value = &blk.av
			if err := d.anyValue(v, &blk.av, &blk.sv, depth); err != nil {
				return nil, err
			}
		}
	}
	return kv, nil
}

// anyValue decodes into av; sv, when not nil, is spare storage for a string value.
func (d *protoDecoder) anyValue(b []byte, av *commonpb.AnyValue, sv *commonpb.AnyValue_StringValue, depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	for len(b) > 0 {
		num, typ, v, rest, err := next(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			if sv == nil {
				sv = &commonpb.AnyValue_StringValue{}
			}
			sv.StringValue = d.str(v)
			av.Value = sv
		case num == 2 && typ == protowire.VarintType:
			av.Value = &commonpb.AnyValue_BoolValue{BoolValue: varint(v) != 0}
		case num == 3 && typ == protowire.VarintType:
			av.Value = &commonpb.AnyValue_IntValue{IntValue: int64(varint(v))}
		case num == 4 && typ == protowire.Fixed64Type:
			av.Value = &commonpb.AnyValue_DoubleValue{DoubleValue: math.Float64frombits(fixed64(v))}
		case num == 5 && typ == protowire.BytesType:
			arr := &commonpb.ArrayValue{}
			for len(v) > 0 {
				n2, t2, el, rest2, err := next(v)
				if err != nil {
					return err
				}
				v = rest2
				if n2 == 1 && t2 == protowire.BytesType {
					val := &commonpb.AnyValue{}
					if err := d.anyValue(el, val, nil, depth+1); err != nil {
						return err
					}
					arr.Values = append(arr.Values, val)
				}
			}
			av.Value = &commonpb.AnyValue_ArrayValue{ArrayValue: arr}
		case num == 6 && typ == protowire.BytesType:
			list := &commonpb.KeyValueList{}
			for len(v) > 0 {
				n2, t2, el, rest2, err := next(v)
				if err != nil {
					return err
				}
				v = rest2
				if n2 == 1 && t2 == protowire.BytesType {
					kv, err := d.keyValue(el, depth+1)
					if err != nil {
						return err
					}
					list.Values = append(list.Values, kv)
				}
			}
			av.Value = &commonpb.AnyValue_KvlistValue{KvlistValue: list}
		case num == 7 && typ == protowire.BytesType:
			av.Value = &commonpb.AnyValue_BytesValue{BytesValue: append([]byte{}, v...)}
		}
	}
	return nil
}
