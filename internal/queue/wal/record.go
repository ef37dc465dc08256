package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// A record on disk:
//
//	offset size
//	0      2    magic 0xA0 0x57, so that a reader lost in a damaged segment can find the next record
//	2      1    format version of the payload (recordVersion)
//	3      1    reserved, 0
//	4      4    payload length, little endian
//	8      8    sequence number, little endian: increasing through the whole log, never reused
//	16     4    CRC-32C (Castagnoli) of bytes 0..15 and the payload
//	20     n    payload (codec.go)
const (
	headerSize    = 20
	recordVersion = 1
	magic0        = 0xA0
	magic1        = 0x57
	// maxPayload bounds what a damaged length field can make a reader take as one record.
	maxPayload = 512 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord appends a framed record of payload with sequence number seq to dst.
func appendRecord(dst []byte, seq uint64, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, magic0, magic1, recordVersion, 0)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint64(dst, seq)
	crc := crc32.Update(crc32.Checksum(dst[start:start+16], castagnoli), castagnoli, payload)
	dst = binary.LittleEndian.AppendUint32(dst, crc)
	return append(dst, payload...)
}

var (
	errTorn    = errors.New("record is cut short")
	errCorrupt = errors.New("record fails its checksum")
)

// header is a record's parsed header.
type header struct {
	seq     uint64
	length  uint32
	version byte
}

// parseHeader checks the magic, version and length of the header at the start of b.
func parseHeader(b []byte) (header, error) {
	if len(b) < headerSize {
		return header{}, errTorn
	}
	if b[0] != magic0 || b[1] != magic1 {
		return header{}, fmt.Errorf("%w: no record marker", errCorrupt)
	}
	h := header{version: b[2], length: binary.LittleEndian.Uint32(b[4:8]), seq: binary.LittleEndian.Uint64(b[8:16])}
	if h.version != recordVersion {
		return h, fmt.Errorf("%w: unknown record version %d", errCorrupt, h.version)
	}
	if h.length > maxPayload {
		return h, fmt.Errorf("%w: length %d is beyond any record", errCorrupt, h.length)
	}
	return h, nil
}

// checkRecord verifies the checksum of a whole record (header and payload) in b.
func checkRecord(b []byte) error {
	want := binary.LittleEndian.Uint32(b[16:20])
	got := crc32.Update(crc32.Checksum(b[:16], castagnoli), castagnoli, b[headerSize:])
	if got != want {
		return errCorrupt
	}
	return nil
}
