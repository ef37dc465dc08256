package wal

import "github.com/prometheus/client_golang/prometheus"

// Collector exports the log's size, commit lag and counters to Prometheus.
type Collector struct {
	l                                                   *Log
	bytes, lagRecords, lagTraces, lagSeconds, replaying *prometheus.Desc
	fsyncs, written, records, writeErrors, commits      *prometheus.Desc
	commitErrors, dead, torn, paced                     *prometheus.Desc
}

// NewCollector builds the log's collector.
func (l *Log) NewCollector() *Collector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("agentobs_wal_"+name, help, nil, nil)
	}
	return &Collector{l: l,
		bytes:        d("bytes", "Bytes of the ingestion log on disk (bounded by --wal-max-bytes)."),
		lagRecords:   d("commit_lag_records", "Records acknowledged but not yet committed to the store."),
		lagTraces:    d("commit_lag_traces", "Traces acknowledged but not yet committed to the store (replay backlog not included)."),
		lagSeconds:   d("commit_lag_seconds", "Age of the oldest acknowledged record not yet committed to the store."),
		replaying:    d("replaying", "1 while records written before the last start are being committed."),
		fsyncs:       d("fsyncs_total", "fdatasync calls on log segments (one per group of requests)."),
		written:      d("written_bytes_total", "Bytes written to the log."),
		records:      d("records_total", "Records written to the log (one per ingestion request)."),
		writeErrors:  d("write_errors_total", "Groups of requests refused because a write or sync failed."),
		commits:      d("commits_total", "Store commits of log batches."),
		commitErrors: d("commit_errors_total", "Store commits that failed and were retried."),
		dead:         d("dead_letters_total", "Damaged log records moved to the dead letters."),
		torn:         d("torn_tails_total", "Torn tails cut off the log at start."),
		paced:        d("paced_waits_total", "Ingestion requests that waited because the store was more than --max-commit-lag behind."),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.bytes, c.lagRecords, c.lagTraces, c.lagSeconds, c.replaying, c.fsyncs,
		c.written, c.records, c.writeErrors, c.commits, c.commitErrors, c.dead, c.torn, c.paced} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	lag := c.l.Lag()
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	n := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	replaying := 0.0
	if lag.Replaying {
		replaying = 1
	}
	g(c.bytes, float64(lag.LogBytes))
	g(c.lagRecords, float64(lag.Records))
	g(c.lagTraces, float64(lag.Traces))
	g(c.lagSeconds, lag.Seconds)
	g(c.replaying, replaying)
	s := lag.Statistics
	n(c.fsyncs, s.Fsyncs)
	n(c.written, s.BytesWritten)
	n(c.records, s.Records)
	n(c.writeErrors, s.WriteErrors)
	n(c.commits, s.Commits)
	n(c.commitErrors, s.CommitErrors)
	n(c.dead, s.DeadLettered)
	n(c.torn, s.TornTails)
	n(c.paced, s.PacedWaits)
}
