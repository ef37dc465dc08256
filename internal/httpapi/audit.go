package httpapi

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// audit records a change the caller made; see auth.Service.Audit.
func (a *API) audit(r *http.Request, action, target string, detail any) {
	a.cfg.Auth.Audit(r.Context(), principal(r.Context()), a.clientAddr(r), action, target, detail)
}

// AuditPage is the answer of GET /api/v1/audit-log.
type AuditPage struct {
	Entries []model.AuditEntry `json:"entries"`
	// NextCursor fetches the following (older) page; empty on the last page.
	NextCursor string `json:"next_cursor"`
}

// auditLog lists the audit log newest first, filtered by action (or its subject, such as
// api_key), actor (a user id), since/until (RFC 3339) and paged by cursor.
func (a *API) auditLog(r *http.Request) (any, error) {
	q := r.URL.Query()
	var fe model.FieldErrors
	f := store.AuditFilter{Action: strings.TrimSpace(q.Get("action")), ActorID: strings.TrimSpace(q.Get("actor")), Limit: 50}
	for name := range q {
		switch name {
		case "action", "actor", "since", "until", "cursor", "limit":
		default:
			fe.Add(model.Path{name}, "unknown parameter")
		}
	}
	parseTime := func(name string, dst *time.Time) {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fe.Add(model.Path{name}, "must be an RFC 3339 time such as 2026-12-31T00:00:00Z")
			}
			*dst = t
		}
	}
	parseTime("since", &f.Since)
	parseTime("until", &f.Until)
	if v := q.Get("limit"); v != "" {
		n, ok := parsePositive(v)
		if !ok || n > 500 {
			fe.Add(model.Path{"limit"}, "must be a whole number from 1 to 500")
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		at, id, ok := decodeAuditCursor(v)
		if !ok {
			fe.Add(model.Path{"cursor"}, "is not a cursor this API returned")
		}
		f.BeforeAt, f.BeforeID = at, id
	}
	if len(f.Action) > 100 || len(f.ActorID) > 100 {
		fe.Add(model.Path{"action"}, "is too long")
	}
	if err := fe.Err("invalid query"); err != nil {
		return nil, err
	}
	list, err := a.cfg.Auth.AuditLog(r.Context(), principal(r.Context()), f)
	if err != nil {
		return nil, err
	}
	page := AuditPage{Entries: list}
	if len(list) == f.Limit {
		last := list[len(list)-1]
		page.NextCursor = encodeAuditCursor(last.At, last.ID)
	}
	return page, nil
}

func parsePositive(s string) (int, bool) {
	n := 0
	if s == "" || len(s) > 4 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n > 0
}

// An audit cursor is the time and id of the last entry of a page, opaque to clients.
func encodeAuditCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeAuditCursor(s string) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", false
	}
	ts, id, ok := strings.Cut(string(b), "|")
	at, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil || id == "" || len(id) > 100 {
		return time.Time{}, "", false
	}
	return at, id, true
}
