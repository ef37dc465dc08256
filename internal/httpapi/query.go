package httpapi

import (
	"mime"
	"net/http"
	"strings"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/query"
)

// queryRoutes are the query role's: trace reads, and the dashboards' analytics, which the
// query package lists (query.Endpoints) so that its tests exercise the same table.
func (a *API) queryRoutes(add addRoute) {
	add("GET /api/v1/traces/{trace_id}", PermRead, a.getTrace)
	add("GET /api/v1/agents", PermRead, a.listAgents)
	if a.cfg.Analytics == nil {
		return
	}
	for _, e := range query.Endpoints() {
		perm := PermRead
		if e.Write {
			perm = PermWrite
		}
		add(e.Method+" "+e.Path, perm, a.serveQuery(e))
	}
}

// serveQuery answers from the query service; X-Cache says whether the answer was cached.
func (a *API) serveQuery(e query.Endpoint) handlerFunc {
	return func(r *http.Request) (any, error) {
		if r.Method == http.MethodPut {
			if ct := r.Header.Get("Content-Type"); ct != "" {
				if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
					return nil, model.Errorf(model.EUNSUPPORTED, "the body must be application/json")
				}
			}
		}
		ctx := r.Context()
		if strings.Contains(r.Header.Get("Cache-Control"), "no-cache") {
			ctx = query.WithoutCache(ctx)
		}
		res, err := e.Serve(a.cfg.Analytics, ctx, workspaceID(ctx), r)
		if err != nil {
			return nil, err
		}
		if e.Write {
			// Settings the dashboards change (budgets, thresholds) are audited by their route.
			a.audit(r, "setting.update", e.Path, nil)
		}
		cache := "miss"
		if res.Cached {
			cache = "hit"
		}
		return response{status: http.StatusOK, body: res.Body, headers: map[string]string{"X-Cache": cache}}, nil
	}
}
