package main

import (
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"testing"
)

func TestApplyGoMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Setenv("GOMEMLIMIT", "")

	if err := applyGoMemoryLimit("96MiB", log); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != 96<<20 {
		t.Fatalf("limit %d after 96MiB", got)
	}
	if err := applyGoMemoryLimit("off", log); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("limit %d after off", got)
	}
	if err := applyGoMemoryLimit("lots", log); err == nil {
		t.Fatal("a bad size was accepted")
	}
	// An operator's GOMEMLIMIT (which the runtime has applied already) is left alone.
	debug.SetMemoryLimit(300 << 20)
	t.Setenv("GOMEMLIMIT", "300MiB")
	if err := applyGoMemoryLimit("64MiB", log); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Fatalf("GOMEMLIMIT overridden: limit %d", got)
	}
}
