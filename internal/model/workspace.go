package model

import (
	"encoding/json"
	"time"
)

// Workspace is the tenant every row belongs to.
type Workspace struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// APIKey authenticates ingestion and API calls for one workspace.
// Only a hash of the secret is stored; the secret is shown once at creation.
type APIKey struct {
	ID          string     `json:"id"`
	WorkspaceID string     `json:"workspace_id"`
	Name        string     `json:"name"`
	Prefix      string     `json:"prefix"`
	Last4       string     `json:"last4"`
	Hash        string     `json:"-"`
	Scopes      []Scope    `json:"scopes"`
	CreatedBy   string     `json:"created_by,omitempty"` // user id; empty for the bootstrap key
	CreatedAt   time.Time  `json:"created_at"`
	LastUsedAt  *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
}

// Agent is the registry entry the pipeline keeps for every agent id it sees.
type Agent struct {
	WorkspaceID string    `json:"workspace_id"`
	AgentID     string    `json:"agent_id"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Models      []string  `json:"models"`
}

// DeadLetter is a payload that passed validation but could not be processed.
// It keeps the raw body so it can be replayed once the cause is fixed.
type DeadLetter struct {
	ID          string     `json:"id"`
	WorkspaceID string     `json:"workspace_id"`
	Source      string     `json:"source"`
	Reason      string     `json:"reason"`
	Payload     []byte     `json:"-"`
	CreatedAt   time.Time  `json:"created_at"`
	Attempts    int        `json:"attempts"`
	ReplayedAt  *time.Time `json:"replayed_at,omitempty"`
}

// Event is an entry of the activity stream: deployments, config changes, incidents.
type Event struct {
	WorkspaceID string          `json:"workspace_id"`
	ID          string          `json:"id"`
	Time        time.Time       `json:"time"`
	Type        string          `json:"type"`
	AgentID     string          `json:"agent_id"`
	Title       string          `json:"title"`
	Severity    string          `json:"severity"`
	Details     json.RawMessage `json:"details"`
}

// Violation is a guardrail finding on a trace. Detail never holds the text that was
// found: it is the surrounding text with the finding replaced by its placeholder.
type Violation struct {
	WorkspaceID string    `json:"workspace_id"`
	ID          string    `json:"id"`
	Time        time.Time `json:"time"`
	TraceID     string    `json:"trace_id"`
	SpanID      string    `json:"span_id"`
	AgentID     string    `json:"agent_id"`
	Type        string    `json:"type"`     // pii | secret | toxicity | injection | jailbreak | custom
	Subtype     string    `json:"subtype"`  // e.g. EMAIL, SSN, or the custom rule's kind
	Severity    string    `json:"severity"` // low | medium | high | critical
	Action      string    `json:"action"`   // logged | flagged | redacted | blocked
	Detail      string    `json:"detail"`
	Direction   string    `json:"direction"` // input | output, "" when unknown
	Score       float64   `json:"score"`
	Detector    string    `json:"detector"`
	RuleID      string    `json:"rule_id"`
}

// LogPosition is how far the process role has committed a write-ahead log to the store:
// every record up to Seq of the log named LogID. It is written in the same transaction as
// the traces it covers, so a restart replays exactly the records the store lacks.
type LogPosition struct {
	LogID string
	Seq   uint64
}
