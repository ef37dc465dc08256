package alert

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

// receiver is an httptest server that records requests and answers with scripted codes.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	heads  []http.Header
	codes  []int // answered in order; 200 once exhausted
}

func newReceiver(t *testing.T, codes ...int) *receiver {
	rc := &receiver{codes: codes}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		code := http.StatusOK
		if len(rc.codes) > 0 {
			code, rc.codes = rc.codes[0], rc.codes[1:]
		}
		if code < 300 {
			rc.bodies = append(rc.bodies, string(b))
			rc.heads = append(rc.heads, r.Header.Clone())
		}
		rc.mu.Unlock()
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "120")
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bodies...)
}

type harness struct {
	t   *testing.T
	s   *duckdb.Store
	clk *clock
	ev  *Evaluator
	n   *Notifier
	sl  *Sealer
}

func newHarness(t *testing.T) *harness {
	s := openStore(t)
	clk := &clock{t: t0}
	sl, err := NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	n := NewNotifier(s, sl, &Senders{HTTP: http.DefaultClient}, clk.Now, quietLog())
	return &harness{t: t, s: s, clk: clk, ev: NewEvaluator(s, clk.Now, quietLog()), n: n, sl: sl}
}

func (h *harness) channel(typ string, c ChannelConfig) {
	h.t.Helper()
	if err := c.Validate(typ); err != nil {
		h.t.Fatal(err)
	}
	sealed, err := h.sl.Seal(ws, typ, c)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.s.PutIntegration(context.Background(), ws, typ, sealed, t0); err != nil {
		h.t.Fatal(err)
	}
}

// round evaluates, groups and delivers at the clock's time.
func (h *harness) round() {
	h.t.Helper()
	ctx := context.Background()
	rules, _ := h.s.ListAlertRules(ctx, ws)
	for i := range rules {
		if err := h.ev.EvaluateRule(ctx, &rules[i], h.clk.Now()); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := h.n.Tick(ctx); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.n.Deliver(ctx); err != nil {
		h.t.Fatal(err)
	}
}

func decodeMessage(t *testing.T, body string) Message {
	t.Helper()
	var m Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGroupingTiming drives group wait, group interval and repeat with the injected clock.
func TestGroupingTiming(t *testing.T) {
	h := newHarness(t)
	hook := newReceiver(t)
	h.channel("webhook", ChannelConfig{URL: hook.URL, Secret: "s3cret"})
	putRule(t, h.s, model.AlertRule{Name: "volume", Metric: "request_count", Operator: ">", Threshold: 5,
		Window: model.Duration(10 * time.Minute), GroupBy: "agent", Channels: []string{"webhook"}})
	load(t, h.s, "a", t0.Add(-time.Minute), 10*time.Second, 10, 0, 100)
	h.round() // a fires; the group waits 30 s
	if n := len(hook.got()); n != 0 {
		t.Fatalf("sent %d before group_wait", n)
	}
	load(t, h.s, "b", t0.Add(10*time.Second), 5*time.Second, 10, 0, 100)
	h.clk.Add(20 * time.Second)
	h.round() // b fires inside the wait: still nothing
	if n := len(hook.got()); n != 0 {
		t.Fatalf("sent %d before group_wait", n)
	}
	h.clk.Add(10 * time.Second)
	h.round() // 30 s: one message with both
	msgs := hook.got()
	if len(msgs) != 1 {
		t.Fatalf("after group_wait: %d messages", len(msgs))
	}
	m := decodeMessage(t, msgs[0])
	if m.Status != "firing" || len(m.Firing) != 2 {
		t.Fatalf("first message = %+v", m)
	}
	head := hook.heads[0]
	if head.Get("X-Agentobs-Signature") != "sha256="+Sign("s3cret", head.Get("X-Agentobs-Timestamp"), []byte(msgs[0])) {
		t.Errorf("bad signature %q", head.Get("X-Agentobs-Signature"))
	}
	// Unchanged: nothing until the repeat interval (4 h).
	for i := 0; i < 5; i++ {
		h.clk.Add(time.Minute)
		h.round()
	}
	if n := len(hook.got()); n != 1 {
		t.Fatalf("repeated early: %d messages", n)
	}
	// Agent a goes quiet: its alert resolves; the change waits for group_interval (5 m
	// after the last message), then one message says a resolved, b still firing.
	load(t, h.s, "b", h.clk.Now().Add(-time.Minute), time.Second, 10, 0, 100)
	h.clk.Set(t0.Add(10*time.Minute + 30*time.Second))
	h.round()
	msgs = hook.got()
	if len(msgs) != 2 {
		t.Fatalf("after group_interval: %d messages", len(msgs))
	}
	m = decodeMessage(t, msgs[1])
	if len(m.Firing) != 1 || m.Firing[0].Labels["agent"] != "b" || len(m.Resolved) != 1 || m.Resolved[0].Labels["agent"] != "a" {
		t.Fatalf("change message = %+v", m)
	}
	// Keep b firing; the reminder comes 4 h after the last message, not before.
	keepB := func() { load(t, h.s, "b", h.clk.Now().Add(-time.Minute), time.Second, 10, 0, 100) }
	h.clk.Add(4*time.Hour - time.Minute)
	keepB()
	h.round()
	if n := len(hook.got()); n != 2 {
		t.Fatalf("repeat before repeat_interval: %d", n)
	}
	h.clk.Add(time.Minute)
	keepB()
	h.round()
	msgs = hook.got()
	if len(msgs) != 3 || !decodeMessage(t, msgs[2]).Repeat {
		t.Fatalf("repeat: %d messages", len(msgs))
	}
}

func TestSilenceMutes(t *testing.T) {
	h := newHarness(t)
	hook := newReceiver(t)
	h.channel("webhook", ChannelConfig{URL: hook.URL})
	putRule(t, h.s, model.AlertRule{Name: "volume", Metric: "request_count", Operator: ">", Threshold: 5,
		Window: model.Duration(10 * time.Minute), GroupBy: "agent", Channels: []string{"webhook"}, GroupWait: model.Duration(time.Second)})
	if err := h.s.PutSilence(context.Background(), model.Silence{WorkspaceID: ws, ID: "s1",
		Matchers: []model.AlertMatcher{{Name: "agent", Value: "a"}}, StartsAt: t0, EndsAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	load(t, h.s, "a", t0.Add(-time.Minute), time.Second, 10, 0, 100)
	load(t, h.s, "b", t0.Add(-time.Minute), time.Second, 10, 0, 100)
	h.round()
	h.clk.Add(time.Second)
	h.round()
	msgs := hook.got()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	if m := decodeMessage(t, msgs[0]); len(m.Firing) != 1 || m.Firing[0].Labels["agent"] != "b" {
		t.Fatalf("a silenced alert was sent: %+v", m)
	}
	// Both episodes exist: silences mute, they do not hide.
	active, _ := h.s.QueryAlerts(context.Background(), ws, "active", 10)
	if len(active) != 2 {
		t.Errorf("active = %d", len(active))
	}
}

// TestRetriesAndPermanentFailures: 5xx, 429 and network errors retry with backoff; a 4xx
// fails at once and shows on the alert.
func TestRetriesAndPermanentFailures(t *testing.T) {
	h := newHarness(t)
	flaky := newReceiver(t, 503, 429)
	slack := newReceiver(t, 404)
	h.channel("webhook", ChannelConfig{URL: flaky.URL})
	h.channel("slack", ChannelConfig{WebhookURL: slack.URL})
	putRule(t, h.s, model.AlertRule{Name: "volume", Metric: "request_count", Operator: ">", Threshold: 5,
		Window: model.Duration(10 * time.Minute), Channels: []string{"webhook", "slack"}, GroupWait: model.Duration(time.Second)})
	load(t, h.s, "a", t0.Add(-time.Minute), time.Second, 10, 0, 100)
	h.round()
	h.clk.Add(time.Second)
	h.round() // webhook 503, slack 404
	ns, _ := h.s.ListNotifications(context.Background(), ws, "")
	if len(ns) != 2 {
		t.Fatalf("notifications = %+v", ns)
	}
	for _, n := range ns {
		switch n.Channel {
		case "webhook":
			if n.State != model.NotifyPending || n.Attempts != 1 || !n.NextAt.Equal(h.clk.Now().Add(10*time.Second)) {
				t.Errorf("after 503: %+v", n)
			}
		case "slack":
			if n.State != model.NotifyFailed || !strings.Contains(n.LastError, "404") {
				t.Errorf("after 404: %+v", n)
			}
		}
	}
	active, _ := h.s.QueryAlerts(context.Background(), ws, "active", 10)
	if len(active) != 1 || !strings.Contains(active[0].LastError, "slack") {
		t.Errorf("permanent failure not shown on the alert: %+v", active)
	}
	h.clk.Add(10 * time.Second)
	h.n.Deliver(context.Background()) // 429 with Retry-After: 120 s
	ns, _ = h.s.ListNotifications(context.Background(), ws, "")
	for _, n := range ns {
		if n.Channel == "webhook" && (n.Attempts != 2 || !n.NextAt.Equal(h.clk.Now().Add(120*time.Second))) {
			t.Errorf("after 429: %+v", n)
		}
	}
	h.clk.Add(119 * time.Second)
	h.n.Deliver(context.Background())
	if len(flaky.got()) != 0 {
		t.Fatal("retried before Retry-After")
	}
	h.clk.Add(time.Second)
	h.n.Deliver(context.Background())
	if len(flaky.got()) != 1 {
		t.Fatalf("not delivered after retries: %d", len(flaky.got()))
	}
	if Backoff(1) != 10*time.Second || Backoff(2) != 20*time.Second || Backoff(30) != 15*time.Minute {
		t.Errorf("backoff %v %v %v", Backoff(1), Backoff(2), Backoff(30))
	}
}

// TestRestartMidDelivery: a process stops after claiming notifications and before sending
// them, another starts on the same store: everything arrives exactly once.
func TestRestartMidDelivery(t *testing.T) {
	h := newHarness(t)
	hook := newReceiver(t)
	h.channel("webhook", ChannelConfig{URL: hook.URL})
	for _, id := range []string{"r1", "r2", "r3"} {
		putRule(t, h.s, model.AlertRule{ID: id, Name: "volume " + id, Metric: "request_count", Operator: ">", Threshold: 5,
			Window: model.Duration(10 * time.Minute), Channels: []string{"webhook"}, GroupWait: model.Duration(time.Second)})
	}
	load(t, h.s, "a", t0.Add(-time.Minute), time.Second, 10, 0, 100)
	h.round()
	h.clk.Add(time.Second)
	ctx := context.Background()
	if err := h.n.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	// The first process claims and dies before sending.
	claimed, err := h.s.ClaimNotifications(ctx, h.clk.Now(), claimLease, 2)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %d, %v", len(claimed), err)
	}
	// A new process over the same store: it groups again (nothing new is enqueued) and
	// sends the unclaimed one now, the others when the dead claims expire.
	n2 := NewNotifier(h.s, h.sl, &Senders{HTTP: http.DefaultClient}, h.clk.Now, quietLog())
	if err := n2.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := n2.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(hook.got()); got != 1 {
		t.Fatalf("before the claims expire: %d sent", got)
	}
	h.clk.Add(claimLease)
	for i := 0; i < 3; i++ {
		if _, err := n2.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		h.clk.Add(time.Minute)
	}
	rules := map[string]int{}
	for _, b := range hook.got() {
		rules[decodeMessage(t, b).RuleID]++
	}
	if len(rules) != 3 || rules["r1"] != 1 || rules["r2"] != 1 || rules["r3"] != 1 {
		t.Fatalf("deliveries per rule = %v", rules)
	}
}

func TestSealerRoundTripAndTamper(t *testing.T) {
	sl, _ := NewSealer([]byte("0123456789abcdef"))
	c := ChannelConfig{URL: "https://example.test/hook", Secret: "k"}
	sealed, err := sl.Seal(ws, "webhook", c)
	if err != nil || strings.Contains(sealed, "example.test") {
		t.Fatalf("sealed = %q, %v", sealed, err)
	}
	back, err := sl.Open(ws, "webhook", sealed)
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Fatalf("open = %+v, %v", back, err)
	}
	if _, err := sl.Open("other", "webhook", sealed); err == nil {
		t.Error("settings opened under another workspace")
	}
	other, _ := NewSealer([]byte("another secret of 16+"))
	if _, err := other.Open(ws, "webhook", sealed); err == nil {
		t.Error("settings opened with another key")
	}
	if p := c.Public(); p.Secret != "********" || p.URL != c.URL {
		t.Errorf("public = %+v", p)
	}
}
