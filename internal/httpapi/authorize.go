package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
)

// authorize admits callers holding perm, then spends their rate-limit budget. A caller of
// another workspace is never refused here: it passes with its own workspace, and every
// query it can make is scoped to that, so objects of other workspaces are simply not found.
func (a *API) authorize(perm Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.authenticate(r)
		if err != nil {
			if model.ErrorCode(err) == model.EUNAUTHORIZED {
				a.metrics.rejected.WithLabelValues("unauthorized").Inc()
			}
			a.writeProblem(w, r, err)
			return
		}
		if info := requestInfoFrom(r.Context()); info != nil {
			info.workspace = p.WorkspaceID
		}
		if !allowed(p, perm) {
			a.writeProblem(w, r, denial(p, perm))
			return
		}
		if perm != PermUser {
			d, err := a.cfg.Auth.Throttle(r.Context(), p)
			if err != nil {
				a.writeProblem(w, r, err)
				return
			}
			setRateLimitHeaders(w.Header(), d)
			if !d.Allowed {
				a.metrics.rejected.WithLabelValues("rate_limited").Inc()
				w.Header().Set("Retry-After", strconv.Itoa(max(auth.Seconds(d.RetryAfter), 1)))
				a.writeProblem(w, r, model.Errorf(model.ETOOMANYREQUEST, "rate limit exceeded for %s; retry in %d s",
					limitedWhat(p), max(auth.Seconds(d.RetryAfter), 1)))
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxPrincipalKey{}, p)))
	})
}

// setRateLimitHeaders writes the RateLimit-* fields of the IETF draft
// (draft-ietf-httpapi-ratelimit-headers) for the tighter of the caller's limits.
func setRateLimitHeaders(h http.Header, d auth.Decision) {
	if d.Limit == 0 {
		return // unlimited
	}
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(auth.Seconds(d.Reset)))
}
