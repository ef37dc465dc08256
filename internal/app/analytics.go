package app

import (
	"log/slog"

	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/query"
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

// watchCommits makes the processor bump the query service's data versions.
func watchCommits(proc *pipeline.Processor, analytics *query.Service, log *slog.Logger) {
	if analytics != nil {
		proc.OnCommit(query.CommitHook(analytics.Versions(), log))
	}
}
