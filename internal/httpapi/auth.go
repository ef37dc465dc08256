package httpapi

import (
	"crypto/rand"
	"time"

	"github.com/agentobs/agentobs/internal/auth"
)

// authRoutes are the gateway's own routes: sessions, workspaces, keys and the team.
func (a *API) authRoutes(add addRoute) {
	add("GET /api/v1/auth/setup", PermPublic, a.setupStatus)
	add("POST /api/v1/auth/register", PermPublic, a.register)
	add("POST /api/v1/auth/login", PermPublic, a.login)
	add("POST /api/v1/auth/refresh", PermPublic, a.refresh)
	add("POST /api/v1/auth/switch", PermPublic, a.switchWorkspace)
	add("POST /api/v1/auth/logout", PermPublic, a.logout)
	add("GET /api/v1/auth/me", PermUser, a.me)
	add("GET /api/v1/workspaces", PermUser, a.listWorkspaces)
	add("POST /api/v1/workspaces", PermUser, a.createWorkspace)
	add("GET /api/v1/workspace", PermRead, a.getWorkspace)
	add("PUT /api/v1/workspace", PermAdmin, a.updateWorkspace)
	add("POST /api/v1/api-keys", PermWrite, a.createAPIKey)
	add("GET /api/v1/api-keys", PermWrite, a.listAPIKeys)
	add("DELETE /api/v1/api-keys/{id}", PermWrite, a.revokeAPIKey)
	add("GET /api/v1/team/members", PermWrite, a.listMembers)
	add("POST /api/v1/team/invite", PermAdmin, a.invite)
	add("DELETE /api/v1/team/invites/{email}", PermAdmin, a.cancelInvite)
	add("GET /api/v1/invites/{token}", PermPublic, a.viewInvite)
	add("POST /api/v1/invites/{token}/decline", PermPublic, a.declineInvite)
	add("PUT /api/v1/team/members/{user_id}/role", PermAdmin, a.setRole)
	add("DELETE /api/v1/team/members/{user_id}", PermWrite, a.removeMember)
	add("GET /api/v1/audit-log", PermAdmin, a.auditLog)
	add("GET /api/v1/billing/plan", PermRead, a.billingPlan)
	add("GET /api/v1/billing/usage", PermRead, a.billingUsage)
	add("GET /api/v1/billing/history", PermAdmin, a.billingHistory)
	add("POST /api/v1/billing/payment-method", PermOwner, a.setPaymentMethod)
}

// defaultAuth builds an auth service when the caller gave none: for the store in Config,
// with a random token secret, so that API keys work exactly as in a real process.
func defaultAuth(cfg Config) *auth.Service {
	st, ok := cfg.Store.(auth.Store)
	if !ok || cfg.Keys == nil {
		return nil
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	tokens, _ := auth.NewTokens(secret, "HS256", 15*time.Minute)
	return auth.NewService(auth.Config{Store: st, Tokens: tokens, Keys: cfg.Keys, Log: cfg.Log})
}
