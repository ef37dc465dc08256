package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// The text index (table text_grams, migration 0015) lists the trigrams of each hour's
// traces. A searched list first finds the hours that hold every trigram of its needle and
// reads only those: a rare term no longer scans the window, a common one costs one small
// lookup more. The substring test still decides which traces match, so answers equal a
// scan's. Traces stored before the index existed are indexed after start-up, newest hour
// first; until then the hours below textIndex.unindexedBefore are read in full.

// indexAll is the unindexed_before_ms of a store whose every trace is indexed.
const indexAll = math.MinInt64 + 1

// maxKnownHours bounds the hours whose trigrams the writer keeps in memory (at most about
// 300 KiB each).
const maxKnownHours = 64

// maxTextRanges bounds the stretches of hours a searched query lists: every trace of the
// window is tested against each, so beyond it the closest stretches are joined (reading a few
// more hours instead).
const maxTextRanges = 8

type textHour struct {
	ws   string
	hour int64 // epoch ms of the UTC hour's start
}

// textIndex is the writer's view of text_grams. Guarded by wmu, but unindexedBefore, which
// readers load too.
type textIndex struct {
	known           map[textHour]*store.GramSet // trigrams stored, for hours written to lately
	unindexedBefore atomic.Int64
}

func floorHour(ms int64) int64 {
	h := ms / hourMs * hourMs
	if h > ms {
		h -= hourMs
	}
	return h
}

// textAdditions is what a transaction added to the text index, to be remembered once it
// commits.
type textAdditions map[textHour][]int64

// indexText appends the trigrams of traces that their hours lack, inside the writer's open
// transaction. Every text is split: texts are mostly unique, and a cache of those seen
// cost more than splitting again the few that repeat.
func (s *Store) indexText(ctx context.Context, conn *duckdb.Conn, traces []model.Trace) (textAdditions, error) {
	hours := map[textHour]*store.GramSet{}
	for i := range traces {
		t := &traces[i]
		h := textHour{t.WorkspaceID, floorHour(t.StartTime.UnixMilli())}
		grams := hours[h]
		if grams == nil {
			grams = &store.GramSet{}
			hours[h] = grams
		}
		grams.AddText(t.Name)
		grams.AddText(t.Input)
		grams.AddText(t.Output)
	}
	added := textAdditions{}
	var rows [][]any
	for h, grams := range hours {
		known, err := s.knownGrams(ctx, conn, h)
		if err != nil {
			return nil, err
		}
		grams.EachNotIn(known, func(g int64) {
			rows = append(rows, []any{h.ws, h.hour, g})
			added[h] = append(added[h], g)
		})
	}
	if err := appendRows(ctx, conn, "text_grams", rows); err != nil {
		return nil, err
	}
	return added, nil
}

// rememberText records a committed transaction's additions in the writer's cache.
func (s *Store) rememberText(added textAdditions) {
	for h, grams := range added {
		if known := s.text.known[h]; known != nil {
			for _, g := range grams {
				known.Add(g)
			}
		}
	}
}

// knownGrams returns the trigrams text_grams holds for an hour, from the cache or read
// through the writer's connection.
func (s *Store) knownGrams(ctx context.Context, conn *duckdb.Conn, h textHour) (*store.GramSet, error) {
	if known, ok := s.text.known[h]; ok {
		return known, nil
	}
	if s.text.known == nil || len(s.text.known) >= maxKnownHours {
		s.text.known = map[textHour]*store.GramSet{}
	}
	rows, err := conn.QueryContext(ctx, `SELECT gram FROM text_grams WHERE workspace_id = $1 AND hour_ms = $2`,
		[]driver.NamedValue{{Ordinal: 1, Value: h.ws}, {Ordinal: 2, Value: h.hour}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the text index: %w", err)
	}
	defer rows.Close()
	known := &store.GramSet{}
	dest := make([]driver.Value, 1)
	for {
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("cannot read the text index: %w", err)
		}
		known.Add(dest[0].(int64))
	}
	s.text.known[h] = known
	return known, nil
}

// forgetTextHour drops an hour's trigrams in a purge's transaction (under wmu).
func (s *Store) forgetTextHour(ctx context.Context, tx *sql.Tx, ws string, hour int64) error {
	delete(s.text.known, textHour{ws, hour})
	if _, err := tx.ExecContext(ctx, `DELETE FROM text_grams WHERE workspace_id = $1 AND hour_ms = $2`, ws, hour); err != nil {
		return fmt.Errorf("cannot purge the text index: %w", err)
	}
	return nil
}

// loadTextIndexState reads where the indexed hours begin (after migrations).
func (s *Store) loadTextIndexState(ctx context.Context) error {
	var before int64
	if err := s.wconn.QueryRowContext(ctx, `SELECT unindexed_before_ms FROM text_index_state`).Scan(&before); err != nil {
		return fmt.Errorf("cannot read the text index state: %w", err)
	}
	s.text.unindexedBefore.Store(before)
	return nil
}

// indexStoredText indexes the traces stored before the index existed, one hour per
// transaction, newest first, so that ingestion interleaves and the searched hours grow
// from the present backwards. It returns when all are indexed or ctx ends.
func (s *Store) indexStoredText(ctx context.Context) error {
	start := time.Now()
	for hours := 0; ; hours++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		done, err := s.indexStoredHour(ctx)
		if err != nil {
			return err
		}
		if done {
			s.log.Info("indexed the text of stored traces for search", "hours", hours, "took", time.Since(start).Round(time.Millisecond))
			return nil
		}
	}
}

func (s *Store) indexStoredHour(ctx context.Context) (done bool, err error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	before := s.text.unindexedBefore.Load()
	if before == indexAll {
		return true, nil
	}
	next := int64(indexAll)
	var added textAdditions
	err = s.wconn.Raw(func(dc any) error {
		conn := dc.(*duckdb.Conn)
		if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION", nil); err != nil {
			return err
		}
		committed := false
		defer func() {
			if !committed {
				_, _ = conn.ExecContext(context.Background(), "ROLLBACK", nil)
			}
		}()
		var newest any
		if err := queryOne(ctx, conn, `SELECT epoch_ms(max(start_time)) FROM traces WHERE start_time < $1`,
			[]any{time.UnixMilli(before).UTC()}, &newest); err != nil {
			return fmt.Errorf("cannot find traces to index: %w", err)
		}
		if ms, ok := newest.(int64); ok {
			next = floorHour(ms)
			// Each distinct text of the hour once; traces only carry what indexText reads.
			rows, err := conn.QueryContext(ctx, `SELECT DISTINCT workspace_id, text FROM (
					SELECT workspace_id, name AS text FROM traces WHERE start_time >= $1 AND start_time < $2
					UNION ALL SELECT workspace_id, input FROM traces WHERE start_time >= $1 AND start_time < $2
					UNION ALL SELECT workspace_id, output FROM traces WHERE start_time >= $1 AND start_time < $2)`,
				[]driver.NamedValue{{Ordinal: 1, Value: time.UnixMilli(next).UTC()}, {Ordinal: 2, Value: time.UnixMilli(next + hourMs).UTC()}})
			if err != nil {
				return fmt.Errorf("cannot read traces to index: %w", err)
			}
			start := time.UnixMilli(next).UTC()
			var traces []model.Trace
			dest := make([]driver.Value, 2)
			for {
				if err := rows.Next(dest); err != nil {
					rows.Close()
					if errors.Is(err, io.EOF) {
						break
					}
					return fmt.Errorf("cannot read traces to index: %w", err)
				}
				text, _ := dest[1].(string)
				traces = append(traces, model.Trace{WorkspaceID: dest[0].(string), StartTime: start, Input: text})
			}
			if added, err = s.indexText(ctx, conn, traces); err != nil {
				return err
			}
		}
		if _, err := conn.ExecContext(ctx, `UPDATE text_index_state SET unindexed_before_ms = $1`,
			[]driver.NamedValue{{Ordinal: 1, Value: next}}); err != nil {
			return fmt.Errorf("cannot record the text index state: %w", err)
		}
		if _, err := conn.ExecContext(ctx, "COMMIT", nil); err != nil {
			return err
		}
		committed = true
		return nil
	})
	if err != nil {
		return false, err
	}
	s.rememberText(added)
	s.text.unindexedBefore.Store(next)
	return next == indexAll, nil
}

// queryOne reads one value through a driver connection.
func queryOne(ctx context.Context, conn *duckdb.Conn, q string, args []any, dest *any) error {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := conn.QueryContext(ctx, q, named)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]driver.Value, 1)
	if err := rows.Next(vals); err != nil {
		return err
	}
	*dest = vals[0]
	return nil
}

// textCondition narrows a searched filter to the hours that can hold its text: a condition
// on start_time to add to its WHERE clause, or "" when the index rules nothing out.
func (s *Store) textCondition(ctx context.Context, f store.TraceFilter, args *store.SQLArgs) (string, error) {
	grams := store.NeedleGrams(f.Text)
	if grams == nil {
		return "", nil
	}
	before := s.text.unindexedBefore.Load()
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !f.From.IsZero() {
		lo = floorHour(f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		hi = f.To.UnixMilli()
	}
	if hi <= before {
		return "", nil // the whole window is still unindexed
	}
	var largs store.SQLArgs
	query := fmt.Sprintf(`SELECT hour_ms FROM text_grams WHERE workspace_id = %s AND hour_ms >= %d AND hour_ms < %d
		AND gram IN (SELECT unnest(%s)) GROUP BY hour_ms HAVING count(DISTINCT gram) = %d ORDER BY hour_ms`,
		largs.Add(f.WorkspaceID), max(lo, before), hi, largs.Add(grams), len(grams))
	rows, err := s.db.QueryContext(ctx, query, largs...)
	if err != nil {
		return "", fmt.Errorf("cannot read the text index: %w", err)
	}
	defer rows.Close()
	// Stretches [from, to) of hours to read; the unindexed hours are one.
	type stretch struct{ from, to int64 }
	var reads []stretch
	if before != indexAll && lo < before {
		reads = append(reads, stretch{math.MinInt64, before})
	}
	candidates := int64(0)
	for rows.Next() {
		var h int64
		if err := rows.Scan(&h); err != nil {
			return "", fmt.Errorf("cannot read the text index: %w", err)
		}
		candidates++
		if n := len(reads); n > 0 && reads[n-1].to == h {
			reads[n-1].to = h + hourMs
		} else {
			reads = append(reads, stretch{h, h + hourMs})
		}
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("cannot read the text index: %w", err)
	}
	if len(reads) == 0 {
		return "false", nil
	}
	// A common term is in most hours: testing each trace's hour would cost more than the
	// few hours it saves.
	if !f.From.IsZero() {
		if indexed := (min(hi, s.now().UnixMilli()+hourMs) - max(lo, before)) / hourMs; candidates*2 >= indexed {
			return "", nil
		}
	}
	for len(reads) > maxTextRanges {
		// Join the two stretches with the shortest gap between them.
		best := 1
		for i := 2; i < len(reads); i++ {
			if reads[i].from-reads[i-1].to < reads[best].from-reads[best-1].to {
				best = i
			}
		}
		reads[best-1].to = reads[best].to
		reads = append(reads[:best], reads[best+1:]...)
	}
	if len(reads) == 1 && reads[0].from <= lo && reads[0].to >= hi {
		return "", nil
	}
	at := func(ms int64) string { return args.Add(time.UnixMilli(ms).UTC()) }
	var or []string
	for _, r := range reads {
		switch {
		case r.from <= lo:
			or = append(or, "start_time < "+at(r.to))
		default:
			or = append(or, "(start_time >= "+at(r.from)+" AND start_time < "+at(r.to)+")")
		}
	}
	// The outer bounds alone let the scan skip row groups by their zone maps.
	cond := "(" + strings.Join(or, " OR ") + ")"
	if first := reads[0]; first.from > lo {
		cond = "start_time >= " + at(first.from) + " AND " + cond
	}
	if last := reads[len(reads)-1]; last.to < hi {
		cond = "start_time < " + at(last.to) + " AND " + cond
	}
	return cond, nil
}

// whereTraces renders f as conditions on the traces table, narrowed by the text index.
func (s *Store) whereTraces(ctx context.Context, f store.TraceFilter, args *store.SQLArgs) (string, error) {
	where := dialect.WhereTraces(f, "", args)
	if f.Text == "" {
		return where, nil
	}
	cond, err := s.textCondition(ctx, f, args)
	if err != nil || cond == "" {
		return where, err
	}
	return where + " AND " + cond, nil
}
