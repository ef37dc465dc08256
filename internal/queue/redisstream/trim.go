package redisstream

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Trim removes entries every consumer has acknowledged, so the stream's length is the
// backlog that back-pressure bounds. It reads the group's last delivered id before its
// pending entries: anything older than both was delivered and acknowledged, whatever
// consumers did in between, so several processes may trim at once.
func (q *Queue) Trim(ctx context.Context) (int64, error) {
	groups, err := q.rdb.XInfoGroups(ctx, q.opts.Stream).Result()
	if err != nil {
		return 0, err
	}
	last := ""
	for _, g := range groups {
		if g.Name == q.opts.Group {
			last = g.LastDeliveredID
		}
	}
	if last == "" || last == "0-0" {
		return 0, nil
	}
	pend, err := q.rdb.XPending(ctx, q.opts.Stream, q.opts.Group).Result()
	if err != nil {
		return 0, err
	}
	minID := nextID(last)
	if pend.Count > 0 {
		minID = pend.Lower
	}
	return q.rdb.XTrimMinID(ctx, q.opts.Stream, minID).Result()
}

// nextID is the smallest stream id after id ("ms-seq").
func nextID(id string) string {
	ms, seq, ok := strings.Cut(id, "-")
	n, err := strconv.ParseUint(seq, 10, 64)
	if !ok || err != nil {
		return id
	}
	return fmt.Sprintf("%s-%d", ms, n+1)
}

// forgetIdleConsumers removes consumers without pending entries that have not read for a
// day: every restart of a process role adds a consumer name to the group.
func (q *Queue) forgetIdleConsumers(ctx context.Context) error {
	consumers, err := q.rdb.XInfoConsumers(ctx, q.opts.Stream, q.opts.Group).Result()
	if err != nil {
		return err
	}
	for _, c := range consumers {
		if c.Pending == 0 && c.Idle > 24*time.Hour && c.Name != q.opts.Consumer {
			if err := q.rdb.XGroupDelConsumer(ctx, q.opts.Stream, q.opts.Group, c.Name).Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// RunMaintenance trims the stream every interval until ctx ends; process roles run it.
func (q *Queue) RunMaintenance(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	rounds := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := q.Trim(ctx); err != nil && ctx.Err() == nil && !strings.Contains(err.Error(), "no such key") {
			log.Debug("cannot trim the queue", "err", err)
		}
		if rounds++; rounds%3600 == 0 {
			if err := q.forgetIdleConsumers(ctx); err != nil && ctx.Err() == nil {
				log.Debug("cannot forget idle consumers", "err", err)
			}
		}
	}
}

// Collector exposes the queue's state to Prometheus, read from Redis at scrape time.
type Collector struct {
	q                          *Queue
	length, lag, pending, dead *prometheus.Desc
	up                         *prometheus.Desc
}

// NewCollector describes the queue metrics.
func (q *Queue) NewCollector() *Collector {
	return &Collector{
		q:       q,
		length:  prometheus.NewDesc("agentobs_queue_stream_length", "Entries in the Redis ingestion stream (the backlog bounded by back-pressure).", nil, nil),
		lag:     prometheus.NewDesc("agentobs_queue_consumer_lag", "Stream entries not yet delivered to the process roles' consumer group.", nil, nil),
		pending: prometheus.NewDesc("agentobs_queue_pending", "Stream entries delivered to a process role and not yet acknowledged.", nil, nil),
		dead:    prometheus.NewDesc("agentobs_queue_dead_stream_length", "Entries in the dead-letter stream.", nil, nil),
		up:      prometheus.NewDesc("agentobs_queue_up", "1 when Redis answered the last scrape.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.length, c.lag, c.pending, c.dead, c.up} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := c.q.Stats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(c.length, prometheus.GaugeValue, float64(st.Length))
	ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(st.Lag))
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(st.Dead))
}
