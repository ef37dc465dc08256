package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// testSessionsInWindow: the sessions of a window are those with a trace in it, however their
// bounds lie: one that spans the window without a trace inside does not count, one whose
// trace moved into the window by a rewrite does.
func testSessionsInWindow(t *testing.T, s store.Store) {
	a, ok := s.(store.Analytics)
	if !ok {
		t.Skip("the backend does not implement store.Analytics")
	}
	trace := func(id, session string, at time.Time) model.Trace {
		tr := flat(ws1, id)
		tr.SessionID, tr.StartTime = session, at
		tr.Declared.EndTime = time.Time{}
		return tr
	}
	day := 24 * time.Hour
	mustWrite(t, s, trace("s1", "spans", t0), trace("s2", "spans", t0.Add(5*day)),
		trace("i1", "inside", t0.Add(3*day)), trace("b1", "before", t0.Add(-day)), trace("o1", "", t0.Add(3*day)),
		trace("x1", "idle", t0.Add(time.Hour)), trace("x2", "idle", t0.Add(5*day+time.Hour)))
	count := func(from, to time.Time) (int64, []string) {
		t.Helper()
		f := store.TraceFilter{WorkspaceID: ws1, From: from, To: to, NonEmpty: []store.Dimension{store.DimSession}}
		res, err := a.TraceStats(ctx(), store.StatsQuery{Filter: f, GroupBy: []store.Dimension{store.DimSession}, Times: true,
			Order: store.OrderLastStart, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, r := range res.Rows {
			keys = append(keys, r.Keys[0])
		}
		return res.TotalGroups, keys
	}
	for _, c := range []struct {
		from, to time.Time
		want     string
	}{
		{t0.Add(2 * day), t0.Add(4 * day), "1 [inside]"},
		{t0.Add(-2 * day), t0.Add(6 * day), "4 [idle spans inside before]"},
		{t0.Add(4 * day), t0.Add(6 * day), "2 [idle spans]"},
	} {
		if n, keys := count(c.from, c.to); fmt.Sprint(n, " ", keys) != c.want {
			t.Errorf("sessions of [%s, %s) = %d %v, want %s", c.from, c.to, n, keys, c.want)
		}
	}
	// A rewrite moves the spanning session's first trace into the window; another rewrite
	// leaves the idle session as it was (stores may rebuild its bounds).
	mustWrite(t, s, trace("s1", "spans", t0.Add(3*day+time.Hour)), trace("x1", "idle", t0.Add(time.Hour)))
	if n, keys := count(t0.Add(2*day), t0.Add(4*day)); fmt.Sprint(n, " ", keys) != "2 [spans inside]" {
		t.Errorf("after the rewrite: %d %v, want 2 [spans inside]", n, keys)
	}
}
