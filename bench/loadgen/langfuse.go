package main

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// -mode langfuse posts Langfuse batch ingestion requests (POST /api/public/ingestion) of
// -batch events, as Langfuse's older SDKs send them for an agent that calls a model, a
// tool and the model again: trace-create, the agent's span-create, per model call a
// generation-create and a generation-update with the output and usage, the tool's
// span-create and span-update, the agent's span-update with its end, and trace-create
// again with the trace's output (10 events). Each request gets fresh trace ids and current
// timestamps.

const langfuseEventsPerTrace = 10

// langfuseTemplate holds pre-rendered traces: the JSON between the slots that change per
// request (the trace id, timestamps), so a request is a sequence of appends.
type langfuseTemplate struct {
	traces []langfuseTrace
	events int
}

type langfuseTrace struct {
	parts []string // len(slots)+1 fragments around the slots
	slots []langfuseSlot
}

// langfuseSlot is the trace id, the ticket its texts name, or a time rel before the send
// time.
type langfuseSlot struct {
	isTime, isTicket bool
	rel              time.Duration
}

type langfuseBuilder struct {
	t   langfuseTrace
	cur []byte
}

// text appends s, with a ticket slot for each sentinelRef in it.
func (b *langfuseBuilder) text(s string) {
	for {
		i := strings.Index(s, sentinelRef)
		if i < 0 {
			b.cur = append(b.cur, s...)
			return
		}
		b.cur = append(b.cur, s[:i]...)
		b.slot(langfuseSlot{isTicket: true})
		s = s[i+len(sentinelRef):]
	}
}
func (b *langfuseBuilder) slot(sl langfuseSlot) {
	b.t.parts = append(b.t.parts, string(b.cur))
	b.t.slots = append(b.t.slots, sl)
	b.cur = b.cur[:0]
}
func (b *langfuseBuilder) id()                  { b.slot(langfuseSlot{}) }
func (b *langfuseBuilder) at(rel time.Duration) { b.slot(langfuseSlot{isTime: true, rel: rel}) }
func (b *langfuseBuilder) json(v any)           { raw, _ := json.Marshal(v); b.cur = append(b.cur, raw...) }
func (b *langfuseBuilder) done() langfuseTrace {
	b.t.parts = append(b.t.parts, string(b.cur))
	return b.t
}
func (b *langfuseBuilder) event(n int, typ string) {
	if n > 1 {
		b.text(",")
	}
	b.text(`{"id":"`)
	b.id()
	b.text("-" + strconv.Itoa(n) + `","type":"` + typ + `","timestamp":"`)
	b.at(0)
	b.text(`","body":{`)
}

func newLangfuseTemplate(seed uint64, events int) *langfuseTemplate {
	rng := rand.New(rand.NewPCG(seed, 0x1f))
	tpl := &langfuseTemplate{events: events}
	for left := events; left > 0; left -= langfuseEventsPerTrace {
		a := pick(rng, agents)
		m := pickModel(rng)
		ask, answer := uniqueTexts(fill(rng, pick(rng, a.asks)), fill(rng, pick(rng, a.answers)), sentinelRef)
		tool := pick(rng, a.tools)
		total := time.Duration(1500+rng.IntN(4000)) * time.Millisecond
		at := func(f float64) time.Duration { return time.Duration(float64(total) * f) }
		var b langfuseBuilder
		n := min(left, langfuseEventsPerTrace)
		// obs writes an observation event: its id (the trace id and a suffix), the trace
		// id, then the given fields, a time field and more fields after it.
		obs := func(e int, typ, suffix, fields, timeField string, rel time.Duration, rest string) {
			b.event(e, typ)
			b.text(`"id":"`)
			b.id()
			b.text(suffix + `","traceId":"`)
			b.id()
			b.text(`"` + fields + `,"` + timeField + `":"`)
			b.at(rel)
			b.text(`"` + rest + `}}`)
		}
		js := func(v any) string { raw, _ := json.Marshal(v); return string(raw) }
		usage := func() string {
			return fmt.Sprintf(`,"usage":{"input":%d,"output":%d,"unit":"TOKENS"}`, 200+rng.IntN(3000), 20+rng.IntN(600))
		}
		for e := 1; e <= n; e++ {
			switch e {
			case 1:
				b.event(e, "trace-create")
				b.text(`"id":"`)
				b.id()
				b.text(`","timestamp":"`)
				b.at(total)
				b.text(fmt.Sprintf(`","name":%q,"userId":"user-%d","sessionId":"conv-%d","input":%s,"tags":["bench"],"release":"1.0.0","metadata":{"region":"eu-west-1"}}}`,
					a.id, rng.IntN(2000), rng.IntN(5000), js(map[string]string{"question": ask})))
			case 2:
				obs(e, "span-create", "-a", `,"name":"agent","input":`+js(ask), "startTime", total, "")
			case 3, 7:
				suffix := "-g" + strconv.Itoa(e)
				b.event(e, "generation-create")
				b.text(`"id":"`)
				b.id()
				b.text(suffix + `","traceId":"`)
				b.id()
				b.text(`","parentObservationId":"`)
				b.id()
				b.text(`-a","name":"chat","model":"` + m.name + `","modelParameters":{"temperature":0.2},"input":` +
					js([]map[string]string{{"role": "user", "content": ask}}) + `,"startTime":"`)
				b.at(at(map[int]float64{3: 0.95, 7: 0.48}[e]))
				b.text(`"}}`)
			case 4:
				obs(e, "generation-update", "-g3", `,"output":`+js(map[string]any{"role": "assistant", "tool_calls": []map[string]string{{"name": tool}}}),
					"endTime", at(0.7), usage())
			case 5:
				b.event(e, "span-create")
				b.text(`"id":"`)
				b.id()
				b.text(`-t","traceId":"`)
				b.id()
				b.text(`","parentObservationId":"`)
				b.id()
				b.text(`-a","name":"` + tool + `","input":` + js(map[string]string{"query": ask}) + `,"startTime":"`)
				b.at(at(0.68))
				b.text(`"}}`)
			case 6:
				obs(e, "span-update", "-t", `,"output":{"ok":true,"items":3}`, "endTime", at(0.5), "")
			case 8:
				obs(e, "generation-update", "-g7", `,"output":`+js(map[string]string{"role": "assistant", "content": answer}), "endTime", at(0.05), usage())
			case 9:
				obs(e, "span-update", "-a", `,"output":`+js(answer), "endTime", 0, "")
			case 10:
				b.event(e, "trace-create")
				b.text(`"id":"`)
				b.id()
				b.text(`","output":` + js(answer) + `}}`)
			}
		}
		tpl.traces = append(tpl.traces, b.done())
	}
	return tpl
}

// appendTo appends a request with fresh trace ids (prefix, then seq counting up per trace)
// and events ending at now.
func (t *langfuseTemplate) appendTo(dst []byte, prefix [8]byte, seq *uint64, now time.Time) []byte {
	dst = append(dst, `{"batch":[`...)
	var id [32]byte
	hex.Encode(id[:16], prefix[:])
	for i, tr := range t.traces {
		if i > 0 {
			dst = append(dst, ',')
		}
		*seq++
		var s [8]byte
		binary.BigEndian.PutUint64(s[:], *seq)
		hex.Encode(id[16:], s[:])
		for j, sl := range tr.slots {
			dst = append(dst, tr.parts[j]...)
			switch {
			case sl.isTime:
				dst = now.Add(-sl.rel).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
			case sl.isTicket:
				dst = appendTicket(dst, prefix[:], *seq)
			default:
				dst = append(dst, id[:]...)
			}
		}
		dst = append(dst, tr.parts[len(tr.parts)-1]...)
	}
	return append(dst, `],"metadata":{"sdk_name":"agentobs-loadgen"}}`...)
}

// langfuseAcked reads a 207 ingestion answer: the events in successes, and the first
// error when there is one.
func langfuseAcked(raw []byte) (acked int64, failed bool, sample string) {
	var body struct {
		Successes []json.RawMessage `json:"successes"`
		Errors    []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return 0, true, snippet(raw)
	}
	if len(body.Errors) > 0 {
		return int64(len(body.Successes)), true, snippet(body.Errors[0])
	}
	return int64(len(body.Successes)), false, ""
}
