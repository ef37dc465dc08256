package alert

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// TestTwoAlertProcesses runs two alert services on one store, as two alert roles would on
// one PostgreSQL: one evaluates (the lease holder), the other takes over when the holder
// stops renewing, and every message reaches the receiver exactly once.
func TestTwoAlertProcesses(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	hook := newReceiver(t)
	h.channel("webhook", ChannelConfig{URL: hook.URL})
	putRule(t, h.s, model.AlertRule{Name: "volume", Metric: "request_count", Operator: ">", Threshold: 5,
		Window: model.Duration(10 * time.Minute), GroupBy: "agent", Channels: []string{"webhook"}, GroupWait: model.Duration(time.Second)})
	newSvc := func(name string) *Service {
		n := NewNotifier(h.s, h.sl, &Senders{HTTP: http.DefaultClient}, h.clk.Now, quietLog())
		return NewService(h.s, n, name, h.clk.Now, quietLog())
	}
	a, b := newSvc("a"), newSvc("b")
	load(t, h.s, "x", t0.Add(-time.Minute), time.Second, 10, 0, 100)
	leaders := map[string]int{}
	step := func(s *Service, name string) {
		t.Helper()
		leader, err := s.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if leader {
			leaders[name]++
		}
	}
	for i := 0; i < 6; i++ { // both run side by side
		step(a, "a")
		step(b, "b")
		h.clk.Add(5 * time.Second)
	}
	if leaders["a"] != 6 || leaders["b"] != 0 {
		t.Fatalf("leaders = %v, want a only", leaders)
	}
	if got := len(hook.got()); got != 1 {
		t.Fatalf("%d messages for one alert", got)
	}
	// a stops; b takes over once the lease lapses and keeps notifying: the new alert goes
	// out at the group's next interval (5 m after its last message).
	load(t, h.s, "y", h.clk.Now().Add(-time.Minute), time.Second, 10, 0, 100)
	for i := 0; i < 70; i++ {
		step(b, "b")
		h.clk.Add(5 * time.Second)
	}
	if leaders["b"] == 0 {
		t.Fatal("b never took over")
	}
	msgs := hook.got()
	if len(msgs) != 2 {
		t.Fatalf("%d messages after the takeover, want 2", len(msgs))
	}
	if m := decodeMessage(t, msgs[1]); len(m.Firing) != 2 {
		t.Errorf("takeover message = %+v", m)
	}
}
