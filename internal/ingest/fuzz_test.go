package ingest

import (
	"testing"
)

// FuzzDecodeTrace feeds arbitrary bytes to the single-trace decoder: it must never panic,
// and whatever it accepts must convert to a model trace.
func FuzzDecodeTrace(f *testing.F) {
	f.Add([]byte(validTrace))
	f.Add([]byte(`{"trace_id":1,"spans":[{"tokens_input":"x"},7],"scores":[{}]}`))
	f.Add([]byte("{\"input\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := DecodeTrace(body, Limits{})
		if err != nil {
			return
		}
		m := in.ToModel("ws")
		if m.TraceID == "" || m.AgentID == "" || m.StartTime.IsZero() {
			t.Fatalf("accepted trace without required fields: %+v", m)
		}
	})
}

// FuzzDecodeBatch does the same for batches: every item is either a trace or an error.
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`{"traces":[` + validTrace + `,{"trace_id":"x"}]}`))
	f.Add([]byte(`[` + validTrace + `]`))
	f.Add([]byte(`{"traces":7}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := DecodeBatch(body, Limits{MaxBatch: 10})
		if err != nil {
			return
		}
		for _, it := range items {
			if (it.Trace == nil) == (it.Err == nil) {
				t.Fatalf("item %d has neither or both of trace and error", it.Index)
			}
			if it.Trace != nil {
				_ = it.Trace.ToModel("ws")
			}
		}
	})
}
