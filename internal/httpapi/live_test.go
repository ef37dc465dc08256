package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/realtime"
)

func liveEnv(t *testing.T) *authEnv {
	return newAuthEnv(t, func(_ *auth.Config, h *Config) {
		h.Live = realtime.NewLocal()
		h.CORSOrigins = []string{"https://app.example.com"}
	})
}

func liveProtocols(token string) []string {
	return []string{LiveProtocol, "agentobs.bearer." + base64.RawURLEncoding.EncodeToString([]byte(token))}
}

// dialLive opens the live socket; it returns the HTTP status when the upgrade was refused.
func dialLive(t *testing.T, e *authEnv, path string, protocols []string, origin string) (*websocket.Conn, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hdr := http.Header{}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+path, &websocket.DialOptions{Subprotocols: protocols, HTTPHeader: hdr})
	if err != nil {
		if resp == nil {
			t.Fatalf("dial %s: %v", path, err)
		}
		return nil, resp.StatusCode
	}
	t.Cleanup(func() { c.CloseNow() })
	if c.Subprotocol() != LiveProtocol {
		t.Fatalf("negotiated subprotocol %q, want %q (the credential is never echoed)", c.Subprotocol(), LiveProtocol)
	}
	return c, 101
}

func liveSend(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := c.Write(context.Background(), websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

func liveRead(t *testing.T, c *websocket.Conn) liveMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m liveMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("message %s: %v", b, err)
	}
	return m
}

func TestLiveRefusals(t *testing.T) {
	e := liveEnv(t)
	owner := e.register("ada@example.com", nil).str("access_token")
	other, _ := auth.NewTokens([]byte("another secret another secret 12"), "HS256", time.Minute)
	forged, _, _ := other.Issue("someone", e.wsID, "x")
	for name, tc := range map[string]struct {
		path, origin string
		protocols    []string
		want         int
	}{
		"no credential":                  {"/api/v1/ws", "", []string{LiveProtocol}, 401},
		"a token signed by someone else": {"/api/v1/ws", "", liveProtocols(forged), 401},
		"a malformed credential":         {"/api/v1/ws", "", []string{LiveProtocol, "agentobs.bearer.!!"}, 401},
		"a foreign origin":               {"/api/v1/ws", "https://evil.example.com", liveProtocols(owner), 403},
		"no agentobs.v1":                 {"/api/v1/ws", "", liveProtocols(owner)[1:], 400},
		"another workspace's path":       {"/ws/4fb4d1c2-0000-4000-8000-000000000000", "", liveProtocols(owner), 404},
	} {
		if _, status := dialLive(t, e, tc.path, tc.protocols, tc.origin); status != tc.want {
			t.Errorf("%s: upgrade = %d, want %d", name, status, tc.want)
		}
	}
	// The allowlisted origin, the plan's path with the caller's workspace, and an API key
	// with the read scope are accepted.
	if _, status := dialLive(t, e, "/ws/"+e.wsID, liveProtocols(owner), "https://app.example.com"); status != 101 {
		t.Errorf("allowlisted origin on /ws/{workspace_id} = %d", status)
	}
	if _, status := dialLive(t, e, "/api/v1/ws", liveProtocols(e.key), ""); status != 101 {
		t.Errorf("API key with read scope = %d", status)
	}
}

// TestLiveDelivers: a trace ingested through the API reaches a subscribed client of its
// workspace, and never a client of another workspace.
func TestLiveDelivers(t *testing.T) {
	e := liveEnv(t)
	owner := e.register("ada@example.com", nil).str("access_token")
	bob := e.register("bob@example.com", map[string]any{"create_workspace": true}).str("access_token")
	bobKey, _ := e.createKey(bob, "ingest")

	a, _ := dialLive(t, e, "/api/v1/ws", liveProtocols(owner), "")
	b, _ := dialLive(t, e, "/api/v1/ws", liveProtocols(bob), "")
	for _, c := range []*websocket.Conn{a, b} {
		liveSend(t, c, map[string]any{"type": "subscribe", "channels": []string{"traces", "kpis"}})
		if m := liveRead(t, c); m.Type != "subscribed" || len(m.Channels) != 2 {
			t.Fatalf("subscribe answer = %+v", m)
		}
	}
	liveSend(t, a, map[string]any{"type": "subscribe", "channels": []string{"gossip"}})
	if m := liveRead(t, a); m.Type != "error" || m.Field != "channels[0]" {
		t.Errorf("unknown channel answer = %+v", m)
	}

	if r := e.do("POST", "/api/v1/traces", e.key, trace("live-1", "status", "error", "cost_usd", 0.25)); r.status != 202 {
		t.Fatalf("ingest = %d %s", r.status, r.raw)
	}
	got := map[string]liveMessage{}
	for len(got) < 2 {
		m := liveRead(t, a)
		got[m.Type] = m
	}
	nt, kd := got["new_traces"], got["kpi_delta"]
	if nt.Channel != "traces" || nt.Seq != 1 || !strings.Contains(string(nt.Data), `"trace_id":"live-1"`) || nt.SentAt == 0 {
		t.Errorf("new_traces = %+v %s", nt, nt.Data)
	}
	var delta realtime.KPIDelta
	if json.Unmarshal(kd.Data, &delta) != nil || kd.Seq != 1 || delta.Requests != 1 || delta.Errors != 1 || delta.CostUSD != 0.25 {
		t.Errorf("kpi_delta = %+v %s", kd, kd.Data)
	}
	// Bob's first message is about his own trace: Ada's was never delivered to him.
	if r := e.do("POST", "/api/v1/traces", bobKey, trace("live-bob")); r.status != 202 {
		t.Fatalf("ingest bob = %d", r.status)
	}
	for {
		m := liveRead(t, b)
		if strings.Contains(string(m.Data), "live-1") {
			t.Fatalf("another workspace's trace reached bob: %+v", m)
		}
		if m.Type == "new_traces" {
			if m.Seq != 1 || !strings.Contains(string(m.Data), "live-bob") {
				t.Errorf("bob's first trace message = %+v %s", m, m.Data)
			}
			break
		}
	}
	// Unsubscribed channels stay quiet: after unsubscribing kpis, only traces arrive.
	liveSend(t, a, map[string]any{"type": "unsubscribe", "channels": []string{"kpis"}})
	if m := liveRead(t, a); m.Type != "subscribed" || len(m.Channels) != 1 {
		t.Fatalf("unsubscribe answer = %+v", m)
	}
	e.do("POST", "/api/v1/traces", e.key, trace("live-2"))
	if m := liveRead(t, a); m.Type != "new_traces" || m.Seq != 2 {
		t.Errorf("after unsubscribing kpis = %+v", m)
	}
}

// TestLiveSubscribeRechecksMembership: a member removed from the workspace is cut off at
// the next subscribe.
func TestLiveSubscribeRechecksMembership(t *testing.T) {
	e := liveEnv(t)
	owner := e.register("ada@example.com", nil).str("access_token")
	mia := e.member(owner, "mia@example.com", "member")
	c, _ := dialLive(t, e, "/api/v1/ws", liveProtocols(mia), "")
	var miaID string
	for _, m := range e.do("GET", "/api/v1/team/members", owner, nil).body["members"].([]any) {
		if m.(map[string]any)["email"] == "mia@example.com" {
			miaID = m.(map[string]any)["user_id"].(string)
		}
	}
	if r := e.do("DELETE", "/api/v1/team/members/"+miaID, owner, nil); r.status != 204 {
		t.Fatalf("remove = %d", r.status)
	}
	liveSend(t, c, map[string]any{"type": "subscribe", "channels": []string{"traces"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := c.Read(ctx)
	if websocket.CloseStatus(err) != CloseUnauthorized {
		t.Errorf("subscribe after removal: %v, want close %d", err, CloseUnauthorized)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("the connection stayed open")
	}
}
