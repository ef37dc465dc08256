package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

func flatTrace(id string, start time.Time) model.Trace {
	return model.Trace{
		WorkspaceID: "ws", TraceID: id, AgentID: "bot", Name: "bot", StartTime: start, Input: "in\x00put",
		Declared: model.Declared{Status: model.StatusSuccess, LatencyMs: model.Int64(10), TokensInput: model.Int64(1)},
	}
}

func TestPartitionsAndRetention(t *testing.T) {
	s := openTestStore(t)
	defer s.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	s.now = func() time.Time { return now }
	old := now.AddDate(0, 0, -40)
	oldSession, newSession := flatTrace("old-session", old.Add(time.Second)), flatTrace("new-session", now)
	oldSession.SessionID, oldSession.UserID = "gone", "u"
	newSession.SessionID, newSession.UserID = "kept", "u"
	if err := s.WriteTraces(ctx, []model.Trace{flatTrace("old", old), flatTrace("new", now), oldSession, newSession}); err != nil {
		t.Fatal(err)
	}
	sc := flatTrace("old", old)
	sc.Scores = []model.Score{{ScoreID: "s", Name: "s", Value: 1, Source: model.ScoreSourceAPI}}
	if err := s.WriteTraces(ctx, []model.Trace{sc}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetTrace(ctx, "ws", "new")
	if err != nil || got.Input != "in\uFFFDput" {
		t.Fatalf("NUL not made storable: %+v %v", got, err)
	}
	if _, err := s.MaintainPartitions(ctx, 3, 0); err != nil {
		t.Fatal(err)
	}
	parts, _ := s.Partitions(ctx)
	if len(parts) != 5 || parts[0] != daySuffix(dayOf(old)) {
		t.Fatalf("partitions = %v, want the old day, today and 3 ahead", parts)
	}
	dropped, err := s.MaintainPartitions(ctx, 3, 30*24*time.Hour)
	if err != nil || len(dropped) != 1 || dropped[0] != daySuffix(dayOf(old)) {
		t.Fatalf("dropped = %v, %v", dropped, err)
	}
	if _, err := s.GetTrace(ctx, "ws", "old"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("trace of a dropped partition = %v", err)
	}
	var scores int
	s.pool.QueryRow(ctx, `SELECT count(*) FROM scores`).Scan(&scores)
	if n, _ := s.CountTraces(ctx, "ws"); n != 2 || scores != 0 {
		t.Errorf("after retention: %d traces, %d scores", n, scores)
	}
	// The roll-ups forget the dropped day with its traces.
	for _, c := range []struct {
		table, count string
		want         int64
	}{
		{"trace_stats_5m", "sum(traces)", 2}, {"trace_stats_1h", "sum(traces)", 2}, {"llm_usage_5m", "sum(calls)", 2},
		{"llm_usage_1h", "sum(calls)", 2}, {"user_stats_1d", "sum(traces)", 2}, {"session_bounds", "count(*)", 1},
		{"latency_hist_1d", "sum(traces)", 2},
	} {
		var n int64
		if err := s.pool.QueryRow(ctx, `SELECT coalesce(`+c.count+`, 0)::bigint FROM `+c.table).Scan(&n); err != nil || n != c.want {
			t.Errorf("%s after retention counts %d (%v), want %d", c.table, n, err, c.want)
		}
	}
	// The dropped day can be written again: its partition is made on demand.
	if err := s.WriteTraces(ctx, []model.Trace{flatTrace("old", old)}); err != nil {
		t.Fatal(err)
	}
}

func TestStartTimeMovesTrace(t *testing.T) {
	s := openTestStore(t)
	defer s.Close()
	ctx := context.Background()
	day1 := time.Date(2026, 11, 20, 23, 59, 0, 0, time.UTC)
	tr := flatTrace("moving", day1)
	tr.UserID, tr.SessionID = "mover", "moving-session"
	tr.Spans = []model.Span{{SpanID: "a", Kind: model.KindLLM, StartTime: day1, EndTime: day1.Add(time.Second), Status: model.StatusSuccess, TokensInput: model.Int64(5)}}
	if err := s.WriteTraces(ctx, []model.Trace{tr}); err != nil {
		t.Fatal(err)
	}
	tr.StartTime = day1.Add(2 * time.Hour)
	tr.Spans = []model.Span{{SpanID: "b", Kind: model.KindTool, StartTime: tr.StartTime, EndTime: tr.StartTime, Status: model.StatusSuccess, TokensInput: model.Int64(7)}}
	if err := s.WriteTraces(ctx, []model.Trace{tr}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetTrace(ctx, "ws", "moving")
	if err != nil {
		t.Fatal(err)
	}
	if got.SpanCount != 2 || *got.TokensInput != 12 || !got.StartTime.Equal(tr.StartTime) {
		t.Errorf("moved trace: spans=%d tokens=%d start=%v", got.SpanCount, *got.TokensInput, got.StartTime)
	}
	counts, _ := s.TraceIDCounts(ctx)
	if counts["moving"] != 1 {
		t.Errorf("trace rows = %d, want 1", counts["moving"])
	}
	verifyRollups(t, s.schema)
}

// TestConcurrentWritersOfOneTrace sends the spans of the same traces from several writers
// at once, as several process roles do; the roll-ups must count every span exactly once and
// end equal to the raw tables.
func TestConcurrentWritersOfOneTrace(t *testing.T) {
	s := openTestStore(t)
	defer s.Close()
	other, err := Open(context.Background(), testDSN(t), Options{Schema: s.schema, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	const traces, parts = 50, 8
	var wg sync.WaitGroup
	errs := make(chan error, parts)
	for p := 0; p < parts; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			w := s
			if p%2 == 1 {
				w = other
			}
			var batch []model.Trace
			for i := 0; i < traces; i++ {
				// Reverse order on odd writers: locks are still taken in one order.
				id := i
				if p%2 == 1 {
					id = traces - 1 - i
				}
				// Parts start hours apart, into the next day: the later part's declared start
				// wins, so merges move the trace, and with it the extremes of its user's day
				// and of its session.
				at := start.Add(time.Duration(p) * 3 * time.Hour)
				tr := flatTrace(fmt.Sprintf("c-%d", id), at)
				tr.UserID, tr.SessionID = fmt.Sprintf("u-%d", id%3), fmt.Sprintf("sess-%d", id%7)
				tr.Spans = []model.Span{{SpanID: fmt.Sprintf("s-%d", p), Kind: model.KindLLM, StartTime: at, EndTime: at.Add(time.Second),
					Status: model.StatusSuccess, TokensInput: model.Int64(1)}}
				batch = append(batch, tr)
			}
			errs <- w.WriteTraces(ctx, batch)
		}(p)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < traces; i++ {
		got, err := s.GetTrace(ctx, "ws", fmt.Sprintf("c-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if got.SpanCount != parts || *got.TokensInput != parts {
			t.Fatalf("trace c-%d: spans=%d tokens=%d, want %d", i, got.SpanCount, *got.TokensInput, parts)
		}
	}
	verifyRollups(t, s.schema)
}
