package postgres

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Traces and spans are partitioned by UTC day. A partition is made as a plain table and then
// attached, which takes a lock on the parent that does not block concurrent reads and writes
// (creating it with PARTITION OF would). The process role creates partitions ahead of time;
// a writer creates a missing one on demand (old or future timestamps).

var partitioned = []struct{ table, key string }{{"traces", "start_time"}, {"spans", "trace_start"}}

// partitionLock serialises partition changes across processes.
const partitionLock = 0x6167656e74706172 // "agentpar"

func dayOf(t time.Time) time.Time {
	u := t.UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
}

func daySuffix(day time.Time) string { return day.Format("20060102") }

// loadPartitions refreshes the set of day partitions known to exist.
func (s *Store) loadPartitions(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'traces'::regclass`)
	if err != nil {
		return fmt.Errorf("cannot list partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("cannot list partitions: %w", err)
	}
	s.partMu.Lock()
	defer s.partMu.Unlock()
	s.parts = map[string]bool{}
	for _, n := range names {
		if suffix, ok := strings.CutPrefix(n, "traces_p"); ok {
			s.parts[suffix] = true
		}
	}
	return nil
}

// ensurePartitions makes sure the day partitions of the given times exist.
func (s *Store) ensurePartitions(ctx context.Context, times []time.Time) error {
	var missing []time.Time
	s.partMu.Lock()
	seen := map[string]bool{}
	for _, t := range times {
		day := dayOf(t)
		suffix := daySuffix(day)
		if s.parts[suffix] || seen[suffix] {
			continue
		}
		seen[suffix] = true
		missing = append(missing, day)
	}
	s.partMu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].Before(missing[j]) })
	return s.createPartitions(ctx, missing)
}

func (s *Store) createPartitions(ctx context.Context, days []time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(partitionLock)); err != nil {
			return err
		}
		for _, day := range days {
			suffix := daySuffix(day)
			from, to := day.Format(time.RFC3339), day.AddDate(0, 0, 1).Format(time.RFC3339)
			for _, p := range partitioned {
				name := p.table + "_p" + suffix
				var exists bool
				if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
					return err
				}
				if exists {
					continue
				}
				ident := pgx.Identifier{name}.Sanitize()
				if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`, ident, p.table)); err != nil {
					return fmt.Errorf("cannot create partition %s: %w", name, err)
				}
				if _, err := tx.Exec(ctx, fmt.Sprintf(`ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM ('%s') TO ('%s')`, p.table, ident, from, to)); err != nil {
					return fmt.Errorf("cannot attach partition %s: %w", name, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.partMu.Lock()
	for _, day := range days {
		s.parts[daySuffix(day)] = true
	}
	s.partMu.Unlock()
	return nil
}

// MaintainPartitions creates the partitions of today and the next aheadDays days and, when
// retention is positive, drops the partitions wholly older than now - retention together
// with the keys and scores of their traces. It returns the days dropped. The process role
// runs it at start and then hourly; running it from several processes at once is safe.
func (s *Store) MaintainPartitions(ctx context.Context, aheadDays int, retention time.Duration) ([]string, error) {
	if err := s.loadPartitions(ctx); err != nil {
		return nil, err
	}
	today := dayOf(s.now())
	var days []time.Time
	for i := 0; i <= aheadDays; i++ {
		days = append(days, today.AddDate(0, 0, i))
	}
	if err := s.ensurePartitions(ctx, days); err != nil {
		return nil, err
	}
	if retention <= 0 {
		return nil, nil
	}
	cutoff := dayOf(s.now().Add(-retention))
	s.partMu.Lock()
	var old []string
	for suffix := range s.parts {
		if day, err := time.Parse("20060102", suffix); err == nil && day.AddDate(0, 0, 1).Compare(cutoff) <= 0 {
			old = append(old, suffix)
		}
	}
	s.partMu.Unlock()
	sort.Strings(old)
	var dropped []string
	for _, suffix := range old {
		if err := s.dropPartition(ctx, suffix); err != nil {
			return dropped, err
		}
		dropped = append(dropped, suffix)
	}
	return dropped, nil
}

// dropPartition removes one day: keys and scores of its traces, then the two partitions, in
// one transaction so a trace never loses its key while its row survives.
func (s *Store) dropPartition(ctx context.Context, suffix string) error {
	day, err := time.Parse("20060102", suffix)
	if err != nil {
		return err
	}
	next := day.AddDate(0, 0, 1)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(partitionLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '10s'`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM scores sc USING trace_keys k WHERE k.start_time >= $1 AND k.start_time < $2
			AND sc.workspace_id = k.workspace_id AND sc.trace_id = k.trace_id`, day, next); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM trace_keys WHERE start_time >= $1 AND start_time < $2`, day, next); err != nil {
			return err
		}
		// Every roll-up's slots nest in UTC days: the day's roll-up rows go with its traces.
		for _, table := range []string{"llm_usage_5m", "trace_stats_5m", "llm_usage_1h", "trace_stats_1h"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE slot_ms >= $1 AND slot_ms < $2`, day.UnixMilli(), next.UnixMilli()); err != nil {
				return err
			}
		}
		for _, table := range []string{"user_stats_1d", "latency_hist_1d"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE day_ms = $1`, day.UnixMilli()); err != nil {
				return err
			}
		}
		// Days go oldest first: a session last active before the day's end has no trace left.
		if _, err := tx.Exec(ctx, `DELETE FROM session_bounds WHERE last_start < $1`, next); err != nil {
			return err
		}
		for _, p := range partitioned {
			if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+pgx.Identifier{p.table + "_p" + suffix}.Sanitize()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot drop partition %s: %w", suffix, err)
	}
	s.partMu.Lock()
	delete(s.parts, suffix)
	s.partMu.Unlock()
	return nil
}

// Partitions lists the day partitions of traces, oldest first.
func (s *Store) Partitions(ctx context.Context) ([]string, error) {
	if err := s.loadPartitions(ctx); err != nil {
		return nil, err
	}
	s.partMu.Lock()
	defer s.partMu.Unlock()
	out := make([]string, 0, len(s.parts))
	for p := range s.parts {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

func (s *Store) forgetPartitions() {
	s.partMu.Lock()
	s.parts = map[string]bool{}
	s.partMu.Unlock()
}
