package alert

import (
	"context"
	"log/slog"
	"time"
)

// LeaseName is the store lease whose holder evaluates rules and groups notifications; with
// several alert processes exactly one holds it, and another takes over within LeaseTTL of
// its loss.
const LeaseName = "alert-evaluator"

// Service runs the alert role: evaluation and grouping under the lease, delivery in every
// process (claims keep two senders off one notification).
type Service struct {
	Eval   *Evaluator
	Notify *Notifier
	st     Store
	holder string
	now    func() time.Time
	log    *slog.Logger
	// Tick is how often the loop runs; rules keep their own intervals.
	Tick     time.Duration
	LeaseTTL time.Duration
	// Settings, when set, turns budgets and health thresholds into system rules.
	Settings SettingsSource
	lastSync time.Time
}

// NewService builds the role's loop; holder names this process in the lease.
func NewService(st Store, n *Notifier, holder string, now func() time.Time, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{Eval: NewEvaluator(st, now, log), Notify: n, st: st, holder: holder, now: now, log: log,
		Tick: 5 * time.Second, LeaseTTL: 30 * time.Second}
}

// Step runs one round: it reports whether this process held the lease.
func (s *Service) Step(ctx context.Context) (bool, error) {
	leader, err := s.st.AcquireLease(ctx, LeaseName, s.holder, s.now().UTC(), s.LeaseTTL)
	if err != nil {
		return false, err
	}
	if leader {
		if now := s.now(); s.Settings != nil && now.Sub(s.lastSync) >= time.Minute {
			if err := SyncSystemRules(ctx, s.st, s.Settings, now.UTC()); err != nil {
				s.log.Warn("cannot sync budget and health rules", "err", err)
			}
			s.lastSync = now
		}
		if err := s.Eval.Tick(ctx); err != nil {
			return true, err
		}
		if err := s.Notify.Tick(ctx); err != nil {
			return true, err
		}
	}
	_, err = s.Notify.Deliver(ctx)
	return leader, err
}

// Run steps every Tick until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.Tick)
	defer t.Stop()
	for {
		if _, err := s.Step(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("alerting round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
