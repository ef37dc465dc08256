package model

import (
	"encoding/json"
	"time"
)

// AuditEntry records who changed what in a workspace: keys, members, rules, settings.
type AuditEntry struct {
	ID          string          `json:"id"`
	WorkspaceID string          `json:"workspace_id"`
	At          time.Time       `json:"at"`
	ActorID     string          `json:"actor_id"` // user id; empty for the system
	ActorEmail  string          `json:"actor_email"`
	Action      string          `json:"action"` // e.g. api_key.create, member.role
	Target      string          `json:"target"` // what it acted on: a key id, an email, ...
	Detail      json.RawMessage `json:"detail,omitempty"`
	IP          string          `json:"ip"`
}

// WorkspaceProfile is what General settings change besides the name.
type WorkspaceProfile struct {
	Description string `json:"description"`
	TimeZone    string `json:"time_zone"` // IANA name; "" means UTC
}
