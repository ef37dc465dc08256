// Package query answers the dashboards and the trace explorer: it parses and validates
// requests, turns them into store aggregates, shapes the answers and caches them.
package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Store is what the query service reads.
type Store interface {
	store.Analytics
	ListEvents(ctx context.Context, workspaceID string, limit int) ([]model.Event, error)
}

// DefaultTTL is how long an answer may be served from the cache.
const DefaultTTL = 5 * time.Minute

// Config builds a Service.
type Config struct {
	Store    Store
	Cache    Cache    // nil: answers are not cached
	Versions Versions // required with Cache
	TTL      time.Duration
	Log      *slog.Logger
	Now      func() time.Time
}

// Service answers query requests for one workspace at a time.
type Service struct {
	st       Store
	cache    Cache
	versions Versions
	ttl      time.Duration
	log      *slog.Logger
	now      func() time.Time
	// computing shares one computation among identical requests that miss the cache
	// together, as a dashboard's viewers do right after new data arrives.
	computing singleflight.Group
}

// New builds a service.
func New(cfg Config) *Service {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Versions == nil {
		cfg.Versions = NewMemoryVersions()
	}
	return &Service{st: cfg.Store, cache: cfg.Cache, versions: cfg.Versions, ttl: cfg.TTL, log: cfg.Log, now: cfg.Now}
}

// Versions returns the data versions the service keys its cache on; ingestion bumps them.
func (s *Service) Versions() Versions { return s.versions }

// Result is an encoded answer and whether it came from the cache.
type Result struct {
	Body   json.RawMessage
	Cached bool
}

// cached answers from the cache when it holds the answer to req at the workspace's current
// data version, and otherwise computes, encodes and stores it. The version is read before
// computing: data committed meanwhile bumps it, so a stale answer is never found again.
func (s *Service) cached(ctx context.Context, ws, name string, req any, compute func() (any, error)) (Result, error) {
	var key string
	if s.cache != nil {
		v, err := s.versions.Version(ctx, ws)
		if err != nil {
			return Result{}, err
		}
		reqKey, err := json.Marshal(req)
		if err != nil {
			return Result{}, err
		}
		key = fmt.Sprintf("q1|%s|%d|%s|%s", ws, v, name, reqKey)
		if b, ok := s.cache.Get(ctx, key); ok && !bypass(ctx) {
			return Result{Body: b, Cached: true}, nil
		}
	}
	if s.cache == nil || bypass(ctx) {
		return s.compute(ctx, key, compute)
	}
	r, err, shared := s.computing.Do(key, func() (any, error) { return s.compute(ctx, key, compute) })
	if err != nil && shared && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The request that computed went away; this one has not.
		return s.compute(ctx, key, compute)
	}
	if err != nil {
		return Result{}, err
	}
	return r.(Result), nil
}

// compute answers afresh and caches the answer under key.
func (s *Service) compute(ctx context.Context, key string, compute func() (any, error)) (Result, error) {
	v, err := compute()
	if err != nil {
		return Result{}, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return Result{}, fmt.Errorf("cannot encode answer: %w", err)
	}
	if s.cache != nil {
		s.cache.Set(ctx, key, b, s.ttl)
	}
	return Result{Body: b}, nil
}

type ctxNoCache struct{}

// WithoutCache marks ctx so that answers are computed afresh (and then cached), as a client
// asks with Cache-Control: no-cache.
func WithoutCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, ctxNoCache{}, true)
}

func bypass(ctx context.Context) bool {
	v, _ := ctx.Value(ctxNoCache{}).(bool)
	return v
}

// RangeJSON is the resolved window of an answer.
type RangeJSON struct {
	From         time.Time  `json:"from"`
	To           time.Time  `json:"to"`
	PreviousFrom *time.Time `json:"previous_from,omitempty"`
	PreviousTo   *time.Time `json:"previous_to,omitempty"`
}

func rangeOf(w Window, withPrevious bool) RangeJSON {
	r := RangeJSON{From: w.From, To: w.To}
	if withPrevious {
		p := w.Previous()
		r.PreviousFrom, r.PreviousTo = &p.From, &p.To
	}
	return r
}

// KPI is a figure with its value over the previous period of the same length.
type KPI struct {
	Value     *float64 `json:"value"`
	Previous  *float64 `json:"previous"`
	ChangePct *float64 `json:"change_pct"`
}

func kpi(cur, prev *float64) KPI {
	k := KPI{Value: cur, Previous: prev}
	if cur != nil && prev != nil && *prev != 0 {
		k.ChangePct = fp(round2((*cur - *prev) / math.Abs(*prev) * 100))
	}
	return k
}

func fp(v float64) *float64 { return &v }

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// pct is part/whole in percent, rounded to 2 decimals; nil when whole is 0.
func pct(part, whole float64) *float64 {
	if whole == 0 {
		return nil
	}
	return fp(round2(part / whole * 100))
}

func pct0(part, whole float64) float64 {
	if p := pct(part, whole); p != nil {
		return *p
	}
	return 0
}

func avg(sum float64, n int64) *float64 {
	if n == 0 {
		return nil
	}
	return fp(sum / float64(n))
}

// one returns the single row of an ungrouped aggregate.
func one(res store.StatsResult) store.StatsRow {
	if len(res.Rows) == 0 {
		return store.StatsRow{}
	}
	return res.Rows[0]
}

func percentile(r store.StatsRow, i int) *float64 {
	if r.Count == 0 || i >= len(r.Percentiles) {
		return nil
	}
	return fp(r.Percentiles[i])
}

func filterOf(ws string, w Window, agents []string) store.TraceFilter {
	return store.TraceFilter{WorkspaceID: ws, From: w.From, To: w.To, AgentIDs: agents}
}

// stats runs several aggregates at once; they are independent, so a failure of one fails
// all. A row store answers each on one core: side by side they take the time of the slowest.
func (s *Service) stats(ctx context.Context, qs ...store.StatsQuery) ([]store.StatsResult, error) {
	out := make([]store.StatsResult, len(qs))
	g, gctx := errgroup.WithContext(ctx)
	for i, q := range qs {
		g.Go(func() error {
			r, err := s.st.TraceStats(gctx, q)
			out[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func isNotFound(err error) bool { return model.ErrorCode(err) == model.ENOTFOUND }

// request holds what every analytics request shares, and serves as its cache key.
type request struct {
	From, To time.Time
	TZ       string
	Gran     Granularity `json:",omitempty"`
	Agents   []string    `json:",omitempty"`
	Limit    int         `json:",omitempty"`
	Extra    string      `json:",omitempty"`
}

// parseCommon reads the window (defaulting to def), tz, agent_id and, when gran names the
// parameter, the granularity.
func (s *Service) parseCommon(p *params, def, gran string) (request, Window) {
	w := p.window(s.now(), def, true)
	req := request{From: w.From, To: w.To, TZ: w.Loc.String(), Agents: p.list("agent_id", 256)}
	if gran != "" && !w.From.IsZero() {
		req.Gran = p.granularity(gran, w)
	}
	return req, w
}

type urlValues = url.Values
