package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/realtime"
)

// Live updates (GET /api/v1/ws, or the plan's /ws/{workspace_id}) are a WebSocket of the
// subprotocol agentobs.v1. Browsers cannot set headers on a WebSocket and URLs end up in
// logs, so the access token travels as a second offered subprotocol,
// agentobs.bearer.<base64url(token)>, which the server never echoes.
const (
	LiveProtocol     = "agentobs.v1"
	liveBearerPrefix = "agentobs.bearer."
	liveQueue        = 256 // deliveries a client may lag behind before it is dropped
	liveWriteTimeout = 5 * time.Second
	livePing         = 30 * time.Second
)

// Close codes of the live socket (RFC 6455 leaves 4000-4999 to applications).
const (
	CloseSlowClient   websocket.StatusCode = 4008 // the client fell behind: reconnect and refetch
	CloseUnauthorized websocket.StatusCode = 4401 // the credential or membership ended
)

// liveClientMessage is what a client sends: subscribe or unsubscribe to channels.
type liveClientMessage struct {
	Type     string   `json:"type"`
	Channels []string `json:"channels"`
}

// liveMessage is what the server sends. Seq counts the messages of one channel on this
// connection from 1, so a client that sees a gap knows to refetch.
type liveMessage struct {
	Type     string          `json:"type"` // subscribed, new_traces, kpi_delta, ..., resync, error
	Channel  string          `json:"channel,omitempty"`
	Seq      uint64          `json:"seq,omitempty"`
	SentAt   int64           `json:"sent_at,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
	Channels []string        `json:"channels,omitempty"`
	Field    string          `json:"field,omitempty"`
	Detail   string          `json:"detail,omitempty"`
}

// liveCredential takes the access token out of the offered subprotocols.
func liveCredential(r *http.Request) (string, bool, error) {
	var token string
	v1 := false
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			p = strings.TrimSpace(p)
			switch {
			case p == LiveProtocol:
				v1 = true
			case strings.HasPrefix(p, liveBearerPrefix):
				b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimPrefix(p, liveBearerPrefix), "="))
				if err != nil || len(b) == 0 || len(b) > maxCredentialLength {
					return "", v1, model.Errorf(model.EUNAUTHORIZED, "malformed credential subprotocol: want agentobs.bearer.<base64url(access token)>")
				}
				token = string(b)
			}
		}
	}
	return token, v1, nil
}

// liveOriginAllowed admits same-origin pages and the CORS allowlist.
func (a *API) liveOriginAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser: the credential alone decides
	}
	u, err := url.Parse(origin)
	if err == nil && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range a.cfg.CORSOrigins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

func (a *API) liveAuthenticate(ctx context.Context, token string) (*auth.Principal, error) {
	if token == "" {
		return nil, model.Errorf(model.EUNAUTHORIZED, "missing credentials: offer the subprotocols agentobs.v1 and agentobs.bearer.<base64url(access token)>")
	}
	var p *auth.Principal
	var err error
	if auth.LooksLikeJWT(token) {
		p, err = a.cfg.Auth.AuthenticateToken(ctx, token)
	} else {
		p, err = a.cfg.Auth.AuthenticateKey(ctx, token)
	}
	if err != nil {
		return nil, err
	}
	if !allowed(p, PermRead) {
		return nil, denial(p, PermRead)
	}
	return p, nil
}

// liveRoutes are the live socket's routes; the handler authenticates (the credential is an
// offered subprotocol) and checks PermRead itself.
func (a *API) liveRoutes() []Route {
	h := a.liveHandler()
	return []Route{
		{Pattern: "GET /api/v1/ws", Permission: PermPublic, Raw: h},
		{Pattern: "GET /ws/{workspace_id}", Permission: PermPublic, Raw: h},
	}
}

// liveHandler upgrades to the live socket after checking origin, credential, membership and
// the workspace the path names, if any.
func (a *API) liveHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.cfg.Live == nil {
			a.writeProblem(w, r, model.Errorf(model.EUNAVAILABLE, "live updates are not served by this process"))
			return
		}
		if !a.liveOriginAllowed(r) {
			a.writeProblem(w, r, model.Errorf(model.EFORBIDDEN, "origin %q may not open live updates: add it to AGENTOBS_CORS_ORIGINS", r.Header.Get("Origin")))
			return
		}
		token, v1, err := liveCredential(r)
		if err == nil && !v1 {
			err = model.Errorf(model.EINVALID, "offer the subprotocol %s", LiveProtocol)
		}
		if err != nil {
			a.writeProblem(w, r, err)
			return
		}
		p, err := a.liveAuthenticate(r.Context(), token)
		if err != nil {
			a.writeProblem(w, r, err)
			return
		}
		if ws := r.PathValue("workspace_id"); ws != "" && ws != p.WorkspaceID {
			a.writeProblem(w, r, model.Errorf(model.ENOTFOUND, "workspace %q not found", ws))
			return
		}
		if info := requestInfoFrom(r.Context()); info != nil {
			info.workspace = p.WorkspaceID
		}
		// The server's read and write timeouts are for requests, not for a socket that lives
		// for hours; the ping below notices dead peers instead.
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{LiveProtocol}, InsecureSkipVerify: true})
		if err != nil {
			return // Accept answered the client
		}
		a.serveLive(c, p, token)
	})
}

// serveLive runs one connection until the client leaves, falls behind or loses access.
func (a *API) serveLive(c *websocket.Conn, p *auth.Principal, token string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := a.cfg.Live.Subscribe(p.WorkspaceID, liveQueue)
	defer sub.Close()

	requests := make(chan liveClientMessage)
	go func() { // reader: client messages to the writer loop
		defer cancel()
		for {
			var m liveClientMessage
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			if json.Unmarshal(b, &m) != nil {
				m = liveClientMessage{Type: "malformed"}
			}
			select {
			case requests <- m:
			case <-ctx.Done():
				return
			}
		}
	}()

	subscribed := map[string]bool{}
	seq := map[string]uint64{}
	write := func(m liveMessage) bool {
		b, _ := json.Marshal(m)
		wctx, wcancel := context.WithTimeout(ctx, liveWriteTimeout)
		defer wcancel()
		return c.Write(wctx, websocket.MessageText, b) == nil
	}
	var buf []byte
	ping := time.NewTicker(livePing)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			c.Close(websocket.StatusNormalClosure, "")
			return
		case <-sub.Dropped():
			c.Close(CloseSlowClient, "too slow: updates were dropped; reconnect and refetch")
			return
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, liveWriteTimeout)
			err := c.Ping(pctx)
			pcancel()
			if err != nil {
				c.CloseNow()
				return
			}
		case m := <-requests:
			reply, ok := a.liveRequest(ctx, token, p.WorkspaceID, m, subscribed)
			if !ok {
				c.Close(CloseUnauthorized, "access to this workspace ended: sign in again")
				return
			}
			if !write(reply) {
				c.CloseNow()
				return
			}
		case d := <-sub.C:
			if d.Resync {
				for ch := range subscribed {
					seq[ch]++
					if !write(liveMessage{Type: "resync", Channel: ch, Seq: seq[ch]}) {
						c.CloseNow()
						return
					}
				}
			} else if subscribed[d.Event.Channel] && d.Wire != nil {
				// The message was encoded once for every client; only seq is this one's.
				seq[d.Event.Channel]++
				buf = strconv.AppendUint(append(buf[:0], d.Wire...), seq[d.Event.Channel], 10)
				buf = append(buf, '}')
				wctx, wcancel := context.WithTimeout(ctx, liveWriteTimeout)
				err := c.Write(wctx, websocket.MessageText, buf)
				wcancel()
				if err != nil {
					c.CloseNow()
					return
				}
			}
		}
	}
}

// liveRequest applies a subscribe or unsubscribe; membership is checked again on every
// subscribe. ok is false when the caller lost access.
func (a *API) liveRequest(ctx context.Context, token, workspace string, m liveClientMessage, subscribed map[string]bool) (liveMessage, bool) {
	bad := func(field, detail string) (liveMessage, bool) {
		return liveMessage{Type: "error", Field: field, Detail: detail}, true
	}
	if m.Type != "subscribe" && m.Type != "unsubscribe" {
		return bad("type", `must be "subscribe" or "unsubscribe"`)
	}
	if len(m.Channels) == 0 {
		return bad("channels", "must name at least one channel")
	}
	for i, ch := range m.Channels {
		if !slices.Contains(realtime.Channels, ch) {
			return bad(model.Path{"channels", i}.String(), "must be one of "+strings.Join(realtime.Channels, ", "))
		}
	}
	if m.Type == "subscribe" {
		p, err := a.liveAuthenticate(ctx, token)
		if err != nil || p.WorkspaceID != workspace {
			return liveMessage{}, false
		}
	}
	for _, ch := range m.Channels {
		if m.Type == "subscribe" {
			subscribed[ch] = true
		} else {
			delete(subscribed, ch)
		}
	}
	list := make([]string, 0, len(subscribed))
	for _, ch := range realtime.Channels {
		if subscribed[ch] {
			list = append(list, ch)
		}
	}
	return liveMessage{Type: "subscribed", Channels: list}, true
}
