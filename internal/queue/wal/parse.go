package wal

import "bytes"

// rawRecord is a whole, checksummed record found in a segment.
type rawRecord struct {
	seq     uint64
	off     int64 // offset of its header in the segment
	size    int   // header and payload
	payload []byte
}

// damage is a stretch of a segment that holds no valid record.
type damage struct {
	off, end int64
	// tail: nothing valid follows it in the segment, as when a write was cut short.
	tail bool
	err  error
}

// parseRecords splits a segment's bytes (starting at offset base) into records, calling
// good for each valid one and bad for each damaged stretch. After damage it looks for the
// next record marker whose record checks out, so one bad record loses only itself.
func parseRecords(data []byte, base int64, good func(rawRecord), bad func(damage)) {
	off := 0
	for off < len(data) {
		rec, err := recordAt(data, off)
		if err == nil {
			good(rawRecord{seq: rec.seq, off: base + int64(off), size: rec.size, payload: rec.payload})
			off += rec.size
			continue
		}
		next := nextValid(data, off+1)
		if next < 0 {
			bad(damage{off: base + int64(off), end: base + int64(len(data)), tail: true, err: err})
			return
		}
		bad(damage{off: base + int64(off), end: base + int64(next), err: err})
		off = next
	}
}

type parsed struct {
	seq     uint64
	size    int
	payload []byte
}

func recordAt(data []byte, off int) (parsed, error) {
	h, err := parseHeader(data[off:])
	if err != nil {
		return parsed{}, err
	}
	end := off + headerSize + int(h.length)
	if end > len(data) {
		return parsed{}, errTorn
	}
	if err := checkRecord(data[off:end]); err != nil {
		return parsed{}, err
	}
	return parsed{seq: h.seq, size: end - off, payload: data[off+headerSize : end]}, nil
}

// nextValid returns the offset of the first valid record at or after from, or -1.
func nextValid(data []byte, from int) int {
	for from < len(data) {
		i := bytes.IndexByte(data[from:], magic0)
		if i < 0 {
			return -1
		}
		at := from + i
		if _, err := recordAt(data, at); err == nil {
			return at
		}
		from = at + 1
	}
	return -1
}
