package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/realtime"
)

// BenchmarkLiveFanOut measures commit-to-client latency: 200 clients of one workspace
// subscribed to traces while commits arrive at 100 per second, each announced through the
// pipeline's commit hook. Every message carries the time it was published; clients read it
// on the same clock. Reported: p50, p95 and p99 in milliseconds over all deliveries.
//
//	go test -run x -bench BenchmarkLiveFanOut -benchtime 1x ./internal/httpapi/
func BenchmarkLiveFanOut(b *testing.B) {
	const clients, rate, seconds = 200, 100, 5
	hub := realtime.NewLocal()
	e := newAuthEnv(b, func(_ *auth.Config, h *Config) { h.Live = hub })
	feed := realtime.NewFeed(hub, slog.New(slog.NewTextHandler(io.Discard, nil)))
	protocols := liveProtocols(e.key)

	for i := 0; i < b.N; i++ {
		var mu sync.Mutex
		var lat []float64
		var ready, done sync.WaitGroup
		ctx, cancel := context.WithCancel(context.Background())
		url := "ws" + e.srv.URL[len("http"):] + "/api/v1/ws"
		for c := 0; c < clients; c++ {
			ready.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: protocols})
				if err != nil {
					b.Error(err)
					ready.Done()
					return
				}
				defer conn.CloseNow()
				conn.SetReadLimit(1 << 20)
				msg, _ := json.Marshal(map[string]any{"type": "subscribe", "channels": []string{"traces"}})
				_ = conn.Write(ctx, websocket.MessageText, msg)
				_, _, _ = conn.Read(ctx) // subscribed
				ready.Done()
				var local []float64
				for n := 0; n < rate*seconds; n++ {
					_, data, err := conn.Read(ctx)
					if err != nil {
						break
					}
					// A browser would parse the message; here only the time is needed, read
					// without decoding the rest so the clients leave the CPU to the server.
					if sent := sentAt(data); sent > 0 {
						local = append(local, float64(time.Now().UnixMicro()-sent)/1000)
					}
				}
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			}()
		}
		ready.Wait()
		b.ResetTimer()
		tick := time.NewTicker(time.Second / rate)
		for n := 0; n < rate*seconds; n++ {
			<-tick.C
			feed.Committed([]model.Trace{{WorkspaceID: e.wsID, TraceID: fmt.Sprintf("bench-%d-%d", i, n), AgentID: "bench-agent", Name: "run"}})
		}
		tick.Stop()
		done.Wait()
		cancel()
		b.StopTimer()
		slices.Sort(lat)
		if len(lat) == 0 {
			b.Fatal("no deliveries")
		}
		q := func(p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		b.ReportMetric(q(0.50), "p50-ms")
		b.ReportMetric(q(0.95), "p95-ms")
		b.ReportMetric(q(0.99), "p99-ms")
		b.ReportMetric(float64(len(lat)), "deliveries")
	}
}

// sentAt reads the sent_at field of a live message.
func sentAt(msg []byte) int64 {
	i := bytes.Index(msg, []byte(`"sent_at":`))
	if i < 0 {
		return 0
	}
	var n int64
	for _, c := range msg[i+len(`"sent_at":`):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
