package wal

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The log reads back bytes from disk that a crash or a bad disk may have damaged: neither
// the framing nor the codec may panic or allocate beyond the input on any of them.
func FuzzParseRecords(f *testing.F) {
	f.Add(appendRecord(appendRecord(nil, 1, appendItems(nil, item("a"))), 2, []byte("x")))
	f.Add([]byte{magic0, magic1, recordVersion, 0, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		var end int64
		parseRecords(data, 0, func(r rawRecord) {
			if r.off < end || r.off+int64(r.size) > int64(len(data)) {
				t.Fatalf("record %d at %d+%d outside the input or out of order", r.seq, r.off, r.size)
			}
			end = r.off + int64(r.size)
			_, _ = decodeItems(r.payload)
		}, func(d damage) {
			if d.off < end || d.end > int64(len(data)) || d.end <= d.off {
				t.Fatalf("damage %+v outside the input", d)
			}
			end = d.end
		})
	})
}

func FuzzDecodeItems(f *testing.F) {
	f.Add(appendItems(nil, item("a")))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := decodeItems(data)
		if err != nil {
			return
		}
		// What decodes must survive encoding again (varints may be non-canonical in the
		// input, so the bytes themselves can differ).
		again, err := decodeItems(appendItems(nil, items))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(items, again, cmpopts.EquateNaNs()); diff != "" {
			t.Fatalf("decode/encode changed the traces:\n%s", diff)
		}
	})
}
