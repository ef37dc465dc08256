// Package langfuse decodes Langfuse's public ingestion API (POST /api/public/ingestion, the
// typed events of its older SDKs) and its score API into agentobs traces, so that those
// SDKs work when pointed at agentobs. docs/migrate.md describes the mapping.
package langfuse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agentobs/agentobs/internal/model"
)

// Event types of the ingestion API. Observation events of a type this package does not
// know are answered with a per-item error.
const (
	TypeTraceCreate       = "trace-create"
	TypeSpanCreate        = "span-create"
	TypeSpanUpdate        = "span-update"
	TypeGenerationCreate  = "generation-create"
	TypeGenerationUpdate  = "generation-update"
	TypeEventCreate       = "event-create"
	TypeScoreCreate       = "score-create"
	TypeSDKLog            = "sdk-log"
	TypeObservationCreate = "observation-create" // the oldest SDKs: the body names the type
	TypeObservationUpdate = "observation-update"
)

// Limits bound one request.
type Limits struct {
	MaxEvents    int // events per request
	MaxTextBytes int // input, output, status message
	MaxAttrBytes int // an observation's attributes, a trace's metadata
}

func (l Limits) withDefaults() Limits {
	if l.MaxEvents <= 0 {
		l.MaxEvents = 1000
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = 1 << 20
	}
	if l.MaxAttrBytes <= 0 {
		l.MaxAttrBytes = 64 << 10
	}
	return l
}

// Field limits shared with the REST API (docs/ingestion.md).
const (
	maxIDLen    = 256
	maxNameLen  = 1024
	maxModelLen = 256
	maxTags     = 64
	maxTagLen   = 128
	maxTokens   = 1_000_000_000_000
	maxCostUSD  = 1_000_000
)

// Event is one item of an ingestion request.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Timestamp string          `json:"timestamp"`
	Body      json.RawMessage `json:"body"`
}

// ItemError is a per-item failure of the 207 answer.
type ItemError struct {
	ID      string `json:"id"`
	Status  int    `json:"status"`
	Message string `json:"message"`
	Error   string `json:"error,omitempty"`
}

// ItemSuccess is a per-item success of the 207 answer.
type ItemSuccess struct {
	ID     string `json:"id"`
	Status int    `json:"status"`
}

// DecodeRequest reads the envelope {"batch": [...], "metadata": {...}}. It fails only when
// the envelope itself is unusable; the items are checked one by one by Builder.Add.
func DecodeRequest(body []byte, lim Limits) ([]Event, error) {
	lim = lim.withDefaults()
	// Well-formed requests decode in one pass; otherwise the items are read one by one,
	// so that a bad item gets its own error.
	var fast struct {
		Batch *[]Event `json:"batch"`
	}
	if json.Unmarshal(body, &fast) == nil && fast.Batch != nil && len(*fast.Batch) <= lim.MaxEvents {
		out := *fast.Batch
		for i := range out {
			if bytes.Equal(bytes.TrimSpace(out[i].Body), []byte("null")) {
				out[i].Body = nil
			}
		}
		return out, nil
	}
	var env struct {
		Batch *[]json.RawMessage `json:"batch"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("cannot decode ingestion request: %w", err)
	}
	if env.Batch == nil {
		return nil, errors.New("cannot decode ingestion request: batch is missing")
	}
	if len(*env.Batch) > lim.MaxEvents {
		return nil, fmt.Errorf("batch holds %d events, at most %d are accepted per request", len(*env.Batch), lim.MaxEvents)
	}
	out := make([]Event, len(*env.Batch))
	for i, raw := range *env.Batch {
		// An item that is not an event object is kept with an empty type, so that it
		// gets its own per-item error rather than failing the request.
		_ = json.Unmarshal(raw, &out[i])
		if len(out[i].Body) == 0 || bytes.Equal(bytes.TrimSpace(out[i].Body), []byte("null")) {
			out[i].Body = nil
		}
	}
	return out, nil
}

// flexTime reads the ISO 8601 timestamps the SDKs send (with a zone, or UTC without one).
type flexTime struct{ time.Time }

func (t *flexTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("must be an ISO 8601 string")
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"} {
		if v, err := time.Parse(layout, s); err == nil {
			if v.Year() < 1970 || v.Year() > 9999 {
				return errors.New("is out of range")
			}
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("%q is not an ISO 8601 time", s)
}

// number reads a count or amount sent as a number or a numeric string.
type number struct {
	v   float64
	set bool
}

func (n *number) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return errors.New("must be a number")
		}
		if _, err := fmt.Sscan(strings.TrimSpace(s), &f); err != nil {
			return errors.New("must be a number")
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return errors.New("must be finite")
	}
	n.v, n.set = f, true
	return nil
}

func (n number) count() *int64 {
	if !n.set || n.v < 0 || n.v > maxTokens {
		return nil
	}
	return model.Int64(int64(n.v))
}

func (n number) cost() *float64 {
	if !n.set || n.v < 0 || n.v > maxCostUSD {
		return nil
	}
	return model.Float64(n.v)
}

// traceBody is the body of trace-create, which the SDKs also send to update a trace:
// absent fields leave what is stored.
type traceBody struct {
	ID          string          `json:"id"`
	Timestamp   *flexTime       `json:"timestamp"`
	Name        *string         `json:"name"`
	UserID      *string         `json:"userId"`
	SessionID   *string         `json:"sessionId"`
	Input       json.RawMessage `json:"input"`
	Output      json.RawMessage `json:"output"`
	Metadata    json.RawMessage `json:"metadata"`
	Tags        []string        `json:"tags"`
	Release     *string         `json:"release"`
	Version     *string         `json:"version"`
	Environment *string         `json:"environment"`
	Public      *bool           `json:"public"`
}

// usage is the older usage object ({input, output, total, unit, inputCost, ...}, also with
// OpenAI's promptTokens names).
type usage struct {
	Input            number `json:"input"`
	Output           number `json:"output"`
	Total            number `json:"total"`
	PromptTokens     number `json:"promptTokens"`
	CompletionTokens number `json:"completionTokens"`
	TotalTokens      number `json:"totalTokens"`
	InputCost        number `json:"inputCost"`
	OutputCost       number `json:"outputCost"`
	TotalCost        number `json:"totalCost"`
}

// observationBody is the body of the span, generation and event events.
type observationBody struct {
	ID                  string            `json:"id"`
	TraceID             string            `json:"traceId"`
	Type                string            `json:"type"`
	Name                *string           `json:"name"`
	ParentObservationID *string           `json:"parentObservationId"`
	StartTime           *flexTime         `json:"startTime"`
	EndTime             *flexTime         `json:"endTime"`
	CompletionStartTime *flexTime         `json:"completionStartTime"`
	Model               *string           `json:"model"`
	ModelParameters     json.RawMessage   `json:"modelParameters"`
	Input               json.RawMessage   `json:"input"`
	Output              json.RawMessage   `json:"output"`
	Metadata            json.RawMessage   `json:"metadata"`
	Level               *string           `json:"level"`
	StatusMessage       *string           `json:"statusMessage"`
	Version             *string           `json:"version"`
	Environment         *string           `json:"environment"`
	Usage               *usage            `json:"usage"`
	UsageDetails        map[string]number `json:"usageDetails"`
	CostDetails         map[string]number `json:"costDetails"`
	PromptName          *string           `json:"promptName"`
	PromptVersion       *number           `json:"promptVersion"`
}

// scoreBody is the body of score-create and of POST /api/public/scores.
type scoreBody struct {
	ID            string          `json:"id"`
	TraceID       string          `json:"traceId"`
	ObservationID string          `json:"observationId"`
	Name          string          `json:"name"`
	Value         json.RawMessage `json:"value"`
	DataType      string          `json:"dataType"`
	Comment       string          `json:"comment"`
	Timestamp     *flexTime       `json:"timestamp"`
}

// decodeScore converts a score body; errors start with the offending field.
func decodeScore(raw json.RawMessage, now time.Time, newID func() string) (model.Score, error) {
	var b scoreBody
	if err := decodeBody(raw, &b); err != nil {
		return model.Score{}, err
	}
	s, err := b.toModel(now, newID)
	if err != nil {
		return s, errors.New("body." + err.Error())
	}
	return s, nil
}

func (b *scoreBody) toModel(now time.Time, newID func() string) (model.Score, error) {
	switch {
	case b.TraceID == "":
		return model.Score{}, errors.New("traceId: is required (session and dataset run scores are not stored)")
	case !validID(b.TraceID):
		return model.Score{}, fmt.Errorf("traceId: must be 1 to %d printable characters", maxIDLen)
	case strings.TrimSpace(b.Name) == "":
		return model.Score{}, errors.New("name: is required")
	case len(b.Name) > maxNameLen || !utf8.ValidString(b.Name):
		return model.Score{}, fmt.Errorf("name: must be valid UTF-8 of at most %d bytes", maxNameLen)
	case b.ObservationID != "" && !validID(b.ObservationID):
		return model.Score{}, fmt.Errorf("observationId: must be 1 to %d printable characters", maxIDLen)
	case b.ID != "" && !validID(b.ID):
		return model.Score{}, fmt.Errorf("id: must be 1 to %d printable characters", maxIDLen)
	}
	var value float64
	var isBool bool
	if err := json.Unmarshal(b.Value, &value); err != nil || math.IsNaN(value) || math.IsInf(value, 0) {
		if json.Unmarshal(b.Value, &isBool) == nil && len(b.Value) > 0 {
			value = 0
			if isBool {
				value = 1
			}
		} else {
			return model.Score{}, errors.New("value: must be a number or a boolean (categorical and text scores are not stored)")
		}
	}
	if strings.EqualFold(b.DataType, "BOOLEAN") && value != 0 && value != 1 {
		return model.Score{}, errors.New("value: a BOOLEAN score must be 0 or 1")
	}
	if len(b.Comment) > 64<<10 || !utf8.ValidString(b.Comment) {
		return model.Score{}, errors.New("comment: must be valid UTF-8 of at most 65536 bytes")
	}
	s := model.Score{TraceID: b.TraceID, ScoreID: b.ID, SpanID: b.ObservationID, Name: b.Name,
		Value: value, Comment: b.Comment, Source: model.ScoreSourceAPI, CreatedAt: now}
	if s.ScoreID == "" {
		s.ScoreID = newID()
	}
	if b.Timestamp != nil && !b.Timestamp.IsZero() {
		s.CreatedAt = b.Timestamp.Time
	}
	return s, nil
}

// decodeBody decodes an event's body into v; errors name the field, from "body".
func decodeBody(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return errors.New("body: is required")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("body.%s: must be %s", te.Field, jsonTypeName(te.Type.Kind().String()))
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return errors.New("body: is not valid JSON")
		}
		return fmt.Errorf("body: %v", err)
	}
	return nil
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	case "bool":
		return "a boolean"
	}
	return "a number"
}

func validID(s string) bool {
	if s == "" || len(s) > maxIDLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return false
		}
	}
	return true
}
