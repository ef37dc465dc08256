package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// config is the parsed command line.
type config struct {
	URL         string
	Key         string
	Mode        string // "single", "batch", "otlp", "grpc", "langfuse-otlp" or "langfuse"
	GRPCAddr    string // grpc mode: host:port of the OTLP/gRPC receiver
	Batch       int
	Concurrency int
	Duration    time.Duration
	Warmup      time.Duration
	Timeout     time.Duration
	Spans       int
	Seed        uint64
	JSON        bool
	// Repeat is the share of traces that reuse an id this worker sent before, as client
	// retries do (single and batch modes).
	Repeat float64
	// Probe measures how soon an acknowledged trace can be read back.
	Probe bool
	// Rate caps the requests sent per second over all workers; 0 sends as fast as the
	// workers are answered.
	Rate float64
}

// perRequest is the number of traces in one request (spans in the OTLP modes, events in
// langfuse mode).
func (c *config) perRequest() int {
	if c.Mode == "batch" || c.otlpShape() || c.Mode == "langfuse" {
		return c.Batch
	}
	return 1
}

// otlpShape: the request is an OTLP ExportTraceServiceRequest (over HTTP or gRPC).
func (c *config) otlpShape() bool {
	return c.Mode == "otlp" || c.Mode == "grpc" || c.Mode == "langfuse-otlp"
}

func (c *config) validate() error {
	switch {
	case c.Mode != "single" && c.Mode != "batch" && c.Mode != "otlp" && c.Mode != "grpc" && c.Mode != "langfuse-otlp" && c.Mode != "langfuse":
		return fmt.Errorf("-mode must be single, batch, otlp, grpc, langfuse-otlp or langfuse, not %q", c.Mode)
	case c.Mode == "grpc" && c.GRPCAddr == "":
		return errors.New("-mode grpc needs -grpc-addr")
	case c.Mode != "single" && c.Batch < 1:
		return errors.New("-batch must be at least 1")
	case c.Concurrency < 1:
		return errors.New("-concurrency must be at least 1")
	case c.Duration <= 0:
		return errors.New("-duration must be positive")
	case c.Warmup < 0:
		return errors.New("-warmup must not be negative")
	case c.Timeout <= 0:
		return errors.New("-timeout must be positive")
	case c.Spans < 0 || c.Spans > 1000:
		return errors.New("-spans must be between 0 and 1000")
	case c.Repeat < 0 || c.Repeat >= 1:
		return errors.New("-repeat must be in [0, 1)")
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return errors.New("-rate must be a number of requests per second, 0 for no limit")
	case c.Repeat > 0 && c.otlpShape():
		return errors.New("-repeat applies to single and batch modes")
	case c.Key == "":
		return errors.New("no API key: pass -key or set AGENTOBS_API_KEY")
	case !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://"):
		return fmt.Errorf("-url must start with http:// or https://, not %q", c.URL)
	}
	return nil
}

// errFailed is returned by run when any request failed; the Result says which.
var errFailed = errors.New("requests failed")

// transportBackoff is the pause after a transport error, so a server that is down does
// not turn the client into a busy loop on a CPU it shares with the server.
const transportBackoff = 10 * time.Millisecond

// run sends load as cfg says until the duration ends or ctx is cancelled, then lets the
// in-flight requests finish. It returns errFailed (with the Result) if any request failed.
func run(ctx context.Context, cfg config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	gen, err := newGenerator(cfg.Seed, cfg.Spans)
	if err != nil {
		return nil, err
	}
	runID := newRunID()

	endpoint := strings.TrimRight(cfg.URL, "/") + "/api/v1/traces"
	if cfg.Mode == "batch" {
		endpoint += "/batch"
	}
	contentType := "application/json"
	var otlpTpl *otlpTemplate
	var lfTpl *langfuseTemplate
	authorization := "Bearer " + cfg.Key
	switch {
	case cfg.otlpShape():
		endpoint, contentType = strings.TrimRight(cfg.URL, "/")+"/v1/traces", "application/x-protobuf"
		if cfg.Mode == "langfuse-otlp" {
			// Langfuse's path and credentials: Basic with the API key as the secret key.
			endpoint = strings.TrimRight(cfg.URL, "/") + "/api/public/otel/v1/traces"
			authorization = "Basic " + base64.StdEncoding.EncodeToString([]byte("pk-lf-loadgen:"+cfg.Key))
		}
		if otlpTpl, err = newOTLPTemplate(cfg.Seed, cfg.Batch, cfg.Spans, cfg.Mode == "langfuse-otlp"); err != nil {
			return nil, err
		}
	case cfg.Mode == "langfuse":
		endpoint = strings.TrimRight(cfg.URL, "/") + "/api/public/ingestion"
		authorization = "Basic " + base64.StdEncoding.EncodeToString([]byte("pk-lf-loadgen:"+cfg.Key))
		lfTpl = newLangfuseTemplate(cfg.Seed, cfg.Batch)
	}
	tr := &http.Transport{
		Proxy:       nil, // measure the server, not a proxy picked up from the environment
		DialContext: (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		// Every worker keeps its connection: no handshakes in the measurement.
		MaxIdleConns:        cfg.Concurrency,
		MaxIdleConnsPerHost: cfg.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,     // answers are tiny
		WriteBufferSize:     64 << 10, // batch bodies are ~100 KiB: fewer write syscalls
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.Timeout}

	// Shared by all requests and never written after this point.
	header := http.Header{
		"Content-Type":  {contentType},
		"Authorization": {authorization},
		"User-Agent":    {"agentobs-loadgen/1"},
	}

	start := time.Now()
	warmupEnd := start.Add(cfg.Warmup)
	stopCtx, cancel := context.WithDeadline(ctx, warmupEnd.Add(cfg.Duration))
	defer cancel()

	var conns []*grpc.ClientConn
	if cfg.Mode == "grpc" {
		// A connection per 8 workers: gRPC multiplexes, yet one connection serialises on
		// its transport's writer.
		for range (cfg.Concurrency + 7) / 8 {
			conn, err := dialGRPC(cfg.GRPCAddr)
			if err != nil {
				return nil, err
			}
			defer conn.Close()
			conns = append(conns, conn)
		}
	}
	var sched *schedule
	if cfg.Rate > 0 {
		sched = &schedule{start: start, interval: time.Duration(float64(time.Second) / cfg.Rate)}
	}
	workers := make([]*worker, cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{
			cfg:       &cfg,
			client:    client,
			endpoint:  endpoint,
			header:    header,
			gen:       gen,
			otlp:      otlpTpl,
			langfuse:  lfTpl,
			otlpID:    otlpPrefix(runID, i),
			rng:       mrand.New(mrand.NewPCG(cfg.Seed, uint64(i))),
			idPrefix:  []byte("lg-" + runID + "-" + strconv.Itoa(i) + "-"),
			warmupEnd: warmupEnd,
			sched:     sched,
			st:        newStats(),
			warm:      newStats(),
		}
		if conns != nil {
			w.grpc = conns[i%len(conns)]
		}
		workers[i] = w
		wg.Go(func() { w.loop(stopCtx) })
	}
	var probe *prober
	if cfg.Probe {
		// The probe posts JSON whatever the load's own encoding.
		probeHeader := header.Clone()
		probeHeader.Set("Content-Type", "application/json")
		probe = &prober{client: client, base: strings.TrimRight(cfg.URL, "/"), header: probeHeader, runID: runID, warmupEnd: warmupEnd}
		wg.Go(func() { probe.loop(stopCtx) })
	}
	wg.Wait()
	end := time.Now()

	res := summarize(&cfg, runID, workers, end.Sub(warmupEnd))
	if probe != nil {
		res.Visibility, res.ProbeFailures = probe.summary(), probe.failed
	}
	if res.FailedRequests+res.WarmupFailedRequests > 0 {
		return res, errFailed
	}
	if res.Requests == 0 {
		return res, errors.New("no request completed after the warmup")
	}
	return res, nil
}

// schedule spaces the requests of all workers evenly under -rate: each request takes the
// next slot, start + k×interval, and waits for it. A server that falls behind leaves slots
// in the past; they are sent at once, as fast as the workers are answered, so the rate
// reached shows whether the server kept up.
type schedule struct {
	start    time.Time
	interval time.Duration
	next     atomic.Int64
}

// wait blocks until this request's slot; it reports false when ctx ends first.
func (s *schedule) wait(ctx context.Context) bool {
	due := s.start.Add(time.Duration(s.next.Add(1)-1) * s.interval)
	d := time.Until(due)
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func newRunID() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}

// stats are one worker's counts, kept per worker so the hot path takes no locks.
type stats struct {
	requests, sent, acked, failed int64
	errors                        map[string]int64
	samples                       map[string]string // first answer or error text per key
	lat                           []time.Duration
}

func newStats() stats {
	return stats{errors: map[string]int64{}, samples: map[string]string{}}
}

func (s *stats) fail(key, sample string) {
	s.failed++
	s.errors[key]++
	if _, ok := s.samples[key]; !ok && sample != "" {
		s.samples[key] = sample
	}
}

type worker struct {
	cfg       *config
	client    *http.Client
	endpoint  string
	header    http.Header
	gen       *generator
	otlp      *otlpTemplate    // otlp, grpc and langfuse-otlp modes
	grpc      *grpc.ClientConn // grpc mode
	langfuse  *langfuseTemplate
	otlpID    [8]byte
	rng       *mrand.Rand
	idPrefix  []byte
	seq       uint64
	body      *reqBody
	newBodies int // bodies allocated: stays near 1 when buffers are reused
	warmupEnd time.Time
	sched     *schedule // nil without -rate
	st        stats     // after the warmup
	warm      stats     // during the warmup
}

func (w *worker) loop(ctx context.Context) {
	if w.st.lat == nil {
		w.st.lat = make([]time.Duration, 0, 4096)
	}
	for ctx.Err() == nil {
		if w.sched != nil && !w.sched.wait(ctx) {
			return
		}
		if !w.do() {
			select {
			case <-ctx.Done():
			case <-time.After(transportBackoff):
			}
		}
	}
}

// do sends one request and records it; it reports false on a transport error.
func (w *worker) do() bool {
	b := w.takeBody()
	n := w.cfg.perRequest()
	now := time.Now().UTC()
	buf := b.buf[:0]
	if w.otlp != nil {
		buf = w.otlp.appendTo(buf, w.otlpID, &w.seq, now)
	} else if w.langfuse != nil {
		buf = w.langfuse.appendTo(buf, w.otlpID, &w.seq, now)
	} else if w.cfg.Mode == "batch" {
		buf = append(buf, `{"traces":[`...)
		for i := range n {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = w.appendTrace(buf, now)
		}
		buf = append(buf, "]}"...)
	} else {
		buf = w.appendTrace(buf, now)
	}
	b.reset(buf)
	if w.grpc != nil {
		return w.doGRPC(buf, n)
	}

	// Not tied to the run's deadline: a request in flight when the duration ends finishes.
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, w.endpoint, b)
	if err != nil {
		panic(err) // the URL was validated
	}
	req.ContentLength = int64(len(buf))
	req.Header = w.header

	t0 := time.Now()
	resp, err := w.client.Do(req)
	var status int
	var acked int64
	var sample string
	langfuseFailed := false
	if err == nil {
		status = resp.StatusCode
		if w.langfuse != nil && status == http.StatusMultiStatus {
			// Langfuse answers 207 always: a request failed only if an event did.
			raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			acked, langfuseFailed, sample = langfuseAcked(raw)
			status = http.StatusOK
		} else {
			acked, sample = readAnswer(resp, n, w.otlp != nil)
		}
	}
	t1 := time.Now()

	st := &w.st
	if t1.Before(w.warmupEnd) {
		st = &w.warm
	} else {
		st.lat = append(st.lat, t1.Sub(t0))
	}
	st.requests++
	st.sent += int64(n)
	st.acked += acked
	switch {
	case err != nil:
		st.fail(classify(err), err.Error())
		return false
	case langfuseFailed:
		st.fail("event error", sample)
	case status == http.StatusMultiStatus:
		// Some items were rejected: the request did not do all it was asked to.
		st.fail("207", sample)
	case status < 200 || status > 299:
		st.fail(strconv.Itoa(status), sample)
	}
	return true
}

func (w *worker) doGRPC(body []byte, n int) bool {
	t0 := time.Now()
	resp, err := exportGRPC(w.grpc, w.cfg.Key, body, w.cfg.Timeout)
	t1 := time.Now()
	w.body.Close() // gRPC copied the body: the buffer is free again
	st := &w.st
	if t1.Before(w.warmupEnd) {
		st = &w.warm
	} else {
		st.lat = append(st.lat, t1.Sub(t0))
	}
	st.requests++
	st.sent += int64(n)
	if err != nil {
		st.fail("grpc: "+status.Code(err).String(), err.Error())
		return status.Code(err) != codes.Unavailable
	}
	st.acked += otlpAcked(resp, n)
	return true
}

func (w *worker) appendTrace(buf []byte, now time.Time) []byte {
	t := &w.gen.templates[w.rng.IntN(len(w.gen.templates))]
	if w.cfg.Repeat > 0 && w.seq > 0 && w.rng.Float64() < w.cfg.Repeat {
		// A retry: an id this worker already sent, which the server must merge, not add.
		return t.appendTo(buf, w.idPrefix, 1+w.rng.Uint64N(w.seq), now)
	}
	w.seq++
	return t.appendTo(buf, w.idPrefix, w.seq, now)
}

// readAnswer drains the answer, so the connection is reused, and returns how many of the
// n traces were acknowledged, and the start of the body unless it was a plain success.
func readAnswer(resp *http.Response, n int, otlp bool) (acked int64, sample string) {
	defer resp.Body.Close()
	switch {
	case otlp && resp.StatusCode == http.StatusOK:
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_, _ = io.Copy(io.Discard, resp.Body)
		return otlpAcked(raw, n), ""
	case resp.StatusCode == http.StatusMultiStatus:
		var body struct {
			Accepted int64 `json:"accepted"`
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = json.Unmarshal(raw, &body)
		return body.Accepted, snippet(raw)
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		// 202 means every trace is committed; no need to parse the answer.
		_, _ = io.Copy(io.Discard, resp.Body)
		return int64(n), ""
	default:
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		_, _ = io.Copy(io.Discard, resp.Body)
		return 0, snippet(raw)
	}
}

func snippet(raw []byte) string {
	const maxLen = 300
	s := strings.TrimSpace(string(raw))
	if len(s) > maxLen {
		s = s[:maxLen] + "..."
	}
	return s
}

// classify names a transport error by its cause, so thousands of errors fold into a few
// readable rows.
func classify(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "transport: timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "transport: connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "transport: connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "transport: broken pipe"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "transport: no free local port"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "transport: connection closed by server"
	}
	return "transport: other"
}

// reqBody is a request body whose buffer is reused by the next request of its worker once
// the transport has closed it (the transport may close it after Do returns).
type reqBody struct {
	bytes.Reader
	buf    []byte
	closed chan struct{} // receives once the transport has closed the body
	done   atomic.Bool
}

func (b *reqBody) Close() error {
	if b.done.CompareAndSwap(false, true) {
		b.closed <- struct{}{}
	}
	return nil
}

func (b *reqBody) reset(buf []byte) {
	b.buf = buf
	b.done.Store(false)
	b.Reader.Reset(buf)
}

// takeBody returns the worker's body if the transport is done with it, else a new one:
// never waiting keeps a misbehaving transport from stalling the worker.
func (w *worker) takeBody() *reqBody {
	if b := w.body; b != nil {
		select {
		case <-b.closed:
			return b
		default:
		}
	}
	size := w.gen.maxLen * 2
	if w.otlp != nil {
		size = len(w.otlp.body)
	} else if w.langfuse != nil {
		size = 2048 * w.cfg.Batch
	} else if w.cfg.Mode == "batch" {
		size *= w.cfg.Batch
	}
	w.newBodies++
	w.body = &reqBody{buf: make([]byte, 0, size), closed: make(chan struct{}, 1)}
	return w.body
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted: the smallest
// value that at least p% of the values do not exceed. Zero for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// The epsilon keeps float noise (99.9*1000 = 99900.00000000001) from moving a rank up.
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// summarize merges the workers' counts into the Result.
func summarize(cfg *config, runID string, workers []*worker, elapsed time.Duration) *Result {
	r := &Result{
		RunID:       runID,
		URL:         cfg.URL,
		Mode:        cfg.Mode,
		Batch:       cfg.perRequest(),
		Concurrency: cfg.Concurrency,
		Spans:       cfg.Spans,
		Seed:        cfg.Seed,
		OfferedPerS: cfg.Rate,
		DurationS:   cfg.Duration.Seconds(),
		WarmupS:     cfg.Warmup.Seconds(),
		Errors:      map[string]int64{},
		WarmupErrs:  map[string]int64{},
		Samples:     map[string]string{},
	}
	var lat []time.Duration
	for _, w := range workers {
		r.Requests += w.st.requests
		r.TracesSent += w.st.sent
		r.TracesAcked += w.st.acked
		r.FailedRequests += w.st.failed
		r.WarmupRequests += w.warm.requests
		r.WarmupFailedRequests += w.warm.failed
		for k, v := range w.st.errors {
			r.Errors[k] += v
		}
		for k, v := range w.warm.errors {
			r.WarmupErrs[k] += v
		}
		for _, m := range []map[string]string{w.st.samples, w.warm.samples} {
			for k, v := range m {
				if _, ok := r.Samples[k]; !ok {
					r.Samples[k] = v
				}
			}
		}
		lat = append(lat, w.st.lat...)
	}
	if elapsed > 0 {
		r.ElapsedS = elapsed.Seconds()
		r.RequestsPerS = float64(r.Requests) / r.ElapsedS
		r.TracesPerS = float64(r.TracesAcked) / r.ElapsedS
	}
	slices.Sort(lat)
	r.Latency = latencyOf(lat)
	return r
}

// latencyOf summarises sorted durations in milliseconds; zeros for none.
func latencyOf(sorted []time.Duration) LatencyMs {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	out := LatencyMs{P50: ms(percentile(sorted, 50)), P95: ms(percentile(sorted, 95)), P99: ms(percentile(sorted, 99))}
	if n := len(sorted); n > 0 {
		var sum time.Duration
		for _, d := range sorted {
			sum += d
		}
		out.Max, out.Mean = ms(sorted[n-1]), ms(sum/time.Duration(n))
	}
	return out
}
