package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentobs/agentobs/internal/model"
)

func ev(ws string, n int) Event {
	return Event{Workspace: ws, Channel: ChannelTraces, Type: "new_traces", Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))}
}

// TestSlowSubscriberIsDropped: a subscriber that does not read is dropped when its queue is
// full; publishing never waits for it, and the others get every event.
func TestSlowSubscriberIsDropped(t *testing.T) {
	h := NewLocal()
	slow := h.Subscribe("ws-a", 2)
	fast := h.Subscribe("ws-a", 100)
	other := h.Subscribe("ws-b", 100)
	defer slow.Close()
	defer fast.Close()
	defer other.Close()
	for i := 0; i < 50; i++ {
		if err := h.Publish(context.Background(), ev("ws-a", i)); err != nil { // must not block on slow
			t.Fatal(err)
		}
	}
	select {
	case <-slow.Dropped():
	default:
		t.Fatal("a full subscriber was not dropped")
	}
	for i := 0; i < 50; i++ {
		d := <-fast.C
		if string(d.Event.Data) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("fast subscriber got %s at %d", d.Event.Data, i)
		}
	}
	select {
	case d := <-other.C:
		t.Fatalf("another workspace's subscriber got %+v", d)
	default:
	}
	select {
	case <-fast.Dropped():
		t.Error("a subscriber that kept up was dropped")
	default:
	}
}

func TestCommitFeed(t *testing.T) {
	h := NewLocal()
	a := h.Subscribe("ws-a", 10)
	b := h.Subscribe("ws-b", 10)
	cost, latency := 0.5, int64(40)
	f := NewFeed(h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.now = func() time.Time { return time.UnixMicro(1_700_000_000_000_000) }
	f.Committed([]model.Trace{
		{WorkspaceID: "ws-a", TraceID: "t1", Declared: model.Declared{Status: model.StatusError, CostUSD: &cost}},
		{WorkspaceID: "ws-b", TraceID: "t2"},
		{WorkspaceID: "ws-a", TraceID: "t3", Declared: model.Declared{LatencyMs: &latency}},
	})
	got := map[string]string{}
	for i := 0; i < 2; i++ {
		d := <-a.C
		if d.Event.SentAt != 1_700_000_000_000_000 || d.Event.Workspace != "ws-a" {
			t.Errorf("event = %+v", d.Event)
		}
		got[d.Event.Type] = string(d.Event.Data)
	}
	var nt NewTraces
	var kd KPIDelta
	if json.Unmarshal([]byte(got["new_traces"]), &nt) != nil || nt.Count != 2 || nt.Traces[0].TraceID != "t1" || nt.Traces[1].TraceID != "t3" {
		t.Errorf("new_traces = %s", got["new_traces"])
	}
	if json.Unmarshal([]byte(got["kpi_delta"]), &kd) != nil || kd.Requests != 2 || kd.Errors != 1 || kd.CostUSD != 0.5 || kd.LatencyMsTotal != 40 {
		t.Errorf("kpi_delta = %s", got["kpi_delta"])
	}
	if d := <-b.C; !json.Valid(d.Event.Data) || d.Event.Workspace != "ws-b" {
		t.Errorf("ws-b = %+v", d)
	}
}

// TestRedisFanOut: an event published by one process reaches the subscribers of another,
// through a real Redis (make test-scaleout provides it).
func TestRedisFanOut(t *testing.T) {
	procA, procB := redisProcesses(t)
	ws := fmt.Sprintf("ws-%d", time.Now().UnixNano())
	onB := procB.Subscribe(ws, 10)
	onA := procA.Subscribe(ws, 10)
	otherWS := procB.Subscribe(ws+"-other", 10)
	defer onB.Close()
	defer onA.Close()
	defer otherWS.Close()
	// PSUBSCRIBE is confirmed asynchronously: publish until B hears, then check the rest.
	deadline := time.After(10 * time.Second)
	for got := false; !got; {
		if err := procA.Publish(context.Background(), ev(ws, 1)); err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-onB.C:
			got = d.Event.Workspace == ws && string(d.Event.Data) == `{"n":1}`
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("process B never heard process A's event")
		}
	}
	select {
	case d := <-onA.C: // the publisher's own subscribers hear it through Redis too
		if d.Event.Workspace != ws {
			t.Errorf("A got %+v", d)
		}
	case <-deadline:
		t.Fatal("process A's own subscriber never heard its event")
	}
	select {
	case d := <-otherWS.C:
		t.Errorf("another workspace heard %+v", d)
	default:
	}
}

// redisProcesses returns the hubs of two processes sharing the Redis of the scale-out
// tests, closed when the test ends.
func redisProcesses(t *testing.T) (*Redis, *Redis) {
	t.Helper()
	url := os.Getenv("AGENTOBS_TEST_REDIS_URL")
	if url == "" {
		t.Skip("AGENTOBS_TEST_REDIS_URL not set (make test-scaleout runs this)")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var hubs [2]*Redis
	for i := range hubs {
		rdb := redis.NewClient(opt)
		hubs[i] = NewRedis(rdb, log)
		t.Cleanup(func() {
			hubs[i].Close()
			rdb.Close()
		})
	}
	return hubs[0], hubs[1]
}
