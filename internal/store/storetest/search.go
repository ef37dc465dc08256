package storetest

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// testTextSearch checks searched trace lists, counts and stats against the substring
// matcher, for needles a trigram index could get wrong (short, non-ASCII, case-folded,
// spanning words, absent), in windows that cut hours, and after rewrites that change a
// trace's text and move it to another hour.
func testTextSearch(t *testing.T, s store.Store) {
	a, ok := s.(store.Analytics)
	if !ok {
		t.Skip("the backend does not implement store.Analytics")
	}
	type text struct {
		id            string
		ws            string
		hours         time.Duration
		name, in, out string
	}
	texts := []text{
		{"s1", ws1, 0, "support-bot", "Please REFUND order QX-1001", "Refund issued"},
		{"s2", ws1, 10 * time.Minute, "support-bot", "Where is my parcel?", "It ships tomorrow"},
		{"s3", ws1, 2 * time.Hour, "lab", "\u212aELVIN readings at 50%", "ok"},
		{"s4", ws1, 3*time.Hour + 59*time.Minute, "ÄRGER-Bericht", "ΣΑΣ", ""},
		{"s5", ws1, 5 * time.Hour, "support-bot", "refunds are slow_ish", "it's fine"},
		{"s6", ws2, 0, "support-bot", "QX-1001 in another workspace", "refund"},
		{"s7", ws1, 30 * time.Hour, "travel", "a nonrefundable fare", "Booked."},
	}
	var batch []model.Trace
	for _, x := range texts {
		tr := flat(x.ws, x.id)
		tr.StartTime = t0.Add(x.hours)
		tr.Name, tr.Input, tr.Output = x.name, x.in, x.out
		batch = append(batch, tr)
	}
	mustWrite(t, s, batch...)

	needles := []string{"refund", "REFUND", "QX-1001", "qx-100", "kelvin", "ärger", "σασ", "ΣΑΣ", "fund o", "s?",
		"parcel?", "50%", "_ish", "it's", "re", "r", "zzz-not-there", "ab", "nonrefundable fare", "booked.",
		"Please REFUND order QX-1001 and then some more words"}
	windows := []struct{ from, to time.Time }{
		{},
		{t0, t0.Add(3 * time.Hour)},
		{t0.Add(90 * time.Minute), t0.Add(4 * time.Hour)},
		{t0.Add(4*time.Hour - time.Minute), t0.Add(31 * time.Hour)},
	}
	check := func(t *testing.T) {
		var ref []model.Trace
		for _, x := range texts {
			ref = append(ref, *mustGet(t, s, x.ws, x.id))
		}
		sort.Slice(ref, func(i, j int) bool { // newest first
			if !ref[i].StartTime.Equal(ref[j].StartTime) {
				return ref[i].StartTime.After(ref[j].StartTime)
			}
			return ref[i].TraceID > ref[j].TraceID
		})
		for _, n := range needles {
			for wi, w := range windows {
				f := store.TraceFilter{WorkspaceID: ws1, From: w.from, To: w.to, Text: n}
				t.Run(fmt.Sprintf("%s/window%d", n, wi), func(t *testing.T) {
					var want []string
					for i := range ref {
						if refMatch(f, &ref[i]) {
							want = append(want, ref[i].TraceID)
						}
					}
					var got []string
					var after *store.Position
					for page := 0; ; page++ {
						p, err := a.ListTraces(ctx(), store.ListQuery{Filter: f, Sort: store.SortStartTime, Limit: 2, After: after, Count: page == 0})
						if err != nil {
							t.Fatal(err)
						}
						if page == 0 && p.Total != int64(len(want)) {
							t.Errorf("total %d, want %d", p.Total, len(want))
						}
						for _, tr := range p.Traces {
							got = append(got, tr.TraceID)
						}
						if !p.More {
							break
						}
						last := p.Traces[len(p.Traces)-1]
						after = &store.Position{Value: float64(last.StartTime.UnixMicro()), TraceID: last.TraceID}
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("listed %v, want %v", got, want)
					}
					res, err := a.TraceStats(ctx(), store.StatsQuery{Filter: f})
					if err != nil {
						t.Fatal(err)
					}
					var count int64
					if len(res.Rows) > 0 {
						count = res.Rows[0].Count
					}
					if count != int64(len(want)) {
						t.Errorf("stats count %d, want %d", count, len(want))
					}
				})
			}
		}
	}
	t.Run("Written", check)

	// s1 loses its refund and moves seven hours on; s2 gains one in its hour.
	s1 := flat(ws1, "s1")
	s1.StartTime = t0.Add(7 * time.Hour)
	s1.Input, s1.Output = "Where is my invoice?", "Sent again."
	s2 := flat(ws1, "s2")
	s2.StartTime = t0.Add(10 * time.Minute)
	s2.Input, s2.Output = "REFUND please", "Refund issued"
	mustWrite(t, s, s1, s2)
	needles = append(needles, "invoice", "sent again")
	windows = append(windows, struct{ from, to time.Time }{t0.Add(6 * time.Hour), t0.Add(8 * time.Hour)})
	t.Run("Rewritten", check)
}
