package otlp

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/agentobs/agentobs/internal/model"
)

// Field limits shared with the REST API (docs/ingestion.md).
const (
	maxIDLen      = 256
	maxNameLen    = 1024
	maxModelLen   = 256
	maxProvider   = 64
	maxMessageLen = 64 << 10
	maxTags       = 64
	maxTagLen     = 128
	maxTokens     = 1_000_000_000_000
	maxCostUSD    = 1_000_000
)

// Result is what Convert made of a request.
type Result struct {
	// Traces holds one trace per trace id in the request, with its spans, in the order the
	// ids first appear. Roll-ups are left to the store, which sees all parts of a trace.
	Traces []model.Trace
	// Spans counts the accepted spans, Rejected the others; Message says why, for the
	// partial_success of the answer.
	Spans    int
	Rejected int64
	Message  string
}

// Convert maps a decoded request onto traces of workspaceID. It never fails: a span it
// cannot use is rejected and counted, everything else is kept, cut to lim where needed.
func Convert(req *coltracepb.ExportTraceServiceRequest, workspaceID string, lim Limits) Result {
	c := converter{lim: lim.withDefaults(), ws: workspaceID, index: map[[16]byte]int{}, seen: map[string]struct{}{}}
	c.presize(req)
	for _, rs := range req.GetResourceSpans() {
		res := c.resource(rs)
		for _, ss := range rs.GetScopeSpans() {
			scope := ss.GetScope().GetName()
			for _, sp := range ss.GetSpans() {
				c.span(sp, res, scope)
			}
		}
	}
	return c.finish()
}

type converter struct {
	lim    Limits
	ws     string
	traces []*traceAcc
	index  map[[16]byte]int // trace id → traces
	spans  int

	rejected map[string]int64
	reasons  []string

	// per-span scratch, reused
	vals    [nKeys]*commonpb.AnyValue
	flat    []flatAttr
	attrs   objectWriter
	seen    map[string]struct{}
	idArena []byte

	keep      []keptAttr       // the span's attributes to store, in order
	counts    map[[16]byte]int // spans per trace id, for presize
	spanPool  []model.Span
	extraPool []spanExtra
}

// presize counts the spans of each trace so that every trace's spans are cut from one
// allocation instead of growing one append at a time.
func (c *converter) presize(req *coltracepb.ExportTraceServiceRequest) {
	total := 0
	c.counts = map[[16]byte]int{}
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				if len(sp.GetTraceId()) == 16 {
					c.counts[[16]byte(sp.GetTraceId())]++
					total++
				}
			}
		}
	}
	c.spanPool = make([]model.Span, total)
	c.extraPool = make([]spanExtra, total)
}

// take cuts room for n spans from the pools.
func (c *converter) take(n int) ([]model.Span, []spanExtra) {
	if n > len(c.spanPool) {
		return make([]model.Span, 0, n), make([]spanExtra, 0, n)
	}
	s, e := c.spanPool[:0:n], c.extraPool[:0:n]
	c.spanPool, c.extraPool = c.spanPool[n:], c.extraPool[n:]
	return s, e
}

// keptAttr is an attribute to store, with its key in the table (aNone if not there).
type keptAttr struct {
	kv  *commonpb.KeyValue
	key attrKey
}

// resourceInfo is what spans take from their resource.
type resourceInfo struct {
	serviceName string
	rs          *tracepb.ResourceSpans
	metadata    json.RawMessage // built when a trace's root uses it
}

func (c *converter) resource(rs *tracepb.ResourceSpans) *resourceInfo {
	info := &resourceInfo{rs: rs}
	var project string
	for _, kv := range rs.GetResource().GetAttributes() {
		switch kv.GetKey() {
		case "service.name":
			info.serviceName, _ = strValue(kv.GetValue())
		case "openinference.project.name":
			project, _ = strValue(kv.GetValue())
		}
	}
	// Phoenix names the project, not the service: its SDK leaves the OpenTelemetry default.
	if project != "" && (info.serviceName == "" || strings.HasPrefix(info.serviceName, "unknown_service")) {
		info.serviceName = project
	}
	return info
}

func (r *resourceInfo) meta(lim Limits) json.RawMessage {
	if r.metadata == nil {
		var w objectWriter
		w.reset(lim.MaxAttributes, lim.MaxAttributesBytes/2, lim.MaxValueBytes)
		for _, kv := range r.rs.GetResource().GetAttributes() {
			w.add(kv.GetKey(), kv.GetValue())
		}
		r.metadata = w.finish(int(r.rs.GetResource().GetDroppedAttributesCount()))
	}
	return r.metadata
}

// traceAcc collects the spans of one trace id.
type traceAcc struct {
	id     string
	spans  []model.Span
	extras []spanExtra
}

// spanExtra is what the trace row may take from a span.
type spanExtra struct {
	res       *resourceInfo
	agentName string
	session   string
	user      string
	workflow  string
	errorType string
	tags      []string
	meta      map[string]any
}

func (c *converter) reject(reason string) {
	if c.rejected == nil {
		c.rejected = map[string]int64{}
	}
	if c.rejected[reason] == 0 {
		c.reasons = append(c.reasons, reason)
	}
	c.rejected[reason]++
}

// validID reports whether b is an id of n bytes that is not all zeros.
func validID(b []byte, n int) bool {
	if len(b) != n {
		return false
	}
	for _, x := range b {
		if x != 0 {
			return true
		}
	}
	return false
}

// hexID renders a span id in lower-case hex. The strings are cut from an append-only
// arena whose bytes are never written again, which saves two allocations per span.
func (c *converter) hexID(id []byte) string {
	n := hex.EncodedLen(len(id))
	if cap(c.idArena)-len(c.idArena) < n {
		c.idArena = make([]byte, 0, max(4096, n))
	}
	start := len(c.idArena)
	c.idArena = c.idArena[:start+n]
	hex.Encode(c.idArena[start:], id)
	return unsafe.String(&c.idArena[start], n)
}

func unixNano(ns uint64) (time.Time, bool) {
	if ns == 0 || ns > math.MaxInt64 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(ns)).UTC(), true
}

func (c *converter) span(sp *tracepb.Span, res *resourceInfo, scope string) {
	if !validID(sp.GetTraceId(), 16) {
		c.reject("invalid trace id (must be 16 bytes, not all zero)")
		return
	}
	if !validID(sp.GetSpanId(), 8) {
		c.reject("invalid span id (must be 8 bytes, not all zero)")
		return
	}
	start, okStart := unixNano(sp.GetStartTimeUnixNano())
	end, okEnd := unixNano(sp.GetEndTimeUnixNano())
	switch {
	case !okStart && !okEnd:
		c.reject("span has no valid start time")
		return
	case !okStart:
		start = end
	case !okEnd || end.Before(start):
		end = start
	}
	key := [16]byte(sp.GetTraceId())
	i, ok := c.index[key]
	if !ok {
		i = len(c.traces)
		c.index[key] = i
		acc := &traceAcc{id: hex.EncodeToString(key[:])}
		acc.spans, acc.extras = c.take(c.counts[key])
		c.traces = append(c.traces, acc)
	}
	acc := c.traces[i]
	out := model.Span{
		WorkspaceID: c.ws, TraceID: acc.id, SpanID: c.hexID(sp.GetSpanId()),
		Name: cut(sp.GetName(), maxNameLen), StartTime: start, EndTime: end,
		LatencyMs: end.Sub(start).Milliseconds(),
	}
	if validID(sp.GetParentSpanId(), 8) {
		out.ParentSpanID = c.hexID(sp.GetParentSpanId())
	}
	extra := c.mapSpan(sp, &out, scope)
	extra.res = res

	acc.spans = append(acc.spans, out)
	acc.extras = append(acc.extras, extra)
	c.spans++
}

// facts holds what a span's attributes and events say, before precedence is applied.
type facts struct {
	exceptionType, exceptionMessage   string
	hasException                      bool
	eventIn, eventOut                 []chatMessage
	eventPrompt, eventCompletion      string
	detailsIn, detailsOut, detailsSys *commonpb.AnyValue
}

// mapSpan fills out from the span's attributes and events and returns what the trace row
// may need from it.
func (c *converter) mapSpan(sp *tracepb.Span, out *model.Span, scope string) spanExtra {
	v := &c.vals
	*v = [nKeys]*commonpb.AnyValue{}
	c.flat = c.flat[:0]
	c.keep = c.keep[:0]
	clear(c.seen)
	w := &c.attrs
	w.reset(c.lim.MaxAttributes, c.lim.MaxAttributesBytes, c.lim.MaxValueBytes)

	for _, kv := range sp.GetAttributes() {
		key := kv.GetKey()
		if _, dup := c.seen[key]; dup {
			continue // keys are unique in OpenTelemetry; the first one wins
		}
		c.seen[key] = struct{}{}
		var k attrKey
		if info, ok := keyTable[key]; ok {
			v[info.key] = kv.GetValue()
			if info.content {
				continue
			}
			k = info.key
		} else if fam, rest, content := familyOf(key); fam != famNone {
			c.flat = append(c.flat, flatAttr{fam: fam, rest: rest, val: kv.GetValue()})
			if content {
				continue
			}
		}
		c.keep = append(c.keep, keptAttr{kv, k})
	}

	var f facts
	events := c.events(sp, &f)

	kind := c.kind(sp)
	out.Kind = kind
	c.modelAndUsage(out, kind)
	c.content(out, kind, &f)
	c.status(sp, out, &f)

	// Every attribute that is not content is kept, but on model calls the usage counts
	// and the model name they were read into fields from are not repeated (docs/otlp.md).
	modelCall := kind == model.KindLLM || kind == model.KindEmbedding
	for _, a := range c.keep {
		if modelCall && (usageKeys[a.key] || modelKeys[a.key] && text(a.kv.GetValue()) == out.Model) {
			continue
		}
		w.add(a.kv.GetKey(), a.kv.GetValue())
	}
	c.keep = c.keep[:0]

	extra := spanExtra{}
	extra.agentName = firstString(v[aGenAIAgentName], v[aOIAgentName])
	if extra.agentName == "" && kind == model.KindAgent {
		if k, _ := strValue(v[aTLKind]); strings.EqualFold(k, "agent") {
			extra.agentName, _ = strValue(v[aTLEntityName])
		}
	}
	extra.workflow, _ = strValue(v[aTLWorkflowName])
	extra.session = firstString(v[aGenAIConversationID], v[aSessionID], v[aLFSessionID])
	extra.user = firstString(v[aUserID], v[aEnduserID], v[aLFUserID])
	c.langfuseExtra(sp, out, &extra)
	for _, fa := range c.flat {
		switch fa.fam {
		case famLFTraceMetadata:
			if extra.meta == nil {
				extra.meta = map[string]any{}
			}
			extra.meta[fa.rest] = langfuseMetadataValue(fa.val)
		case famTLAssociation, famAIMetadata:
			if extra.meta == nil {
				extra.meta = map[string]any{}
			}
			extra.meta[fa.rest] = toGo(fa.val, 0)
			s, _ := strValue(fa.val)
			switch fa.rest {
			case "session_id", "sessionId":
				if extra.session == "" {
					extra.session = s
				}
			case "user_id", "userId":
				if extra.user == "" {
					extra.user = s
				}
			}
		}
	}
	if md := v[aOIMetadata]; md != nil {
		if extra.meta == nil {
			extra.meta = map[string]any{}
		}
		switch m := structured(md).(type) {
		case map[string]any:
			for k, val := range m {
				extra.meta[k] = val
			}
		default:
			extra.meta["metadata"] = m
		}
	}
	extra.tags = append(stringList(v[aOITags]), stringList(v[aLFTags])...)
	extra.errorType = firstString(v[aErrorType])
	if extra.errorType == "" {
		extra.errorType = f.exceptionType
	}
	// Cloned: these are cut from the request body, which a cache keeping them would pin.
	extra.session = strings.Clone(cut(extra.session, maxIDLen))
	extra.user = strings.Clone(cut(extra.user, maxIDLen))

	// Span-level context that is not an attribute of the span itself.
	if scope != "" {
		w.addString("otel.scope.name", scope)
	}
	if k := sp.GetKind(); k > tracepb.Span_SPAN_KIND_INTERNAL && k <= tracepb.Span_SPAN_KIND_CONSUMER {
		w.addString("otel.span.kind", strings.ToLower(strings.TrimPrefix(k.String(), "SPAN_KIND_")))
	}
	if len(events) > 0 {
		w.addRaw("otel.events", events)
	}
	if n := sp.GetDroppedEventsCount(); n > 0 {
		w.addRaw("otel.dropped_events_count", strconv.AppendUint(nil, uint64(n), 10))
	}
	if n := len(sp.GetLinks()); n > 0 {
		w.addRaw("otel.links", c.links(sp))
	}
	out.Attributes = w.finish(int(sp.GetDroppedAttributesCount()))
	return extra
}

func firstString(vals ...*commonpb.AnyValue) string {
	for _, av := range vals {
		if s, ok := strValue(av); ok && s != "" {
			return s
		}
	}
	return ""
}

func (c *converter) kind(sp *tracepb.Span) model.SpanKind {
	v := &c.vals
	if s, ok := strValue(v[aLFType]); ok {
		if k := kindFromLangfuse(s); k != "" {
			return k
		}
	}
	if s, ok := strValue(v[aOIKind]); ok {
		if k := kindFromOpenInference(s); k != "" {
			return k
		}
	}
	if s, ok := strValue(v[aTLKind]); ok {
		if k := kindFromTraceloop(s); k != "" {
			return k
		}
	}
	if s, ok := strValue(v[aGenAIOperation]); ok {
		if k := kindFromOperation(s); k != "" {
			return k
		}
	}
	op, _ := strValue(v[aAIOperationID])
	if op == "" && strings.HasPrefix(sp.GetName(), "ai.") {
		op = sp.GetName()
	}
	if k := kindFromVercel(op); k != "" {
		return k
	}
	if s, ok := strValue(v[aLLMRequestType]); ok {
		if k := kindFromOperation(s); k != "" {
			return k
		}
	}
	switch {
	case v[aGenAIToolName] != nil:
		return model.KindTool
	case v[aGenAIRequestModel] != nil || v[aGenAIResponseModel] != nil || v[aGenAISystem] != nil ||
		v[aGenAIProvider] != nil || v[aOIModel] != nil || v[aGenAIInputTokens] != nil || v[aGenAIPromptTokens] != nil:
		return model.KindLLM
	case v[aGenAIAgentName] != nil:
		return model.KindAgent
	}
	return model.KindChain
}

func (c *converter) modelAndUsage(out *model.Span, kind model.SpanKind) {
	v := &c.vals
	// The requested model first, as our SDKs record it: it is the name prices and filters
	// know, where the answer often names a dated snapshot (kept in the attributes).
	m := firstString(v[aLFModel], v[aGenAIRequestModel], v[aOIModel], v[aAIModelID], v[aGenAIResponseModel], v[aAIResponseModel])
	if kind == model.KindEmbedding {
		m = firstString(v[aLFModel], v[aOIEmbeddingModel], v[aGenAIRequestModel], v[aAIModelID], v[aGenAIResponseModel], v[aOIModel])
	}
	prov := firstString(v[aGenAIProvider], v[aGenAISystem], v[aOIProvider], v[aOISystem], v[aAIModelProvider])
	if kind != model.KindLLM && kind != model.KindEmbedding {
		// Wrapper and agent spans often repeat their calls' model and usage; only model
		// calls carry them, so that a trace's roll-up counts each call once.
		return
	}
	out.Model = strings.Clone(cut(m, maxModelLen)) // cloned: the pricing cache keeps model names
	out.Provider = strings.Clone(cut(normalizeProvider(prov), maxProvider))
	out.TokensInput = tokens(v[aGenAIInputTokens], v[aGenAIPromptTokens], v[aOIPromptTokens], v[aAIInputTokens], v[aAIPromptTokens], v[aAITokens])
	out.TokensOutput = tokens(v[aGenAIOutputTokens], v[aGenAICompletionTokens], v[aOICompletionTokens], v[aAIOutputTokens], v[aAICompletionTokens])
	out.TokensTotal = tokens(v[aGenAITotalTokens], v[aOITotalTokens], v[aLLMTotalTokens], v[aAITotalTokens])
	out.TokensCached = tokens(v[aGenAICacheRead], v[aGenAICacheReadOld], v[aOICacheRead], v[aAICachedInputTokens])
	for _, av := range []*commonpb.AnyValue{v[aOICostTotal], v[aGenAICost]} {
		if f, ok := floatValue(av); ok && f >= 0 && f <= maxCostUSD {
			out.CostUSD = model.Float64(f)
			break
		}
	}
	if v[aLFUsage] != nil {
		in, o, total, cached := langfuseUsage(v[aLFUsage])
		out.TokensInput = cmp.Or(in, out.TokensInput)
		out.TokensOutput = cmp.Or(o, out.TokensOutput)
		out.TokensTotal = cmp.Or(total, out.TokensTotal)
		out.TokensCached = cmp.Or(cached, out.TokensCached)
	}
	if v[aLFCost] != nil {
		out.CostUSD = cmp.Or(langfuseCost(v[aLFCost]), out.CostUSD)
	}
}

// tokens returns the first count present that is in range.
func tokens(vals ...*commonpb.AnyValue) *int64 {
	for _, av := range vals {
		if n, ok := intValue(av); ok && n >= 0 && n <= maxTokens {
			return model.Int64(n)
		}
	}
	return nil
}

// content sets the span's input and output, by convention, most specific first.
func (c *converter) content(out *model.Span, kind model.SpanKind, f *facts) {
	v := &c.vals
	in := c.inputMessages(f)
	outMsgs := c.outputMessages(f)

	// Langfuse's own input and output: what the user passed, as JSON or text.
	input, output := langfuseText(v[aLFInput], v[aLFTraceInput]), langfuseText(v[aLFOutput], v[aLFTraceOutput])
	if input == "" && len(in) > 0 {
		input = renderInput(in)
	}
	if output == "" && len(outMsgs) > 0 {
		output = renderOutput(outMsgs)
	}
	if input == "" && f.eventPrompt != "" {
		input = f.eventPrompt
	}
	if output == "" && f.eventCompletion != "" {
		output = f.eventCompletion
	}
	if input == "" {
		if p := flatTexts(c.flat, famOIPrompts, "prompt.text"); len(p) > 0 {
			input = strings.Join(p, "\n")
		} else if p := stringList(v[aOIPrompts]); len(p) > 0 {
			input = strings.Join(p, "\n")
		}
	}
	if output == "" {
		if p := flatTexts(c.flat, famOIChoices, "completion.text"); len(p) > 0 {
			output = strings.Join(p, "\n")
		}
	}
	// Tools: arguments in, result out.
	if input == "" {
		input = textOf(v[aGenAIToolCallArgs], v[aAIToolCallArgs], v[aAIToolCallInput])
	}
	if output == "" {
		output = textOf(v[aGenAIToolCallResult], v[aAIToolCallResult], v[aAIToolCallOutput])
	}
	// Generic inputs and outputs of chains, agents and tools.
	if input == "" {
		input = textOf(v[aOIInputValue], v[aTLEntityInput])
	}
	if output == "" {
		output = textOf(v[aOIOutputValue], v[aTLEntityOutput])
	}
	if input == "" && v[aAIPrompt] != nil {
		if msgs, ok := vercelPrompt(structured(v[aAIPrompt])); ok {
			input = renderInput(msgs)
		} else {
			input = text(v[aAIPrompt])
		}
	}
	if output == "" {
		output = textOf(v[aAIResponseObject])
	}
	if input == "" {
		if t := flatTexts(c.flat, famOIEmbeddings, "embedding.text"); len(t) > 0 {
			input = strings.Join(t, "\n")
		} else {
			input = textOf(v[aAIValue])
			if input == "" {
				if vals := stringList(v[aAIValues]); len(vals) > 0 {
					input = strings.Join(vals, "\n")
				}
			}
		}
	}
	if output == "" && kind == model.KindRetrieval {
		output = flatDocuments(c.flat)
	}
	out.Input = truncateText(input, c.lim.MaxTextBytes)
	out.Output = truncateText(output, c.lim.MaxTextBytes)

	if kind == model.KindTool {
		name := firstString(v[aGenAIToolName], v[aOIToolName], v[aAIToolCallName])
		if name == "" {
			if k, _ := strValue(v[aTLKind]); strings.EqualFold(k, "tool") {
				name, _ = strValue(v[aTLEntityName])
			}
		}
		if name != "" {
			out.Name = cut(name, maxNameLen) // the tool's name, as our SDKs name tool spans
		}
	}
}

func textOf(vals ...*commonpb.AnyValue) string {
	for _, av := range vals {
		if s := text(av); s != "" {
			return s
		}
	}
	return ""
}

func (c *converter) inputMessages(f *facts) []chatMessage {
	v := &c.vals
	sys := v[aGenAISystemInstructions]
	msgsAttr := v[aGenAIInputMessages]
	if msgsAttr == nil {
		msgsAttr, sys = f.detailsIn, firstNonNil(sys, f.detailsSys)
	}
	if msgsAttr != nil || sys != nil {
		var out []chatMessage
		if sys != nil {
			out = systemMessage(structured(sys))
		}
		return append(out, messagesOf(msgsAttr, "user")...)
	}
	if m := flatMessages(c.flat, famOIInput, "user"); len(m) > 0 {
		return m
	}
	if m := flatMessages(c.flat, famTLPrompt, "user"); len(m) > 0 {
		return m
	}
	if av := v[aAIPromptMessages]; av != nil {
		if m := messagesOf(av, "user"); len(m) > 0 {
			return m
		}
	}
	if len(f.eventIn) > 0 {
		return f.eventIn
	}
	if av := v[aGenAIPrompt]; av != nil {
		return messagesOf(av, "user")
	}
	return nil
}

func (c *converter) outputMessages(f *facts) []chatMessage {
	v := &c.vals
	msgsAttr := v[aGenAIOutputMessages]
	if msgsAttr == nil {
		msgsAttr = f.detailsOut
	}
	if msgsAttr != nil {
		return messagesOf(msgsAttr, "assistant")
	}
	if m := flatMessages(c.flat, famOIOutput, "assistant"); len(m) > 0 {
		return m
	}
	if m := flatMessages(c.flat, famTLCompletion, "assistant"); len(m) > 0 {
		return m
	}
	if v[aAIResponseText] != nil || v[aAIResponseToolCalls] != nil {
		msg := chatMessage{Role: "assistant", Content: text(v[aAIResponseText])}
		if tc := v[aAIResponseToolCalls]; tc != nil {
			msg.ToolCalls = toolCallsFrom(structured(tc))
		}
		if !msg.empty() {
			return []chatMessage{msg}
		}
	}
	if len(f.eventOut) > 0 {
		return f.eventOut
	}
	if av := v[aGenAICompletion]; av != nil {
		return messagesOf(av, "assistant")
	}
	return nil
}

func firstNonNil(vals ...*commonpb.AnyValue) *commonpb.AnyValue {
	for _, av := range vals {
		if av != nil {
			return av
		}
	}
	return nil
}

// events reads the span's events: exceptions for the status, the deprecated GenAI message
// events for the content. The other events are returned as JSON for the attributes.
func (c *converter) events(sp *tracepb.Span, f *facts) json.RawMessage {
	var b []byte
	kept := 0
	for _, ev := range sp.GetEvents() {
		name := ev.GetName()
		switch name {
		case "gen_ai.content.prompt": // semconv v1.26.0
			f.eventPrompt = eventText(ev, "gen_ai.prompt", "user", true)
			continue
		case "gen_ai.content.completion":
			f.eventCompletion = eventText(ev, "gen_ai.completion", "assistant", false)
			continue
		case "gen_ai.system.message", "gen_ai.user.message", "gen_ai.assistant.message", "gen_ai.tool.message": // v1.28.0–v1.36.0
			role := strings.TrimSuffix(strings.TrimPrefix(name, "gen_ai."), ".message")
			f.eventIn = append(f.eventIn, messagesFrom(eventBody(ev), role)...)
			continue
		case "gen_ai.choice":
			f.eventOut = append(f.eventOut, messagesFrom(eventBody(ev), "assistant")...)
			continue
		case "gen_ai.client.inference.operation.details": // v1.37.0
			for _, kv := range ev.GetAttributes() {
				switch kv.GetKey() {
				case "gen_ai.input.messages":
					f.detailsIn = kv.GetValue()
				case "gen_ai.output.messages":
					f.detailsOut = kv.GetValue()
				case "gen_ai.system_instructions":
					f.detailsSys = kv.GetValue()
				}
			}
			continue
		case "exception":
			f.hasException = true
			for _, kv := range ev.GetAttributes() {
				switch kv.GetKey() {
				case "exception.type":
					f.exceptionType, _ = strValue(kv.GetValue())
				case "exception.message":
					f.exceptionMessage, _ = strValue(kv.GetValue())
				}
			}
		}
		if kept >= c.lim.MaxEvents {
			continue
		}
		if kept == 0 {
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		kept++
		b = append(b, `{"name":`...)
		b = appendJSONString(b, name)
		if t, ok := unixNano(ev.GetTimeUnixNano()); ok {
			b = append(b, `,"time":`...)
			b = appendJSONString(b, t.Format(time.RFC3339Nano))
		}
		if attrs := ev.GetAttributes(); len(attrs) > 0 {
			var w objectWriter
			w.reset(c.lim.MaxAttributes, c.lim.MaxAttributesBytes/4, c.lim.MaxValueBytes)
			for _, kv := range attrs {
				w.add(kv.GetKey(), kv.GetValue())
			}
			b = append(b, `,"attributes":`...)
			b = append(b, w.finish(int(ev.GetDroppedAttributesCount()))...)
		}
		b = append(b, '}')
	}
	if kept == 0 {
		return nil
	}
	return append(b, ']')
}

// eventBody returns the body of a deprecated GenAI event recorded as a span event: either
// JSON in gen_ai.event.content (as .NET and Semantic Kernel record it) or the body's
// fields as attributes.
func eventBody(ev *tracepb.Span_Event) any {
	body := map[string]any{}
	for _, kv := range ev.GetAttributes() {
		key := kv.GetKey()
		if key == "gen_ai.event.content" {
			if s, ok := strValue(kv.GetValue()); ok {
				return parseJSONText(s)
			}
		}
		if key == "gen_ai.system" || key == "gen_ai.provider.name" {
			continue
		}
		body[key] = structured(kv.GetValue())
	}
	return body
}

// eventText reads gen_ai.content.prompt / .completion: their attribute holds messages as
// JSON (rendered like every other prompt) or plain text.
func eventText(ev *tracepb.Span_Event, key, role string, input bool) string {
	for _, kv := range ev.GetAttributes() {
		if kv.GetKey() != key {
			continue
		}
		val := structured(kv.GetValue())
		if s, ok := val.(string); ok {
			return s
		}
		msgs := messagesFrom(val, role)
		if input {
			return renderInput(msgs)
		}
		return renderOutput(msgs)
	}
	return ""
}

func (c *converter) links(sp *tracepb.Span) []byte {
	b := []byte{'['}
	for i, ln := range sp.GetLinks() {
		if i == 16 {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"trace_id":`...)
		b = appendJSONString(b, hex.EncodeToString(ln.GetTraceId()))
		b = append(b, `,"span_id":`...)
		b = appendJSONString(b, hex.EncodeToString(ln.GetSpanId()))
		b = append(b, '}')
	}
	return append(b, ']')
}

// status derives the span's status: the OpenTelemetry status code first; an unset status
// with an exception event or an error.type counts as an error (instrumentations that record
// an exception often leave the status unset); errors that name a timeout are timeouts.
func (c *converter) status(sp *tracepb.Span, out *model.Span, f *facts) {
	st := sp.GetStatus()
	errType, _ := strValue(c.vals[aErrorType])
	failed := false
	switch st.GetCode() {
	case tracepb.Status_STATUS_CODE_ERROR:
		failed = true
	case tracepb.Status_STATUS_CODE_OK:
	default: // unset, or a code this version does not know
		failed = f.hasException || errType != ""
	}
	level, _ := strValue(c.vals[aLFLevel])
	if strings.EqualFold(level, "ERROR") {
		failed = true
	}
	out.Status = model.StatusSuccess
	if !failed {
		return
	}
	out.Status = model.StatusError
	msg := st.GetMessage()
	if msg == "" {
		msg, _ = strValue(c.vals[aLFStatusMessage])
	}
	if msg == "" && (f.exceptionType != "" || f.exceptionMessage != "") {
		msg = strings.TrimPrefix(f.exceptionType+": "+f.exceptionMessage, ": ")
		msg = strings.TrimSuffix(msg, ": ")
	}
	if msg == "" {
		msg = errType
	}
	out.StatusMessage = truncateText(msg, maxMessageLen)
	if isTimeout(errType) || isTimeout(f.exceptionType) || isTimeout(msg) {
		out.Status = model.StatusTimeout
	}
}

// finish builds the trace rows.
func (c *converter) finish() Result {
	res := Result{Spans: c.spans}
	for _, r := range c.reasons {
		res.Rejected += c.rejected[r]
	}
	if res.Rejected > 0 {
		parts := make([]string, 0, len(c.reasons))
		for _, r := range c.reasons {
			parts = append(parts, fmt.Sprintf("%s: %d", r, c.rejected[r]))
		}
		res.Message = fmt.Sprintf("%d span(s) rejected (%s)", res.Rejected, strings.Join(parts, "; "))
	}
	res.Traces = make([]model.Trace, 0, len(c.traces))
	for _, acc := range c.traces {
		res.Traces = append(res.Traces, c.trace(acc))
	}
	return res
}

// trace derives the trace row from its root span, or, when the root is not in this
// request, from the earliest span whose parent is not here either (OriginPartial; the
// store keeps what the root says once it arrives). Name, start, input and output are
// derived again by model.RollUp over all the trace's stored spans.
func (c *converter) trace(acc *traceAcc) model.Trace {
	spans, extras := acc.spans, acc.extras
	root, origin := -1, model.OriginRoot
	for i := range spans {
		if spans[i].ParentSpanID == "" && (root < 0 || spans[i].StartTime.Before(spans[root].StartTime)) {
			root = i
		}
	}
	if root < 0 {
		origin = model.OriginPartial
		present := make(map[string]bool, len(spans))
		for i := range spans {
			present[spans[i].SpanID] = true
		}
		for i := range spans {
			if !present[spans[i].ParentSpanID] && (root < 0 || spans[i].StartTime.Before(spans[root].StartTime)) {
				root = i
			}
		}
	}
	r, rx := &spans[root], &extras[root]
	start := r.StartTime
	if origin == model.OriginPartial {
		for i := range spans {
			if spans[i].StartTime.Before(start) {
				start = spans[i].StartTime
			}
		}
	}
	t := model.Trace{
		WorkspaceID: c.ws, TraceID: acc.id, AgentID: c.agentID(spans, extras, root),
		Name: r.Name, StartTime: start, Input: r.Input, Output: r.Output,
		Declared: model.Declared{Status: model.StatusSuccess, Origin: origin},
		Spans:    spans,
	}
	if r.Status.Failed() {
		t.ErrorType = cut(rx.errorType, maxIDLen)
		t.ErrorMessage = r.StatusMessage
	}
	t.UserID, t.SessionID = rx.user, rx.session
	for i := range extras {
		if t.UserID == "" {
			t.UserID = extras[i].user
		}
		if t.SessionID == "" {
			t.SessionID = extras[i].session
		}
	}
	t.Tags = c.tags(extras, root)
	t.Metadata = c.metadata(extras, root)
	return t
}

func (c *converter) agentID(spans []model.Span, extras []spanExtra, root int) string {
	rx := &extras[root]
	id := rx.agentName
	if id == "" && rx.res != nil && rx.res.serviceName != "" && !strings.HasPrefix(rx.res.serviceName, "unknown_service") {
		id = rx.res.serviceName
	}
	if id == "" {
		order := make([]int, len(spans))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return spans[order[a]].StartTime.Before(spans[order[b]].StartTime) })
		for _, i := range order {
			if extras[i].agentName != "" {
				id = extras[i].agentName
				break
			}
		}
	}
	if id == "" {
		id = rx.workflow
	}
	if id == "" && rx.res != nil {
		id = rx.res.serviceName
	}
	if id == "" {
		id = "unknown_service"
	}
	return strings.Clone(cut(id, maxIDLen)) // cloned: the agents registry keeps it
}

func (c *converter) tags(extras []spanExtra, root int) []string {
	var out []string
	seen := map[string]bool{}
	add := func(tags []string) {
		for _, tag := range tags {
			tag = cut(strings.TrimSpace(tag), maxTagLen)
			if tag == "" || seen[tag] || len(out) >= maxTags {
				continue
			}
			seen[tag] = true
			out = append(out, tag)
		}
	}
	add(extras[root].tags)
	for i := range extras {
		add(extras[i].tags)
	}
	return out
}

// metadata is the root's resource attributes under "resource", then the metadata the
// spans carry (OpenInference metadata, OpenLLMetry association properties, AI SDK
// telemetry metadata), the root's winning.
func (c *converter) metadata(extras []spanExtra, root int) json.RawMessage {
	var w objectWriter
	w.reset(c.lim.MaxAttributes, c.lim.MaxAttributesBytes, c.lim.MaxValueBytes)
	if rx := &extras[root]; rx.res != nil && len(rx.res.rs.GetResource().GetAttributes()) > 0 {
		w.addRaw("resource", rx.res.meta(c.lim))
	}
	merged := map[string]any{}
	for i := range extras {
		if i == root {
			continue
		}
		for k, v := range extras[i].meta {
			merged[k] = v
		}
	}
	for k, v := range extras[root].meta {
		merged[k] = v
	}
	if len(merged) > 0 {
		keys := make([]string, 0, len(merged))
		for k := range merged {
			if k != "resource" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			raw, err := json.Marshal(merged[k])
			if err != nil {
				continue
			}
			if len(raw) > c.lim.MaxValueBytes {
				raw = appendJSONString(nil, truncateText(string(raw), c.lim.MaxValueBytes))
			}
			w.addRaw(k, raw)
		}
	}
	return w.finish(0)
}
