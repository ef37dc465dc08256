// Package loadtest drives agentobs with an open-loop load of the plan's shape (ramp to a
// base rate, hold, ramp to a peak, hold, ramp down) against ingestion and the dashboard's
// read endpoints, and reports rate, latency percentiles and errors per endpoint group.
package loadtest

import (
	"fmt"
	"time"
)

// Shape is the load over time, in requests per second.
type Shape struct {
	Rate, Peak float64
	Ramp, Hold time.Duration
}

// PlanShape is the plan's k6 stages (bench/k6/load-test.js): 100 virtual users that send a
// request a second, then 200.
var PlanShape = Shape{Rate: 100, Peak: 200, Ramp: 2 * time.Minute, Hold: 5 * time.Minute}

// Validate names the first bad field.
func (s Shape) Validate() error {
	switch {
	case s.Rate <= 0:
		return fmt.Errorf("rate must be positive")
	case s.Peak < s.Rate:
		return fmt.Errorf("peak rate must be at least the rate")
	case s.Ramp < 0 || s.Hold < 0 || s.Ramp+s.Hold <= 0:
		return fmt.Errorf("ramp and hold must not be negative, nor both zero")
	}
	return nil
}

// Scaled multiplies the rates by f.
func (s Shape) Scaled(f float64) Shape {
	s.Rate *= f
	s.Peak *= f
	return s
}

// stage is a stretch of time over which the rate goes linearly from from to to.
type stage struct {
	d        time.Duration
	from, to float64
}

func (s Shape) stages() []stage {
	return []stage{{s.Ramp, 0, s.Rate}, {s.Hold, s.Rate, s.Rate}, {s.Ramp, s.Rate, s.Peak}, {s.Hold, s.Peak, s.Peak}, {s.Ramp, s.Peak, 0}}
}

// Duration is how long the whole shape lasts.
func (s Shape) Duration() time.Duration { return 3*s.Ramp + 2*s.Hold }

// pacer paces a vegeta attack along the shape, times share (the part of the load this
// attack sends). It implements vegeta.Pacer.
type pacer struct {
	stages []stage
	share  float64
}

func newPacer(s Shape, share float64) pacer { return pacer{stages: s.stages(), share: share} }

// Rate is the instantaneous rate at elapsed.
func (p pacer) Rate(elapsed time.Duration) float64 {
	for _, st := range p.stages {
		if elapsed < st.d {
			return p.share * (st.from + (st.to-st.from)*float64(elapsed)/float64(st.d))
		}
		elapsed -= st.d
	}
	return 0
}

// hits is how many requests should have been sent by elapsed: the integral of the rate.
func (p pacer) hits(elapsed time.Duration) float64 {
	total := 0.0
	for _, st := range p.stages {
		d := min(elapsed, st.d)
		if d <= 0 {
			break
		}
		end := st.from + (st.to-st.from)*float64(d)/float64(max(st.d, 1))
		total += (st.from + end) / 2 * d.Seconds()
		elapsed -= st.d
	}
	return p.share * total
}

// Pace says how long to wait before the next request, and when the shape is over.
func (p pacer) Pace(elapsed time.Duration, sent uint64) (time.Duration, bool) {
	var total time.Duration
	for _, st := range p.stages {
		total += st.d
	}
	if elapsed >= total {
		return 0, true
	}
	due := p.hits(elapsed)
	if float64(sent) < due {
		return 0, false // behind: send now
	}
	rate := p.Rate(elapsed)
	if rate < 1e-3 {
		// At the start of a ramp from zero the next request is due after the rate has grown.
		return 10 * time.Millisecond, false
	}
	wait := time.Duration((float64(sent) + 1 - due) / rate * float64(time.Second))
	return min(wait, time.Second), false
}
