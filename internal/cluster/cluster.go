// Package cluster is the state processes of a scaled-out deployment share through Redis:
// request rate limits, cached query answers with per-workspace data versions, and API-key
// revocations. Each type implements an interface its capability package defines
// (auth.Limiter, query.Cache, query.Versions), so one process uses the in-memory versions
// and many processes these, with no other change.
package cluster

import "github.com/redis/go-redis/v9"

// Prefix starts every key this package writes.
const Prefix = "agentobs:"

// Client is the part of go-redis the types here need.
type Client = redis.UniversalClient
