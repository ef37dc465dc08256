package model

import "bytes"

// Origin says where a trace's own fields (agent, name, start time, input, output, user,
// session, error, tags, metadata) came from. OpenTelemetry sends a trace's spans in many
// requests and in any order, usually the root last; the trace's fields are derived from
// its root span, so a part without the root must not overwrite what the root said.
type Origin uint8

const (
	// OriginDeclared: the client sent the fields on the trace (REST). A later part
	// replaces them.
	OriginDeclared Origin = iota
	// OriginRoot: derived from the trace's root span.
	OriginRoot
	// OriginPartial: derived from the earliest span of a part without the root, until
	// the root arrives.
	OriginPartial
)

// HasRootSpan reports whether spans include a root span, one without a parent.
func HasRootSpan(spans []Span) bool {
	for i := range spans {
		if spans[i].ParentSpanID == "" {
			return true
		}
	}
	return false
}

// MergeTraceFields prepares incoming, a new part of a trace, to replace stored, the trace
// as it is stored (or as an earlier part in the same batch), for the fields that spans do
// not carry (agent, user, session, error type, tags, metadata: OTLP takes them from span
// attributes and resources). storedRooted says whether stored's spans include the root
// span. What the root's part said wins over guesses from other parts; between two guesses
// the earlier-starting part wins; an empty user, session or tag list never blanks a known
// one. Name, start, input and output are derived from all spans by RollUp. Declared traces
// (REST) are left alone: their later part wins, as documented for the REST API.
func MergeTraceFields(stored, incoming *Trace, storedRooted bool) {
	if incoming.Declared.Origin == OriginDeclared {
		return
	}
	keepStored := incoming.Declared.Origin == OriginPartial &&
		(storedRooted || !stored.StartTime.After(incoming.StartTime))
	if keepStored {
		incoming.AgentID = stored.AgentID
		incoming.ErrorType, incoming.ErrorMessage = stored.ErrorType, stored.ErrorMessage
		fill(&incoming.UserID, stored.UserID, true)
		fill(&incoming.SessionID, stored.SessionID, true)
		if len(stored.Tags) > 0 {
			incoming.Tags = stored.Tags
		}
		if !emptyObject(stored.Metadata) {
			incoming.Metadata = stored.Metadata
		}
		if storedRooted {
			incoming.Declared.Origin = OriginRoot
		}
		return
	}
	fill(&incoming.UserID, stored.UserID, false)
	fill(&incoming.SessionID, stored.SessionID, false)
	if len(incoming.Tags) == 0 {
		incoming.Tags = stored.Tags
	}
	if emptyObject(incoming.Metadata) {
		incoming.Metadata = stored.Metadata
	}
}

// deriveFromSpans sets the name, start, input and output of a trace derived from spans:
// the root span's, or while the root is missing, those of the earliest span whose parent
// is missing too. A root that does not record the conversation (an agent or HTTP span) is
// shown with the first model call's prompt and the last one's answer.
func deriveFromSpans(t *Trace, spans []Span) {
	root, rooted := -1, false
	for i := range spans {
		if spans[i].ParentSpanID == "" && (root < 0 || spans[i].StartTime.Before(spans[root].StartTime)) {
			root, rooted = i, true
		}
	}
	if root < 0 {
		ids := make(map[string]bool, len(spans))
		for i := range spans {
			ids[spans[i].SpanID] = true
		}
		for i := range spans {
			if !ids[spans[i].ParentSpanID] && (root < 0 || spans[i].StartTime.Before(spans[root].StartTime)) {
				root = i
			}
		}
		if root < 0 { // a cycle of parents: take the earliest span
			root = 0
			for i := range spans {
				if spans[i].StartTime.Before(spans[root].StartTime) {
					root = i
				}
			}
		}
	}
	r := &spans[root]
	t.Name, t.StartTime = r.Name, r.StartTime
	if !rooted {
		for i := range spans {
			if spans[i].StartTime.Before(t.StartTime) {
				t.StartTime = spans[i].StartTime
			}
		}
	}
	if r.Status.Failed() && t.ErrorMessage == "" {
		t.ErrorMessage = r.StatusMessage
	}
	first, last := -1, -1
	for i := range spans {
		if spans[i].Kind != KindLLM {
			continue
		}
		if spans[i].Input != "" && (first < 0 || spans[i].StartTime.Before(spans[first].StartTime)) {
			first = i
		}
		if spans[i].Output != "" && (last < 0 || spans[i].EndTime.After(spans[last].EndTime)) {
			last = i
		}
	}
	t.Input, t.Output = r.Input, r.Output
	if t.Input == "" && first >= 0 {
		t.Input = spans[first].Input
	}
	if t.Output == "" && last >= 0 {
		t.Output = spans[last].Output
	}
}

// fill sets *dst from src: always when prefer is set and src is known, else only when *dst
// is empty.
func fill(dst *string, src string, prefer bool) {
	if src != "" && (prefer || *dst == "") {
		*dst = src
	}
}

func emptyObject(raw []byte) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("{}")) || bytes.Equal(t, []byte("null"))
}
