package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Store is everything the alert role reads and writes.
type Store interface {
	Source
	store.Alerting
	WriteEvents(ctx context.Context, events []model.Event) error
}

// Evaluator evaluates rules and moves their groups through the states.
type Evaluator struct {
	st  Store
	now func() time.Time
	log *slog.Logger
	// Exactly one evaluator at a time runs the rules of all workspaces.
	lastRun map[string]time.Time // rule key -> last evaluation, to honour each rule's interval
	round   *round               // set during Tick
	levels  levelHistory         // past windows of anomaly rules on levels
	// OnStateChange, when set, hears the groups that moved to another state, once their
	// new state is stored (the live updates of the Alerts page).
	OnStateChange func([]StateChange)
}

// StateChange is an alert group in a new state, and the state it left ("" when new).
type StateChange struct {
	Instance model.AlertInstance
	Previous string
}

// NewEvaluator builds an evaluator; now is the clock (time.Now in production).
func NewEvaluator(st Store, now func() time.Time, log *slog.Logger) *Evaluator {
	if log == nil {
		log = slog.Default()
	}
	return &Evaluator{st: st, now: now, log: log, lastRun: map[string]time.Time{}}
}

// Tick evaluates every enabled rule whose interval has passed since it last ran. Within
// one round, rules share identical aggregates, each workspace's state is read once, and
// state and history are written in a few statements.
func (e *Evaluator) Tick(ctx context.Context) error {
	rules, err := e.st.ListAlertRules(ctx, "")
	if err != nil {
		return err
	}
	now := e.now().UTC()
	e.round = &round{src: &cachedSource{Source: e.st, stats: map[string]store.StatsResult{}}, state: map[string]map[string][]model.AlertInstance{}}
	defer func() { e.round = nil }()
	for i := range rules {
		r := &rules[i]
		if !r.Enabled {
			continue
		}
		key := r.WorkspaceID + "/" + r.ID
		if last, ok := e.lastRun[key]; ok && now.Sub(last) < r.Interval.D() {
			continue
		}
		e.lastRun[key] = now
		if err := e.EvaluateRule(ctx, r, now); err != nil {
			e.log.Warn("alert rule evaluation failed", "workspace", r.WorkspaceID, "rule", r.ID, "err", err)
		}
	}
	return e.flush(ctx)
}

// round is what one Tick shares between rules.
type round struct {
	src       *cachedSource
	state     map[string]map[string][]model.AlertInstance // workspace -> rule -> groups
	instances []model.AlertInstance
	evals     []model.AlertEvaluation
	changes   []StateChange
}

func (e *Evaluator) source() Source {
	if e.round != nil {
		return e.round.src
	}
	return e.st
}

func (e *Evaluator) instances(ctx context.Context, ws, ruleID string) ([]model.AlertInstance, error) {
	if e.round == nil {
		return e.st.ListAlertInstances(ctx, ws, ruleID)
	}
	byRule, ok := e.round.state[ws]
	if !ok {
		all, err := e.st.ListAlertInstances(ctx, ws, "")
		if err != nil {
			return nil, err
		}
		byRule = map[string][]model.AlertInstance{}
		for _, in := range all {
			byRule[in.RuleID] = append(byRule[in.RuleID], in)
		}
		e.round.state[ws] = byRule
	}
	return byRule[ruleID], nil
}

func (e *Evaluator) save(ctx context.Context, in []model.AlertInstance, ev []model.AlertEvaluation, changes []StateChange) error {
	if e.round != nil {
		e.round.instances = append(e.round.instances, in...)
		e.round.evals = append(e.round.evals, ev...)
		e.round.changes = append(e.round.changes, changes...)
		return nil
	}
	if err := e.st.PutAlertInstances(ctx, in); err != nil {
		return err
	}
	if err := e.st.AddAlertEvaluations(ctx, ev); err != nil {
		return err
	}
	e.announce(changes)
	return nil
}

func (e *Evaluator) flush(ctx context.Context) error {
	if e.round == nil {
		return nil
	}
	if err := e.st.PutAlertInstances(ctx, e.round.instances); err != nil {
		return err
	}
	if err := e.st.AddAlertEvaluations(ctx, e.round.evals); err != nil {
		return err
	}
	e.announce(e.round.changes)
	return nil
}

func (e *Evaluator) announce(changes []StateChange) {
	if e.OnStateChange != nil && len(changes) > 0 {
		e.OnStateChange(changes)
	}
}

// outcome is one group's result of one evaluation.
type outcome struct {
	sample   Sample
	breach   bool
	severity string // of the breach
	state    string // insufficient_data, learning or error when the value cannot be judged
	baseline *float64
	pValue   *float64
	message  string
}

// EvaluateRule evaluates r at now, updates its groups' state, episodes and history.
func (e *Evaluator) EvaluateRule(ctx context.Context, r *model.AlertRule, now time.Time) error {
	from := now.Add(-r.Window.D())
	var results map[string]outcome
	var evalErr error
	if r.Kind == model.RuleAnomaly {
		results, evalErr = e.anomalyOutcomes(ctx, r, now)
	} else {
		results, evalErr = e.thresholdOutcomes(ctx, r, from, now)
	}
	prev, err := e.instances(ctx, r.WorkspaceID, r.ID)
	if err != nil {
		return err
	}
	byKey := map[string]model.AlertInstance{}
	for _, in := range prev {
		byKey[in.GroupKey] = in
	}
	if evalErr != nil {
		// Every known group records the error; open episodes stay as they are.
		results = map[string]outcome{}
		for k := range byKey {
			results[k] = outcome{state: model.StateError, message: evalErr.Error()}
		}
		if len(results) == 0 {
			results[""] = outcome{state: model.StateError, message: evalErr.Error()}
		}
	}
	// Known groups missing from this window have no data.
	for k := range byKey {
		if _, ok := results[k]; !ok {
			results[k] = outcome{sample: Sample{Labels: labelsFromKey(r, k)}}
		}
	}
	keys := make([]string, 0, len(results))
	for k := range results {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var instances []model.AlertInstance
	var evals []model.AlertEvaluation
	var changes []StateChange
	for _, k := range keys {
		o := results[k]
		in, ok := byKey[k]
		if !ok {
			in = model.AlertInstance{WorkspaceID: r.WorkspaceID, RuleID: r.ID, GroupKey: k, State: model.StateNormal, Since: now}
		}
		previous := ""
		if ok {
			previous = in.State
		}
		if err := e.step(ctx, r, &in, o, now); err != nil {
			return err
		}
		if in.State != previous {
			changes = append(changes, StateChange{Instance: in, Previous: previous})
		}
		instances = append(instances, in)
		evals = append(evals, model.AlertEvaluation{WorkspaceID: r.WorkspaceID, RuleID: r.ID, GroupKey: k, AlertID: in.AlertID,
			Time: now, State: in.State, Value: o.sample.Value, Baseline: o.baseline, PValue: o.pValue, Samples: o.sample.N,
			WindowFrom: from, WindowTo: now, Message: o.message})
	}
	return e.save(ctx, instances, evals, changes)
}

func labelsFromKey(r *model.AlertRule, key string) map[string]string {
	if r.PerPeriod {
		return map[string]string{"period": key}
	}
	if r.GroupBy == "" {
		return map[string]string{}
	}
	return map[string]string{r.GroupBy: key}
}

func (e *Evaluator) thresholdOutcomes(ctx context.Context, r *model.AlertRule, from, to time.Time) (map[string]outcome, error) {
	samples, err := Measure(ctx, e.source(), r, from, to)
	if err != nil {
		return nil, err
	}
	out := make(map[string]outcome, len(samples))
	for k, s := range samples {
		o := outcome{sample: s}
		switch {
		case s.Value == nil:
			// no data: decided by the rule's policy in step
		case GatedByMinSamples(r.Metric) && s.N < int64(r.MinSamples):
			o.state = model.StateInsufficientData
			o.message = fmt.Sprintf("%d samples, fewer than the minimum %d", s.N, r.MinSamples)
		case r.Breaches(*s.Value, r.Threshold):
			o.breach, o.severity = true, r.Severity
		case r.WarningThreshold != nil && r.Breaches(*s.Value, *r.WarningThreshold):
			o.breach, o.severity = true, "warning"
		}
		out[k] = o
	}
	return out, nil
}

// step moves one group through the state machine, opening and closing its episode.
func (e *Evaluator) step(ctx context.Context, r *model.AlertRule, in *model.AlertInstance, o outcome, now time.Time) error {
	in.EvaluatedAt = now
	if o.sample.Value != nil {
		in.Value = *o.sample.Value
	}
	breach := o.breach
	switch {
	case o.state == model.StateError:
		if in.State != model.StateFiring {
			in.State = model.StateError
		}
		return nil
	case o.state == model.StateInsufficientData || o.state == model.StateLearning:
		if in.State == model.StateFiring && !(o.state == model.StateLearning && r.NotifyLearning) {
			if err := e.closeEpisode(ctx, r, in, now, "not enough data to judge"); err != nil {
				return err
			}
		}
		if !(o.state == model.StateLearning && r.NotifyLearning && breach) {
			in.State, in.Since = o.state, now
			return nil
		}
	case o.sample.Value == nil && r.Metric != "no_activity":
		switch r.NoData {
		case model.NoDataKeepLast:
			return nil
		case model.NoDataAlerting:
			breach, o.severity = true, r.Severity
		}
	}
	if breach {
		in.LastBreach = now
		in.Severity = o.severity
		switch in.State {
		case model.StateFiring:
			return e.updateEpisode(ctx, r, in, o)
		case model.StatePending:
			if now.Sub(in.Since) >= r.For.D() {
				return e.openEpisode(ctx, r, in, o, now)
			}
			return nil
		default:
			in.Since = now
			if r.For == 0 {
				return e.openEpisode(ctx, r, in, o, now)
			}
			in.State = model.StatePending
			return nil
		}
	}
	switch in.State {
	case model.StateFiring:
		if r.KeepFiringFor > 0 && now.Sub(in.LastBreach) < r.KeepFiringFor.D() {
			return nil
		}
		return e.closeEpisode(ctx, r, in, now, "")
	case model.StateResolved:
		return nil
	}
	in.State, in.Since = model.StateNormal, now
	return nil
}

func (e *Evaluator) labels(r *model.AlertRule, in *model.AlertInstance) map[string]string {
	l := map[string]string{"alertname": r.Name, "rule_id": r.ID, "metric": r.Metric, "severity": in.Severity}
	for k, v := range labelsFromKey(r, in.GroupKey) {
		l[k] = v
	}
	if r.Filters.Agent != "" && l["agent"] == "" {
		l["agent"] = r.Filters.Agent
	}
	return l
}

func describe(r *model.AlertRule, in *model.AlertInstance, o outcome) string {
	var b strings.Builder
	if r.Kind == model.RuleAnomaly {
		fmt.Fprintf(&b, "%s is anomalous: %g", r.Metric, in.Value)
		if o.baseline != nil {
			fmt.Fprintf(&b, " against an expected %.4g", *o.baseline)
		}
		if o.pValue != nil {
			fmt.Fprintf(&b, " (p = %.2g)", *o.pValue)
		}
	} else {
		th := r.Threshold
		if in.Severity == "warning" && r.WarningThreshold != nil && in.Severity != r.Severity {
			th = *r.WarningThreshold
		}
		fmt.Fprintf(&b, "%s is %.4g, %s %g", r.Metric, in.Value, r.Operator, th)
	}
	if r.Metric != "budget_used_pct" {
		fmt.Fprintf(&b, " over the last %s", r.Window)
	}
	if r.GroupBy != "" {
		fmt.Fprintf(&b, " for %s %s", r.GroupBy, in.GroupKey)
	}
	if r.PerPeriod {
		fmt.Fprintf(&b, " (budget period %s)", in.GroupKey)
	}
	return b.String()
}

func (e *Evaluator) openEpisode(ctx context.Context, r *model.AlertRule, in *model.AlertInstance, o outcome, now time.Time) error {
	in.State, in.Since = model.StateFiring, now
	in.AlertID = auth.NewUUID()
	a := model.Alert{WorkspaceID: r.WorkspaceID, ID: in.AlertID, RuleID: r.ID, Severity: in.Severity,
		Status: model.StateFiring, Title: title(r, in), Description: describe(r, in, o), GroupKey: in.GroupKey,
		Labels: e.labels(r, in), Value: in.Value, Threshold: r.Threshold, TriggeredAt: now}
	a.AgentID = a.Labels["agent"]
	if err := e.st.PutAlert(ctx, a); err != nil {
		return err
	}
	return e.event(ctx, a, "alert.firing", now)
}

func title(r *model.AlertRule, in *model.AlertInstance) string {
	switch {
	case in.GroupKey == "":
		return r.Name
	case r.PerPeriod:
		return r.Name + " (" + in.GroupKey + ")"
	}
	return r.Name + " (" + r.GroupBy + " " + in.GroupKey + ")"
}

func (e *Evaluator) updateEpisode(ctx context.Context, r *model.AlertRule, in *model.AlertInstance, o outcome) error {
	a, err := e.st.GetAlert(ctx, r.WorkspaceID, in.AlertID)
	if model.ErrorCode(err) == model.ENOTFOUND {
		return e.openEpisode(ctx, r, in, o, e.now().UTC())
	}
	if err != nil {
		return err
	}
	if a.Status == model.StateResolved {
		// Resolved by hand while still breaching: a new episode begins.
		return e.openEpisode(ctx, r, in, o, e.now().UTC())
	}
	a.Value, a.Severity, a.Description = in.Value, in.Severity, describe(r, in, o)
	a.Labels["severity"] = in.Severity
	return e.st.PutAlert(ctx, *a)
}

func (e *Evaluator) closeEpisode(ctx context.Context, r *model.AlertRule, in *model.AlertInstance, now time.Time, why string) error {
	in.State, in.Since = model.StateResolved, now
	if in.AlertID == "" {
		return nil
	}
	a, err := e.st.GetAlert(ctx, r.WorkspaceID, in.AlertID)
	if model.ErrorCode(err) == model.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if a.Status == model.StateResolved {
		return nil
	}
	a.Status, a.ResolvedAt = model.StateResolved, &now
	if why != "" {
		a.Description += "; resolved: " + why
	}
	if err := e.st.PutAlert(ctx, *a); err != nil {
		return err
	}
	return e.event(ctx, *a, "alert.resolved", now)
}

// event writes the episode change to the activity stream.
func (e *Evaluator) event(ctx context.Context, a model.Alert, typ string, at time.Time) error {
	return WriteAlertEvent(ctx, e.st, a, typ, at)
}

// WriteAlertEvent records an episode's change in the activity stream, once per change.
func WriteAlertEvent(ctx context.Context, st interface {
	WriteEvents(context.Context, []model.Event) error
}, a model.Alert, typ string, at time.Time) error {
	details, _ := json.Marshal(map[string]any{"alert_id": a.ID, "rule_id": a.RuleID, "status": a.Status,
		"value": a.Value, "description": a.Description, "labels": a.Labels})
	sev := a.Severity
	if a.Status == model.StateResolved {
		sev = "info"
	}
	return st.WriteEvents(ctx, []model.Event{{WorkspaceID: a.WorkspaceID, ID: a.ID + "/" + typ, Time: at, Type: typ,
		AgentID: a.AgentID, Title: a.Title + ": " + strings.TrimPrefix(typ, "alert."), Severity: sev, Details: details}})
}

// PreviewPoint is the rule's value in the window ending at Time, for one group.
type PreviewPoint struct {
	Time    time.Time `json:"time"`
	Group   string    `json:"group"`
	Value   *float64  `json:"value"`
	Samples int64     `json:"samples"`
	// Fires says whether this window breaches the threshold with enough samples.
	Fires bool `json:"fires"`
}

// Preview evaluates a threshold rule as it would have run at steps over [end-span, end]:
// the same measurement as evaluation, without state. The step is the rule's window, at
// least span/maxPoints.
func Preview(ctx context.Context, src Source, r *model.AlertRule, end time.Time, span time.Duration, maxPoints int) ([]PreviewPoint, error) {
	step := max(r.Window.D(), span/time.Duration(maxPoints), time.Minute)
	out := []PreviewPoint{}
	for t := end.Add(-span).Truncate(step).Add(step); !t.After(end); t = t.Add(step) {
		samples, err := Measure(ctx, src, r, t.Add(-r.Window.D()), t)
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(samples))
		for k := range samples {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s := samples[k]
			p := PreviewPoint{Time: t, Group: k, Value: s.Value, Samples: s.N}
			if s.Value != nil && (!GatedByMinSamples(r.Metric) || s.N >= int64(r.MinSamples)) && r.Kind == model.RuleThreshold {
				p.Fires = r.Breaches(*s.Value, r.Threshold)
			}
			out = append(out, p)
		}
	}
	return out, nil
}
