package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Notifier turns episodes into notifications the way Alertmanager does: alerts of one
// rule and channel form a group; a new group waits group_wait before its first message
// (so that alerts firing together arrive together), a changed group waits group_interval
// after its last message, and an unchanged firing group is repeated after repeat_interval.
// Messages go through the store's queue, keyed so that a message is enqueued at most once
// whatever the restarts; a sender loop delivers them with retries.
type Notifier struct {
	st      Store
	sealer  *Sealer
	senders *Senders
	now     func() time.Time
	log     *slog.Logger
	// Workers bounds concurrent deliveries.
	Workers int
	// During Tick: what to write at its end, notifications before group states.
	notes  []model.Notification
	groups []store.AlertGroupState
}

// NewNotifier builds a notifier.
func NewNotifier(st Store, sealer *Sealer, senders *Senders, now func() time.Time, log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.Default()
	}
	if senders.Now == nil {
		senders.Now = now
	}
	return &Notifier{st: st, sealer: sealer, senders: senders, now: now, log: log, Workers: 16}
}

// groupState is a notification group's memory between flushes.
type groupState struct {
	FirstSeen time.Time `json:"first_seen"`
	LastFlush time.Time `json:"last_flush"`
	Seq       int       `json:"seq"`
	// Notified are the alerts the last message announced as firing.
	Notified []string `json:"notified"`
	// PagerDuty: the last action sent per episode.
	Actions map[string]string `json:"actions,omitempty"`
}

// Tick enqueues the messages every rule's groups are due to send.
func (n *Notifier) Tick(ctx context.Context) error {
	rules, err := n.st.ListAlertRules(ctx, "")
	if err != nil {
		return err
	}
	byWS := map[string][]model.AlertRule{}
	for _, r := range rules {
		if len(r.Channels) > 0 {
			byWS[r.WorkspaceID] = append(byWS[r.WorkspaceID], r)
		}
	}
	now := n.now().UTC()
	n.notes, n.groups = []model.Notification{}, []store.AlertGroupState{}
	defer func() { n.notes, n.groups = nil, nil }()
	for ws, rules := range byWS {
		alerts, err := n.st.QueryAlerts(ctx, ws, "", 2000)
		if err != nil {
			return err
		}
		silences, err := n.st.ListSilences(ctx, ws, now)
		if err != nil {
			return err
		}
		byRule := map[string][]model.Alert{}
		for _, a := range alerts {
			byRule[a.RuleID] = append(byRule[a.RuleID], a)
		}
		for i := range rules {
			for _, ch := range rules[i].Channels {
				if err := n.flushGroup(ctx, &rules[i], ch, byRule[rules[i].ID], silences, now); err != nil {
					n.log.Warn("cannot notify", "workspace", ws, "rule", rules[i].ID, "channel", ch, "err", err)
				}
			}
		}
	}
	// Messages are durable before the groups that sent them move on: after a crash between
	// the two the groups send again under the same keys, which the queue ignores.
	if err := n.st.EnqueueNotifications(ctx, n.notes); err != nil {
		return err
	}
	return n.st.PutAlertGroups(ctx, n.groups)
}

func silenced(a *model.Alert, silences []model.Silence, now time.Time) bool {
	for i := range silences {
		if silences[i].Matches(a.Labels, now) {
			return true
		}
	}
	return false
}

func (n *Notifier) flushGroup(ctx context.Context, r *model.AlertRule, ch string, alerts []model.Alert, silences []model.Silence, now time.Time) error {
	key := r.ID + "/" + ch
	raw, err := n.st.GetAlertGroup(ctx, r.WorkspaceID, key)
	if err != nil {
		return err
	}
	var g groupState
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &g); err != nil {
			return fmt.Errorf("cannot decode notification group %s: %w", key, err)
		}
	}
	byID := map[string]*model.Alert{}
	var firing []model.Alert
	var firingIDs []string
	for i := range alerts {
		a := &alerts[i]
		byID[a.ID] = a
		if a.Status == model.StateFiring && !silenced(a, silences, now) {
			firing = append(firing, *a)
			firingIDs = append(firingIDs, a.ID)
		}
	}
	var resolved []model.Alert
	for _, id := range g.Notified {
		if a := byID[id]; a != nil && a.Status == model.StateResolved {
			resolved = append(resolved, *a)
		}
	}
	slices.Sort(firingIDs)
	changed := !slices.Equal(firingIDs, g.Notified)
	if ch == "pagerduty" {
		return n.flushPagerDuty(ctx, r, key, &g, alerts, firing, silences, now)
	}
	if len(firing) == 0 && len(g.Notified) == 0 {
		if !g.FirstSeen.IsZero() {
			g.FirstSeen = time.Time{}
			return n.putGroup(ctx, r, key, g)
		}
		return nil
	}
	due := false
	repeat := false
	switch {
	case g.LastFlush.IsZero():
		if g.FirstSeen.IsZero() {
			g.FirstSeen = now
		}
		due = now.Sub(g.FirstSeen) >= r.GroupWait.D()
	case changed:
		due = now.Sub(g.LastFlush) >= r.GroupInterval.D()
	case len(firing) > 0:
		due = now.Sub(g.LastFlush) >= r.RepeatInterval.D()
		repeat = true
	}
	if !due {
		if g.LastFlush.IsZero() {
			return n.putGroup(ctx, r, key, g)
		}
		return nil
	}
	status := model.StateFiring
	if len(firing) == 0 {
		status = model.StateResolved
	}
	m := Message{Status: status, RuleID: r.ID, RuleName: r.Name, Severity: r.Severity, Firing: firing, Resolved: resolved, Repeat: repeat}
	g.Seq++
	if err := n.enqueue(ctx, r.WorkspaceID, fmt.Sprintf("%s/%d", key, g.Seq), ch, status, firstID(firing, resolved), &m, now); err != nil {
		g.Seq--
		return err
	}
	g.LastFlush, g.Notified = now, firingIDs
	if len(firing) == 0 {
		// The group is over: the next alert waits group_wait again.
		g = groupState{Seq: g.Seq}
	}
	return n.putGroup(ctx, r, key, g)
}

func firstID(lists ...[]model.Alert) string {
	for _, l := range lists {
		if len(l) > 0 {
			return l[0].ID
		}
	}
	return ""
}

// flushPagerDuty sends one event per episode change, deduplicated by the episode's id:
// trigger after group_wait, acknowledge and resolve as they happen.
func (n *Notifier) flushPagerDuty(ctx context.Context, r *model.AlertRule, key string, g *groupState, alerts, firing []model.Alert, silences []model.Silence, now time.Time) error {
	if g.Actions == nil {
		g.Actions = map[string]string{}
	}
	changed := false
	for i := range alerts {
		a := &alerts[i]
		last := g.Actions[a.ID]
		var action string
		switch {
		case a.Status == model.StateFiring && last == "" && !silenced(a, silences, now) && now.Sub(a.TriggeredAt) >= r.GroupWait.D():
			action = "trigger"
		case a.Status == model.StateAcknowledged && last == "trigger":
			action = "acknowledge"
		case a.Status == model.StateResolved && (last == "trigger" || last == "acknowledge"):
			action = "resolve"
		}
		if action == "" {
			continue
		}
		m := Message{Status: a.Status, RuleID: r.ID, RuleName: r.Name, Severity: a.Severity, EventAction: action, DedupKey: a.ID}
		if a.Status == model.StateResolved {
			m.Resolved = []model.Alert{*a}
		} else {
			m.Firing = []model.Alert{*a}
		}
		if err := n.enqueue(ctx, r.WorkspaceID, key+"/"+a.ID+"/"+action, "pagerduty", action, a.ID, &m, now); err != nil {
			return err
		}
		g.Actions[a.ID] = action
		changed = true
	}
	// Forget finished episodes.
	for id, act := range g.Actions {
		if act == "resolve" {
			delete(g.Actions, id)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return n.putGroup(ctx, r, key, *g)
}

func (n *Notifier) putGroup(ctx context.Context, r *model.AlertRule, key string, g groupState) error {
	b, _ := json.Marshal(g)
	n.groups = append(n.groups, store.AlertGroupState{WorkspaceID: r.WorkspaceID, Key: key, State: string(b)})
	return nil
}

func (n *Notifier) enqueue(ctx context.Context, ws, dedup, ch, kind, alertID string, m *Message, now time.Time) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	n.notes = append(n.notes, model.Notification{WorkspaceID: ws, DedupKey: dedup, AlertID: alertID, Channel: ch,
		Kind: kind, Payload: string(body), State: model.NotifyPending, NextAt: now, CreatedAt: now})
	return nil
}

// Delivery tuning.
const (
	claimLease  = 2 * time.Minute
	maxAttempts = 12
	firstRetry  = 10 * time.Second
	maxRetry    = 15 * time.Minute
)

// Backoff is the wait before attempt number attempts+1.
func Backoff(attempts int) time.Duration {
	d := firstRetry << min(attempts-1, 20)
	return min(d, maxRetry)
}

// Deliver sends the notifications due now and records each outcome; it returns how many
// it attempted.
func (n *Notifier) Deliver(ctx context.Context) (int, error) {
	now := n.now().UTC()
	due, err := n.st.ClaimNotifications(ctx, now, claimLease, 500)
	if err != nil {
		return 0, err
	}
	configs := map[string]*ChannelConfig{}
	var mu sync.Mutex
	config := func(ws, typ string) (*ChannelConfig, error) {
		mu.Lock()
		defer mu.Unlock()
		k := ws + "/" + typ
		if c, ok := configs[k]; ok {
			return c, nil
		}
		sealed, _, err := n.st.GetIntegration(ctx, ws, typ)
		if err != nil {
			return nil, err
		}
		c, err := n.sealer.Open(ws, typ, sealed)
		if err != nil {
			return nil, err
		}
		configs[k] = &c
		return &c, nil
	}
	sem := make(chan struct{}, max(n.Workers, 1))
	var wg sync.WaitGroup
	for i := range due {
		wg.Add(1)
		sem <- struct{}{}
		go func(nt *model.Notification) {
			defer func() { <-sem; wg.Done() }()
			n.deliverOne(ctx, nt, config)
		}(&due[i])
	}
	wg.Wait()
	return len(due), nil
}

func (n *Notifier) deliverOne(ctx context.Context, nt *model.Notification, config func(ws, typ string) (*ChannelConfig, error)) {
	var m Message
	err := json.Unmarshal([]byte(nt.Payload), &m)
	var c *ChannelConfig
	if err == nil {
		c, err = config(nt.WorkspaceID, nt.Channel)
		if model.ErrorCode(err) == model.ENOTFOUND {
			err = &SendError{Permanent: true, Err: fmt.Errorf("channel %s is not configured", nt.Channel)}
		}
	}
	if err == nil {
		sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = n.senders.Send(sendCtx, nt.Channel, *c, nt.WorkspaceID+"/"+nt.DedupKey, &m)
		cancel()
	}
	if ctx.Err() != nil {
		return // shutting down: the claim expires and the notification is sent again later
	}
	now := n.now().UTC()
	nt.Attempts++
	switch se, isSend := err.(*SendError); {
	case err == nil:
		nt.State, nt.SentAt, nt.LastError = model.NotifySent, &now, ""
	case (isSend && se.Permanent) || nt.Attempts >= maxAttempts:
		nt.State, nt.LastError = model.NotifyFailed, err.Error()
		n.markFailed(ctx, nt, &m)
	default:
		nt.LastError = err.Error()
		wait := Backoff(nt.Attempts)
		if isSend && se.RetryAfter > wait {
			wait = se.RetryAfter
		}
		nt.NextAt = now.Add(wait)
	}
	if err := n.st.UpdateNotification(ctx, *nt); err != nil {
		n.log.Error("cannot record notification outcome", "id", nt.DedupKey, "err", err)
	}
	if err != nil {
		n.log.Warn("notification failed", "channel", nt.Channel, "id", nt.DedupKey, "attempt", strconv.Itoa(nt.Attempts), "err", err)
	}
}

// markFailed shows a permanent failure on the alerts the message was about.
func (n *Notifier) markFailed(ctx context.Context, nt *model.Notification, m *Message) {
	for _, a := range append(append([]model.Alert{}, m.Firing...), m.Resolved...) {
		cur, err := n.st.GetAlert(ctx, nt.WorkspaceID, a.ID)
		if err != nil {
			continue
		}
		cur.LastError = nt.Channel + ": " + nt.LastError
		if err := n.st.PutAlert(ctx, *cur); err != nil {
			n.log.Error("cannot record delivery failure on alert", "alert", a.ID, "err", err)
		}
	}
}
