package pricing

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr(v float64) *float64 { return &v }

// near reports whether a and b agree to within a relative 1e-12, so that
// expected costs can be written as plain decimal arithmetic.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-12*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestDefaultParses(t *testing.T) {
	if _, err := Parse(embedded); err != nil {
		t.Fatalf("embedded prices.json: %v", err)
	}
	tab := Default()
	if tab != Default() {
		t.Error("Default returned different tables")
	}
	if n := tab.Len(); n < 60 {
		t.Errorf("Len() = %d, want at least 60 models", n)
	}
}

// TestEmbeddedEntries guards the data: every entry is priced and belongs to a
// provider the ingestion path knows, and as_of is a real date.
func TestEmbeddedEntries(t *testing.T) {
	known := map[string]bool{
		"openai": true, "anthropic": true, "google": true, "mistral": true,
		"together": true, "groq": true, "deepseek": true,
	}
	var f struct {
		AsOf       string `json:"as_of"`
		SourceNote string `json:"source_note"`
	}
	if err := json.Unmarshal(embedded, &f); err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(time.DateOnly, f.AsOf); err != nil {
		t.Errorf("as_of %q: %v", f.AsOf, err)
	}
	if f.SourceNote == "" {
		t.Error("source_note is empty")
	}
	for _, e := range Default().entries {
		p := e.price
		if !known[p.Provider] {
			t.Errorf("%s: unknown provider %q", p.Model, p.Provider)
		}
		if p.InputPerMTok <= 0 {
			t.Errorf("%s: input price %v, want > 0", p.Model, p.InputPerMTok)
		}
		// Embedding models produce no output tokens; everything else must
		// have an output price.
		if p.OutputPerMTok <= 0 && !strings.Contains(p.Model, "embedding") {
			t.Errorf("%s: output price %v, want > 0", p.Model, p.OutputPerMTok)
		}
		if c := p.CachedInputPerMTok; c != nil && (*c <= 0 || *c > p.InputPerMTok) {
			t.Errorf("%s: cached input price %v, want in (0, input]", p.Model, *c)
		}
	}
}

// TestRequiredModels checks that the models the ingestion docs promise are
// priced, under their usual names.
func TestRequiredModels(t *testing.T) {
	for _, m := range []string{
		"gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
		"gpt-4o", "gpt-4o-mini", "o1", "o3", "o3-mini", "o4-mini", "gpt-3.5-turbo",
		"text-embedding-3-small", "text-embedding-3-large",
		"claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1",
		"claude-opus-4", "claude-sonnet-4", "claude-3-7-sonnet", "claude-3-5-sonnet",
		"claude-3-5-haiku", "claude-3-haiku", "claude-3-opus",
		"gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash",
		"gemini-1.5-pro", "gemini-1.5-flash",
		"mistral-large-latest", "mistral-medium-latest", "mistral-small-latest",
		"codestral-latest", "ministral-8b-latest", "pixtral-large-latest", "pixtral-12b",
		"llama-3.1-8b-instruct", "llama-3.1-70b-instruct", "llama-3.1-405b-instruct",
		"llama-3.3-70b-instruct", "llama-4-scout", "llama-4-maverick",
		"deepseek-chat", "deepseek-reasoner",
	} {
		if _, ok := Default().Lookup(m); !ok {
			t.Errorf("%s is not priced", m)
		}
	}
}

func TestLookup(t *testing.T) {
	tab := Default()
	tests := []struct {
		in   string
		want string // canonical model; "" means unknown
	}{
		// exact and case
		{"gpt-4o-mini", "gpt-4o-mini"},
		{"GPT-4o-Mini", "gpt-4o-mini"},
		{"  gpt-4o  ", "gpt-4o"},
		{"Claude-3-5-Sonnet-20241022", "claude-3-5-sonnet"},
		// provider prefixes
		{"openai/gpt-4o", "gpt-4o"},
		{"openai/gpt-4o-mini", "gpt-4o-mini"},
		{"anthropic/claude-3.5-sonnet", "claude-3-5-sonnet"},
		{"anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"},
		{"anthropic/claude-3.7-sonnet:thinking", "claude-3-7-sonnet"},
		{"models/gemini-1.5-pro", "gemini-1.5-pro"},
		{"models/gemini-1.5-pro-002", "gemini-1.5-pro"},
		{"google/gemini-2.5-flash", "gemini-2.5-flash"},
		{"publishers/google/models/gemini-2.5-pro", "gemini-2.5-pro"},
		{"meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", "llama-3.1-8b-instruct"},
		{"meta-llama/Llama-3.3-70B-Instruct-Turbo", "llama-3.3-70b-instruct"},
		{"meta-llama/llama-3.1-405b-instruct", "llama-3.1-405b-instruct"},
		{"meta-llama/Llama-4-Scout-17B-16E-Instruct", "llama-4-scout-17b-16e-instruct"},
		{"meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", "llama-4-maverick-17b-128e-instruct-fp8"},
		{"mistralai/mistral-large-2411", "mistral-large-2411"},
		{"deepseek/deepseek-chat", "deepseek-chat"},
		{"openrouter/openai/gpt-5:free", "gpt-5"},
		// date and version suffixes
		{"gpt-4o-2024-08-06", "gpt-4o"},
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
		{"gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"},
		{"o3-mini-2025-01-31", "o3-mini"},
		{"o1-2024-12-17", "o1"},
		{"gpt-5-2025-08-07", "gpt-5"},
		{"gpt-3.5-turbo-0125", "gpt-3.5-turbo"},
		{"claude-3-5-sonnet-20241022", "claude-3-5-sonnet"},
		{"claude-opus-4-20250514", "claude-opus-4"},
		{"claude-opus-4-1-20250805", "claude-opus-4-1"},
		{"claude-opus-4-5-20251101", "claude-opus-4-5"},
		{"claude-3-5-haiku-latest", "claude-3-5-haiku"},
		{"claude-3-7-sonnet-latest", "claude-3-7-sonnet"},
		{"claude-sonnet-4-5@20250929", "claude-sonnet-4-5"},
		{"claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet"},
		{"claude-sonnet-4-5[1m]", "claude-sonnet-4-5"},
		{"gemini-2.5-flash-preview-05-20", "gemini-2.5-flash"},
		{"gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash"},
		{"gemini-2.5-flash-lite-preview-06-17", "gemini-2.5-flash-lite"},
		{"gemini-2.5-pro-exp-03-25", "gemini-2.5-pro"},
		{"gemini-2.0-flash-001", "gemini-2.0-flash"},
		{"gemini-2.0-flash-exp", "gemini-2.0-flash"},
		{"gemini-1.5-flash-latest", "gemini-1.5-flash"},
		{"gemini-3-flash-preview", "gemini-3-flash-preview"},
		{"gemini-3.1-pro", "gemini-3.1-pro-preview"},
		{"mistral-small-2506", "mistral-small"},
		{"ministral-8b-latest", "ministral-8b"},
		{"codestral-2508", "codestral"},
		// Bedrock
		{"anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"},
		{"us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"},
		{"eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"},
		{"global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"},
		{"anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"},
		{"meta.llama3-1-70b-instruct-v1:0", "llama-3.1-70b-instruct"},
		{"us.meta.llama3-3-70b-instruct-v1:0", "llama-3.3-70b-instruct"},
		{"meta.llama4-maverick-17b-instruct-v1:0", "llama-4-maverick-17b-128e-instruct-fp8"},
		{"mistral.mistral-large-2407-v1:0", "mistral-large-2411"},
		{"bedrock/us.anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1"},
		// aliases and '.' read as '-'
		{"gpt-5-chat-latest", "gpt-5"},
		{"gpt-4-1", "gpt-4.1"},
		{"claude-opus-4-0", "claude-opus-4"},
		{"claude-4-sonnet", "claude-sonnet-4"},
		{"claude-haiku-4.5", "claude-haiku-4-5"},
		{"llama-4-scout", "llama-4-scout-17b-16e-instruct"},
		{"deepseek-v4-flash", "deepseek-flash"},
		{"mistral-medium-2508", "mistral-medium-3"},
		{"mistral-medium-latest", "mistral-medium"},
		{"gpt-5.6", "gpt-5.6-sol"},
		// a dated snapshot with its own price wins over the bare model
		{"gpt-4o-2024-05-13", "gpt-4o-2024-05-13"},
		{"openai/gpt-4o-2024-05-13", "gpt-4o-2024-05-13"},
		// never a different model by prefix
		{"gpt-4o-mini-search-preview", ""},
		{"gpt-4o-audio-preview", ""},
		{"gpt-4o-realtime-preview-2024-12-17", ""},
		{"o3-pro", ""},
		{"o3-deep-research", ""},
		{"o1-mini", ""},
		{"gpt-5-pro", ""},
		{"gpt-4", ""},
		{"gpt-4-turbo", ""},
		{"gpt-4-0613", ""},
		{"gpt-3.5-turbo-16k", ""},
		{"chatgpt-4o-latest", ""},
		{"gemini-2.5-flash-image", ""},
		{"gemini-pro", ""},
		{"claude-3-5", ""},
		{"claude", ""},
		{"deepseek-v3", ""},
		{"llama-3.1", ""},
		// unknown
		{"", ""},
		{"   ", ""},
		{"my-local-model", ""},
		{"ft:gpt-4o-mini-2024-07-18:acme::abc123", ""},
		{"azure/my-deployment", ""},
		{"/", ""},
		{"@", ""},
		{":", ""},
		{"-2024-08-06", ""},
		{"-latest", ""},
		{"us.anthropic.", ""},
	}
	for _, tc := range tests {
		p, ok := tab.Lookup(tc.in)
		if ok != (tc.want != "") || p.Model != tc.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tc.in, p.Model, ok, tc.want)
		}
		// the cached second lookup must agree with the first
		p2, ok2 := tab.Lookup(tc.in)
		if ok2 != ok || p2.Model != p.Model {
			t.Errorf("second Lookup(%q) = %q, %v; first gave %q, %v", tc.in, p2.Model, ok2, p.Model, ok)
		}
	}
}

func TestLookupPrice(t *testing.T) {
	p, ok := Default().Lookup("openai/gpt-4o-mini-2024-07-18")
	if !ok {
		t.Fatal("gpt-4o-mini not found")
	}
	want := Price{Provider: "openai", Model: "gpt-4o-mini", InputPerMTok: 0.15, OutputPerMTok: 0.60, CachedInputPerMTok: ptr(0.075)}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Lookup (-want +got):\n%s", diff)
	}
	// The result is a copy: changing it must not change the table.
	*p.CachedInputPerMTok = 99
	p.InputPerMTok = 99
	again, _ := Default().Lookup("gpt-4o-mini")
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("table changed through a Lookup result (-want +got):\n%s", diff)
	}

	p, _ = Default().Lookup("gpt-3.5-turbo")
	if p.CachedInputPerMTok != nil {
		t.Errorf("gpt-3.5-turbo cached rate = %v, want nil", *p.CachedInputPerMTok)
	}
}

func TestProviderOf(t *testing.T) {
	tab := Default()
	for in, want := range map[string]string{
		"gpt-4o": "openai",
		"us.anthropic.claude-3-5-sonnet-20241022-v2:0": "anthropic",
		"models/gemini-2.5-pro":                        "google",
		"mistral-large-latest":                         "mistral",
		"meta-llama/Llama-3.3-70B-Instruct-Turbo":      "together",
		"llama-3.3-70b-versatile":                      "groq",
		"deepseek-reasoner":                            "deepseek",
		"nope":                                         "",
		"":                                             "",
	} {
		if got := tab.ProviderOf(in); got != want {
			t.Errorf("ProviderOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCost(t *testing.T) {
	tab, err := Parse([]byte(`{"models": [
		{"provider": "p", "model": "cached", "input_per_mtok": 2, "output_per_mtok": 8, "cached_input_per_mtok": 0.5},
		{"provider": "p", "model": "nocache", "input_per_mtok": 3, "output_per_mtok": 15},
		{"provider": "p", "model": "free", "input_per_mtok": 0, "output_per_mtok": 0}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name              string
		model             string
		in, out, cachedIn int64
		want              float64
		wantOK            bool
	}{
		{"plain", "cached", 1_000_000, 1_000_000, 0, 2 + 8, true},
		{"small", "cached", 1000, 500, 0, 0.002 + 0.004, true},
		{"part cached", "cached", 1_000_000, 0, 400_000, 0.6*2 + 0.4*0.5, true},
		{"all cached", "cached", 1_000_000, 0, 1_000_000, 0.5, true},
		{"cached beyond input", "cached", 1_000_000, 0, 3_000_000, 0.5, true},
		{"cached without rate", "nocache", 1_000_000, 1_000_000, 500_000, 3 + 15, true},
		{"negative input", "cached", -5, 1_000_000, 0, 8, true},
		{"negative output", "cached", 1_000_000, -1, 0, 2, true},
		{"negative cached", "cached", 1_000_000, 0, -7, 2, true},
		{"all zero", "cached", 0, 0, 0, 0, true},
		{"free model", "free", 123, 456, 7, 0, true},
		{"case and suffix", "CACHED-latest", 1_000_000, 0, 0, 2, true},
		{"unknown", "unknown", 1_000_000, 1_000_000, 0, 0, false},
		{"huge", "cached", 1 << 40, 1 << 40, 0, float64(1<<40) * 10 / 1e6, true},
	}
	for _, tc := range tests {
		got, ok := tab.Cost(tc.model, tc.in, tc.out, tc.cachedIn)
		if ok != tc.wantOK || !near(got, tc.want) {
			t.Errorf("%s: Cost(%q, %d, %d, %d) = %v, %v; want %v, %v",
				tc.name, tc.model, tc.in, tc.out, tc.cachedIn, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestCostDefault(t *testing.T) {
	tab := Default()
	tests := []struct {
		model             string
		in, out, cachedIn int64
		want              float64
	}{
		// 1M in at $0.15, 1M out at $0.60
		{"gpt-4o-mini", 1_000_000, 1_000_000, 0, 0.75},
		// 10k in of which 4k cached: 6k*$2.50 + 4k*$1.25, 1k out at $10
		{"gpt-4o-2024-08-06", 10_000, 1_000, 4_000, (6_000*2.50 + 4_000*1.25 + 1_000*10) / 1e6},
		// Anthropic cached input is the cache-read price
		{"claude-sonnet-4-5", 100_000, 2_000, 80_000, (20_000*3.0 + 80_000*0.30 + 2_000*15) / 1e6},
		// no cached rate: cached tokens at the input rate
		{"gpt-3.5-turbo", 1_000, 1_000, 1_000, (1_000*0.50 + 1_000*1.50) / 1e6},
		{"deepseek-chat", 1_000_000, 1_000_000, 1_000_000, 0.0028 + 0.28},
		{"text-embedding-3-small", 1_000_000, 0, 0, 0.02},
	}
	for _, tc := range tests {
		got, ok := tab.Cost(tc.model, tc.in, tc.out, tc.cachedIn)
		if !ok || !near(got, tc.want) {
			t.Errorf("Cost(%q, %d, %d, %d) = %v, %v; want %v", tc.model, tc.in, tc.out, tc.cachedIn, got, ok, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	model := func(fields string) string { return `{"models": [` + fields + `]}` }
	ok := `{"provider": "p", "model": "a", "input_per_mtok": 1, "output_per_mtok": 2}`
	tests := []struct {
		name string
		data string
		want string // a substring of the error
	}{
		{"empty", ``, "unexpected end of input"},
		{"bad JSON", `{"models": [`, "unexpected end of input"},
		{"syntax", `{"models": [}`, "invalid JSON at byte"},
		{"not an object", `[]`, "must be an object"},
		{"trailing data", `{"models": []} {}`, "unexpected data after"},
		{"missing models", `{"as_of": "2026-01-01"}`, "models: required"},
		{"null document", `null`, "models: required"},
		{"models not array", `{"models": {}}`, "models: must be an array"},
		{"unknown top field", `{"modles": []}`, "modles: unknown field"},
		{"bad as_of", `{"as_of": "Nov 2026", "models": []}`, "as_of: must be a date"},
		{"entry not object", model(ok + `, 7`), "models[1]: must be an object"},
		{"entry null", model(`null`), "models[0]: must be an object"},
		{"missing model", model(`{"provider": "p", "input_per_mtok": 1, "output_per_mtok": 2}`), "models[0].model: required"},
		{"blank model", model(`{"provider": "p", "model": " ", "input_per_mtok": 1, "output_per_mtok": 2}`), "models[0].model: required"},
		{"missing provider", model(ok + `, {"model": "b", "input_per_mtok": 1, "output_per_mtok": 2}`), "models[1].provider: required"},
		{"missing input", model(`{"provider": "p", "model": "a", "output_per_mtok": 2}`), "models[0].input_per_mtok: required"},
		{"missing output", model(`{"provider": "p", "model": "a", "input_per_mtok": 2}`), "models[0].output_per_mtok: required"},
		{"negative input", model(ok + `,` + ok + `,` + ok + `, {"provider": "p", "model": "d", "input_per_mtok": -1, "output_per_mtok": 2}`), "models[3].input_per_mtok: must be >= 0"},
		{"negative output", model(`{"provider": "p", "model": "a", "input_per_mtok": 1, "output_per_mtok": -0.5}`), "models[0].output_per_mtok: must be >= 0"},
		{"negative cached", model(`{"provider": "p", "model": "a", "input_per_mtok": 1, "output_per_mtok": 2, "cached_input_per_mtok": -1}`), "models[0].cached_input_per_mtok: must be >= 0"},
		{"price as string", model(`{"provider": "p", "model": "a", "input_per_mtok": "1", "output_per_mtok": 2}`), "models[0].input_per_mtok: must be a number, not string"},
		{"price out of range", model(`{"provider": "p", "model": "a", "input_per_mtok": 1e999, "output_per_mtok": 2}`), "models[0].input_per_mtok: number out of range"},
		{"typo field", model(`{"provider": "p", "model": "a", "input_per_mtok": 1, "output_per_mtok": 2, "cached_per_mtok": 1}`), "models[0].cached_per_mtok: unknown field"},
		{"empty alias", model(`{"provider": "p", "model": "a", "aliases": ["x", ""], "input_per_mtok": 1, "output_per_mtok": 2}`), "models[0].aliases[1]: must not be empty"},
		{"duplicate model", model(ok + `, {"provider": "q", "model": "A", "input_per_mtok": 1, "output_per_mtok": 2}`), `models[1].model: "A" already names models[0] (a)`},
		{"duplicate alias", model(ok + `, {"provider": "q", "model": "b", "aliases": ["a"], "input_per_mtok": 1, "output_per_mtok": 2}`), `models[1].aliases[0]: "a" already names models[0]`},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.data))
		if err == nil {
			t.Errorf("%s: Parse succeeded, want error containing %q", tc.name, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

func TestParseValid(t *testing.T) {
	tab, err := Parse([]byte(`{
		"as_of": "2026-11-01",
		"source_note": "test",
		"models": [
			{"provider": " Acme ", "model": " m1 ", "aliases": ["m1-alias", "m1"], "input_per_mtok": 1, "output_per_mtok": 2, "cached_input_per_mtok": null},
			{"provider": "acme", "model": "m2", "input_per_mtok": 0.5, "output_per_mtok": 0.5, "cached_input_per_mtok": 0}
		]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 2 {
		t.Errorf("Len() = %d, want 2", tab.Len())
	}
	p, ok := tab.Lookup("m1-alias")
	want := Price{Provider: "acme", Model: "m1", InputPerMTok: 1, OutputPerMTok: 2}
	if diff := cmp.Diff(want, p); !ok || diff != "" {
		t.Errorf("Lookup(m1-alias) ok=%v (-want +got):\n%s", ok, diff)
	}
	// a zero cached rate makes cached tokens free
	if got, _ := tab.Cost("m2", 1_000_000, 0, 1_000_000); got != 0 {
		t.Errorf("Cost(m2, all cached) = %v, want 0", got)
	}
	empty, err := Parse([]byte(`{"models": []}`))
	if err != nil || empty.Len() != 0 {
		t.Errorf("empty table: %v, Len %d", err, empty.Len())
	}
}

// TestFoldAmbiguous checks that reading '.' as '-' is dropped where it would
// make a name ambiguous, rather than picking one model at random.
func TestFoldAmbiguous(t *testing.T) {
	tab, err := Parse([]byte(`{"models": [
		{"provider": "p", "model": "m-1.5", "input_per_mtok": 1, "output_per_mtok": 1},
		{"provider": "p", "model": "m-1-5", "input_per_mtok": 2, "output_per_mtok": 2},
		{"provider": "p", "model": "x.2", "input_per_mtok": 3, "output_per_mtok": 3}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{"m-1.5": "m-1.5", "m-1-5": "m-1-5", "x-2": "x.2", "m.1.5": ""} {
		p, ok := tab.Lookup(in)
		if ok != (want != "") || p.Model != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", in, p.Model, ok, want)
		}
	}
}

func writeFile(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	path := writeFile(t, `{
		"as_of": "2026-11-20",
		"models": [
			{"provider": "openai", "model": "gpt-4o", "input_per_mtok": 1, "output_per_mtok": 4},
			{"provider": "self-hosted", "model": "acme-chat", "aliases": ["acme/chat-v1", "claude-opus-4-0"], "input_per_mtok": 0.01, "output_per_mtok": 0.02},
			{"provider": "azure", "model": "GPT-4o-Mini", "input_per_mtok": 0.165, "output_per_mtok": 0.66, "cached_input_per_mtok": 0.0825}
		]
	}`)
	tab, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// 2 overridden, 1 added
	if got, want := tab.Len(), Default().Len()+1; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	tests := []struct {
		in    string
		want  Price
		found bool
	}{
		// overridden, also through normalization; the user's rate has no cached price
		{"gpt-4o", Price{Provider: "openai", Model: "gpt-4o", InputPerMTok: 1, OutputPerMTok: 4}, true},
		{"openai/gpt-4o-2024-11-20", Price{Provider: "openai", Model: "gpt-4o", InputPerMTok: 1, OutputPerMTok: 4}, true},
		// overridden case-insensitively, provider changed
		{"gpt-4o-mini", Price{Provider: "azure", Model: "GPT-4o-Mini", InputPerMTok: 0.165, OutputPerMTok: 0.66, CachedInputPerMTok: ptr(0.0825)}, true},
		// added, with aliases
		{"acme-chat", Price{Provider: "self-hosted", Model: "acme-chat", InputPerMTok: 0.01, OutputPerMTok: 0.02}, true},
		{"acme/chat-v1", Price{Provider: "self-hosted", Model: "acme-chat", InputPerMTok: 0.01, OutputPerMTok: 0.02}, true},
		// a default alias claimed by the user file belongs to the user entry
		{"claude-opus-4-0", Price{Provider: "self-hosted", Model: "acme-chat", InputPerMTok: 0.01, OutputPerMTok: 0.02}, true},
		// defaults not overridden are kept, with their other aliases
		{"claude-4-opus", Price{Provider: "anthropic", Model: "claude-opus-4", InputPerMTok: 15, OutputPerMTok: 75, CachedInputPerMTok: ptr(1.5)}, true},
		{"o3-mini", Price{Provider: "openai", Model: "o3-mini", InputPerMTok: 1.10, OutputPerMTok: 4.40, CachedInputPerMTok: ptr(0.55)}, true},
		// a dated default entry is independent of the bare one
		{"gpt-4o-2024-05-13", Price{Provider: "openai", Model: "gpt-4o-2024-05-13", InputPerMTok: 5, OutputPerMTok: 15}, true},
		{"unknown-model", Price{}, false},
	}
	for _, tc := range tests {
		got, ok := tab.Lookup(tc.in)
		if ok != tc.found {
			t.Errorf("Lookup(%q) found=%v, want %v", tc.in, ok, tc.found)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Lookup(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
	// Load leaves the default table alone.
	if p, _ := Default().Lookup("gpt-4o"); p.InputPerMTok != 2.50 {
		t.Errorf("Default gpt-4o input = %v after Load, want 2.50", p.InputPerMTok)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
	path := writeFile(t, `{"models": [{"provider": "p", "model": "a", "input_per_mtok": -1, "output_per_mtok": 1}]}`)
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "models[0].input_per_mtok: must be >= 0") {
		t.Errorf("Load error = %v, want the path and the field", err)
	}
	// two user entries may not claim the same name
	path = writeFile(t, `{"models": [
		{"provider": "p", "model": "a", "input_per_mtok": 1, "output_per_mtok": 1},
		{"provider": "p", "model": "b", "aliases": ["A"], "input_per_mtok": 1, "output_per_mtok": 1}
	]}`)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "models[1].aliases[0]") {
		t.Errorf("Load error = %v, want a duplicate alias error", err)
	}
}

func TestNilTable(t *testing.T) {
	var tab *Table
	if _, ok := tab.Lookup("gpt-4o"); ok {
		t.Error("nil table found a model")
	}
	if usd, ok := tab.Cost("gpt-4o", 1, 1, 0); ok || usd != 0 {
		t.Errorf("nil table Cost = %v, %v", usd, ok)
	}
	if tab.ProviderOf("gpt-4o") != "" || tab.Len() != 0 {
		t.Error("nil table is not empty")
	}
}

// TestCostCachedHitAllocs keeps the ingestion hot path allocation-free.
func TestCostCachedHitAllocs(t *testing.T) {
	tab := Default()
	model := "us.anthropic.claude-3-5-sonnet-20241022-v2:0"
	tab.Cost(model, 1, 1, 0)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, ok := tab.Cost(model, 1200, 300, 1000); !ok {
			t.Fatal("not found")
		}
	})
	if allocs != 0 {
		t.Errorf("Cost on a cached model allocates %v times, want 0", allocs)
	}
}

func TestCacheBound(t *testing.T) {
	tab, err := Parse([]byte(`{"models": [{"provider": "p", "model": "a", "input_per_mtok": 1, "output_per_mtok": 1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxCached + 100 {
		tab.Lookup("junk-" + strconv.Itoa(i))
	}
	if n := tab.cached.Load(); n > maxCached {
		t.Errorf("cache holds %d entries, bound is %d", n, maxCached)
	}
	// lookups past the bound still work
	if _, ok := tab.Lookup("A-latest"); !ok {
		t.Error("lookup past the cache bound failed")
	}
}

func TestConcurrentCost(t *testing.T) {
	tab := Default()
	models := []string{"gpt-4o", "openai/gpt-4o-mini", "claude-sonnet-4-5@20250929", "models/gemini-2.5-pro", "nope"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				m := models[(g+i)%len(models)]
				_, ok := tab.Cost(m, 100, 10, 5)
				if ok == (m == "nope") {
					t.Errorf("Cost(%q) ok=%v", m, ok)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkCost(b *testing.B) {
	tab := Default()
	model := "gpt-4o-mini-2024-07-18"
	tab.Cost(model, 1, 1, 0) // warm the cache: the benchmark measures a cached hit
	b.ReportAllocs()
	var sum float64
	for b.Loop() {
		usd, _ := tab.Cost(model, 1200, 300, 1000)
		sum += usd
	}
	_ = sum
}

func BenchmarkCostParallel(b *testing.B) {
	tab := Default()
	model := "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
	tab.Cost(model, 1, 1, 0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tab.Cost(model, 1200, 300, 1000)
		}
	})
}

func BenchmarkResolveUncached(b *testing.B) {
	tab := Default()
	b.ReportAllocs()
	for b.Loop() {
		tab.resolve("us.anthropic.claude-3-5-sonnet-20241022-v2:0")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(embedded)
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Parse(data)
		if err != nil {
			if tab != nil {
				t.Fatal("Parse returned a table and an error")
			}
			// the input doubles as a model name for the normalizer
			Default().Lookup(string(data))
			return
		}
		for _, e := range tab.entries {
			names := append([]string{e.price.Model}, e.aliases...)
			for _, n := range names {
				p, ok := tab.Lookup(n)
				if !ok {
					t.Fatalf("Lookup(%q) of a parsed name failed", n)
				}
				usd, ok := tab.Cost(n, 1000, 1000, 500)
				if !ok || usd < 0 || math.IsNaN(usd) {
					t.Fatalf("Cost(%q) = %v, %v", n, usd, ok)
				}
				if p.InputPerMTok < 0 || p.OutputPerMTok < 0 {
					t.Fatalf("negative price for %q", n)
				}
			}
		}
	})
}
