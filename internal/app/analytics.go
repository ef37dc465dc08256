package app

import (
	"log/slog"
	"time"

	"github.com/agentobs/agentobs/internal/alert"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/query"
	"github.com/agentobs/agentobs/internal/realtime"
	"github.com/agentobs/agentobs/internal/store"
)

// cacheBytes bounds the query cache's memory.
const cacheBytes = 64 << 20

// newAnalytics builds the query service, or nil when the store cannot answer analytics.
// Answers are cached only when this process also commits the data (role process with the
// in-memory queue): only then does every acknowledged write bump the versions the cache is
// keyed on before it is acknowledged, so a cached answer never omits acknowledged data.
func newAnalytics(st store.Store, cacheable bool, log *slog.Logger) *query.Service {
	qs, ok := st.(query.Store)
	if !ok {
		return nil
	}
	cfg := query.Config{Store: qs, Versions: query.NewMemoryVersions(), Log: log}
	if cacheable {
		cfg.Cache = query.NewMemoryCache(cacheBytes)
	}
	return query.New(cfg)
}

// watchCommits tells the query service's data versions and the live updates of every
// committed write. Whatever consumes the queue calls the processor's hook, so replacing
// the consumer keeps both fed. With every > 0 they are told at most that often (see
// pipeline.CommitCoalescer); the returned flush tells them what is pending at once.
func watchCommits(proc *pipeline.Processor, analytics *query.Service, live *realtime.Feed, every time.Duration, log *slog.Logger) (flush func()) {
	var bump func([]model.Trace)
	if analytics != nil {
		bump = query.CommitHook(analytics.Versions(), log)
	}
	tell := func(traces []model.Trace) {
		// Versions first: a live update makes the dashboard read again, and it must not
		// read the answer cached before these traces.
		if bump != nil {
			bump(traces)
		}
		if live != nil {
			live.Committed(traces)
		}
	}
	if every <= 0 {
		proc.OnCommit(tell)
		return func() {}
	}
	c := pipeline.NewCommitCoalescer(every, tell)
	proc.OnCommit(c.Committed)
	return c.Flush
}

// newLiveHub is the hub of live updates: in memory for one process, Redis pub/sub when
// processes share Redis, so a commit in any process reaches every api process's clients.
func newLiveHub(shared *sharedState, log *slog.Logger) realtime.Hub {
	if shared != nil {
		return realtime.NewRedis(shared.rdb, log)
	}
	return realtime.NewLocal()
}

// publishAlertStates turns the evaluator's state changes into alert_state hints.
func publishAlertStates(feed *realtime.Feed) func([]alert.StateChange) {
	return func(changes []alert.StateChange) {
		byWS := map[string][]realtime.AlertStateChange{}
		for _, c := range changes {
			in := c.Instance
			byWS[in.WorkspaceID] = append(byWS[in.WorkspaceID], realtime.AlertStateChange{RuleID: in.RuleID, GroupKey: in.GroupKey,
				State: in.State, Previous: c.Previous, Since: in.Since, AlertID: in.AlertID, Severity: in.Severity})
		}
		feed.AlertStatesChanged(byWS)
	}
}
