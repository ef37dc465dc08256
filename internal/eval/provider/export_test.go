package provider

import (
	"context"
	"time"
)

// NewClientForTest builds a Client on an injected clock and sleep.
func NewClientForTest(p Provider, l Limits, now func() time.Time, sleep func(context.Context, time.Duration) error) *Client {
	c := NewClient(p, l)
	c.now, c.sleep = now, sleep
	return c
}
