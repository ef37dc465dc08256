package ingest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// sameAsStd fails the test when the fast decoder accepted body and encoding/json reads it
// differently or refuses it. It reports whether the fast decoder accepted it.
func sameAsStd(t *testing.T, body []byte) bool {
	t.Helper()
	var fast TraceInput
	if decodeTraceFast(body, &fast) {
		var std TraceInput
		if err := json.Unmarshal(body, &std); err != nil {
			t.Fatalf("fast decoder accepted what encoding/json refuses (%v): %q", err, body)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("fast decoder read %q as\n%#v\nencoding/json as\n%#v", body, fast, std)
		}
		return true
	}
	return false
}

func sameBatchAsStd(t *testing.T, body []byte, bare bool) bool {
	t.Helper()
	fast, ok := decodeBatchFast(body, bare)
	if !ok {
		return false
	}
	var std []TraceInput
	var err error
	if bare {
		err = json.Unmarshal(body, &std)
	} else {
		var env struct {
			Traces []TraceInput `json:"traces"`
		}
		err = json.Unmarshal(body, &env)
		std = env.Traces
	}
	if err != nil {
		t.Fatalf("fast decoder accepted a batch encoding/json refuses (%v): %q", err, body)
	}
	if !reflect.DeepEqual(fast, std) {
		t.Fatalf("fast decoder read batch %q as\n%#v\nencoding/json as\n%#v", body, fast, std)
	}
	return true
}

// The shapes clients send take the fast path, and read as encoding/json reads them.
func TestFastDecodeAcceptsCommonShapes(t *testing.T) {
	for _, body := range []string{
		validTrace,
		string(batchBody(1)[len(`{"traces":[`) : len(batchBody(1))-2]),
		// What the Python SDK sends for unset optional fields.
		`{"trace_id":"t1","agent_id":"a","timestamp":"2026-11-25T10:00:00Z","end_time":null,"cost_usd":null,
		  "tokens_input":null,"metadata":null,"tags":null,"spans":null,"scores":null,"user_id":null}`,
		`{"trace_id":"t2","agent_id":"a","timestamp":"2026-11-25T10:00:00Z","tags":[],"spans":[],"scores":[],"metadata":{}}`,
		`{"trace_id":"t3","agent_id":"a","timestamp":"2026-11-25T10:00:00Z","input":"line\nbreak \"quoted\" \u00e9t\u00e9 \\ \/ \t tab",
		  "output":"caf\u00e9 ☕ 日本語","metadata":{"n":[1,-2.5e3,0.0,true,false,null,{"deep":[[]]}],"s":"\ud83d\ude00"},
		  "spans":[{"span_id":"s1","kind":"llm","latency_ms":-0,"cost_usd":1e-7,"attributes":{"k":"v"},"extra":[1]}],
		  "scores":[{"name":"q","value":0.5,"comment":""}],"unknown_field":{"a":1}}`,
		`{"tra\u0063e_id":"t4","agent_id":"a","timestamp":"2026-11-25T10:00:00Z","input":"\ud83d\ude00 \ud800 \udc00x \ud800\u0041"}`,
	} {
		if !sameAsStd(t, []byte(body)) {
			t.Errorf("fast decoder gave up on a common body: %s", body)
		}
	}
	if !sameBatchAsStd(t, batchBody(3), false) {
		t.Error("fast decoder gave up on a batch")
	}
	if !sameBatchAsStd(t, []byte(`[`+validTrace+`,`+validTrace+`]`), true) {
		t.Error("fast decoder gave up on a bare batch")
	}
}

// Bodies the fast decoder must leave to encoding/json: it would read them differently or
// report an error the fast path cannot word.
func TestFastDecodeGivesUp(t *testing.T) {
	for _, body := range []string{
		``, `null`, `[]`, `{"trace_id":"a"} x`, `{"trace_id":"a",}`, `{"trace_id":1}`, `{"latency_ms":1.0}`,
		`{"latency_ms":1e3}`, `{"latency_ms":99999999999999999999}`, `{"cost_usd":1e400}`, `{"cost_usd":"1"}`,
		`{"Trace_ID":"a"}`, `{"trace_id":"a","trace_id":"b"}`, `{"trace_id":"a","tra\u0063e_id":"b"}`, `{"ſtatus":"x"}`,
		`{"input":"a` + "\x01" + `"}`, `{"input":"\x"}`, `{"tags":["a",null]}`, `{"tags":"a"}`,
		`{"spans":[null]}`, `{"spans":{}}`, `{"metadata":01}`, `{"metadata":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
		`{"metadata":tru}`, `{"metadata":-}`, `{"metadata":1.}`, `{"metadata":1e}`, `{"input":"unterminated`,
	} {
		if sameAsStd(t, []byte(body)) {
			t.Errorf("fast decoder accepted %q", body)
		}
	}
	for _, body := range []string{`{"traces":[null]}`, `{"Traces":[]}`, `{"traces":[],"traces":[]}`, `{"traces":7}`} {
		if sameBatchAsStd(t, []byte(body), false) {
			t.Errorf("fast decoder accepted batch %q", body)
		}
	}
}

// FuzzFastDecode checks the fast decoder against encoding/json: whatever it accepts,
// encoding/json must accept and read to the same value.
func FuzzFastDecode(f *testing.F) {
	f.Add([]byte(validTrace))
	f.Add(batchBody(2))
	f.Add([]byte(`{"input":"\u00e9\n","metadata":{"a":[1,2.5,null,true]},"tags":[],"spans":[{"cost_usd":-0.0}],"scores":null}`))
	f.Add([]byte(`[{"trace_id":"a"},{"Trace_id":"b"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if !utf8.Valid(body) {
			return // checkUTF8 refuses these before any decoder runs
		}
		sameAsStd(t, body)
		sameBatchAsStd(t, body, true)
		sameBatchAsStd(t, body, false)
	})
}
