package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Bodies are encoded once, up front, as templates; per request only the trace_id and the
// timestamps are spliced in. Client and server share the CPU in a benchmark, so every
// cycle spent encoding JSON here is a cycle taken from the server being measured.

// numTemplates is how many distinct traces are pre-built: enough variety in agents,
// models, sizes and statuses that the server's work is realistic, few enough to stay cheap.
const numTemplates = 256

// timeLayout is RFC 3339 with milliseconds, in UTC ("Z").
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// Sentinels put in the JSON where per-request values go. They cannot occur in the
// generated text, which is built from the fixed word lists below.
const (
	sentinelID   = "@@ID@@"
	sentinelRef  = "@@REF@@"
	sentinelMark = "@@"
)

type segKind uint8

const (
	segLit  segKind = iota // literal JSON bytes
	segID                  // the trace_id: worker prefix + sequence number
	segRef                 // the ticket the texts name (appendTicket)
	segTime                // a timestamp: send time + off
)

type segment struct {
	kind segKind
	lit  []byte
	off  time.Duration // segTime: offset from the send time; the trace ends at the send time
}

// template is one TraceInput with holes for its id and times.
type template struct {
	segs []segment
}

// appendTo appends the trace with id idPrefix+seq, ending at now (UTC).
func (t *template) appendTo(dst, idPrefix []byte, seq uint64, now time.Time) []byte {
	for i := range t.segs {
		s := &t.segs[i]
		switch s.kind {
		case segLit:
			dst = append(dst, s.lit...)
		case segID:
			dst = append(dst, idPrefix...)
			dst = strconv.AppendUint(dst, seq, 10)
		case segRef:
			dst = appendTicket(dst, idPrefix, seq)
		case segTime:
			dst = now.Add(s.off).AppendFormat(dst, timeLayout)
		}
	}
	return dst
}

// generator holds the pre-built templates of one run.
type generator struct {
	templates []template
	maxLen    int // longest template, sentinels included: a hint for buffer sizes
}

// newGenerator builds the templates. The same seed gives the same traces (ids and
// times aside), so runs with different server builds see the same data.
func newGenerator(seed uint64, spans int) (*generator, error) {
	rng := rand.New(rand.NewPCG(seed, 0x6167656e746f6273)) // "agentobs"
	g := &generator{templates: make([]template, 0, numTemplates)}
	for range numTemplates {
		ti := randomTrace(rng, spans)
		raw, err := marshal(ti)
		if err != nil {
			return nil, err
		}
		t, err := compile(raw, ti.LatencyMs)
		if err != nil {
			return nil, err
		}
		g.templates = append(g.templates, t)
		g.maxLen = max(g.maxLen, len(raw))
	}
	return g, nil
}

// marshal encodes without HTML escaping, which only makes bodies longer.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// compile splits encoded JSON at its sentinels. Time sentinels read "@@T<ms>@@", ms from
// the trace start; the trace lasts latencyMs and ends at the send time.
func compile(raw []byte, latencyMs int64) (template, error) {
	var t template
	for len(raw) > 0 {
		i := bytes.Index(raw, []byte(sentinelMark))
		if i < 0 {
			t.segs = append(t.segs, segment{kind: segLit, lit: raw})
			break
		}
		j := bytes.Index(raw[i+2:], []byte(sentinelMark))
		if j < 0 {
			return t, fmt.Errorf("unterminated sentinel in template")
		}
		tok := string(raw[i+2 : i+2+j])
		if i > 0 {
			t.segs = append(t.segs, segment{kind: segLit, lit: raw[:i]})
		}
		switch {
		case tok == "ID":
			t.segs = append(t.segs, segment{kind: segID})
		case tok == "REF":
			t.segs = append(t.segs, segment{kind: segRef})
		case strings.HasPrefix(tok, "T"):
			ms, err := strconv.ParseInt(tok[1:], 10, 64)
			if err != nil {
				return t, fmt.Errorf("bad time sentinel %q", tok)
			}
			t.segs = append(t.segs, segment{kind: segTime, off: time.Duration(ms-latencyMs) * time.Millisecond})
		default:
			return t, fmt.Errorf("unknown sentinel %q", tok)
		}
		raw = raw[i+2+j+2:]
	}
	return t, nil
}

func timeSentinel(ms int64) string { return "@@T" + strconv.FormatInt(ms, 10) + "@@" }

// traceInput and spanInput mirror the documented ingestion shapes (docs/ingestion.md).
type traceInput struct {
	TraceID           string            `json:"trace_id"`
	AgentID           string            `json:"agent_id"`
	Timestamp         string            `json:"timestamp"`
	EndTime           string            `json:"end_time,omitempty"`
	UserID            string            `json:"user_id,omitempty"`
	SessionID         string            `json:"session_id,omitempty"`
	Input             string            `json:"input,omitempty"`
	Output            string            `json:"output,omitempty"`
	LatencyMs         int64             `json:"latency_ms"`
	Status            string            `json:"status"`
	ErrorType         string            `json:"error_type,omitempty"`
	ErrorMessage      string            `json:"error_message,omitempty"`
	Model             string            `json:"model,omitempty"`
	ModelProvider     string            `json:"model_provider,omitempty"`
	TokensInput       int               `json:"tokens_input,omitempty"`
	TokensOutput      int               `json:"tokens_output,omitempty"`
	TokensCachedInput int               `json:"tokens_cached_input,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
	Tags              []string          `json:"tags,omitempty"`
	Spans             []spanInput       `json:"spans,omitempty"`
}

type spanInput struct {
	SpanID            string         `json:"span_id"`
	ParentSpanID      string         `json:"parent_span_id,omitempty"`
	Kind              string         `json:"kind"`
	Name              string         `json:"name"`
	StartTime         string         `json:"start_time"`
	EndTime           string         `json:"end_time"`
	Status            string         `json:"status"`
	StatusMessage     string         `json:"status_message,omitempty"`
	Model             string         `json:"model,omitempty"`
	ModelProvider     string         `json:"model_provider,omitempty"`
	TokensInput       int            `json:"tokens_input,omitempty"`
	TokensOutput      int            `json:"tokens_output,omitempty"`
	TokensCachedInput int            `json:"tokens_cached_input,omitempty"`
	Input             string         `json:"input,omitempty"`
	Output            string         `json:"output,omitempty"`
	Attributes        map[string]any `json:"attributes,omitempty"`
}

type agentProfile struct {
	id      string
	role    string
	asks    []string // %d takes a number
	answers []string // %d takes a number
	tools   []string
}

var agents = []agentProfile{
	{"support-bot", "a customer support assistant for an online electronics store",
		[]string{
			"My order #%d still shows 'processing' after five days. Can you tell me when it will ship?",
			"I was charged twice for order #%d, please refund the duplicate payment.",
			"How do I return headphones that arrived with a broken left earcup? The order number is %d.",
		},
		[]string{
			"I checked order #%d: it left our warehouse this morning and should arrive within two business days.",
			"Sorry about the duplicate charge. I opened refund request R-%d; the money is back on your card in 3-5 business days.",
			"You can start the return from the Orders page; I emailed you a prepaid label (return RT-%d).",
		},
		[]string{"lookup_order", "issue_refund", "create_return_label"}},
	{"research-agent", "a research assistant that summarises recent papers with citations",
		[]string{
			"Summarise the main findings of the last %d papers on retrieval-augmented generation for long documents.",
			"Compare approaches to evaluating tool-using LLM agents and list their limitations; use at most %d sources.",
		},
		[]string{
			"Across %d papers the consistent finding is that chunk-level reranking matters more than the embedding model.",
			"Three families stand out: trajectory matching, outcome checks and LLM-as-judge; %d benchmarks compare them.",
		},
		[]string{"web_search", "fetch_url", "pdf_extract"}},
	{"code-reviewer", "a senior Go reviewer focused on correctness and concurrency",
		[]string{
			"Review this diff: the handler now retries the database write up to %d times without any backoff.",
			"Is this worker pool safe? It closes the results channel after %d workers call wg.Done.",
		},
		[]string{
			"The retry loop needs jittered backoff and must stop on context cancellation; %d tight retries amplify outages.",
			"There is a race: the channel can be closed while a worker still sends. Close it after wg.Wait (line %d).",
		},
		[]string{"read_file", "git_diff", "run_tests"}},
	{"sql-analyst", "a data analyst that writes SQL against the sales warehouse",
		[]string{
			"What was weekly revenue by region for the last %d weeks, and which region grew fastest?",
			"List the top %d customers by lifetime value who have not ordered this quarter.",
		},
		[]string{
			"Revenue grew in every region over the last %d weeks; EMEA grew fastest at 14%% week over week.",
			"I found %d customers matching; the query and the result table are attached below.",
		},
		[]string{"list_tables", "describe_table", "run_sql"}},
	{"travel-planner", "a travel planner that books flights and hotels within a budget",
		[]string{
			"Plan a %d-day trip to Lisbon in May for two people on a mid-range budget.",
			"Find a direct flight to Tokyo under %d euros in the first week of October.",
		},
		[]string{
			"Here is a %d-day plan: Alfama and the castle on day one, Belem on day two, Sintra as a day trip.",
			"The cheapest direct option is %d euros with a 10:40 departure; hotels near Shinjuku start at 140 euros a night.",
		},
		[]string{"search_flights", "search_hotels", "get_weather"}},
	{"email-triage", "an assistant that triages the support inbox and drafts replies",
		[]string{
			"Classify these %d unread emails by urgency and draft replies for the urgent ones.",
			"Summarise the thread with the supplier about invoice %d and propose a reply.",
		},
		[]string{
			"Of %d emails, 3 are urgent (a billing dispute, an outage report, a legal notice); drafts are ready for review.",
			"The supplier disputes invoice %d because two deliveries were late; I propose a 5%% credit.",
		},
		[]string{"list_emails", "read_thread", "draft_reply"}},
	{"rag-qa", "an assistant that answers questions from the internal employee handbook",
		[]string{
			"What is the parental leave policy for employees who joined less than %d months ago?",
			"How many days of remote work abroad are allowed per year, and who approves more than %d?",
		},
		[]string{
			"Employees with under %d months of service get 10 weeks of paid leave; see handbook section 4.2.",
			"Up to 30 days a year are allowed; more than %d needs approval from your manager and HR.",
		},
		[]string{"vector_search", "rerank"}},
	{"sales-assistant", "a sales assistant that prepares follow-ups from CRM data",
		[]string{
			"Draft a follow-up for the lead from Acme Corp who asked about pricing for %d seats.",
			"Which open opportunities over %d thousand dollars have had no activity for two weeks?",
		},
		[]string{
			"Draft: thanks for your interest; for %d seats the annual plan comes to a 15%% discount on list price.",
			"%d opportunities match; the largest is Globex at 180k, last touched 16 days ago.",
		},
		[]string{"crm_lookup", "pricing_calculator"}},
}

var contextLines = []string{
	"Context: the user is on the %s plan and prefers answers in English.",
	"Conversation so far: the user greeted the assistant and confirmed the account email.",
	"Retrieved note: the relevant policy was last updated in March and applies to all regions.",
	"The user's locale is en-GB and it is afternoon in their time zone.",
	"Constraints: do not promise delivery dates that the carrier has not confirmed.",
	"Tool results must be quoted verbatim when they contain numbers or identifiers.",
	"If you are unsure, ask one clarifying question instead of guessing.",
	"Previous answer was rated unhelpful because it did not cite a source.",
}

var closingLines = []string{
	"Let me know if you need anything else.",
	"I added a note to your account so the next agent can see this conversation.",
	"Sources: knowledge base articles KB-%d and KB-%d.",
	"I can also send this summary by email if that helps.",
	"Note that figures from the last two days are provisional and may still change.",
	"If this does not solve the problem, reply here and I will escalate it.",
}

var plans = []string{"free", "pro", "business", "enterprise"}

type modelInfo struct {
	name, provider string
	weight         int
}

var models = []modelInfo{
	{"gpt-4o-mini", "openai", 30},
	{"gpt-4.1", "openai", 8},
	{"claude-sonnet-4-5", "anthropic", 20},
	{"claude-haiku-4-5", "anthropic", 10},
	{"gemini-2.5-flash", "google", 22},
	{"gemini-2.5-pro", "google", 10},
}

var failures = []struct{ typ, msg string }{
	{"RateLimitError", "429 Too Many Requests: rate limit reached for requests per minute"},
	{"ToolError", `tool run_sql failed: relation "orders_2024" does not exist`},
	{"ContextLengthExceeded", "prompt is 131072 tokens; the model's maximum context length is 128000"},
	{"OutputValidationError", `model output did not match the JSON schema: missing field "answer"`},
}

var tagPool = []string{"prod", "beta", "v2", "web", "mobile", "api", "experiment-a"}
var regions = []string{"eu-west-1", "us-east-1", "ap-southeast-2"}

func pick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

func pickModel(rng *rand.Rand) modelInfo {
	total := 0
	for _, m := range models {
		total += m.weight
	}
	n := rng.IntN(total)
	for _, m := range models {
		if n < m.weight {
			return m
		}
		n -= m.weight
	}
	return models[0]
}

// fill formats a line, giving every %d a random number and every %s a plan name.
func fill(rng *rand.Rand, line string) string {
	var args []any
	for i := 0; i+1 < len(line); i++ {
		if line[i] != '%' {
			continue
		}
		switch line[i+1] {
		case 'd':
			args = append(args, 2+rng.IntN(9000))
		case 's':
			args = append(args, pick(rng, plans))
		}
		i++
	}
	return fmt.Sprintf(line, args...)
}

// grow appends lines from pool, in random order and each once while the pool lasts, until
// s is at least n bytes long.
func grow(rng *rand.Rand, s string, pool []string, n int) string {
	order := rng.Perm(len(pool))
	for i := 0; len(s) < n; i++ {
		s += " " + fill(rng, pool[order[i%len(order)]])
	}
	return s
}

// uniqueTexts makes a trace's question and answer name its ticket, ref (replaced per
// request): production texts are mostly unique, and what the server does once per distinct
// text (the search index's trigrams, guardrail scans) must be measured on unique texts.
func uniqueTexts(ask, answer, ref string) (string, string) {
	return ask + " (ticket " + ref + ")", "About ticket " + ref + ": " + answer
}

// ticketLen is the length of appendTicket's references.
const ticketLen = 20

// appendTicket appends the ticket reference of trace seq of the worker whose ids begin
// with prefix: 20 capital letters, unique per run, worker and trace. Letters only, so that
// no guardrail detector reads a phone number, card number or key into it, which would
// make every trace a violation.
func appendTicket(dst, prefix []byte, seq uint64) []byte {
	h := fnv.New64a()
	h.Write(prefix)
	dst = appendLetters(dst, h.Sum64(), 6)
	return appendLetters(dst, seq, ticketLen-6)
}

func appendLetters(dst []byte, v uint64, n int) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, n)...)
	for i := n - 1; i >= 0; i-- {
		dst[start+i] = 'A' + byte(v%26)
		v /= 26
	}
	return dst
}

// randomTrace builds one plausible agent run: mostly successes, some errors and timeouts,
// input and output of a few hundred bytes, with `spans` spans (0: a flat trace).
func randomTrace(rng *rand.Rand, spans int) traceInput {
	a := pick(rng, agents)
	m := pickModel(rng)
	ask, answer := uniqueTexts(fill(rng, pick(rng, a.asks)), fill(rng, pick(rng, a.answers)), sentinelRef)

	latency := int64(250 + rng.ExpFloat64()*2500)
	status := "success"
	var errType, errMsg string
	switch r := rng.IntN(100); {
	case r < 4:
		f := pick(rng, failures)
		status, errType, errMsg = "error", f.typ, f.msg
	case r < 6:
		status, errType, errMsg = "timeout", "Timeout", "agent exceeded its 60s time budget"
		latency = 60000
	}
	latency = min(latency, 60000)

	tokIn := 150 + rng.IntN(3500)
	tokOut := 20 + rng.IntN(800)
	tokCached := 0
	if rng.IntN(10) < 3 {
		tokCached = tokIn / 2
	}

	input := grow(rng, "System: You are "+a.role+". Answer concisely and cite sources when you use tools.\nUser: "+ask,
		contextLines, 200+rng.IntN(450))
	output := ""
	if status == "success" {
		output = grow(rng, answer, closingLines, 150+rng.IntN(400))
	}

	tags := make([]string, 0, 3)
	for _, i := range rng.Perm(len(tagPool))[:1+rng.IntN(3)] {
		tags = append(tags, tagPool[i])
	}

	t := traceInput{
		TraceID:       sentinelID,
		AgentID:       a.id,
		Timestamp:     timeSentinel(0),
		EndTime:       timeSentinel(latency),
		UserID:        fmt.Sprintf("user-%05d", rng.IntN(5000)),
		SessionID:     fmt.Sprintf("sess-%08x", rng.Uint32()),
		Input:         input,
		Output:        output,
		LatencyMs:     latency,
		Status:        status,
		ErrorType:     errType,
		ErrorMessage:  errMsg,
		Model:         m.name,
		ModelProvider: m.provider,
		Metadata: map[string]string{
			"env":         "prod",
			"region":      pick(rng, regions),
			"app_version": fmt.Sprintf("1.%d.%d", 4+rng.IntN(5), rng.IntN(10)),
			"sdk":         "agentobs-python/0.9.2",
		},
		Tags: tags,
	}
	if spans < 2 {
		// No llm span will carry tokens, so the trace does.
		t.TokensInput, t.TokensOutput, t.TokensCachedInput = tokIn, tokOut, tokCached
	}
	if spans > 0 {
		t.Spans = randomSpans(rng, spans, a, m, ask, answer, latency, status, errMsg, tokIn, tokOut)
	}
	return t
}

// childKinds is the repeating shape of a multi-step run below its root agent span.
var childKinds = []string{"llm", "tool", "retrieval", "llm", "tool", "llm"}

// randomSpans builds a root agent span and n-1 sequential children. A failed run fails
// in its last step.
func randomSpans(rng *rand.Rand, n int, a agentProfile, m modelInfo, ask, answer string,
	latency int64, status, errMsg string, tokIn, tokOut int) []spanInput {
	out := make([]spanInput, 0, n)
	out = append(out, spanInput{
		SpanID: "s0", Kind: "agent", Name: a.id,
		StartTime: timeSentinel(0), EndTime: timeSentinel(latency),
		Status: status, StatusMessage: errMsg,
		Input: ask, Output: answer,
	})
	children := n - 1
	if children == 0 {
		return out
	}
	nLLM := 0
	for i := range children {
		if childKinds[i%len(childKinds)] == "llm" {
			nLLM++
		}
	}
	slot := latency / int64(children)
	for i := range children {
		start := int64(i) * slot
		s := spanInput{
			SpanID:       "s" + strconv.Itoa(i+1),
			ParentSpanID: "s0",
			Kind:         childKinds[i%len(childKinds)],
			StartTime:    timeSentinel(start),
			EndTime:      timeSentinel(start + slot*9/10),
			Status:       "success",
		}
		switch s.Kind {
		case "llm":
			s.Name = "chat " + m.name
			s.Model, s.ModelProvider = m.name, m.provider
			s.TokensInput, s.TokensOutput = tokIn/nLLM, tokOut/nLLM
			s.Input, s.Output = ask, answer
		case "tool":
			tool := pick(rng, a.tools)
			s.Name = tool
			s.Input = fmt.Sprintf(`{"id":%d,"limit":%d}`, rng.IntN(100000), 5+rng.IntN(20))
			s.Output = fmt.Sprintf(`{"ok":true,"rows":%d}`, rng.IntN(50))
			s.Attributes = map[string]any{"tool.name": tool, "tool.version": "1"}
		case "retrieval":
			s.Name = "vector_search"
			s.Input = ask
			s.Output = fmt.Sprintf("top-5 chunks: KB-%d, KB-%d, KB-%d, KB-%d, KB-%d",
				rng.IntN(900), rng.IntN(900), rng.IntN(900), rng.IntN(900), rng.IntN(900))
			s.Attributes = map[string]any{"top_k": 5, "index": "handbook-v3"}
		}
		if i == children-1 && status != "success" {
			s.Status, s.StatusMessage = status, errMsg
		}
		out = append(out, s)
	}
	return out
}
