package httpapi

import (
	"strconv"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/queue"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	ingestedTraces prometheus.Counter
	ingestedSpans  prometheus.Counter
	ingestedTokens *prometheus.CounterVec
	ingestedCost   prometheus.Counter
	rejected       *prometheus.CounterVec
	batchSize      prometheus.Histogram
	commitLatency  prometheus.Histogram
	commitFailures prometheus.Counter
	queueDepth     prometheus.Gauge
	deadLetters    prometheus.Counter
	redactedTraces prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentobs_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "agentobs_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		ingestedTraces: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentobs_ingested_traces_total", Help: "Traces acknowledged (durable in the ingestion log or queue).",
		}),
		ingestedSpans: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentobs_ingested_spans_total", Help: "Spans acknowledged (durable in the ingestion log or queue).",
		}),
		ingestedTokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentobs_ingested_tokens_total", Help: "LLM tokens of acknowledged traces, by direction (input, output).",
		}, []string{"direction"}),
		ingestedCost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentobs_ingested_cost_usd_total", Help: "Cost in US dollars of acknowledged traces, as priced at ingestion.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentobs_rejected_items_total", Help: "Traces or requests refused, by reason.",
		}, []string{"reason"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "agentobs_commit_batch_traces", Help: "Traces per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14),
		}),
		commitLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "agentobs_commit_duration_seconds", Help: "Duration of one group commit.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		commitFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentobs_commit_failures_total", Help: "Group commits that failed.",
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "agentobs_queue_depth", Help: "Traces accepted and waiting for their commit.",
		}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentobs_dead_letters_total", Help: "Traces sent to the dead-letter table.",
		}),
		redactedTraces: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentobs_guardrail_redacted_traces_total", Help: "Traces changed by guardrail redaction before they were queued.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.ingestedTraces, m.ingestedSpans, m.ingestedTokens, m.ingestedCost, m.rejected,
			m.batchSize, m.commitLatency, m.commitFailures, m.queueDepth, m.deadLetters, m.redactedTraces)
	}
	return m
}

func (m *metrics) observeRequest(route string, status int, took time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(took.Seconds())
}

// ObserveCommit records one group commit.
func (m *metrics) ObserveCommit(items int, took time.Duration, err error) {
	m.batchSize.Observe(float64(items))
	m.commitLatency.Observe(took.Seconds())
	if err != nil {
		m.commitFailures.Inc()
	}
}

// SetQueueDepth records the pending traces.
func (m *metrics) SetQueueDepth(n int) { m.queueDepth.Set(float64(n)) }

// DeadLettered counts one dead letter.
func (m *metrics) DeadLettered(string) { m.deadLetters.Inc() }

// acknowledged counts items that are durable in the queue: traces, spans, and the tokens
// and cost that the dashboards burn down. Workspaces are not a label: their number is
// unbounded, and per-workspace usage is what the analytics API answers.
func (m *metrics) acknowledged(items []queue.Item) {
	var spans int
	var in, out int64
	var cost float64
	for i := range items {
		t := &items[i].Trace
		spans += len(t.Spans)
		u := usageOf(t)
		in, out, cost = in+u.in, out+u.out, cost+u.cost
	}
	m.ingestedTraces.Add(float64(len(items)))
	m.ingestedSpans.Add(float64(spans))
	m.ingestedTokens.WithLabelValues("input").Add(float64(in))
	m.ingestedTokens.WithLabelValues("output").Add(float64(out))
	if cost > 0 {
		m.ingestedCost.Add(cost)
	}
}

type usage struct {
	in, out int64
	cost    float64
}

// usageOf sums the spans' tokens and cost, falling back to what the client declared on
// the trace when no span carries any, as the store's roll-up does.
func usageOf(t *model.Trace) usage {
	var u usage
	var seen bool
	add := func(in, out *int64, cost *float64) {
		if in != nil {
			u.in += *in
			seen = true
		}
		if out != nil {
			u.out += *out
			seen = true
		}
		if cost != nil {
			u.cost += *cost
			seen = true
		}
	}
	for i := range t.Spans {
		s := &t.Spans[i]
		add(s.TokensInput, s.TokensOutput, s.CostUSD)
	}
	if !seen {
		add(t.Declared.TokensInput, t.Declared.TokensOutput, t.Declared.CostUSD)
	}
	return u
}
