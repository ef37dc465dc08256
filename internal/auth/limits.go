package auth

import (
	"context"
	"fmt"

	"github.com/agentobs/agentobs/internal/model"
)

// Limits returns the limits in force for a workspace: its overrides over the defaults.
func (s *Service) Limits(ctx context.Context, workspaceID string) (key, workspace Limit, err error) {
	o, ok := s.limits.get(workspaceID)
	if !ok {
		if o, err = s.st.WorkspaceLimits(ctx, workspaceID); err != nil {
			return Limit{}, Limit{}, err
		}
		s.limits.set(workspaceID, o)
	}
	key, workspace = s.cfg.KeyLimit, s.cfg.WorkspaceLimit
	override := func(l *Limit, rate float64, burst int) {
		switch {
		case rate < 0:
			*l = Limit{}
		case rate > 0:
			l.Rate = rate
			if burst > 0 {
				l.Burst = burst
			} else {
				l.Burst = max(int(rate), 1)
			}
		}
	}
	override(&key, o.KeyRate, o.KeyBurst)
	override(&workspace, o.WorkspaceRate, o.WorkspaceBurst)
	return key, workspace, nil
}

// WorkspaceLimits returns the workspace's overrides and the limits in force.
func (s *Service) WorkspaceLimits(ctx context.Context, workspaceID string) (model.RateLimits, Limit, Limit, error) {
	o, err := s.st.WorkspaceLimits(ctx, workspaceID)
	if err != nil {
		return o, Limit{}, Limit{}, err
	}
	k, w, err := s.Limits(ctx, workspaceID)
	return o, k, w, err
}

// SetWorkspaceLimits stores a workspace's overrides; they apply at once in this process.
func (s *Service) SetWorkspaceLimits(ctx context.Context, workspaceID string, l model.RateLimits) error {
	if err := l.Validate(model.Path{"rate_limits"}); err != nil {
		return err
	}
	if err := s.st.SetWorkspaceLimits(ctx, workspaceID, l); err != nil {
		return err
	}
	s.limits.remove(workspaceID)
	return nil
}

// Throttle spends one request of the caller's and of its workspace's budget and returns
// the tighter of the two decisions. A refused request spends nothing of the other budget
// it did not reach.
func (s *Service) Throttle(ctx context.Context, p *Principal) (Decision, error) {
	if p.WorkspaceID == "" {
		return Decision{Allowed: true}, nil
	}
	kl, wl, err := s.Limits(ctx, p.WorkspaceID)
	if err != nil {
		return Decision{}, err
	}
	kd, err := s.limiter.Allow(ctx, p.Subject(), kl)
	if err != nil || !kd.Allowed {
		return kd, err
	}
	wd, err := s.limiter.Allow(ctx, "ws:"+p.WorkspaceID, wl)
	if err != nil || !wd.Allowed || kl.Unlimited() {
		return wd, err
	}
	if wl.Unlimited() || kd.Remaining <= wd.Remaining {
		return kd, nil
	}
	return wd, nil
}

// String describes a limit for logs and headers: "100;w=1" style.
func (l Limit) String() string {
	if l.Unlimited() {
		return "unlimited"
	}
	return fmt.Sprintf("%g/s burst %d", l.Rate, l.Burst)
}

// spendAttempt counts one sign-in or sign-up attempt against key's budget, atomically, and
// refuses it when the budget is spent. It fails closed: when the limiter cannot answer,
// the attempt is refused rather than let through uncounted.
func (s *Service) spendAttempt(ctx context.Context, key string, l Limit, format string) error {
	var d Decision
	var err error
	if strict, ok := s.limiter.(StrictLimiter); ok {
		d, err = strict.AllowStrict(ctx, key, l)
	} else {
		d, err = s.limiter.Allow(ctx, key, l)
	}
	if err != nil {
		s.cfg.Log.Error("sign-in throttling unavailable; refusing the attempt", "err", err)
		return model.Errorf(model.EUNAVAILABLE, "sign-in is unavailable for a moment; retry shortly")
	}
	if !d.Allowed {
		return throttled(d.RetryAfter, format, Seconds(d.RetryAfter))
	}
	return nil
}
