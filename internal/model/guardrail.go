package model

import (
	"encoding/json"
	"time"
)

// GuardrailRule is a workspace's own guardrail check: a regular expression, a keyword
// list, a length limit, a JSON Schema for outputs, or a denied topic given by keywords.
type GuardrailRule struct {
	WorkspaceID string          `json:"-"`
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Kind        string          `json:"kind"`                  // regex | keywords | length | json_schema | denied_topic
	Pattern     string          `json:"pattern,omitempty"`     // regex
	Keywords    []string        `json:"keywords,omitempty"`    // keywords, denied_topic
	MinMatches  int             `json:"min_matches,omitempty"` // denied_topic: distinct keywords needed
	MaxLength   int             `json:"max_length,omitempty"`  // length, in code points
	Schema      json.RawMessage `json:"schema,omitempty"`      // json_schema
	Directions  []string        `json:"directions"`            // input, output; empty: both
	Agents      []string        `json:"agents"`                // empty: every agent
	Action      string          `json:"action"`                // log | flag | redact | block
	Severity    string          `json:"severity"`              // low | medium | high | critical
	Enabled     bool            `json:"enabled"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// GuardrailSettings are a workspace's actions per detector category (pii, secret,
// injection, toxicity): log, flag, redact or block. A category without an entry is off.
type GuardrailSettings struct {
	WorkspaceID string            `json:"-"`
	Actions     map[string]string `json:"actions"`
	UpdatedAt   time.Time         `json:"updated_at"`
}
