package langfuse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agentobs/agentobs/internal/model"
)

// Builder turns the events of one ingestion request into traces. Langfuse's SDKs send a
// trace and each observation in parts (a create, then updates with the end time and the
// output), in any order and across requests, so the traces are built on top of what is
// stored: every field an event carries replaces the stored one, absent fields are kept.
// Within a request, creates apply before updates.
type Builder struct {
	ws     string
	lim    Limits
	now    time.Time
	newID  func() string
	traces map[string]*pending
	order  []string

	Successes []ItemSuccess
	Errors    []ItemError
}

type pending struct {
	traceOps []traceBody
	creates  []obsOp
	updates  []obsOp
	scores   []model.Score
	at       time.Time // the earliest event timestamp, for traces that state no start
}

type obsOp struct {
	kind   model.SpanKind // from the event type; "" when the type does not say
	create bool
	body   observationBody
	at     time.Time
}

// NewBuilder returns a builder for workspace ws; newID makes score ids the client left out.
func NewBuilder(ws string, lim Limits, now time.Time, newID func() string) *Builder {
	return &Builder{ws: ws, lim: lim.withDefaults(), now: now.UTC(), newID: newID, traces: map[string]*pending{}}
}

// Add takes one event; a bad event is answered in Errors and changes nothing.
func (b *Builder) Add(ev Event) {
	if err := b.add(ev); err != nil {
		b.Errors = append(b.Errors, ItemError{ID: ev.ID, Status: http.StatusBadRequest, Message: "invalid event", Error: err.Error()})
		return
	}
	b.Successes = append(b.Successes, ItemSuccess{ID: ev.ID, Status: http.StatusCreated})
}

func (b *Builder) add(ev Event) error {
	if !validID(ev.ID) {
		return fmt.Errorf("id: must be 1 to %d printable characters", maxIDLen)
	}
	at := b.now
	if ev.Timestamp != "" {
		var t flexTime
		if err := t.UnmarshalJSON(strconv.AppendQuote(nil, ev.Timestamp)); err != nil {
			return fmt.Errorf("timestamp: %v", err)
		}
		at = t.Time
	}
	switch ev.Type {
	case TypeTraceCreate:
		var body traceBody
		if err := decodeBody(ev.Body, &body); err != nil {
			return err
		}
		if !validID(body.ID) {
			return fmt.Errorf("body.id: must be 1 to %d printable characters", maxIDLen)
		}
		if err := checkText("body.name", body.Name, maxNameLen); err != nil {
			return err
		}
		for _, f := range []struct {
			name string
			v    *string
		}{{"body.userId", body.UserID}, {"body.sessionId", body.SessionID}, {"body.release", body.Release}, {"body.version", body.Version}, {"body.environment", body.Environment}} {
			if err := checkText(f.name, f.v, maxIDLen); err != nil {
				return err
			}
		}
		if len(body.Tags) > maxTags {
			return fmt.Errorf("body.tags: must hold at most %d tags", maxTags)
		}
		for i, tag := range body.Tags {
			if len(tag) > maxTagLen || !utf8.ValidString(tag) {
				return fmt.Errorf("body.tags[%d]: must be valid UTF-8 of at most %d bytes", i, maxTagLen)
			}
		}
		if err := checkObject("body.metadata", body.Metadata); err != nil {
			return err
		}
		p := b.trace(body.ID, at)
		p.traceOps = append(p.traceOps, body)
	case TypeSpanCreate, TypeGenerationCreate, TypeEventCreate, TypeObservationCreate,
		TypeSpanUpdate, TypeGenerationUpdate, TypeObservationUpdate:
		var body observationBody
		if err := decodeBody(ev.Body, &body); err != nil {
			return err
		}
		if err := checkObservation(&body); err != nil {
			return err
		}
		op := obsOp{kind: kindOf(ev.Type, body.Type), body: body, at: at}
		if ev.Type == TypeObservationCreate || ev.Type == TypeObservationUpdate {
			if op.kind == "" {
				return fmt.Errorf("body.type: %q is not an observation type", body.Type)
			}
		}
		p := b.trace(body.TraceID, at)
		if strings.HasSuffix(ev.Type, "-update") {
			p.updates = append(p.updates, op)
		} else {
			op.create = true
			p.creates = append(p.creates, op)
		}
	case TypeScoreCreate:
		s, err := decodeScore(ev.Body, at, b.newID)
		if err != nil {
			return err
		}
		p := b.trace(s.TraceID, at)
		p.scores = append(p.scores, s)
	case TypeSDKLog:
		// The SDK's own log lines: accepted and not stored.
	case "":
		return errors.New("type: is required")
	default:
		return fmt.Errorf("type: %q is not an event type agentobs accepts", cut(ev.Type, 64))
	}
	return nil
}

func (b *Builder) trace(id string, at time.Time) *pending {
	p := b.traces[id]
	if p == nil {
		p = &pending{at: at}
		b.traces[id] = p
		b.order = append(b.order, id)
	}
	if at.Before(p.at) {
		p.at = at
	}
	return p
}

// TraceIDs lists the traces the events touch, in the order they first appear; Build
// wants what is stored of each.
func (b *Builder) TraceIDs() []string { return b.order }

// HasTraces reports whether any event changes a trace.
func (b *Builder) HasTraces() bool { return len(b.order) > 0 }

func checkObservation(o *observationBody) error {
	switch {
	case !validID(o.ID):
		return fmt.Errorf("body.id: must be 1 to %d printable characters", maxIDLen)
	case o.TraceID == "":
		return errors.New("body.traceId: is required")
	case !validID(o.TraceID):
		return fmt.Errorf("body.traceId: must be 1 to %d printable characters", maxIDLen)
	case o.ParentObservationID != nil && *o.ParentObservationID != "" && !validID(*o.ParentObservationID):
		return fmt.Errorf("body.parentObservationId: must be 1 to %d printable characters", maxIDLen)
	case o.ParentObservationID != nil && *o.ParentObservationID == o.ID:
		return errors.New("body.parentObservationId: must not be the observation itself")
	}
	if err := checkText("body.name", o.Name, maxNameLen); err != nil {
		return err
	}
	if err := checkText("body.model", o.Model, maxModelLen); err != nil {
		return err
	}
	if o.Level != nil {
		switch strings.ToUpper(*o.Level) {
		case "DEBUG", "DEFAULT", "WARNING", "ERROR":
		default:
			return errors.New("body.level: must be DEBUG, DEFAULT, WARNING or ERROR")
		}
	}
	if err := checkText("body.statusMessage", o.StatusMessage, 64<<10); err != nil {
		return err
	}
	return checkObject("body.metadata", o.Metadata)
}

func checkText(field string, s *string, n int) error {
	if s != nil && (len(*s) > n || !utf8.ValidString(*s)) {
		return fmt.Errorf("%s: must be valid UTF-8 of at most %d bytes", field, n)
	}
	return nil
}

// checkObject accepts any JSON value for metadata (the decoder has checked it is JSON);
// it is only bounded by the body size.
func checkObject(field string, raw json.RawMessage) error {
	if len(raw) > 0 && raw[0] != '{' && raw[0] != '[' && raw[0] != '"' && raw[0] != 'n' && raw[0] != 't' && raw[0] != 'f' && (raw[0] < '0' || raw[0] > '9') && raw[0] != '-' {
		return fmt.Errorf("%s: is not valid JSON", field)
	}
	return nil
}

// kindOf maps an event type, or the type an observation body names, to a span kind.
func kindOf(eventType, bodyType string) model.SpanKind {
	switch eventType {
	case TypeSpanCreate, TypeSpanUpdate:
		return model.KindChain
	case TypeGenerationCreate, TypeGenerationUpdate:
		return model.KindLLM
	case TypeEventCreate:
		return model.KindEvent
	}
	switch strings.ToUpper(bodyType) {
	case "SPAN", "CHAIN", "EVALUATOR":
		return model.KindChain
	case "GENERATION":
		return model.KindLLM
	case "EVENT":
		return model.KindEvent
	case "AGENT":
		return model.KindAgent
	case "TOOL":
		return model.KindTool
	case "RETRIEVER":
		return model.KindRetrieval
	case "EMBEDDING":
		return model.KindEmbedding
	case "GUARDRAIL":
		return model.KindGuardrail
	}
	return ""
}

// Build returns the traces to write: each touched trace with its merged fields, the
// observations the events touched merged onto their stored versions, and the new scores.
// stored holds what the store has of the touched traces (absent when it has none).
func (b *Builder) Build(stored map[string]*model.Trace) []model.Trace {
	out := make([]model.Trace, 0, len(b.order))
	for _, id := range b.order {
		out = append(out, b.build(id, b.traces[id], stored[id]))
	}
	return out
}

func (b *Builder) build(id string, p *pending, prev *model.Trace) model.Trace {
	t := model.Trace{WorkspaceID: b.ws, TraceID: id, Declared: model.Declared{Status: model.StatusSuccess, Origin: model.OriginDeclared}}
	spans := map[string]*model.Span{}
	if prev != nil {
		t.AgentID, t.Name, t.UserID, t.SessionID = prev.AgentID, prev.Name, prev.UserID, prev.SessionID
		t.StartTime, t.Input, t.Output, t.Tags, t.Metadata = prev.StartTime, prev.Input, prev.Output, prev.Tags, prev.Metadata
		for i := range prev.Spans {
			sp := prev.Spans[i]
			if sp.SpanID == model.RootSpanID && prev.SpanCount == 0 {
				continue // the presentation of a trace stored without spans
			}
			spans[sp.SpanID] = &sp
		}
	}
	explicitStart := prev != nil
	meta := decodeObject(t.Metadata)
	for _, op := range p.traceOps {
		if op.Timestamp != nil && !op.Timestamp.IsZero() {
			t.StartTime, explicitStart = op.Timestamp.Time, true
		}
		setString(&t.Name, op.Name)
		setString(&t.UserID, op.UserID)
		setString(&t.SessionID, op.SessionID)
		if s, ok := jsonText(op.Input); ok {
			t.Input = truncate(s, b.lim.MaxTextBytes)
		}
		if s, ok := jsonText(op.Output); ok {
			t.Output = truncate(s, b.lim.MaxTextBytes)
		}
		t.Tags = unionTags(t.Tags, op.Tags)
		if m := decodeObject(op.Metadata); m != nil {
			for k, v := range m {
				meta[k] = v
			}
		} else if len(op.Metadata) > 0 && !bytes.Equal(op.Metadata, []byte("null")) {
			meta["metadata"] = json.RawMessage(op.Metadata)
		}
		for k, v := range map[string]*string{"release": op.Release, "version": op.Version, "environment": op.Environment} {
			if v != nil && *v != "" {
				meta[k] = *v
			}
		}
	}
	attrs := map[string]map[string]any{} // the touched spans' attributes, encoded once at the end
	var order []string
	for _, ops := range [][]obsOp{p.creates, p.updates} {
		for i := range ops {
			sp := spans[ops[i].body.ID]
			if sp == nil {
				start := ops[i].at
				if end := ops[i].body.EndTime; end != nil && !end.IsZero() && end.Before(start) {
					start = end.Time // an update that came first: its create will say when it started
				}
				sp = &model.Span{SpanID: ops[i].body.ID, Kind: ops[i].kind, StartTime: start, Status: model.StatusSuccess}
				spans[sp.SpanID] = sp
			}
			a, ok := attrs[sp.SpanID]
			if !ok {
				a = decodeObject(sp.Attributes)
				attrs[sp.SpanID] = a
				order = append(order, sp.SpanID)
			}
			b.apply(sp, a, &ops[i])
		}
	}
	for _, sid := range order {
		sp := spans[sid]
		sp.WorkspaceID, sp.TraceID = b.ws, id
		if sp.Kind == model.KindEvent || sp.EndTime.Before(sp.StartTime) {
			sp.EndTime = sp.StartTime
		}
		sp.LatencyMs = sp.EndTime.Sub(sp.StartTime).Milliseconds()
		sp.Attributes = encodeObject(attrs[sid], b.lim.MaxAttrBytes)
		t.Spans = append(t.Spans, *sp)
	}
	if !explicitStart {
		t.StartTime = p.at
		for _, sp := range spans {
			if sp.StartTime.Before(t.StartTime) {
				t.StartTime = sp.StartTime
			}
		}
	}
	if t.Name == "" {
		if r := firstRoot(spans); r != nil {
			t.Name = r.Name
		}
	}
	if t.AgentID == "" {
		t.AgentID = agentOf(&t, spans)
	}
	t.Metadata = encodeObject(meta, b.lim.MaxAttrBytes)
	for i := range p.scores {
		sc := p.scores[i]
		sc.WorkspaceID = b.ws
		t.Scores = append(t.Scores, sc)
	}
	return t
}

// agentOf names the agent of a trace the client never named one for: its first agent
// observation, else the trace's name (what Langfuse users group by), else "langfuse".
func agentOf(t *model.Trace, spans map[string]*model.Span) string {
	var best *model.Span
	for _, sp := range spans {
		if sp.Kind == model.KindAgent && sp.Name != "" && (best == nil || sp.StartTime.Before(best.StartTime)) {
			best = sp
		}
	}
	switch {
	case best != nil:
		return cut(best.Name, maxIDLen)
	case t.Name != "":
		return cut(t.Name, maxIDLen)
	}
	return "langfuse"
}

func firstRoot(spans map[string]*model.Span) *model.Span {
	var r *model.Span
	for _, sp := range spans {
		if sp.ParentSpanID == "" && (r == nil || sp.StartTime.Before(r.StartTime) || sp.StartTime.Equal(r.StartTime) && sp.SpanID < r.SpanID) {
			r = sp
		}
	}
	return r
}

// apply merges one observation event onto a span.
func (b *Builder) apply(sp *model.Span, attrs map[string]any, op *obsOp) {
	o := &op.body
	if op.kind != "" && (op.create || o.Type != "" || sp.Kind == "") {
		sp.Kind = op.kind
	}
	setString(&sp.Name, o.Name)
	if o.ParentObservationID != nil {
		sp.ParentSpanID = *o.ParentObservationID
	}
	if o.StartTime != nil && !o.StartTime.IsZero() {
		sp.StartTime = o.StartTime.Time
	}
	if o.EndTime != nil && !o.EndTime.IsZero() {
		sp.EndTime = o.EndTime.Time
	}
	if o.Model != nil && *o.Model != "" {
		sp.Model = *o.Model
	}
	if s, ok := jsonText(o.Input); ok {
		sp.Input = truncate(s, b.lim.MaxTextBytes)
	}
	if s, ok := jsonText(o.Output); ok {
		sp.Output = truncate(s, b.lim.MaxTextBytes)
	}
	if o.Level != nil {
		sp.Status = model.StatusSuccess
		if strings.EqualFold(*o.Level, "ERROR") {
			sp.Status = model.StatusError
		}
	}
	setString(&sp.StatusMessage, o.StatusMessage)
	if u := o.Usage; u != nil {
		setCount(&sp.TokensInput, u.Input, u.PromptTokens)
		setCount(&sp.TokensOutput, u.Output, u.CompletionTokens)
		setCount(&sp.TokensTotal, u.Total, u.TotalTokens)
		if c := u.TotalCost.cost(); c != nil {
			sp.CostUSD = c
		} else if u.InputCost.set || u.OutputCost.set {
			sp.CostUSD = number{v: u.InputCost.v + u.OutputCost.v, set: true}.cost()
		}
	}
	if d := o.UsageDetails; d != nil {
		setCount(&sp.TokensInput, d["input"], d["prompt_tokens"], d["input_tokens"])
		setCount(&sp.TokensOutput, d["output"], d["completion_tokens"], d["output_tokens"])
		setCount(&sp.TokensTotal, d["total"], d["total_tokens"])
		setCount(&sp.TokensCached, d["input_cache_read"], d["input_cached_tokens"], d["cache_read_input_tokens"])
	}
	if d := o.CostDetails; d != nil {
		if c := d["total"].cost(); c != nil {
			sp.CostUSD = c
		} else {
			sum := number{}
			for _, n := range d {
				if n.set {
					sum.v, sum.set = sum.v+n.v, true
				}
			}
			if c := sum.cost(); c != nil {
				sp.CostUSD = c
			}
		}
	}
	if o.Type != "" {
		attrs["langfuse.observation.type"] = strings.ToLower(o.Type)
	} else if _, ok := attrs["langfuse.observation.type"]; !ok {
		attrs["langfuse.observation.type"] = observationType(op.kind)
	}
	setRaw(attrs, "langfuse.observation.model.parameters", o.ModelParameters)
	setRaw(attrs, "langfuse.observation.metadata", o.Metadata)
	for k, v := range map[string]*string{"langfuse.observation.level": o.Level, "langfuse.version": o.Version,
		"langfuse.environment": o.Environment, "langfuse.observation.prompt.name": o.PromptName} {
		if v != nil && *v != "" {
			attrs[k] = *v
		}
	}
	if o.PromptVersion != nil && o.PromptVersion.set {
		attrs["langfuse.observation.prompt.version"] = o.PromptVersion.v
	}
	if o.CompletionStartTime != nil && !o.CompletionStartTime.IsZero() {
		attrs["langfuse.observation.completion_start_time"] = o.CompletionStartTime.Format(time.RFC3339Nano)
	}
}

func observationType(k model.SpanKind) string {
	switch k {
	case model.KindLLM:
		return "generation"
	case model.KindEvent:
		return "event"
	}
	return "span"
}

func setString(dst *string, v *string) {
	if v != nil && *v != "" {
		*dst = *v
	}
}

func setCount(dst **int64, vals ...number) {
	for _, n := range vals {
		if c := n.count(); c != nil {
			*dst = c
			return
		}
	}
}

func setRaw(m map[string]any, k string, raw json.RawMessage) {
	if len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		m[k] = json.RawMessage(raw)
	}
}

// jsonText renders a content value: a string as itself, anything else as compact JSON;
// ok is false when the value is absent or null.
func jsonText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", false
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return "", false
	}
	return buf.String(), true
}

func decodeObject(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	if len(raw) == 0 {
		return m
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&m) != nil || m == nil {
		return map[string]any{}
	}
	return m
}

// encodeObject writes m with sorted keys; values that would take it over limit bytes are
// replaced by a marker, largest first.
func encodeObject(m map[string]any, limit int) json.RawMessage {
	b, err := json.Marshal(m)
	if err != nil {
		return json.RawMessage("{}")
	}
	for len(b) > limit && len(m) > 0 {
		keys := make([]string, 0, len(m))
		sizes := map[string]int{}
		for k, v := range m {
			vb, _ := json.Marshal(v)
			sizes[k] = len(vb)
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return sizes[keys[i]] > sizes[keys[j]] })
		if sizes[keys[0]] <= len(`"[truncated]"`) {
			return json.RawMessage("{}")
		}
		m[keys[0]] = "[truncated]"
		if b, err = json.Marshal(m); err != nil {
			return json.RawMessage("{}")
		}
	}
	return b
}

func unionTags(have, add []string) []string {
	for _, tag := range add {
		tag = strings.TrimSpace(tag)
		if tag == "" || len(have) >= maxTags {
			continue
		}
		dup := false
		for _, h := range have {
			dup = dup || h == tag
		}
		if !dup {
			have = append(have, tag)
		}
	}
	return have
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return cut(s, n)
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
