package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// langfuseBatch is a batch ingestion request of 100 events as Langfuse's older SDKs send
// them: 10 agent runs of a trace-create, the agent's span, two generations and a tool,
// each created and then updated, and the trace updated with its output.
func langfuseBatch(prefix string, now time.Time) []byte {
	ts := func(ms int) string {
		return now.Add(time.Duration(ms-3000) * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
	}
	var b bytes.Buffer
	b.WriteString(`{"batch":[`)
	for r := 0; r < 10; r++ {
		t := fmt.Sprintf("%s-%d", prefix, r)
		ev := func(n int, typ, body string) {
			if r > 0 || n > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"%s-e%d","type":%q,"timestamp":%q,"body":{%s}}`, t, n, typ, ts(3000), body)
		}
		ev(0, "trace-create", fmt.Sprintf(`"id":%q,"timestamp":%q,"name":"support","userId":"user-%d","sessionId":"conv-%d","input":{"question":"How do I reset my password?"},"tags":["bench"],"release":"1.0.0"`, t, ts(0), r, r))
		ev(1, "span-create", fmt.Sprintf(`"id":"%s-a","traceId":%q,"name":"agent","startTime":%q,"input":"How do I reset my password?"`, t, t, ts(0)))
		ev(2, "generation-create", fmt.Sprintf(`"id":"%s-g1","traceId":%q,"parentObservationId":"%s-a","name":"chat","model":"gpt-4o-mini","modelParameters":{"temperature":0.2},"startTime":%q,"input":[{"role":"user","content":"How do I reset my password?"}]`, t, t, t, ts(10)))
		ev(3, "generation-update", fmt.Sprintf(`"id":"%s-g1","traceId":%q,"endTime":%q,"output":{"role":"assistant","tool_calls":[{"name":"search_docs"}]},"usage":{"input":1200,"output":40}`, t, t, ts(800)))
		ev(4, "span-create", fmt.Sprintf(`"id":"%s-t","traceId":%q,"parentObservationId":"%s-a","name":"search_docs","startTime":%q,"input":{"query":"reset password"}`, t, t, t, ts(810)))
		ev(5, "span-update", fmt.Sprintf(`"id":"%s-t","traceId":%q,"endTime":%q,"output":["docs/account.md"]`, t, t, ts(1000)))
		ev(6, "generation-create", fmt.Sprintf(`"id":"%s-g2","traceId":%q,"parentObservationId":"%s-a","name":"chat","model":"gpt-4o-mini","startTime":%q,"input":[{"role":"user","content":"How do I reset my password?"}]`, t, t, t, ts(1010)))
		ev(7, "generation-update", fmt.Sprintf(`"id":"%s-g2","traceId":%q,"endTime":%q,"output":{"role":"assistant","content":"Tap Settings, then Reset password."},"usage":{"input":1500,"output":60}`, t, t, ts(2900)))
		ev(8, "span-update", fmt.Sprintf(`"id":"%s-a","traceId":%q,"endTime":%q,"output":"Tap Settings, then Reset password."`, t, t, ts(3000)))
		ev(9, "trace-create", fmt.Sprintf(`"id":%q,"output":"Tap Settings, then Reset password."`, t))
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkLangfuseIngestion posts batch ingestion requests of 100 events to a server on
// the embedded store, 8 in flight, through HTTP, the store lookups, the mapping and the
// durable group commit. It reports events per second and per CPU second of the process
// (server and client together).
func BenchmarkLangfuseIngestion(b *testing.B) {
	srv, _ := newTestServer(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var seq atomic.Int64
	run := fmt.Sprintf("%x", time.Now().UnixNano())
	b.SetParallelism(4)
	b.ResetTimer()
	cpu0 := cpuSeconds()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := langfuseBatch(fmt.Sprintf("%s-%d", run, seq.Add(1)), time.Now().UTC())
			req, _ := http.NewRequest("POST", srv.URL+"/api/public/ingestion", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", basic(key))
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			var out bytes.Buffer
			out.ReadFrom(res.Body)
			res.Body.Close()
			if res.StatusCode != 207 || bytes.Contains(out.Bytes(), []byte(`"status":400`)) {
				b.Errorf("answer %d %s", res.StatusCode, out.Bytes())
				return
			}
		}
	})
	events := float64(b.N * 100)
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	if d := cpuSeconds() - cpu0; d > 0 {
		b.ReportMetric(events/d, "events/cpu-s")
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
