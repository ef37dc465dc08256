package loadtest

import (
	"math"
	"testing"
	"time"
)

func TestPacerFollowsTheShape(t *testing.T) {
	s := Shape{Rate: 100, Peak: 200, Ramp: 10 * time.Second, Hold: 20 * time.Second}
	p := newPacer(s, 1)
	for _, c := range []struct {
		at   time.Duration
		rate float64
		hits float64
	}{
		{0, 0, 0},
		{5 * time.Second, 50, 125},
		{10 * time.Second, 100, 500},
		{30 * time.Second, 100, 2500},
		{35 * time.Second, 150, 3125},
		{40 * time.Second, 200, 4000},
		{60 * time.Second, 200, 8000},
		{70 * time.Second, 0, 9000},
	} {
		if r := p.Rate(c.at); math.Abs(r-c.rate) > 1e-9 {
			t.Errorf("Rate(%v) = %v; want %v", c.at, r, c.rate)
		}
		if h := p.hits(c.at); math.Abs(h-c.hits) > 1e-6 {
			t.Errorf("hits(%v) = %v; want %v", c.at, h, c.hits)
		}
	}
	if s.Duration() != 70*time.Second {
		t.Errorf("Duration = %v", s.Duration())
	}
	if _, stop := p.Pace(70*time.Second, 9000); !stop {
		t.Error("Pace goes on after the shape")
	}
	// Behind schedule: send at once. On schedule at 100/s: the next one in 10ms.
	if w, _ := p.Pace(20*time.Second, 10); w != 0 {
		t.Errorf("Pace behind = %v", w)
	}
	if w, _ := p.Pace(20*time.Second, 1500); w != 10*time.Millisecond {
		t.Errorf("Pace on schedule = %v; want 10ms", w)
	}
	half := newPacer(s, 0.5)
	if h := half.hits(70 * time.Second); h != 4500 {
		t.Errorf("a half share sends %v; want 4500", h)
	}
	if got := s.Scaled(10); got.Rate != 1000 || got.Peak != 2000 || got.Ramp != s.Ramp {
		t.Errorf("Scaled(10) = %+v", got)
	}
	for _, bad := range []Shape{{Rate: 0, Peak: 1, Hold: time.Second}, {Rate: 2, Peak: 1, Hold: time.Second}, {Rate: 1, Peak: 1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v is valid", bad)
		}
	}
}
