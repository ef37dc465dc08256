package model

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Alert rule kinds.
const (
	RuleThreshold = "threshold"
	RuleAnomaly   = "anomaly"
)

// AlertMetrics is the fixed catalogue a rule may watch, in documentation order.
var AlertMetrics = []string{
	"request_count", "error_rate", "latency_p50", "latency_p95", "latency_p99",
	"cost_total", "cost_per_trace", "tokens_total", "eval_score_avg", "feedback_score_avg",
	"guardrail_violations", "budget_used_pct", "no_activity",
}

// metricAliases are the plan's short names.
var metricAliases = map[string]string{"latency": "latency_p95", "cost": "cost_total"}

// AlertGroupBys are the dimensions a rule may split its instances by.
var AlertGroupBys = []string{"agent", "model", "user", "provider"}

// Alert states of an instance (one group of a rule).
const (
	StateNormal           = "normal"
	StatePending          = "pending"
	StateFiring           = "firing"
	StateResolved         = "resolved"
	StateInsufficientData = "insufficient_data"
	StateLearning         = "learning"
	StateError            = "error"
	// StateAcknowledged is an episode someone has taken on; it still fires.
	StateAcknowledged = "acknowledged"
)

// No-data policies: what an instance with no samples at all becomes.
const (
	NoDataOK       = "ok"        // normal
	NoDataKeepLast = "keep_last" // keep its state
	NoDataAlerting = "alerting"  // treat as a breach
)

// Duration is a time span written as "30s", "5m", "4h" or "7d" (or a number of seconds).
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

var durationRE = regexp.MustCompile(`^(\d+)d$`)

// ParseDuration accepts Go durations and a whole number of days ("7d").
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if m := durationRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 3650 {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 30s, 5m, 1h or 7d", s)
	}
	return Duration(d), nil
}

// String renders the shortest of the accepted forms.
func (d Duration) String() string {
	td := time.Duration(d)
	switch {
	case td == 0:
		return "0s"
	case td%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	case td%time.Hour == 0:
		return strconv.FormatInt(int64(td/time.Hour), 10) + "h"
	case td%time.Minute == 0:
		return strconv.FormatInt(int64(td/time.Minute), 10) + "m"
	case td%time.Second == 0:
		return strconv.FormatInt(int64(td/time.Second), 10) + "s"
	}
	return td.String()
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err := json.Unmarshal(b, &secs); err != nil {
			return fmt.Errorf("must be a duration such as \"5m\"")
		}
		*d = Duration(time.Duration(secs * float64(time.Second)))
		return nil
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// AlertFilters select the traces a rule watches; empty fields do not filter.
type AlertFilters struct {
	Agent    string `json:"agent,omitempty"`
	Model    string `json:"model,omitempty"`
	Provider string `json:"provider,omitempty"`
	Tag      string `json:"tag,omitempty"`
	User     string `json:"user,omitempty"`
}

// AlertRule is a condition on a metric that raises alerts.
type AlertRule struct {
	WorkspaceID string `json:"-"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Metric      string `json:"metric"`
	// Criterion names the eval criterion of eval_score_avg or the violation type of
	// guardrail_violations (the score name of feedback_score_avg); empty takes every one.
	Criterion string       `json:"criterion,omitempty"`
	Filters   AlertFilters `json:"filters"`
	GroupBy   string       `json:"group_by,omitempty"`
	Operator  string       `json:"operator"`
	// Threshold is the critical threshold; WarningThreshold an optional earlier one.
	// Anomaly rules use Threshold as the p-value below which a window is anomalous.
	Threshold        float64  `json:"threshold"`
	WarningThreshold *float64 `json:"warning_threshold,omitempty"`
	Window           Duration `json:"window"`
	Interval         Duration `json:"evaluation_interval"`
	For              Duration `json:"for"`
	KeepFiringFor    Duration `json:"keep_firing_for"`
	MinSamples       int      `json:"min_samples"`
	NoData           string   `json:"no_data"`
	Severity         string   `json:"severity"`
	Channels         []string `json:"notification_channels"`
	GroupWait        Duration `json:"group_wait"`
	GroupInterval    Duration `json:"group_interval"`
	RepeatInterval   Duration `json:"repeat_interval"`
	// NotifyLearning lets an anomaly rule with under 7 days of history notify.
	NotifyLearning bool `json:"notify_while_learning"`
	// PerPeriod makes each budget period (calendar month) its own instance, so that a
	// budget rule fires once a period; system rules only.
	PerPeriod bool      `json:"per_period,omitempty"`
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Rule defaults: a rule of only the plan's fields is useful at once.
const (
	DefaultRuleInterval   = Duration(time.Minute)
	DefaultMinSamples     = 20
	DefaultGroupWait      = Duration(30 * time.Second)
	DefaultGroupInterval  = Duration(5 * time.Minute)
	DefaultRepeatInterval = Duration(4 * time.Hour)
	DefaultAnomalyPValue  = 0.001
)

// ApplyDefaults fills what the caller left out.
func (r *AlertRule) ApplyDefaults() {
	if m, ok := metricAliases[r.Metric]; ok {
		r.Metric = m
	}
	r.Operator = normalizeOperator(r.Operator)
	if r.Kind == "" {
		r.Kind = RuleThreshold
	}
	if r.Interval == 0 {
		r.Interval = DefaultRuleInterval
	}
	if r.Window == 0 && r.Kind == RuleAnomaly {
		r.Window = Duration(time.Hour)
	}
	if r.MinSamples == 0 {
		r.MinSamples = DefaultMinSamples
	}
	if r.NoData == "" {
		r.NoData = NoDataOK
	}
	if r.Severity == "" {
		r.Severity = "critical"
	}
	if r.Channels == nil {
		r.Channels = []string{}
	}
	if r.GroupWait == 0 {
		r.GroupWait = DefaultGroupWait
	}
	if r.GroupInterval == 0 {
		r.GroupInterval = DefaultGroupInterval
	}
	if r.RepeatInterval == 0 {
		r.RepeatInterval = DefaultRepeatInterval
	}
	if r.Kind == RuleAnomaly && r.Threshold == 0 {
		r.Threshold = DefaultAnomalyPValue
	}
	if r.Kind == RuleAnomaly && r.Operator == "" {
		r.Operator = ">"
	}
}

func normalizeOperator(op string) string {
	switch op {
	case "gt":
		return ">"
	case "gte", "ge":
		return ">="
	case "lt":
		return "<"
	case "lte", "le":
		return "<="
	}
	return op
}

// Breaches reports whether value crosses threshold under the rule's operator.
func (r *AlertRule) Breaches(value, threshold float64) bool {
	switch r.Operator {
	case ">":
		return value > threshold
	case ">=":
		return value >= threshold
	case "<":
		return value < threshold
	case "<=":
		return value <= threshold
	}
	return false
}

// Validate checks a rule after ApplyDefaults.
func (r *AlertRule) Validate() error {
	var fe FieldErrors
	if strings.TrimSpace(r.Name) == "" || len(r.Name) > 200 {
		fe.Add(Path{"name"}, "is required (at most 200 characters)")
	}
	if r.Kind != RuleThreshold && r.Kind != RuleAnomaly {
		fe.Add(Path{"kind"}, "must be threshold or anomaly")
	}
	if !slices.Contains(AlertMetrics, r.Metric) {
		fe.Add(Path{"metric"}, "must be one of %s (or latency, cost)", strings.Join(AlertMetrics, ", "))
	}
	if r.Kind == RuleAnomaly && (r.Metric == "no_activity" || r.Metric == "budget_used_pct") {
		fe.Add(Path{"metric"}, "anomaly rules watch any metric but no_activity and budget_used_pct (use a threshold)")
	}
	if r.GroupBy != "" && !slices.Contains(AlertGroupBys, r.GroupBy) {
		fe.Add(Path{"group_by"}, "must be one of %s", strings.Join(AlertGroupBys, ", "))
	}
	if !slices.Contains([]string{">", ">=", "<", "<="}, r.Operator) {
		fe.Add(Path{"operator"}, "must be one of >, >=, <, <=")
	}
	if r.Kind == RuleAnomaly && (r.Threshold <= 0 || r.Threshold >= 0.5) {
		fe.Add(Path{"threshold"}, "is the p-value of an anomaly rule: between 0 and 0.5")
	}
	if r.WarningThreshold != nil && r.Kind == RuleThreshold && !r.Breaches(r.Threshold, *r.WarningThreshold) && r.Threshold != *r.WarningThreshold {
		fe.Add(Path{"warning_threshold"}, "must be crossed before threshold")
	}
	if r.Metric != "no_activity" && (r.Window < Duration(5*time.Minute) || r.Window > Duration(7*24*time.Hour)) {
		fe.Add(Path{"window"}, "must be between 5m and 7d")
	}
	if r.Interval < Duration(10*time.Second) || r.Interval > Duration(24*time.Hour) {
		fe.Add(Path{"evaluation_interval"}, "must be between 10s and 24h")
	}
	durs := []struct {
		name string
		d    Duration
		max  time.Duration
	}{{"for", r.For, 7 * 24 * time.Hour}, {"keep_firing_for", r.KeepFiringFor, 7 * 24 * time.Hour},
		{"group_wait", r.GroupWait, time.Hour}, {"group_interval", r.GroupInterval, 24 * time.Hour},
		{"repeat_interval", r.RepeatInterval, 30 * 24 * time.Hour}}
	for _, d := range durs {
		if d.d < 0 || d.d.D() > d.max {
			fe.Add(Path{d.name}, "must be between 0s and %s", Duration(d.max))
		}
	}
	if r.MinSamples < 0 || r.MinSamples > 1_000_000 {
		fe.Add(Path{"min_samples"}, "must be between 0 and 1000000")
	}
	if !slices.Contains([]string{NoDataOK, NoDataKeepLast, NoDataAlerting}, r.NoData) {
		fe.Add(Path{"no_data"}, "must be ok, keep_last or alerting")
	}
	if !slices.Contains([]string{"critical", "warning", "info"}, r.Severity) {
		fe.Add(Path{"severity"}, "must be critical, warning or info")
	}
	for i, c := range r.Channels {
		if !slices.Contains(IntegrationTypes, c) {
			fe.Add(Path{"notification_channels", i}, "must be one of %s", strings.Join(IntegrationTypes, ", "))
		}
	}
	if len(r.Criterion) > 200 {
		fe.Add(Path{"criterion"}, "is at most 200 characters")
	}
	return fe.Err("invalid alert rule")
}

// IntegrationTypes are the notification channels a workspace can configure.
var IntegrationTypes = []string{"slack", "pagerduty", "email", "webhook", "sentry"}

// AlertMatcher matches an alert label exactly; an empty Value matches an absent label.
type AlertMatcher struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Silence mutes notifications of alerts whose labels match every matcher, within its range.
type Silence struct {
	WorkspaceID string         `json:"-"`
	ID          string         `json:"id"`
	Matchers    []AlertMatcher `json:"matchers"`
	StartsAt    time.Time      `json:"starts_at"`
	EndsAt      time.Time      `json:"ends_at"`
	Comment     string         `json:"comment"`
	CreatedBy   string         `json:"created_by"`
	CreatedAt   time.Time      `json:"created_at"`
}

// Validate checks a silence.
func (s *Silence) Validate() error {
	var fe FieldErrors
	if len(s.Matchers) == 0 {
		fe.Add(Path{"matchers"}, "needs at least one matcher")
	}
	for i, m := range s.Matchers {
		if m.Name == "" {
			fe.Add(Path{"matchers", i, "name"}, "is required")
		}
	}
	if s.StartsAt.IsZero() {
		fe.Add(Path{"starts_at"}, "is required")
	}
	if !s.EndsAt.After(s.StartsAt) {
		fe.Add(Path{"ends_at"}, "must be after starts_at")
	}
	if len(s.Comment) > 1000 {
		fe.Add(Path{"comment"}, "is at most 1000 characters")
	}
	return fe.Err("invalid silence")
}

// Matches reports whether the silence covers labels at t.
func (s *Silence) Matches(labels map[string]string, t time.Time) bool {
	if t.Before(s.StartsAt) || !t.Before(s.EndsAt) {
		return false
	}
	for _, m := range s.Matchers {
		if labels[m.Name] != m.Value {
			return false
		}
	}
	return true
}

// AlertInstance is the evaluator's state of one group of a rule; it survives restarts.
type AlertInstance struct {
	WorkspaceID string    `json:"-"`
	RuleID      string    `json:"rule_id"`
	GroupKey    string    `json:"group_key"`
	State       string    `json:"state"`
	Severity    string    `json:"severity"`
	Since       time.Time `json:"since"` // when the current state began (pending: first breach)
	// LastBreach is the last evaluation that breached, for keep_firing_for.
	LastBreach  time.Time `json:"last_breach"`
	AlertID     string    `json:"alert_id"` // the open episode, if any
	Value       float64   `json:"value"`
	EvaluatedAt time.Time `json:"evaluated_at"`
}

// AlertEvaluation is one evaluation of an instance, kept as history.
type AlertEvaluation struct {
	WorkspaceID string    `json:"-"`
	RuleID      string    `json:"rule_id"`
	GroupKey    string    `json:"group_key"`
	AlertID     string    `json:"alert_id,omitempty"`
	Time        time.Time `json:"time"`
	State       string    `json:"state"`
	Value       *float64  `json:"value"`
	Baseline    *float64  `json:"baseline,omitempty"`
	PValue      *float64  `json:"p_value,omitempty"`
	Samples     int64     `json:"samples"`
	WindowFrom  time.Time `json:"window_from"`
	WindowTo    time.Time `json:"window_to"`
	Message     string    `json:"message,omitempty"`
}

// Notification is one message to one channel, queued durably until sent.
type Notification struct {
	WorkspaceID string `json:"-"`
	ID          string `json:"id"`
	// DedupKey is unique per workspace: enqueuing it twice stores one notification.
	DedupKey  string     `json:"dedup_key"`
	AlertID   string     `json:"alert_id"`
	Channel   string     `json:"channel"`
	Kind      string     `json:"kind"`  // firing | resolved | acknowledged | repeat
	Payload   string     `json:"-"`     // JSON the sender renders from
	State     string     `json:"state"` // pending | sent | failed
	Attempts  int        `json:"attempts"`
	NextAt    time.Time  `json:"next_attempt_at"`
	LastError string     `json:"last_error,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

// Notification states.
const (
	NotifyPending = "pending"
	NotifySent    = "sent"
	NotifyFailed  = "failed"
)
