package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

// prober measures ack-to-queryable: it posts a trace of its own every 50 ms and polls for
// it every 2 ms until the store answers with it. It runs beside the load, on its own
// goroutine, so the figure is what a dashboard user waits for at that load.
type prober struct {
	client    *http.Client
	base      string
	header    http.Header
	runID     string
	warmupEnd time.Time
	lat       []time.Duration
	failed    int
}

func (p *prober) loop(ctx context.Context) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		d, err := p.once(ctx, fmt.Sprintf("probe-%s-%d", p.runID, n))
		switch {
		case err != nil:
			if ctx.Err() == nil {
				p.failed++
			}
		case time.Now().After(p.warmupEnd):
			p.lat = append(p.lat, d)
		}
	}
}

func (p *prober) once(ctx context.Context, id string) (time.Duration, error) {
	body := fmt.Sprintf(`{"trace_id":%q,"agent_id":"probe","timestamp":%q,"input":"probe","output":"ok","status":"success"}`,
		id, time.Now().UTC().Format(time.RFC3339Nano))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/api/v1/traces", bytes.NewReader([]byte(body)))
	req.Header = p.header
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("probe POST answered %d", resp.StatusCode)
	}
	acked := time.Now()
	for {
		get, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/api/v1/traces/"+id, nil)
		get.Header = p.header
		resp, err := p.client.Do(get)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return time.Since(acked), nil
		}
		if resp.StatusCode != http.StatusNotFound || time.Since(acked) > 30*time.Second {
			return 0, fmt.Errorf("probe GET answered %d", resp.StatusCode)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (p *prober) summary() *LatencyMs {
	slices.Sort(p.lat)
	out := latencyOf(p.lat)
	return &out
}
