package httpapi

import (
	"testing"
	"time"
)

// FuzzAuditCursor: any cursor a client sends is either refused or decodes to a time and
// an id that encode back to an equivalent cursor.
func FuzzAuditCursor(f *testing.F) {
	f.Add(encodeAuditCursor(time.Date(2026, 12, 6, 10, 0, 0, 5, time.UTC), "a1"))
	f.Add("")
	f.Add("not-a-cursor")
	f.Add("MjAyNi0xMi0wNlQxMDowMDowMFp8")
	f.Fuzz(func(t *testing.T, s string) {
		at, id, ok := decodeAuditCursor(s)
		if !ok {
			return
		}
		at2, id2, ok2 := decodeAuditCursor(encodeAuditCursor(at, id))
		if !ok2 || !at2.Equal(at) || id2 != id {
			t.Fatalf("cursor %q decoded to %v %q, which does not round-trip", s, at, id)
		}
	})
}
