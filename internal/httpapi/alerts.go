package httpapi

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/alert"
	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
)

// alertRoutes are the alert role's: rules, alerts, silences and notification channels.
func (a *API) alertRoutes(add addRoute) {
	add("GET /api/v1/alert-rules", PermRead, a.withAlertStore(a.listAlertRules))
	add("POST /api/v1/alert-rules", PermWrite, a.withAlertStore(a.createAlertRule))
	add("POST /api/v1/alert-rules/preview", PermRead, a.withAlertStore(a.previewAlertRule))
	add("GET /api/v1/alert-rules/{id}", PermRead, a.withAlertStore(a.getAlertRule))
	add("PUT /api/v1/alert-rules/{id}", PermWrite, a.withAlertStore(a.updateAlertRule))
	add("DELETE /api/v1/alert-rules/{id}", PermWrite, a.withAlertStore(a.deleteAlertRule))
	add("GET /api/v1/alerts", PermRead, a.withAlertStore(a.listAlerts))
	add("GET /api/v1/alerts/{id}", PermRead, a.withAlertStore(a.getAlert))
	add("POST /api/v1/alerts/{id}/acknowledge", PermWrite, a.withAlertStore(a.acknowledgeAlert))
	add("POST /api/v1/alerts/{id}/resolve", PermWrite, a.withAlertStore(a.resolveAlert))
	add("GET /api/v1/silences", PermRead, a.withAlertStore(a.listSilences))
	add("POST /api/v1/silences", PermWrite, a.withAlertStore(a.createSilence))
	add("DELETE /api/v1/silences/{id}", PermWrite, a.withAlertStore(a.deleteSilence))
	add("GET /api/v1/integrations", PermRead, a.withAlertStore(a.listIntegrations))
	add("GET /api/v1/integrations/{type}", PermRead, a.withAlertStore(a.getIntegration))
	add("PUT /api/v1/integrations/{type}", PermAdmin, a.withAlertStore(a.putIntegration))
	add("DELETE /api/v1/integrations/{type}", PermAdmin, a.withAlertStore(a.deleteIntegration))
	add("POST /api/v1/integrations/{type}/test", PermAdmin, a.withAlertStore(a.testIntegration))
}

// withAlertStore hands the handler the store as the alert role sees it.
func (a *API) withAlertStore(h func(*http.Request, alert.Store) (any, error)) handlerFunc {
	return func(r *http.Request) (any, error) {
		st, ok := a.cfg.Store.(alert.Store)
		if !ok {
			return nil, model.Errorf(model.EUNAVAILABLE, "this process's store does not keep alerts")
		}
		return h(r, st)
	}
}

func (a *API) now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// decodeFields decodes a JSON object into v field by field, so that every mistake (an
// unknown field, a value of the wrong type, a malformed duration) names its field.
func decodeFields(body io.Reader, v any) error {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(io.LimitReader(body, 64<<10))
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return model.Errorf(model.EINVALID, "the body must be one JSON object")
	}
	if dec.More() {
		return model.Errorf(model.EINVALID, "the body must be one JSON object")
	}
	known := jsonFields(reflect.TypeOf(v).Elem())
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var fe model.FieldErrors
	for _, k := range keys {
		if !known[k] {
			fe.Add(model.Path{k}, "unknown field")
			continue
		}
		one, _ := json.Marshal(map[string]json.RawMessage{k: raw[k]})
		if err := json.Unmarshal(one, v); err != nil {
			msg := err.Error()
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				msg = "must be a JSON " + jsonKind(te.Type)
			}
			fe.Add(model.Path{k}, "%s", strings.TrimPrefix(msg, "json: "))
		}
	}
	return fe.Err("invalid body")
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "number"
}

// jsonFields lists the JSON names of t's fields, embedded structs included.
func jsonFields(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			for k := range jsonFields(f.Type) {
				out[k] = true
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = true
	}
	return out
}

// ruleInput is the body of POST and PUT /api/v1/alert-rules; enabled defaults to true.
type ruleInput struct {
	model.AlertRule
	Enabled *bool `json:"enabled"`
}

// DecodeAlertRule reads and validates a rule body; it is what the fuzz target feeds.
func DecodeAlertRule(body io.Reader) (model.AlertRule, error) {
	var in ruleInput
	if err := decodeFields(body, &in); err != nil {
		return model.AlertRule{}, err
	}
	r := in.AlertRule
	r.Enabled = in.Enabled == nil || *in.Enabled
	r.ApplyDefaults()
	return r, r.Validate()
}

type rulesAnswer struct {
	Rules []model.AlertRule `json:"rules"`
}

func (a *API) listAlertRules(r *http.Request, st alert.Store) (any, error) {
	rules, err := st.ListAlertRules(r.Context(), workspaceID(r.Context()))
	if err != nil {
		return nil, err
	}
	return rulesAnswer{Rules: rules}, nil
}

func (a *API) getAlertRule(r *http.Request, st alert.Store) (any, error) {
	return st.GetAlertRule(r.Context(), workspaceID(r.Context()), r.PathValue("id"))
}

func (a *API) createAlertRule(r *http.Request, st alert.Store) (any, error) {
	rule, err := DecodeAlertRule(r.Body)
	if err != nil {
		return nil, err
	}
	rule.WorkspaceID, rule.ID = workspaceID(r.Context()), auth.NewUUID()
	rule.CreatedAt = a.now()
	rule.UpdatedAt = rule.CreatedAt
	if err := st.PutAlertRule(r.Context(), rule); err != nil {
		return nil, err
	}
	return response{status: http.StatusCreated, body: rule, headers: map[string]string{"Location": "/api/v1/alert-rules/" + rule.ID}}, nil
}

func (a *API) updateAlertRule(r *http.Request, st alert.Store) (any, error) {
	ws := workspaceID(r.Context())
	old, err := st.GetAlertRule(r.Context(), ws, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	rule, err := DecodeAlertRule(r.Body)
	if err != nil {
		return nil, err
	}
	rule.WorkspaceID, rule.ID, rule.CreatedAt, rule.UpdatedAt = ws, old.ID, old.CreatedAt, a.now()
	if err := st.PutAlertRule(r.Context(), rule); err != nil {
		return nil, err
	}
	return rule, nil
}

func (a *API) deleteAlertRule(r *http.Request, st alert.Store) (any, error) {
	if err := st.DeleteAlertRule(r.Context(), workspaceID(r.Context()), r.PathValue("id")); err != nil {
		return nil, err
	}
	return response{status: http.StatusNoContent}, nil
}

type previewAnswer struct {
	Rule   model.AlertRule      `json:"rule"`
	From   time.Time            `json:"from"`
	To     time.Time            `json:"to"`
	Points []alert.PreviewPoint `json:"points"`
}

// previewAlertRule answers the rule's metric over the last 7 days and where it would have
// fired, without storing anything.
func (a *API) previewAlertRule(r *http.Request, st alert.Store) (any, error) {
	rule, err := DecodeAlertRule(r.Body)
	if err != nil {
		return nil, err
	}
	rule.WorkspaceID = workspaceID(r.Context())
	end := a.now()
	const span = 7 * 24 * time.Hour
	points, err := alert.Preview(r.Context(), st, &rule, end, span, 168)
	if err != nil {
		return nil, err
	}
	return previewAnswer{Rule: rule, From: end.Add(-span), To: end, Points: points}, nil
}

type alertsAnswer struct {
	Alerts []model.Alert `json:"alerts"`
}

func (a *API) listAlerts(r *http.Request, st alert.Store) (any, error) {
	q := r.URL.Query()
	status := q.Get("status")
	var fe model.FieldErrors
	if status != "" && !slices.Contains([]string{"active", model.StateFiring, model.StateAcknowledged, model.StateResolved}, status) {
		fe.Add(model.Path{"status"}, "must be active, firing, acknowledged or resolved")
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			fe.Add(model.Path{"limit"}, "must be an integer from 1 to 1000")
		}
		limit = n
	}
	if err := fe.Err("invalid query"); err != nil {
		return nil, err
	}
	alerts, err := st.QueryAlerts(r.Context(), workspaceID(r.Context()), status, limit)
	if err != nil {
		return nil, err
	}
	return alertsAnswer{Alerts: alerts}, nil
}

type alertDetail struct {
	Alert         model.Alert             `json:"alert"`
	Rule          *model.AlertRule        `json:"rule"`
	Evaluations   []model.AlertEvaluation `json:"evaluations"`
	Notifications []model.Notification    `json:"notifications"`
}

func (a *API) getAlert(r *http.Request, st alert.Store) (any, error) {
	ctx, ws := r.Context(), workspaceID(r.Context())
	al, err := st.GetAlert(ctx, ws, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	d := alertDetail{Alert: *al}
	if rule, err := st.GetAlertRule(ctx, ws, al.RuleID); err == nil {
		d.Rule = rule
	}
	if d.Evaluations, err = st.ListAlertEvaluations(ctx, ws, al.RuleID, al.GroupKey, 200); err != nil {
		return nil, err
	}
	if d.Notifications, err = st.ListNotifications(ctx, ws, al.ID); err != nil {
		return nil, err
	}
	return d, nil
}

func (a *API) acknowledgeAlert(r *http.Request, st alert.Store) (any, error) {
	return a.changeAlert(r, st, model.StateAcknowledged)
}

func (a *API) resolveAlert(r *http.Request, st alert.Store) (any, error) {
	return a.changeAlert(r, st, model.StateResolved)
}

// changeAlert acknowledges or resolves an episode by hand.
func (a *API) changeAlert(r *http.Request, st alert.Store, to string) (any, error) {
	ctx, ws := r.Context(), workspaceID(r.Context())
	al, err := st.GetAlert(ctx, ws, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if al.Status == model.StateResolved {
		return nil, model.Errorf(model.ECONFLICT, "alert %s is already resolved", al.ID)
	}
	if al.Status == to {
		return al, nil
	}
	now := a.now()
	who := ""
	if p := principal(ctx); p != nil {
		who = p.Subject()
	}
	if to == model.StateAcknowledged {
		al.Status, al.AcknowledgedAt, al.AcknowledgedBy = to, &now, who
	} else {
		al.Status, al.ResolvedAt = to, &now
	}
	if err := st.PutAlert(ctx, *al); err != nil {
		return nil, err
	}
	if err := alert.WriteAlertEvent(ctx, st, *al, "alert."+to, now); err != nil {
		return nil, err
	}
	return al, nil
}

type silencesAnswer struct {
	Silences []model.Silence `json:"silences"`
}

func (a *API) listSilences(r *http.Request, st alert.Store) (any, error) {
	since := a.now()
	if r.URL.Query().Get("expired") == "true" {
		since = time.Time{}
	}
	list, err := st.ListSilences(r.Context(), workspaceID(r.Context()), since)
	if err != nil {
		return nil, err
	}
	return silencesAnswer{Silences: list}, nil
}

// DecodeSilence reads and validates a silence body; starts_at defaults to now.
func DecodeSilence(body io.Reader, now time.Time) (model.Silence, error) {
	var s model.Silence
	if err := decodeFields(body, &s); err != nil {
		return s, err
	}
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	return s, s.Validate()
}

func (a *API) createSilence(r *http.Request, st alert.Store) (any, error) {
	now := a.now()
	s, err := DecodeSilence(r.Body, now)
	if err != nil {
		return nil, err
	}
	s.WorkspaceID, s.ID, s.CreatedAt = workspaceID(r.Context()), auth.NewUUID(), now
	s.StartsAt, s.EndsAt = s.StartsAt.UTC(), s.EndsAt.UTC()
	if p := principal(r.Context()); p != nil {
		s.CreatedBy = p.Subject()
	}
	if err := st.PutSilence(r.Context(), s); err != nil {
		return nil, err
	}
	return response{status: http.StatusCreated, body: s}, nil
}

func (a *API) deleteSilence(r *http.Request, st alert.Store) (any, error) {
	if err := st.DeleteSilence(r.Context(), workspaceID(r.Context()), r.PathValue("id")); err != nil {
		return nil, err
	}
	return response{status: http.StatusNoContent}, nil
}

// integrationAnswer describes a channel without its secrets.
type integrationAnswer struct {
	Type       string               `json:"type"`
	Configured bool                 `json:"configured"`
	UpdatedAt  *time.Time           `json:"updated_at"`
	Config     *alert.ChannelConfig `json:"config"`
}

func integrationType(r *http.Request) (string, error) {
	typ := r.PathValue("type")
	if !slices.Contains(model.IntegrationTypes, typ) {
		return "", model.Errorf(model.ENOTFOUND, "unknown integration type %q (known: %s)", typ, strings.Join(model.IntegrationTypes, ", "))
	}
	return typ, nil
}

func (a *API) integration(r *http.Request, st alert.Store, typ string) (integrationAnswer, error) {
	ws := workspaceID(r.Context())
	sealed, at, err := st.GetIntegration(r.Context(), ws, typ)
	if model.ErrorCode(err) == model.ENOTFOUND {
		return integrationAnswer{Type: typ}, nil
	}
	if err != nil {
		return integrationAnswer{}, err
	}
	c, err := a.cfg.Sealer.Open(ws, typ, sealed)
	if err != nil {
		return integrationAnswer{}, err
	}
	pub := c.Public()
	return integrationAnswer{Type: typ, Configured: true, UpdatedAt: &at, Config: &pub}, nil
}

type integrationsAnswer struct {
	Integrations []integrationAnswer `json:"integrations"`
}

func (a *API) listIntegrations(r *http.Request, st alert.Store) (any, error) {
	var out integrationsAnswer
	for _, typ := range model.IntegrationTypes {
		ans, err := a.integration(r, st, typ)
		if err != nil {
			return nil, err
		}
		out.Integrations = append(out.Integrations, ans)
	}
	return out, nil
}

func (a *API) getIntegration(r *http.Request, st alert.Store) (any, error) {
	typ, err := integrationType(r)
	if err != nil {
		return nil, err
	}
	return a.integration(r, st, typ)
}

// DecodeChannelConfig reads and validates a channel's settings body.
func DecodeChannelConfig(body io.Reader, typ string) (alert.ChannelConfig, error) {
	var c alert.ChannelConfig
	if err := decodeFields(body, &c); err != nil {
		return c, err
	}
	return c, c.Validate(typ)
}

func (a *API) putIntegration(r *http.Request, st alert.Store) (any, error) {
	typ, err := integrationType(r)
	if err != nil {
		return nil, err
	}
	c, err := DecodeChannelConfig(r.Body, typ)
	if err != nil {
		return nil, err
	}
	ws := workspaceID(r.Context())
	sealed, err := a.cfg.Sealer.Seal(ws, typ, c)
	if err != nil {
		return nil, err
	}
	if err := st.PutIntegration(r.Context(), ws, typ, sealed, a.now()); err != nil {
		return nil, err
	}
	return a.integration(r, st, typ)
}

func (a *API) deleteIntegration(r *http.Request, st alert.Store) (any, error) {
	typ, err := integrationType(r)
	if err != nil {
		return nil, err
	}
	if err := st.DeleteIntegration(r.Context(), workspaceID(r.Context()), typ); err != nil {
		return nil, err
	}
	return response{status: http.StatusNoContent}, nil
}

func randomSealer() *alert.Sealer {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s, _ := alert.NewSealer(key)
	return s
}
