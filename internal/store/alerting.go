package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Alerting keeps what the alert role needs between evaluations: rules, each group's state
// and evaluation history, episodes (the alerts table), silences, sealed channel settings,
// the notification queue and the evaluator lease. Every write is durable when it returns;
// the caller owns returned data.
type Alerting interface {
	// PutAlertRule creates or replaces a rule.
	PutAlertRule(ctx context.Context, r model.AlertRule) error
	// GetAlertRule returns model.ENOTFOUND for an unknown rule.
	GetAlertRule(ctx context.Context, workspaceID, id string) (*model.AlertRule, error)
	// ListAlertRules lists a workspace's rules by creation, or every workspace's when
	// workspaceID is empty (the evaluator).
	ListAlertRules(ctx context.Context, workspaceID string) ([]model.AlertRule, error)
	// DeleteAlertRule removes the rule and its groups' state; model.ENOTFOUND when unknown.
	DeleteAlertRule(ctx context.Context, workspaceID, id string) error

	// PutAlertInstances upserts groups' state, keyed by (workspace, rule, group).
	PutAlertInstances(ctx context.Context, in []model.AlertInstance) error
	// ListAlertInstances lists a rule's groups, or every rule's when ruleID is empty.
	ListAlertInstances(ctx context.Context, workspaceID, ruleID string) ([]model.AlertInstance, error)
	// AddAlertEvaluations appends history.
	AddAlertEvaluations(ctx context.Context, ev []model.AlertEvaluation) error
	// ListAlertEvaluations returns a group's evaluations, newest first.
	ListAlertEvaluations(ctx context.Context, workspaceID, ruleID, groupKey string, limit int) ([]model.AlertEvaluation, error)

	// PutAlert creates or replaces an episode, keyed by (workspace, id).
	PutAlert(ctx context.Context, a model.Alert) error
	// GetAlert returns model.ENOTFOUND for an unknown episode.
	GetAlert(ctx context.Context, workspaceID, id string) (*model.Alert, error)
	// QueryAlerts lists episodes newest first; status "" takes any, "active" firing and
	// acknowledged ones.
	QueryAlerts(ctx context.Context, workspaceID, status string, limit int) ([]model.Alert, error)

	PutSilence(ctx context.Context, s model.Silence) error
	// ListSilences lists silences that end after now, or all when now is zero.
	ListSilences(ctx context.Context, workspaceID string, now time.Time) ([]model.Silence, error)
	// DeleteSilence returns model.ENOTFOUND for an unknown silence.
	DeleteSilence(ctx context.Context, workspaceID, id string) error

	// PutIntegration stores a channel's sealed settings; the store never sees them in clear.
	PutIntegration(ctx context.Context, workspaceID, typ, sealed string, at time.Time) error
	// GetIntegration returns model.ENOTFOUND when the channel is not configured.
	GetIntegration(ctx context.Context, workspaceID, typ string) (sealed string, updated time.Time, err error)
	ListIntegrations(ctx context.Context, workspaceID string) (map[string]time.Time, error)
	DeleteIntegration(ctx context.Context, workspaceID, typ string) error

	// EnqueueNotification stores n unless a notification with its DedupKey exists; it
	// reports whether n was stored.
	EnqueueNotification(ctx context.Context, n model.Notification) (bool, error)
	// EnqueueNotifications is EnqueueNotification for many, in few statements.
	EnqueueNotifications(ctx context.Context, ns []model.Notification) error
	// ClaimNotifications marks up to limit pending notifications due at now as being sent
	// by the caller until now+lease and returns them; a notification claimed by one caller
	// is not returned to another before the lease ends (a crashed sender's claims expire).
	ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]model.Notification, error)
	// UpdateNotification records a send attempt (state, attempts, next_at, last_error,
	// sent_at) and releases the claim.
	UpdateNotification(ctx context.Context, n model.Notification) error
	ListNotifications(ctx context.Context, workspaceID, alertID string) ([]model.Notification, error)

	// GetAlertGroup returns a notification group's JSON state; "" when unknown.
	GetAlertGroup(ctx context.Context, workspaceID, key string) (string, error)
	PutAlertGroup(ctx context.Context, workspaceID, key, state string) error
	// PutAlertGroups stores many groups' states; each key at most once.
	PutAlertGroups(ctx context.Context, groups []AlertGroupState) error

	// SignalStats aggregates scores or violations (see SignalQuery).
	SignalStats(ctx context.Context, q SignalQuery) ([]SignalRow, error)

	// AcquireLease takes or renews the named lease for holder until now+ttl, unless another
	// holder's lease is still valid; it reports whether holder has it.
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
}

// Rows is a result set of either SQL backend.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// SQLConn runs statements written with $1, $2... placeholders, which both backends accept.
type SQLConn interface {
	Exec(ctx context.Context, q string, args ...any) (int64, error)
	Query(ctx context.Context, q string, args ...any) (Rows, error)
}

// AlertSQL implements Alerting once for both SQL backends, which embed it.
type AlertSQL struct {
	DB      SQLConn
	Dialect Dialect
}

func (s AlertSQL) exec(ctx context.Context, what, q string, args ...any) (int64, error) {
	n, err := s.DB.Exec(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("cannot %s: %w", what, err)
	}
	return n, nil
}

// queryJSON decodes the first column of every row, a JSON document, into a T.
func queryJSON[T any](ctx context.Context, db SQLConn, what, q string, args ...any) ([]T, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", what, err)
		}
		var v T
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return nil, fmt.Errorf("cannot decode %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain structs are encoded
	}
	return string(b)
}

// storedRule carries the workspace, which model.AlertRule keeps out of its JSON.
type storedRule struct {
	model.AlertRule
	WS string `json:"workspace_id"`
}

func (s AlertSQL) PutAlertRule(ctx context.Context, r model.AlertRule) error {
	_, err := s.exec(ctx, "store alert rule", `INSERT INTO alert_rules (workspace_id, id, spec, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, id) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at`,
		r.WorkspaceID, r.ID, mustJSON(storedRule{r, r.WorkspaceID}), r.CreatedAt, r.UpdatedAt)
	return err
}

func (s AlertSQL) GetAlertRule(ctx context.Context, ws, id string) (*model.AlertRule, error) {
	rs, err := queryJSON[storedRule](ctx, s.DB, "alert rule", `SELECT spec FROM alert_rules WHERE workspace_id = $1 AND id = $2`, ws, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, model.Errorf(model.ENOTFOUND, "alert rule %q not found", id)
	}
	r := rs[0].AlertRule
	r.WorkspaceID = rs[0].WS
	return &r, nil
}

func (s AlertSQL) ListAlertRules(ctx context.Context, ws string) ([]model.AlertRule, error) {
	rs, err := queryJSON[storedRule](ctx, s.DB, "alert rules", `SELECT spec FROM alert_rules WHERE $1 = '' OR workspace_id = $1
		ORDER BY workspace_id, created_at, id`, ws)
	if err != nil {
		return nil, err
	}
	out := make([]model.AlertRule, len(rs))
	for i, r := range rs {
		out[i] = r.AlertRule
		out[i].WorkspaceID = r.WS
	}
	return out, nil
}

func (s AlertSQL) DeleteAlertRule(ctx context.Context, ws, id string) error {
	n, err := s.exec(ctx, "delete alert rule", `DELETE FROM alert_rules WHERE workspace_id = $1 AND id = $2`, ws, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return model.Errorf(model.ENOTFOUND, "alert rule %q not found", id)
	}
	_, err = s.exec(ctx, "delete alert state", `DELETE FROM alert_instances WHERE workspace_id = $1 AND rule_id = $2`, ws, id)
	return err
}

func (s AlertSQL) PutAlertInstances(ctx context.Context, in []model.AlertInstance) error {
	return s.insertRows(ctx, "store alert state", `INSERT INTO alert_instances (workspace_id, rule_id, group_key, spec) VALUES `,
		` ON CONFLICT (workspace_id, rule_id, group_key) DO UPDATE SET spec = excluded.spec`, len(in), func(i int) []any {
			return []any{in[i].WorkspaceID, in[i].RuleID, in[i].GroupKey, mustJSON(in[i])}
		})
}

// insertRows writes n rows in statements of up to 200 rows each: one statement per row
// costs a commit each, which a thousand rules evaluated a minute cannot afford.
func (s AlertSQL) insertRows(ctx context.Context, what, head, tail string, n int, row func(i int) []any) error {
	const chunk = 200
	for lo := 0; lo < n; lo += chunk {
		var b strings.Builder
		var args SQLArgs
		b.WriteString(head)
		for i := lo; i < min(n, lo+chunk); i++ {
			if i > lo {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, v := range row(i) {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(args.Add(v))
			}
			b.WriteByte(')')
		}
		b.WriteString(tail)
		if _, err := s.exec(ctx, what, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

func (s AlertSQL) ListAlertInstances(ctx context.Context, ws, ruleID string) ([]model.AlertInstance, error) {
	out, err := queryJSON[model.AlertInstance](ctx, s.DB, "alert state", `SELECT spec FROM alert_instances
		WHERE workspace_id = $1 AND ($2 = '' OR rule_id = $2) ORDER BY rule_id, group_key`, ws, ruleID)
	for i := range out {
		out[i].WorkspaceID = ws
	}
	return out, err
}

func (s AlertSQL) AddAlertEvaluations(ctx context.Context, ev []model.AlertEvaluation) error {
	return s.insertRows(ctx, "store alert evaluations", `INSERT INTO alert_evaluations (workspace_id, rule_id, group_key, alert_id,
		time, state, value, baseline, p_value, samples, window_from, window_to, message) VALUES `, "", len(ev), func(i int) []any {
		e := ev[i]
		return []any{e.WorkspaceID, e.RuleID, e.GroupKey, e.AlertID, e.Time, e.State, e.Value, e.Baseline, e.PValue, e.Samples,
			e.WindowFrom, e.WindowTo, e.Message}
	})
}

func (s AlertSQL) ListAlertEvaluations(ctx context.Context, ws, ruleID, groupKey string, limit int) ([]model.AlertEvaluation, error) {
	rows, err := s.DB.Query(ctx, `SELECT alert_id, time, state, value, baseline, p_value, samples, window_from, window_to, message
		FROM alert_evaluations WHERE workspace_id = $1 AND rule_id = $2 AND group_key = $3 ORDER BY time DESC LIMIT $4`,
		ws, ruleID, groupKey, limit)
	if err != nil {
		return nil, fmt.Errorf("cannot read alert evaluations: %w", err)
	}
	defer rows.Close()
	out := []model.AlertEvaluation{}
	for rows.Next() {
		e := model.AlertEvaluation{WorkspaceID: ws, RuleID: ruleID, GroupKey: groupKey}
		if err := rows.Scan(&e.AlertID, &e.Time, &e.State, &e.Value, &e.Baseline, &e.PValue, &e.Samples,
			&e.WindowFrom, &e.WindowTo, &e.Message); err != nil {
			return nil, fmt.Errorf("cannot read alert evaluation: %w", err)
		}
		e.Time, e.WindowFrom, e.WindowTo = e.Time.UTC(), e.WindowFrom.UTC(), e.WindowTo.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

const alertColumns = `id, rule_id, severity, status, title, description, agent_id, triggered_at, resolved_at,
	group_key, labels, value, threshold, acknowledged_at, acknowledged_by, last_error`

func (s AlertSQL) PutAlert(ctx context.Context, a model.Alert) error {
	labels := a.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	_, err := s.exec(ctx, "store alert", `INSERT INTO alerts (workspace_id, `+alertColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (workspace_id, id) DO UPDATE SET severity = excluded.severity, status = excluded.status,
		title = excluded.title, description = excluded.description, resolved_at = excluded.resolved_at,
		labels = excluded.labels, value = excluded.value, threshold = excluded.threshold,
		acknowledged_at = excluded.acknowledged_at, acknowledged_by = excluded.acknowledged_by, last_error = excluded.last_error`,
		a.WorkspaceID, a.ID, a.RuleID, a.Severity, a.Status, a.Title, a.Description, a.AgentID, a.TriggeredAt, a.ResolvedAt,
		a.GroupKey, mustJSON(labels), a.Value, a.Threshold, a.AcknowledgedAt, a.AcknowledgedBy, a.LastError)
	return err
}

func (s AlertSQL) scanAlerts(ctx context.Context, ws, q string, args ...any) ([]model.Alert, error) {
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read alerts: %w", err)
	}
	defer rows.Close()
	out := []model.Alert{}
	for rows.Next() {
		a := model.Alert{WorkspaceID: ws}
		var labels *string
		var groupKey, ackBy, lastErr *string
		var value, threshold *float64
		if err := rows.Scan(&a.ID, &a.RuleID, &a.Severity, &a.Status, &a.Title, &a.Description, &a.AgentID,
			&a.TriggeredAt, &a.ResolvedAt, &groupKey, &labels, &value, &threshold, &a.AcknowledgedAt, &ackBy, &lastErr); err != nil {
			return nil, fmt.Errorf("cannot read alert: %w", err)
		}
		a.GroupKey, a.AcknowledgedBy, a.LastError = deref(groupKey), deref(ackBy), deref(lastErr)
		if value != nil {
			a.Value = *value
		}
		if threshold != nil {
			a.Threshold = *threshold
		}
		a.Labels = map[string]string{}
		if labels != nil {
			_ = json.Unmarshal([]byte(*labels), &a.Labels)
		}
		a.TriggeredAt = a.TriggeredAt.UTC()
		for _, t := range []*time.Time{a.ResolvedAt, a.AcknowledgedAt} {
			if t != nil {
				*t = t.UTC()
			}
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s AlertSQL) GetAlert(ctx context.Context, ws, id string) (*model.Alert, error) {
	as, err := s.scanAlerts(ctx, ws, `SELECT `+alertColumns+` FROM alerts WHERE workspace_id = $1 AND id = $2`, ws, id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, model.Errorf(model.ENOTFOUND, "alert %q not found", id)
	}
	return &as[0], nil
}

func (s AlertSQL) QueryAlerts(ctx context.Context, ws, status string, limit int) ([]model.Alert, error) {
	return s.scanAlerts(ctx, ws, `SELECT `+alertColumns+` FROM alerts WHERE workspace_id = $1
		AND ($2 = '' OR status = $2 OR ($2 = 'active' AND status IN ('firing', 'acknowledged')))
		ORDER BY triggered_at DESC, id LIMIT $3`, ws, status, limit)
}

type storedSilence struct {
	model.Silence
	WS string `json:"workspace_id"`
}

func (s AlertSQL) PutSilence(ctx context.Context, sl model.Silence) error {
	_, err := s.exec(ctx, "store silence", `INSERT INTO silences (workspace_id, id, spec, ends_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (workspace_id, id) DO UPDATE SET spec = excluded.spec, ends_at = excluded.ends_at`,
		sl.WorkspaceID, sl.ID, mustJSON(storedSilence{sl, sl.WorkspaceID}), sl.EndsAt)
	return err
}

func (s AlertSQL) ListSilences(ctx context.Context, ws string, now time.Time) ([]model.Silence, error) {
	rs, err := queryJSON[storedSilence](ctx, s.DB, "silences", `SELECT spec FROM silences WHERE workspace_id = $1 AND ends_at > $2
		ORDER BY ends_at, id`, ws, now)
	if err != nil {
		return nil, err
	}
	out := make([]model.Silence, len(rs))
	for i, r := range rs {
		out[i] = r.Silence
		out[i].WorkspaceID = r.WS
	}
	return out, nil
}

func (s AlertSQL) DeleteSilence(ctx context.Context, ws, id string) error {
	n, err := s.exec(ctx, "delete silence", `DELETE FROM silences WHERE workspace_id = $1 AND id = $2`, ws, id)
	if err == nil && n == 0 {
		return model.Errorf(model.ENOTFOUND, "silence %q not found", id)
	}
	return err
}

func (s AlertSQL) PutIntegration(ctx context.Context, ws, typ, sealed string, at time.Time) error {
	_, err := s.exec(ctx, "store integration", `INSERT INTO integrations (workspace_id, type, config_enc, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (workspace_id, type) DO UPDATE SET config_enc = excluded.config_enc, updated_at = excluded.updated_at`,
		ws, typ, sealed, at)
	return err
}

func (s AlertSQL) GetIntegration(ctx context.Context, ws, typ string) (string, time.Time, error) {
	rows, err := s.DB.Query(ctx, `SELECT config_enc, updated_at FROM integrations WHERE workspace_id = $1 AND type = $2`, ws, typ)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("cannot read integration: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return "", time.Time{}, fmt.Errorf("cannot read integration: %w", err)
		}
		return "", time.Time{}, model.Errorf(model.ENOTFOUND, "integration %q is not configured", typ)
	}
	var sealed string
	var at time.Time
	if err := rows.Scan(&sealed, &at); err != nil {
		return "", time.Time{}, fmt.Errorf("cannot read integration: %w", err)
	}
	return sealed, at.UTC(), nil
}

func (s AlertSQL) ListIntegrations(ctx context.Context, ws string) (map[string]time.Time, error) {
	rows, err := s.DB.Query(ctx, `SELECT type, updated_at FROM integrations WHERE workspace_id = $1`, ws)
	if err != nil {
		return nil, fmt.Errorf("cannot read integrations: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var typ string
		var at time.Time
		if err := rows.Scan(&typ, &at); err != nil {
			return nil, fmt.Errorf("cannot read integration: %w", err)
		}
		out[typ] = at.UTC()
	}
	return out, rows.Err()
}

func (s AlertSQL) DeleteIntegration(ctx context.Context, ws, typ string) error {
	n, err := s.exec(ctx, "delete integration", `DELETE FROM integrations WHERE workspace_id = $1 AND type = $2`, ws, typ)
	if err == nil && n == 0 {
		return model.Errorf(model.ENOTFOUND, "integration %q is not configured", typ)
	}
	return err
}

const notificationColumns = `workspace_id, id, alert_id, channel, kind, payload, state, attempts, next_at, last_error, created_at, sent_at`

func (s AlertSQL) EnqueueNotification(ctx context.Context, n model.Notification) (bool, error) {
	c, err := s.exec(ctx, "enqueue notification", `INSERT INTO notifications (`+notificationColumns+`, claimed_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (workspace_id, id) DO NOTHING`,
		n.WorkspaceID, n.DedupKey, n.AlertID, n.Channel, n.Kind, n.Payload, n.State, n.Attempts, n.NextAt, n.LastError,
		n.CreatedAt, n.SentAt, time.Unix(0, 0).UTC())
	return c == 1, err
}

func (s AlertSQL) scanNotifications(ctx context.Context, q string, args ...any) ([]model.Notification, error) {
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read notifications: %w", err)
	}
	defer rows.Close()
	out := []model.Notification{}
	for rows.Next() {
		var n model.Notification
		var attempts int64
		if err := rows.Scan(&n.WorkspaceID, &n.DedupKey, &n.AlertID, &n.Channel, &n.Kind, &n.Payload, &n.State, &attempts,
			&n.NextAt, &n.LastError, &n.CreatedAt, &n.SentAt); err != nil {
			return nil, fmt.Errorf("cannot read notification: %w", err)
		}
		n.ID, n.Attempts = n.DedupKey, int(attempts)
		n.NextAt, n.CreatedAt = n.NextAt.UTC(), n.CreatedAt.UTC()
		if n.SentAt != nil {
			*n.SentAt = n.SentAt.UTC()
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func (s AlertSQL) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]model.Notification, error) {
	// One conditional update decides races between processes: a row another sender claimed
	// meanwhile no longer passes claimed_until <= now when the update reaches it.
	return s.scanNotifications(ctx, `UPDATE notifications SET claimed_until = $1
		WHERE state = 'pending' AND next_at <= $2 AND claimed_until <= $2 AND workspace_id || '/' || id IN (
			SELECT workspace_id || '/' || id FROM notifications WHERE state = 'pending' AND next_at <= $2 AND claimed_until <= $2
			ORDER BY next_at, id LIMIT $3)
		RETURNING `+notificationColumns, now.Add(lease), now, limit)
}

func (s AlertSQL) EnqueueNotifications(ctx context.Context, ns []model.Notification) error {
	return s.insertRows(ctx, "enqueue notifications", `INSERT INTO notifications (`+notificationColumns+`, claimed_until) VALUES `,
		` ON CONFLICT (workspace_id, id) DO NOTHING`, len(ns), func(i int) []any {
			n := ns[i]
			return []any{n.WorkspaceID, n.DedupKey, n.AlertID, n.Channel, n.Kind, n.Payload, n.State, n.Attempts, n.NextAt, n.LastError,
				n.CreatedAt, n.SentAt, time.Unix(0, 0).UTC()}
		})
}

func (s AlertSQL) UpdateNotification(ctx context.Context, n model.Notification) error {
	_, err := s.exec(ctx, "update notification", `UPDATE notifications SET state = $1, attempts = $2, next_at = $3,
		last_error = $4, sent_at = $5, claimed_until = $6 WHERE workspace_id = $7 AND id = $8`,
		n.State, n.Attempts, n.NextAt, n.LastError, n.SentAt, time.Unix(0, 0).UTC(), n.WorkspaceID, n.DedupKey)
	return err
}

func (s AlertSQL) ListNotifications(ctx context.Context, ws, alertID string) ([]model.Notification, error) {
	return s.scanNotifications(ctx, `SELECT `+notificationColumns+` FROM notifications WHERE workspace_id = $1
		AND ($2 = '' OR alert_id = $2) ORDER BY created_at, id`, ws, alertID)
}

func (s AlertSQL) GetAlertGroup(ctx context.Context, ws, key string) (string, error) {
	rows, err := s.DB.Query(ctx, `SELECT spec FROM alert_groups WHERE workspace_id = $1 AND group_key = $2`, ws, key)
	if err != nil {
		return "", fmt.Errorf("cannot read alert group: %w", err)
	}
	defer rows.Close()
	var spec string
	if rows.Next() {
		if err := rows.Scan(&spec); err != nil {
			return "", fmt.Errorf("cannot read alert group: %w", err)
		}
	}
	return spec, rows.Err()
}

func (s AlertSQL) PutAlertGroup(ctx context.Context, ws, key, state string) error {
	_, err := s.exec(ctx, "store alert group", `INSERT INTO alert_groups (workspace_id, group_key, spec) VALUES ($1, $2, $3)
		ON CONFLICT (workspace_id, group_key) DO UPDATE SET spec = excluded.spec`, ws, key, state)
	return err
}

// AlertGroupState is one notification group's stored state.
type AlertGroupState struct {
	WorkspaceID, Key, State string
}

func (s AlertSQL) PutAlertGroups(ctx context.Context, groups []AlertGroupState) error {
	return s.insertRows(ctx, "store alert groups", `INSERT INTO alert_groups (workspace_id, group_key, spec) VALUES `,
		` ON CONFLICT (workspace_id, group_key) DO UPDATE SET spec = excluded.spec`, len(groups), func(i int) []any {
			return []any{groups[i].WorkspaceID, groups[i].Key, groups[i].State}
		})
}

func (s AlertSQL) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if _, err := s.exec(ctx, "create lease", `INSERT INTO alert_leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, name, holder, now.Add(ttl)); err != nil {
		return false, err
	}
	n, err := s.exec(ctx, "take lease", `UPDATE alert_leases SET holder = $1, expires_at = $2
		WHERE name = $3 AND (holder = $1 OR expires_at <= $4)`, holder, now.Add(ttl), name, now)
	return n == 1, err
}

// SignalQuery aggregates scores or guardrail violations of one workspace in [From, To) of
// their own time, optionally restricted to traces Filter selects and grouped by a trace
// dimension.
type SignalQuery struct {
	// Violations reads guardrail violations; otherwise scores.
	Violations bool
	// Name keeps scores of that name or violations of that type; empty keeps all.
	Name string
	// ScoreSources keeps scores of these sources; empty keeps all.
	ScoreSources []string
	Filter       TraceFilter
	GroupBy      Dimension
}

// SignalRow is one group: how many scores or violations, and the sum of score values.
type SignalRow struct {
	Key   string
	Count int64
	Sum   float64
}

// SignalStats answers q.
func (s AlertSQL) SignalStats(ctx context.Context, q SignalQuery) ([]SignalRow, error) {
	var args SQLArgs
	f := q.Filter
	table, timeCol, nameCol := "scores", "created_at", "name"
	if q.Violations {
		table, timeCol, nameCol = "violations", "time", "type"
	}
	where := []string{"x.workspace_id = " + args.Add(f.WorkspaceID), "x." + timeCol + " >= " + args.Add(f.From),
		"x." + timeCol + " < " + args.Add(f.To)}
	if q.Name != "" {
		where = append(where, "x."+nameCol+" = "+args.Add(q.Name))
	}
	if len(q.ScoreSources) > 0 && !q.Violations {
		where = append(where, s.Dialect.AnyOf("x.source", args.Add(q.ScoreSources)))
	}
	key := "''"
	join := ""
	traceFilter := len(f.AgentIDs)+len(f.Models)+len(f.Providers)+len(f.UserIDs)+len(f.Tags) > 0
	switch {
	case q.GroupBy == DimAgent && q.Violations:
		key = "x.agent_id"
	case q.GroupBy != "":
		key = "COALESCE(" + DimExpr(q.GroupBy, "t.") + ", '')"
	}
	if traceFilter || (q.GroupBy != "" && key != "x.agent_id") {
		join = " LEFT JOIN traces t ON t.workspace_id = x.workspace_id AND t.trace_id = x.trace_id"
	}
	if traceFilter {
		tf := f
		tf.From, tf.To = time.Time{}, time.Time{}
		where = append(where, s.Dialect.WhereTraces(tf, "t.", &args))
	}
	sum := "0"
	if !q.Violations {
		sum = "x.value"
	}
	sqlText := "SELECT " + key + ", count(*), COALESCE(sum(" + sum + "), 0) FROM " + table + " x" + join +
		" WHERE " + strings.Join(where, " AND ") + " GROUP BY 1 ORDER BY 1"
	rows, err := s.DB.Query(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot aggregate %s: %w", table, err)
	}
	defer rows.Close()
	out := []SignalRow{}
	for rows.Next() {
		var r SignalRow
		if err := rows.Scan(&r.Key, &r.Count, &r.Sum); err != nil {
			return nil, fmt.Errorf("cannot read %s aggregate: %w", table, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
