// Package store declares what agentobs needs from a database. Backends (duckdb/, and later
// postgres/) implement these interfaces and must pass the conformance suite in storetest/.
package store

import (
	"context"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// TraceWriter stores traces with their spans and scores.
type TraceWriter interface {
	// WriteTraces upserts a batch. It is idempotent on (workspace, trace_id) for traces,
	// (workspace, trace_id, span_id) for spans and (workspace, trace_id, score_id) for scores:
	// writing the same data twice changes nothing, and a later version replaces an earlier one.
	// Within one batch a later entry wins over an earlier one with the same identity.
	// Roll-ups (span counts, token and cost totals, status) are recomputed over all stored spans
	// of each touched trace, including spans written by earlier calls. Agents seen in the batch
	// are recorded in the agents registry.
	//
	// When WriteTraces returns nil the batch is durable: it survives a crash of the process.
	// On error nothing of the batch is visible. The store does not keep the slice.
	WriteTraces(ctx context.Context, traces []model.Trace) error

	// WriteTracesAt is WriteTraces that also stores pos, how far a write-ahead log is
	// committed, in the same transaction: after a crash the stored position covers exactly
	// the traces stored. With no traces it stores the position alone.
	WriteTracesAt(ctx context.Context, traces []model.Trace, pos model.LogPosition) error
	// LogPosition returns the stored position of the log named logID, 0 when none.
	LogPosition(ctx context.Context, logID string) (uint64, error)
}

// SQLSetLogPosition stores a log position ($1 log id, $2 sequence number); both SQL
// backends speak it.
const SQLSetLogPosition = `INSERT INTO log_positions (log_id, seq) VALUES ($1, $2)
ON CONFLICT (log_id) DO UPDATE SET seq = excluded.seq`

// SQLGetLogPosition reads a log position ($1 log id).
const SQLGetLogPosition = `SELECT seq FROM log_positions WHERE log_id = $1`

// TraceReader reads traces back.
type TraceReader interface {
	// GetTrace returns the trace with all its spans (a flat list ordered by start time and
	// span id, Children unset) and its scores. A trace stored without spans is returned with
	// one llm span whose id is model.RootSpanID. Unknown traces return a model.ENOTFOUND error.
	// The caller owns the result.
	GetTrace(ctx context.Context, workspaceID, traceID string) (*model.Trace, error)
	// CountTraces returns the number of traces stored in the workspace.
	CountTraces(ctx context.Context, workspaceID string) (int64, error)
}

// TraceIndex says which traces are stored, for writers that merge what they receive onto
// stored traces (Langfuse's batch ingestion) and read only those that exist.
type TraceIndex interface {
	// StoredTraceIDs returns those of ids that are stored in the workspace, in any order.
	StoredTraceIDs(ctx context.Context, workspaceID string, ids []string) ([]string, error)
}

// Workspaces manages tenants and the keys that authenticate them.
type Workspaces interface {
	// CreateWorkspace inserts a workspace; an existing id returns model.ECONFLICT.
	CreateWorkspace(ctx context.Context, ws model.Workspace) error
	GetWorkspace(ctx context.Context, id string) (*model.Workspace, error)
	ListWorkspaces(ctx context.Context) ([]model.Workspace, error)
	// CreateAPIKey stores a key; only its hash is kept.
	CreateAPIKey(ctx context.Context, key model.APIKey) error
	// APIKeyByHash finds a key that is not revoked; model.ENOTFOUND otherwise.
	APIKeyByHash(ctx context.Context, hash string) (*model.APIKey, error)
	ListAPIKeys(ctx context.Context, workspaceID string) ([]model.APIKey, error)
}

// Agents reads the agents registry the pipeline maintains.
type Agents interface {
	ListAgents(ctx context.Context, workspaceID string) ([]model.Agent, error)
}

// DeadLetters keeps payloads that could not be processed, for inspection and replay.
type DeadLetters interface {
	// AddDeadLetter stores the letter durably.
	AddDeadLetter(ctx context.Context, dl model.DeadLetter) error
	// ListDeadLetters returns the newest letters first; pending only when pendingOnly is set.
	ListDeadLetters(ctx context.Context, workspaceID string, pendingOnly bool, limit int) ([]model.DeadLetter, error)
	GetDeadLetter(ctx context.Context, workspaceID, id string) (*model.DeadLetter, error)
	// MarkDeadLetterReplayed records a replay attempt; at is nil when it failed again.
	MarkDeadLetterReplayed(ctx context.Context, workspaceID, id string, at *time.Time, reason string) error
}

// Activity stores the activity stream and guardrail violations.
type Activity interface {
	WriteEvents(ctx context.Context, events []model.Event) error
	WriteViolations(ctx context.Context, violations []model.Violation) error
	ListEvents(ctx context.Context, workspaceID string, limit int) ([]model.Event, error)
	ListViolations(ctx context.Context, workspaceID string, limit int) ([]model.Violation, error)
}

// Store is everything a backend provides.
type Store interface {
	TraceWriter
	TraceReader
	TraceIndex
	Workspaces
	Accounts
	Agents
	DeadLetters
	Activity
	Audit
	Evaluations
	Ingestion
	ABTests
	Guardrails
	Alerting
	Retention
	Insights
	// Migrate applies pending schema migrations and returns how many ran.
	Migrate(ctx context.Context) (int, error)
	// SchemaVersion is the highest applied migration.
	SchemaVersion(ctx context.Context) (int, error)
	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error
	Close() error
}
