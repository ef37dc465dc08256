package provider_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
)

var kinds = []string{provider.KindGemini, provider.KindOpenAI, provider.KindAnthropic}

var schema = json.RawMessage(`{"type":"object","properties":{"score":{"type":"integer"},"explanation":{"type":"string"}},"required":["score","explanation"],"additionalProperties":false}`)

func newProvider(t *testing.T, srv *providertest.Server, mutate ...func(*provider.Config)) provider.Provider {
	t.Helper()
	cfg := srv.Config("judge-model")
	for _, m := range mutate {
		m(&cfg)
	}
	p, err := provider.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fakeFor(t *testing.T, kind string, script func(providertest.Call) providertest.Reply) *providertest.Server {
	srv := providertest.New(kind, script)
	t.Cleanup(srv.Close)
	return srv
}

func TestHappyPathAndStructuredOutput(t *testing.T) {
	wantMode := map[string]provider.Mode{provider.KindGemini: provider.ModeJSONSchema,
		provider.KindOpenAI: provider.ModeJSONSchema, provider.KindAnthropic: provider.ModeTool}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			srv := fakeFor(t, kind, func(c providertest.Call) providertest.Reply {
				return providertest.Reply{Text: `{"score":87,"explanation":"fine"}`, InputTokens: 120, OutputTokens: 9}
			})
			p := newProvider(t, srv)
			resp, err := p.Complete(context.Background(), provider.Request{System: "be a judge", Prompt: "rate this", Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != `{"score":87,"explanation":"fine"}` {
				t.Errorf("text %q", resp.Text)
			}
			if resp.Usage == nil || resp.Usage.InputTokens != 120 || resp.Usage.OutputTokens != 9 {
				t.Errorf("usage %+v", resp.Usage)
			}
			if resp.Mode != wantMode[kind] {
				t.Errorf("mode %s, want %s", resp.Mode, wantMode[kind])
			}
			c := srv.Calls()[0]
			if c.Mode != wantMode[kind] || string(c.Schema) != string(schema) {
				t.Errorf("request mode %s schema %s", c.Mode, c.Schema)
			}
			if c.System != "be a judge" || c.Prompt != "rate this" || c.Model != "judge-model" {
				t.Errorf("request %+v", c)
			}
			if c.Temperature == nil || *c.Temperature != 0 {
				t.Errorf("temperature %v, want 0", c.Temperature)
			}
		})
	}
}

func TestWeakerModes(t *testing.T) {
	cases := []struct {
		kind string
		mode provider.Mode
	}{
		{provider.KindOpenAI, provider.ModeTool},
		{provider.KindOpenAI, provider.ModeJSON},
		{provider.KindOpenAI, provider.ModeText},
		{provider.KindGemini, provider.ModeJSON},
		{provider.KindGemini, provider.ModeText},
		{provider.KindAnthropic, provider.ModeText},
	}
	for _, tc := range cases {
		t.Run(tc.kind+"/"+string(tc.mode), func(t *testing.T) {
			srv := fakeFor(t, tc.kind, func(c providertest.Call) providertest.Reply {
				return providertest.Reply{Text: `{"score":1,"explanation":"x"}`}
			})
			p := newProvider(t, srv, func(c *provider.Config) { c.Mode = tc.mode })
			resp, err := p.Complete(context.Background(), provider.Request{Prompt: "p", Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.Calls()[0].Mode; got != tc.mode || resp.Mode != tc.mode {
				t.Errorf("sent mode %s, answered %s, want %s", got, resp.Mode, tc.mode)
			}
			if resp.Text != `{"score":1,"explanation":"x"}` {
				t.Errorf("text %q", resp.Text)
			}
		})
	}
}

func TestMissingUsage(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			srv := fakeFor(t, kind, func(c providertest.Call) providertest.Reply {
				return providertest.Reply{Text: `{"score":3}`, NoUsage: true}
			})
			resp, err := newProvider(t, srv).Complete(context.Background(), provider.Request{Prompt: "p", Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Usage != nil {
				t.Errorf("usage %+v, want nil when the provider reports none", resp.Usage)
			}
		})
	}
}

func TestMalformedAnswer(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			srv := fakeFor(t, kind, func(c providertest.Call) providertest.Reply {
				return providertest.Reply{Raw: `{"candidates": [ {"content": `}
			})
			_, err := newProvider(t, srv).Complete(context.Background(), provider.Request{Prompt: "p"})
			pe := provider.AsError(err)
			if pe == nil || pe.Kind != provider.ErrBadResponse || !pe.Retryable() {
				t.Fatalf("err %v, want a retryable bad_response", err)
			}
		})
	}
}

func TestErrorClassification(t *testing.T) {
	cases := []struct {
		name  string
		reply providertest.Reply
		kinds []string
		want  provider.ErrorKind
		pause bool
	}{
		{"401", providertest.Reply{Status: 401, Message: "invalid x-api-key"}, kinds, provider.ErrAuth, true},
		{"403", providertest.Reply{Status: 403, Message: "forbidden"}, kinds, provider.ErrAuth, true},
		{"gemini bad key", providertest.Reply{Status: 400, Message: "API key not valid. Please pass a valid API key."},
			[]string{provider.KindGemini}, provider.ErrAuth, true},
		{"404 model", providertest.Reply{Status: 404, Message: "model not found"}, kinds, provider.ErrNotFound, true},
		{"openai quota", providertest.Reply{Status: 429, Message: "You exceeded your current quota", ErrorCode: "insufficient_quota"},
			[]string{provider.KindOpenAI}, provider.ErrQuota, true},
		{"anthropic credit", providertest.Reply{Status: 400, Message: "Your credit balance is too low to access the Anthropic API."},
			[]string{provider.KindAnthropic}, provider.ErrQuota, true},
		{"429", providertest.Reply{Status: 429, Message: "slow down"}, kinds, provider.ErrRateLimited, false},
		{"500", providertest.Reply{Status: 500, Message: "boom"}, kinds, provider.ErrServer, false},
		{"529 overloaded", providertest.Reply{Status: 529, Message: "Overloaded"}, []string{provider.KindAnthropic}, provider.ErrServer, false},
		{"400", providertest.Reply{Status: 400, Message: "bad field"}, kinds, provider.ErrBadRequest, false},
	}
	for _, tc := range cases {
		for _, kind := range tc.kinds {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				srv := fakeFor(t, kind, func(providertest.Call) providertest.Reply { return tc.reply })
				_, err := newProvider(t, srv).Complete(context.Background(), provider.Request{Prompt: "p"})
				pe := provider.AsError(err)
				if pe == nil || pe.Kind != tc.want || pe.Pauses() != tc.pause || pe.Status != tc.reply.Status {
					t.Fatalf("err %#v, want kind %s pause %v", pe, tc.want, tc.pause)
				}
				if pe.Message != tc.reply.Message {
					t.Errorf("message %q, want the provider's %q", pe.Message, tc.reply.Message)
				}
			})
		}
	}
}

func TestRetryAfterSources(t *testing.T) {
	cases := []struct {
		kind  string
		reply providertest.Reply
		want  time.Duration
	}{
		{provider.KindOpenAI, providertest.Reply{Status: 429, Headers: map[string]string{"Retry-After": "7"}}, 7 * time.Second},
		{provider.KindAnthropic, providertest.Reply{Status: 429, Headers: map[string]string{"retry-after": "3"}}, 3 * time.Second},
		{provider.KindGemini, providertest.Reply{Status: 429, RetryDelay: "12s"}, 12 * time.Second},
		{provider.KindOpenAI, providertest.Reply{Status: 429, Headers: map[string]string{
			"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1m30s"}}, 90 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			srv := fakeFor(t, tc.kind, func(providertest.Call) providertest.Reply { return tc.reply })
			_, err := newProvider(t, srv).Complete(context.Background(), provider.Request{Prompt: "p"})
			pe := provider.AsError(err)
			if pe == nil || pe.RetryAfter != tc.want {
				t.Fatalf("err %#v, want RetryAfter %v", pe, tc.want)
			}
		})
	}
}

func TestSlowAnswerTimesOut(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			srv := fakeFor(t, kind, func(providertest.Call) providertest.Reply {
				return providertest.Reply{Text: "{}", Delay: 2 * time.Second}
			})
			p := newProvider(t, srv, func(c *provider.Config) { c.Timeout = 50 * time.Millisecond })
			_, err := p.Complete(context.Background(), provider.Request{Prompt: "p"})
			pe := provider.AsError(err)
			if pe == nil || pe.Kind != provider.ErrTimeout || !pe.Retryable() {
				t.Fatalf("err %v, want a retryable timeout", err)
			}
		})
	}
}

// sleeper records the waits a Client asks for instead of sleeping.
type sleeper struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (s *sleeper) clock() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.now }
func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	s.now = s.now.Add(d)
	return ctx.Err()
}

func TestClientHonoursRetryAfterThenSucceeds(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			var n atomic.Int32
			srv := fakeFor(t, kind, func(providertest.Call) providertest.Reply {
				switch n.Add(1) {
				case 1:
					return providertest.Reply{Status: 429, Headers: map[string]string{"Retry-After": "5"}}
				case 2:
					return providertest.Reply{Status: 503, Message: "unavailable"}
				}
				return providertest.Reply{Text: `{"score":50}`}
			})
			sl := &sleeper{now: time.Unix(1_800_000_000, 0)}
			c := provider.NewClientForTest(newProvider(t, srv), provider.Limits{MaxConcurrency: 4}, sl.clock, sl.sleep)
			var calls []provider.Call
			ctx := provider.WithObserver(context.Background(), func(c provider.Call) { calls = append(calls, c) })
			resp, attempts, err := c.Complete(ctx, provider.Request{Prompt: "p", Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			if attempts != 3 || resp.Text != `{"score":50}` {
				t.Errorf("attempts %d text %q", attempts, resp.Text)
			}
			// Every try is reported, failures with their error and the success with its answer.
			if len(calls) != 3 || provider.AsError(calls[0].Err).Kind != provider.ErrRateLimited || calls[0].Response != nil ||
				provider.AsError(calls[1].Err).Kind != provider.ErrServer || calls[2].Err != nil || calls[2].Response != resp ||
				calls[2].Attempt != 3 || calls[2].Request.Prompt != "p" || calls[2].End.Before(calls[2].Start) {
				t.Errorf("observed calls %+v", calls)
			}
			if len(sl.waits) < 2 || sl.waits[0] != 5*time.Second {
				t.Errorf("waits %v, want 5s first (Retry-After), then a jittered backoff", sl.waits)
			}
			if c.Limit() != 2 {
				t.Errorf("limit %d after one rate limit, want halved to 2", c.Limit())
			}
		})
	}
}

func TestClientStopsAtMaxAge(t *testing.T) {
	srv := fakeFor(t, provider.KindGemini, func(providertest.Call) providertest.Reply {
		return providertest.Reply{Status: 500, Message: "always down"}
	})
	sl := &sleeper{now: time.Unix(1_800_000_000, 0)}
	c := provider.NewClientForTest(newProvider(t, srv), provider.Limits{MaxAge: 10 * time.Second, BaseDelay: time.Second, MaxDelay: 4 * time.Second}, sl.clock, sl.sleep)
	_, attempts, err := c.Complete(context.Background(), provider.Request{Prompt: "p"})
	if pe := provider.AsError(err); pe == nil || pe.Kind != provider.ErrServer {
		t.Fatalf("err %v", err)
	}
	var total time.Duration
	for _, w := range sl.waits {
		total += w
	}
	if total > 10*time.Second || attempts < 2 {
		t.Errorf("waited %v over %d attempts, want retries bounded by the 10s max age", total, attempts)
	}
}

func TestClientDoesNotRetryAuth(t *testing.T) {
	srv := fakeFor(t, provider.KindAnthropic, func(providertest.Call) providertest.Reply {
		return providertest.Reply{Status: 401, Message: "invalid x-api-key"}
	})
	sl := &sleeper{now: time.Unix(1_800_000_000, 0)}
	c := provider.NewClientForTest(newProvider(t, srv), provider.Limits{}, sl.clock, sl.sleep)
	_, attempts, err := c.Complete(context.Background(), provider.Request{Prompt: "p"})
	if pe := provider.AsError(err); pe == nil || !pe.Pauses() || attempts != 1 {
		t.Fatalf("err %v after %d attempts, want one attempt and a pausing error", err, attempts)
	}
}

func TestClientBoundsConcurrency(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := fakeFor(t, provider.KindOpenAI, func(providertest.Call) providertest.Reply {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
		return providertest.Reply{Text: "{}"}
	})
	c := provider.NewClient(newProvider(t, srv), provider.Limits{MaxConcurrency: 3})
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := c.Complete(context.Background(), provider.Request{Prompt: "p"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if peak.Load() > 3 {
		t.Errorf("peak concurrency %d, want at most 3", peak.Load())
	}
}
