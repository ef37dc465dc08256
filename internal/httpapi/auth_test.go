package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/eval"
	"github.com/agentobs/agentobs/internal/eval/abtest"
	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
	"github.com/agentobs/agentobs/internal/insight"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/pricing"
	"github.com/agentobs/agentobs/internal/queue/memory"
	"github.com/agentobs/agentobs/internal/realtime"
	"github.com/agentobs/agentobs/internal/store"
	"github.com/agentobs/agentobs/internal/store/duckdb"
)

const testPassword = "correct horse battery staple"

// testSetupKey is the setup key of every test server's first workspace.
const testSetupKey = "aosetup_test_setup_key"

// storeSetupKey does what serve does at first start: it stores the setup key that lets the
// first user claim the workspace.
func storeSetupKey(t testing.TB, st auth.Store, workspaceID string) {
	t.Helper()
	if _, err := st.PutSetupSecret(context.Background(), workspaceID, auth.HashSetupSecret(testSetupKey), time.Now().UTC(), true); err != nil {
		t.Fatal(err)
	}
}

var jwtEncoding = base64.RawURLEncoding

// syncBuffer collects the request log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// authEnv is a server with every route on a real DuckDB store and the real auth service.
type authEnv struct {
	t      testing.TB
	srv    *httptest.Server
	st     store.Store
	dbPath string // the DuckDB file, when the store is DuckDB
	svc    *auth.Service
	api    *API
	tokens *auth.Tokens
	log    *syncBuffer
	wsID   string // the workspace created at start, as Bootstrap does
	key    string // its key, both scopes
}

type envOption func(*auth.Config, *Config)

// fakeJudge is a Gemini stand-in that rates every criterion it is asked about 80.
func fakeJudge(t testing.TB) *provider.Client {
	srv := providertest.New(provider.KindGemini, providertest.Rate(80))
	t.Cleanup(srv.Close)
	p, err := provider.New(srv.Config("gemini-2.0-flash"))
	if err != nil {
		t.Fatal(err)
	}
	return provider.NewClient(p, provider.Limits{})
}

func newAuthEnv(t testing.TB, opts ...envOption) *authEnv {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), duckdb.FileName)
	st, err := duckdb.Open(ctx, path, duckdb.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := newAuthEnvOn(t, st, opts...)
	e.dbPath = path
	return e
}

// newAuthEnvOn is newAuthEnv on a given, migrated store.
func newAuthEnvOn(t testing.TB, st store.Store, opts ...envOption) *authEnv {
	t.Helper()
	ctx := context.Background()
	var err error
	e := &authEnv{t: t, st: st, log: &syncBuffer{}, wsID: auth.NewUUID(), key: auth.GenerateAPIKey()}
	hasher := auth.NewKeyHasher([]byte("test-salt-test-salt-test-salt-test-salt"))
	if err := st.CreateWorkspace(ctx, model.Workspace{ID: e.wsID, Name: "Default", CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAPIKey(ctx, model.APIKey{ID: auth.NewUUID(), WorkspaceID: e.wsID, Name: "bootstrap", Prefix: auth.DisplayPrefix(e.key),
		Last4: auth.Last4(e.key), Hash: hasher.Hash(e.key), Scopes: []model.Scope{model.ScopeIngest, model.ScopeRead}, CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	storeSetupKey(t, st, e.wsID)
	e.tokens, err = auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), "HS256", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	acfg := auth.Config{Store: st, Tokens: e.tokens, Keys: auth.NewKeyCache(st, time.Minute, auth.WithHasher(hasher)), Log: log,
		LoginPerAddress: auth.Limit{Rate: 100, Burst: 1000}}
	hcfg := Config{Store: st, Prices: pricing.Default(), Log: log, Registry: prometheus.NewRegistry(), API: true, Ingest: true, Query: true,
		Eval: eval.New(eval.Config{Store: st, Log: log, Prices: pricing.Default(), Judge: fakeJudge(t)}), ABTests: &abtest.Service{Store: st},
		Guard: testGuard(t, st), Guardrails: st, Alert: true,
		Insights: insight.New(insight.Config{Store: st, Log: log}), InsightRoutes: true}
	for _, o := range opts {
		o(&acfg, &hcfg)
	}
	e.svc = auth.NewService(acfg)
	hcfg.Keys, hcfg.Auth = e.svc.Keys(), e.svc
	e.api = New(hcfg)
	proc := pipeline.NewProcessor(st, log, e.api.Metrics().DeadLettered)
	if hcfg.Live != nil {
		proc.OnCommit(realtime.NewFeed(hcfg.Live, log).Committed)
	}
	gc := memory.New(proc.Handle, memory.Options{})
	t.Cleanup(func() { gc.Close(context.Background()) })
	e.api.SetPublisher(gc)
	e.srv = httptest.NewServer(e.api.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// answer is a decoded response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

// request sends body (a string is sent as is, anything else as JSON) with a bearer credential.
func request(t testing.TB, base, method, path, cred string, body any, hdr ...string) answer {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func (e *authEnv) do(method, path, cred string, body any, hdr ...string) answer {
	e.t.Helper()
	return request(e.t, e.srv.URL, method, path, cred, body, hdr...)
}

// register signs up a user and returns the session answer.
func (e *authEnv) register(email string, extra map[string]any) answer {
	e.t.Helper()
	// The first user needs the setup key; later ones send it too, and it is ignored.
	body := map[string]any{"email": email, "password": testPassword, "name": strings.Split(email, "@")[0], "setup_key": testSetupKey}
	for k, v := range extra {
		body[k] = v
	}
	a := e.do("POST", "/api/v1/auth/register", "", body)
	if a.status != 201 {
		e.t.Fatalf("register %s = %d %s", email, a.status, a.raw)
	}
	return a
}

// invited registers email into the session's workspace with role and returns their access token.
func (e *authEnv) member(ownerToken, email string, role model.Role) string {
	e.t.Helper()
	if a := e.do("POST", "/api/v1/team/invite", ownerToken, map[string]any{"email": email, "role": role}); a.status != 201 {
		e.t.Fatalf("invite %s = %d %s", email, a.status, a.raw)
	}
	s := e.register(email, nil)
	if s.str("role") != string(role) {
		e.t.Fatalf("invited %s registered with role %q, want %q: %s", email, s.str("role"), role, s.raw)
	}
	return s.str("access_token")
}

// createKey creates an API key with the given scopes and returns its secret and id.
func (e *authEnv) createKey(token string, scopes ...model.Scope) (string, string) {
	e.t.Helper()
	a := e.do("POST", "/api/v1/api-keys", token, map[string]any{"name": "k", "scopes": scopes})
	if a.status != 201 {
		e.t.Fatalf("create key = %d %s", a.status, a.raw)
	}
	return a.str("key"), a.str("id")
}

var ownerTokens sync.Map // *httptest.Server -> token

// ownerToken returns an access token of an owner of the first workspace of srv, registering
// the first user (who becomes its owner) on first use.
func ownerToken(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	if tok, ok := ownerTokens.Load(srv); ok {
		return tok.(string)
	}
	a := request(t, srv.URL, "POST", "/api/v1/auth/register", "", map[string]any{"email": "owner@example.com", "password": testPassword, "setup_key": testSetupKey})
	if a.status != 201 || a.str("role") != "owner" {
		t.Fatalf("register owner = %d %s", a.status, a.raw)
	}
	ownerTokens.Store(srv, a.str("access_token"))
	return a.str("access_token")
}

func trace(id string, extra ...any) map[string]any {
	m := map[string]any{"trace_id": id, "agent_id": "iso-agent-" + id, "timestamp": "2026-11-25T10:00:00Z",
		"input": "secret input of " + id, "model": "gpt-4o-mini", "tokens_input": 10}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

func TestRegisterLoginRefreshLogoutMe(t *testing.T) {
	e := newAuthEnv(t)
	first := e.register("  Ada@Example.COM ", nil)
	// The first user owns the workspace that existed before anyone registered.
	if first.str("workspace_id") != e.wsID || first.str("role") != "owner" || first.str("token_type") != "Bearer" {
		t.Fatalf("first registration = %s", first.raw)
	}
	user := first.body["user"].(map[string]any)
	if user["email"] != "ada@example.com" || user["password_hash"] != nil || strings.Contains(first.raw, "argon2") {
		t.Errorf("user = %v (email normalised, no hash)", user)
	}
	if !strings.HasPrefix(first.str("refresh_token"), auth.RefreshPrefix) || first.header.Get("Cache-Control") != "no-store" {
		t.Errorf("refresh token / cache control: %s %v", first.raw, first.header)
	}
	access := first.str("access_token")
	me := e.do("GET", "/api/v1/auth/me", access, nil)
	if me.status != 200 || me.body["workspace"].(map[string]any)["id"] != e.wsID || me.str("role") != "owner" || len(me.body["workspaces"].([]any)) != 1 {
		t.Fatalf("me = %d %s", me.status, me.raw)
	}
	// The token reads the workspace's data like the bootstrap key.
	if a := e.do("POST", "/api/v1/traces", e.key, trace("t1")); a.status != 202 {
		t.Fatalf("ingest = %d %s", a.status, a.raw)
	}
	if a := e.do("GET", "/api/v1/traces/t1", access, nil); a.status != 200 {
		t.Fatalf("read with token = %d %s", a.status, a.raw)
	}

	// A second user gets no workspace unless asked; with workspace_name they own a new one.
	bob := e.register("bob@example.com", nil)
	if bob.str("workspace_id") != "" {
		t.Errorf("second user got workspace %s", bob.raw)
	}
	if a := e.do("GET", "/api/v1/traces/t1", bob.str("access_token"), nil); a.status != 403 {
		t.Errorf("user without workspace reads = %d %s", a.status, a.raw)
	}
	carol := e.register("carol@example.com", map[string]any{"workspace_name": "Carol's team"})
	if carol.str("workspace_id") == "" || carol.str("workspace_id") == e.wsID || carol.str("role") != "owner" {
		t.Errorf("carol = %s", carol.raw)
	}

	login := e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ADA@example.com", "password": testPassword})
	if login.status != 200 || login.str("workspace_id") != e.wsID {
		t.Fatalf("login = %d %s", login.status, login.raw)
	}
	r1 := login.str("refresh_token")
	refreshed := e.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": r1})
	if refreshed.status != 200 || refreshed.str("refresh_token") == r1 || refreshed.str("access_token") == "" {
		t.Fatalf("refresh = %d %s", refreshed.status, refreshed.raw)
	}
	r2, a2 := refreshed.str("refresh_token"), refreshed.str("access_token")
	if a := e.do("GET", "/api/v1/auth/me", a2, nil); a.status != 200 {
		t.Fatalf("me with refreshed token = %d", a.status)
	}
	// Reusing the rotated token revokes the whole session: the newest refresh token and the
	// access tokens of the session stop working too.
	if a := e.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": r1}); a.status != 401 || !strings.Contains(a.raw, "already used") {
		t.Fatalf("reuse = %d %s", a.status, a.raw)
	}
	if a := e.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": r2}); a.status != 401 {
		t.Errorf("refresh after reuse = %d %s", a.status, a.raw)
	}
	if a := e.do("GET", "/api/v1/auth/me", a2, nil); a.status != 401 {
		t.Errorf("access token of revoked session = %d %s", a.status, a.raw)
	}
	// The first session is independent and still works.
	if a := e.do("GET", "/api/v1/auth/me", access, nil); a.status != 200 {
		t.Errorf("other session = %d", a.status)
	}
	// Logout ends the session: its refresh and access tokens.
	if a := e.do("POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": first.str("refresh_token")}); a.status != 204 {
		t.Fatalf("logout = %d %s", a.status, a.raw)
	}
	if a := e.do("GET", "/api/v1/auth/me", access, nil); a.status != 401 {
		t.Errorf("access token after logout = %d", a.status)
	}
	if a := e.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": first.str("refresh_token")}); a.status != 401 {
		t.Errorf("refresh after logout = %d", a.status)
	}
	if a := e.do("POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": first.str("refresh_token")}); a.status != 204 {
		t.Errorf("second logout = %d", a.status)
	}
	// Logout with only an access token ends that session.
	l2 := e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": testPassword})
	if a := e.do("POST", "/api/v1/auth/logout", l2.str("access_token"), nil); a.status != 204 {
		t.Fatalf("logout by access token = %d %s", a.status, a.raw)
	}
	if a := e.do("GET", "/api/v1/auth/me", l2.str("access_token"), nil); a.status != 401 {
		t.Errorf("access token after its logout = %d", a.status)
	}
}

func TestRegisterAndLoginFailures(t *testing.T) {
	e := newAuthEnv(t, func(c *auth.Config, _ *Config) {
		c.LoginPerAccount = auth.Limit{Rate: 0.001, Burst: 3}
		c.LoginPerAddress = auth.Limit{Rate: 0.001, Burst: 20}
	})
	e.register("ada@example.com", nil)
	cases := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"short password and bad email", map[string]any{"email": "not-an-email", "password": "short"}, 400, []string{"email", "password"}},
		{"taken email", map[string]any{"email": "ADA@example.com", "password": testPassword}, 409, nil},
		{"wrong type", `{"email": 5, "password": "x"}`, 400, []string{"email"}},
		{"unknown field", `{"email": "x@example.com", "password": "0123456789", "admin": true}`, 400, []string{"admin"}},
		{"long name", map[string]any{"email": "z@example.com", "password": testPassword, "name": strings.Repeat("n", 201)}, 400, []string{"name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do("POST", "/api/v1/auth/register", "", tc.body)
			if a.status != tc.status || a.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("= %d %s", a.status, a.raw)
			}
			var got []string
			errs, _ := a.body["errors"].([]any)
			for _, f := range errs {
				got = append(got, f.(map[string]any)["field"].(string))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.fields) && tc.fields != nil {
				t.Errorf("fields = %v, want %v (%s)", got, tc.fields, a.raw)
			}
		})
	}
	wrong := e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": "wrong password!"})
	unknown := e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "nobody@example.com", "password": "wrong password!"})
	if wrong.status != 401 || unknown.status != 401 || wrong.str("detail") != unknown.str("detail") {
		t.Errorf("wrong password %d %s / unknown email %d %s: must look the same", wrong.status, wrong.raw, unknown.status, unknown.raw)
	}
	// Per-account throttling: the burst is 3 failures; the 4th attempt, even with the right
	// password, is refused with Retry-After.
	e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": "wrong again!!"})
	e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": "wrong again!!"})
	a := e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": testPassword})
	if a.status != 429 || a.header.Get("Retry-After") == "" || a.header.Get("Retry-After") == "0" {
		t.Fatalf("throttled login = %d %s %v", a.status, a.raw, a.header)
	}
	// Another account from the same address is not locked by it.
	e.register("bob@example.com", nil)
	if a := e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "bob@example.com", "password": testPassword}); a.status != 200 {
		t.Errorf("other account = %d %s", a.status, a.raw)
	}
}

func TestLoginThrottledPerAddress(t *testing.T) {
	e := newAuthEnv(t, func(c *auth.Config, h *Config) {
		c.LoginPerAddress = auth.Limit{Rate: 0.001, Burst: 4}
	})
	e.register("ada@example.com", nil) // spends one of the address's 4
	for i := 0; i < 3; i++ {
		e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": fmt.Sprintf("u%d@example.com", i), "password": "wrong password"})
	}
	a := e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": testPassword})
	if a.status != 429 || a.header.Get("Retry-After") == "" {
		t.Fatalf("login from a throttled address = %d %s", a.status, a.raw)
	}
}

// TestLoginThrottleIsAtomic sends many wrong guesses at once: exactly the account's burst
// are checked, every other one is refused before its password is looked at.
func TestLoginThrottleIsAtomic(t *testing.T) {
	e := newAuthEnv(t, func(c *auth.Config, h *Config) {
		c.LoginPerAccount = auth.Limit{Rate: 0.001, Burst: 3}
	})
	e.register("ada@example.com", nil)
	var wg sync.WaitGroup
	statuses := make(chan int, 24)
	for i := 0; i < cap(statuses); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": "a wrong guess"}).status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[401] != 3 || count[429] != cap(statuses)-3 {
		t.Fatalf("concurrent guesses answered %v, want 3 checked (401) and the rest throttled (429)", count)
	}
}

// brokenLimiter stands for a shared limiter whose store does not answer.
type brokenLimiter struct{ auth.Limiter }

func (brokenLimiter) AllowStrict(context.Context, string, auth.Limit) (auth.Decision, error) {
	return auth.Decision{}, fmt.Errorf("connection refused")
}

func TestLoginThrottleFailsClosed(t *testing.T) {
	broken := newAuthEnv(t, func(c *auth.Config, h *Config) {
		c.Limiter = brokenLimiter{auth.NewMemoryLimiter()}
	})
	for _, path := range []string{"/api/v1/auth/login", "/api/v1/auth/register"} {
		a := broken.do("POST", path, "", map[string]any{"email": "ada@example.com", "password": testPassword})
		if a.status != 503 || a.body["type"] == nil {
			t.Errorf("%s while the limiter is down = %d %s, want a 503 problem", path, a.status, a.raw)
		}
	}
}

func TestAccessTokenRejections(t *testing.T) {
	e := newAuthEnv(t)
	s := e.register("ada@example.com", nil)
	good := s.str("access_token")
	parts := strings.Split(good, ".")
	other, _ := auth.NewTokens([]byte("another secret another secret 12"), "HS256", time.Minute)
	foreign, _, _ := other.Issue(s.body["user"].(map[string]any)["id"].(string), e.wsID, "x")
	hs512, _ := auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), "HS512", time.Minute)
	wrongAlg, _, _ := hs512.Issue(s.body["user"].(map[string]any)["id"].(string), e.wsID, "x")
	claims := decodeSegment(t, parts[1])
	claims["exp"] = float64(time.Now().Add(-time.Hour).Unix())
	expiredPayload := encodeSegment(t, claims)
	noneHeader := encodeSegment(t, map[string]any{"alg": "none", "typ": "JWT"})
	cases := map[string]string{
		"tampered payload":              parts[0] + "." + encodeSegment(t, map[string]any{"sub": "someone-else", "wid": e.wsID, "sid": claims["sid"], "iss": "agentobs", "exp": claims["exp"]}) + "." + parts[2],
		"tampered signature":            parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])),
		"alg none":                      noneHeader + "." + parts[1] + ".",
		"expired (re-signed by nobody)": parts[0] + "." + expiredPayload + "." + parts[2],
		"other secret":                  foreign,
		"other algorithm":               wrongAlg,
		"garbage":                       "a.b.c",
	}
	for name, tok := range cases {
		if a := e.do("GET", "/api/v1/auth/me", tok, nil); a.status != 401 || a.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: = %d %s", name, a.status, a.raw)
		}
	}
	// A genuinely expired token, signed with the right secret.
	expiredClaims := jwt.MapClaims{"sub": s.body["user"].(map[string]any)["id"], "wid": e.wsID, "sid": claims["sid"], "iss": "agentobs",
		"iat": time.Now().Add(-time.Hour).Unix(), "exp": time.Now().Add(-time.Minute).Unix()}
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, expiredClaims).SignedString([]byte("0123456789abcdef0123456789abcdef"))
	if a := e.do("GET", "/api/v1/auth/me", expired, nil); a.status != 401 || !strings.Contains(a.raw, "expired") {
		t.Errorf("expired = %d %s", a.status, a.raw)
	}
	if a := e.do("GET", "/api/v1/auth/me", good, nil); a.status != 200 {
		t.Errorf("good token = %d %s", a.status, a.raw)
	}
	// API keys cannot use user routes.
	if a := e.do("GET", "/api/v1/auth/me", e.key, nil); a.status != 403 {
		t.Errorf("key on /me = %d %s", a.status, a.raw)
	}
	if a := e.do("GET", "/api/v1/auth/me", "", nil); a.status != 401 {
		t.Errorf("no credentials = %d %s", a.status, a.raw)
	}
}

func decodeSegment(t *testing.T, s string) map[string]any {
	t.Helper()
	b, err := jwtEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encodeSegment(t *testing.T, v any) string {
	b, _ := json.Marshal(v)
	return jwtEncoding.EncodeToString(b)
}

func TestRefreshCookie(t *testing.T) {
	e := newAuthEnv(t)
	e.register("ada@example.com", nil)
	login := e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": testPassword, "cookie": true})
	if login.status != 200 || login.str("refresh_token") != "" || login.str("access_token") == "" {
		t.Fatalf("cookie login = %d %s", login.status, login.raw)
	}
	c := cookieOf(t, login.header)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/api/v1/auth" || !strings.HasPrefix(c.Value, auth.RefreshPrefix) {
		t.Fatalf("cookie = %+v", c)
	}
	// Refresh with the cookie alone, no body, as a browser does.
	r := e.do("POST", "/api/v1/auth/refresh", "", nil, "Cookie", RefreshCookie+"="+c.Value)
	if r.status != 200 || r.str("refresh_token") != "" {
		t.Fatalf("cookie refresh = %d %s", r.status, r.raw)
	}
	c2 := cookieOf(t, r.header)
	if c2.Value == c.Value {
		t.Fatal("cookie not rotated")
	}
	// Replaying the old cookie revokes the session and deletes the cookie.
	reuse := e.do("POST", "/api/v1/auth/refresh", "", nil, "Cookie", RefreshCookie+"="+c.Value)
	if reuse.status != 401 || cookieOf(t, reuse.header).MaxAge >= 0 {
		t.Fatalf("reuse = %d %v", reuse.status, reuse.header)
	}
	if a := e.do("POST", "/api/v1/auth/refresh", "", nil, "Cookie", RefreshCookie+"="+c2.Value); a.status != 401 {
		t.Errorf("rotated cookie after reuse = %d", a.status)
	}
	// Logout with a cookie clears it.
	l := e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": testPassword, "cookie": true})
	out := e.do("POST", "/api/v1/auth/logout", "", nil, "Cookie", RefreshCookie+"="+cookieOf(t, l.header).Value)
	if out.status != 204 || cookieOf(t, out.header).MaxAge >= 0 {
		t.Errorf("logout = %d %v", out.status, out.header)
	}
}

func cookieOf(t *testing.T, h http.Header) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == RefreshCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", RefreshCookie, h)
	return nil
}

func TestSwitchWorkspace(t *testing.T) {
	e := newAuthEnv(t)
	ada := e.register("ada@example.com", nil)
	adaToken := ada.str("access_token")
	ws2 := e.do("POST", "/api/v1/workspaces", adaToken, map[string]any{"name": "Second"})
	if ws2.status != 201 {
		t.Fatalf("create workspace = %d %s", ws2.status, ws2.raw)
	}
	list := e.do("GET", "/api/v1/workspaces", adaToken, nil)
	if len(list.body["workspaces"].([]any)) != 2 {
		t.Fatalf("workspaces = %s", list.raw)
	}
	sw := e.do("POST", "/api/v1/auth/switch", "", map[string]any{"refresh_token": ada.str("refresh_token"), "workspace_id": ws2.str("id")})
	if sw.status != 200 || sw.str("workspace_id") != ws2.str("id") || sw.str("role") != "owner" {
		t.Fatalf("switch = %d %s", sw.status, sw.raw)
	}
	// The new token reads the second workspace; the trace of the first is not there.
	e.do("POST", "/api/v1/traces", e.key, trace("in-default"))
	if a := e.do("GET", "/api/v1/traces/in-default", sw.str("access_token"), nil); a.status != 404 {
		t.Errorf("trace of the other workspace = %d", a.status)
	}
	// The session stays in the second workspace across refreshes.
	r := e.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": sw.str("refresh_token")})
	if r.str("workspace_id") != ws2.str("id") {
		t.Errorf("refresh moved the session: %s", r.raw)
	}
	// Switching to a workspace one does not belong to is "not found".
	bob := e.register("bob@example.com", map[string]any{"create_workspace": true})
	if a := e.do("POST", "/api/v1/auth/switch", "", map[string]any{"refresh_token": bob.str("refresh_token"), "workspace_id": e.wsID}); a.status != 404 {
		t.Errorf("switch into a foreign workspace = %d %s", a.status, a.raw)
	}
	if a := e.do("POST", "/api/v1/auth/switch", "", map[string]any{"refresh_token": r.str("refresh_token")}); a.status != 400 {
		t.Errorf("switch without workspace = %d %s", a.status, a.raw)
	}
}

func TestAPIKeysCreateListRevoke(t *testing.T) {
	e := newAuthEnv(t)
	owner := e.register("ada@example.com", nil).str("access_token")
	created := e.do("POST", "/api/v1/api-keys", owner, map[string]any{"name": "prod ingest", "scopes": []string{"ingest"}})
	if created.status != 201 {
		t.Fatalf("create = %d %s", created.status, created.raw)
	}
	secret := created.str("key")
	if !strings.HasPrefix(secret, "ao_") || created.str("last4") != secret[len(secret)-4:] || !strings.HasPrefix(secret, created.str("prefix")) ||
		created.str("created_by") == "" || fmt.Sprint(created.body["scopes"]) != "[ingest]" {
		t.Fatalf("created = %s", created.raw)
	}
	list := e.do("GET", "/api/v1/api-keys", owner, nil)
	if list.status != 200 || strings.Contains(list.raw, secret) || strings.Contains(list.raw, `"hash"`) || len(list.body["api_keys"].([]any)) != 2 {
		t.Fatalf("list = %d %s (the secret is shown only once; the bootstrap key is listed too)", list.status, list.raw)
	}
	// Ingest with the new key, as a bearer and as X-API-Key; its scope does not allow reading.
	if a := e.do("POST", "/api/v1/traces", secret, trace("k1")); a.status != 202 {
		t.Fatalf("ingest with key = %d %s", a.status, a.raw)
	}
	if a := e.do("POST", "/api/v1/traces", "", trace("k2"), "X-API-Key", secret); a.status != 202 {
		t.Fatalf("ingest with X-API-Key = %d %s", a.status, a.raw)
	}
	if a := e.do("GET", "/api/v1/traces/k1", secret, nil); a.status != 403 || !strings.Contains(a.raw, "read") {
		t.Errorf("read with ingest-only key = %d %s", a.status, a.raw)
	}
	readKey, _ := e.createKey(owner, model.ScopeRead)
	if a := e.do("GET", "/api/v1/traces/k1", readKey, nil); a.status != 200 {
		t.Errorf("read with read key = %d %s", a.status, a.raw)
	}
	if a := e.do("POST", "/api/v1/traces", readKey, trace("k3")); a.status != 403 {
		t.Errorf("ingest with read-only key = %d %s", a.status, a.raw)
	}
	// Revocation takes effect at once although the key is cached.
	if a := e.do("DELETE", "/api/v1/api-keys/"+created.str("id"), owner, nil); a.status != 200 || a.str("revoked_at") == "" {
		t.Fatalf("revoke = %d %s", a.status, a.raw)
	}
	if a := e.do("POST", "/api/v1/traces", secret, trace("k4")); a.status != 401 {
		t.Fatalf("ingest with revoked key = %d %s", a.status, a.raw)
	}
	if a := e.do("DELETE", "/api/v1/api-keys/"+created.str("id"), owner, nil); a.status != 200 {
		t.Errorf("revoking twice = %d %s", a.status, a.raw)
	}
	if a := e.do("DELETE", "/api/v1/api-keys/nope", owner, nil); a.status != 404 {
		t.Errorf("unknown key = %d", a.status)
	}
	// Validation, with field paths.
	bad := e.do("POST", "/api/v1/api-keys", owner, map[string]any{"name": "", "scopes": []string{"ingest", "admin"}, "expires_at": "2020-01-01T00:00:00Z"})
	if bad.status != 400 || !strings.Contains(bad.raw, `"field":"scopes[1]"`) || !strings.Contains(bad.raw, `"field":"name"`) || !strings.Contains(bad.raw, `"field":"expires_at"`) {
		t.Errorf("invalid key = %d %s", bad.status, bad.raw)
	}
	// An expiring key stops working at its expiry.
	expiry := time.Now().Add(2500 * time.Millisecond)
	exp := e.do("POST", "/api/v1/api-keys", owner, map[string]any{"name": "short-lived", "expires_at": expiry.UTC().Format(time.RFC3339Nano)})
	if a := e.do("GET", "/api/v1/agents", exp.str("key"), nil); a.status != 200 {
		t.Fatalf("fresh expiring key = %d %s", a.status, a.raw)
	}
	time.Sleep(time.Until(expiry) + 100*time.Millisecond)
	if a := e.do("GET", "/api/v1/agents", exp.str("key"), nil); a.status != 401 || !strings.Contains(a.raw, "expired") {
		t.Errorf("expired key = %d %s", a.status, a.raw)
	}
	// Last use is recorded.
	if err := e.svc.FlushKeyUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, k := range e.do("GET", "/api/v1/api-keys", owner, nil).body["api_keys"].([]any) {
		if m := k.(map[string]any); m["name"] == "prod ingest" && m["last_used_at"] == nil {
			t.Errorf("last_used_at not recorded: %v", m)
		}
	}
}

func TestMembersManageOnlyTheirOwnKeys(t *testing.T) {
	e := newAuthEnv(t)
	owner := e.register("ada@example.com", nil).str("access_token")
	member := e.member(owner, "mia@example.com", model.RoleMember)
	viewer := e.member(owner, "vic@example.com", model.RoleViewer)
	_, ownerKeyID := e.createKey(owner, model.ScopeIngest)
	memberKey, memberKeyID := e.createKey(member, model.ScopeIngest)
	if a := e.do("POST", "/api/v1/traces", memberKey, trace("m1")); a.status != 202 {
		t.Fatalf("member's key = %d", a.status)
	}
	list := e.do("GET", "/api/v1/api-keys", member, nil)
	if keys := list.body["api_keys"].([]any); len(keys) != 1 || keys[0].(map[string]any)["id"] != memberKeyID {
		t.Errorf("member sees = %s", list.raw)
	}
	if a := e.do("DELETE", "/api/v1/api-keys/"+ownerKeyID, member, nil); a.status != 404 {
		t.Errorf("member revokes the owner's key = %d", a.status)
	}
	if a := e.do("POST", "/api/v1/api-keys", viewer, map[string]any{"name": "v"}); a.status != 403 {
		t.Errorf("viewer creates a key = %d", a.status)
	}
	if a := e.do("DELETE", "/api/v1/api-keys/"+memberKeyID, owner, nil); a.status != 200 {
		t.Errorf("owner revokes the member's key = %d", a.status)
	}
}

func TestTeamRoles(t *testing.T) {
	e := newAuthEnv(t)
	ada := e.register("ada@example.com", nil)
	owner := ada.str("access_token")
	adaID := ada.body["user"].(map[string]any)["id"].(string)
	admin := e.member(owner, "adam@example.com", model.RoleAdmin)
	e.register("mia@example.com", nil)
	// An existing user is added at once.
	inv := e.do("POST", "/api/v1/team/invite", admin, map[string]any{"email": "mia@example.com", "role": "member"})
	if inv.status != 201 || inv.body["member"] == nil {
		t.Fatalf("invite existing = %d %s", inv.status, inv.raw)
	}
	miaID := inv.body["member"].(map[string]any)["user_id"].(string)
	if a := e.do("POST", "/api/v1/team/invite", admin, map[string]any{"email": "x@example.com", "role": "owner"}); a.status != 403 {
		t.Errorf("admin makes an owner = %d %s", a.status, a.raw)
	}
	if a := e.do("PUT", "/api/v1/team/members/"+adaID+"/role", admin, map[string]any{"role": "viewer"}); a.status != 403 {
		t.Errorf("admin demotes the owner = %d %s", a.status, a.raw)
	}
	if a := e.do("PUT", "/api/v1/team/members/"+adaID+"/role", owner, map[string]any{"role": "admin"}); a.status != 409 {
		t.Errorf("last owner steps down = %d %s", a.status, a.raw)
	}
	if a := e.do("PUT", "/api/v1/team/members/"+miaID+"/role", admin, map[string]any{"role": "boss"}); a.status != 400 || !strings.Contains(a.raw, `"field":"role"`) {
		t.Errorf("bad role = %d %s", a.status, a.raw)
	}
	// A role change applies to the member's next request.
	mia := e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "mia@example.com", "password": testPassword, "workspace_id": e.wsID}).str("access_token")
	if a := e.do("POST", "/api/v1/api-keys", mia, map[string]any{"name": "m"}); a.status != 201 {
		t.Fatalf("member creates key = %d %s", a.status, a.raw)
	}
	if a := e.do("PUT", "/api/v1/team/members/"+miaID+"/role", admin, map[string]any{"role": "viewer"}); a.status != 200 {
		t.Fatalf("demote = %d %s", a.status, a.raw)
	}
	if a := e.do("POST", "/api/v1/api-keys", mia, map[string]any{"name": "m"}); a.status != 403 {
		t.Errorf("demoted viewer creates key = %d %s", a.status, a.raw)
	}
	team := e.do("GET", "/api/v1/team/members", owner, nil)
	if len(team.body["members"].([]any)) != 3 {
		t.Errorf("team = %s", team.raw)
	}
	// Removal takes effect at once.
	if a := e.do("DELETE", "/api/v1/team/members/"+miaID, admin, nil); a.status != 204 {
		t.Fatalf("remove = %d %s", a.status, a.raw)
	}
	if a := e.do("GET", "/api/v1/workspace", mia, nil); a.status != 403 {
		t.Errorf("removed member reads = %d %s", a.status, a.raw)
	}
	// Invites for new emails become memberships on registration; they can be cancelled.
	e.do("POST", "/api/v1/team/invite", owner, map[string]any{"email": "Later@Example.com", "role": "viewer"})
	e.do("POST", "/api/v1/team/invite", owner, map[string]any{"email": "never@example.com", "role": "viewer"})
	if a := e.do("DELETE", "/api/v1/team/invites/never@example.com", owner, nil); a.status != 204 {
		t.Errorf("cancel invite = %d %s", a.status, a.raw)
	}
	if later := e.register("later@example.com", nil); later.str("workspace_id") != e.wsID || later.str("role") != "viewer" {
		t.Errorf("invited registration = %s", later.raw)
	}
	if e.register("never@example.com", nil).str("workspace_id") != "" {
		t.Errorf("cancelled invite still applied")
	}
}

func TestRequestLogAndGatewayHeaders(t *testing.T) {
	e := newAuthEnv(t, func(_ *auth.Config, h *Config) { h.CORSOrigins = []string{"https://app.example.com"} })
	a := e.do("POST", "/api/v1/auth/register", "", map[string]any{"email": "ada@example.com", "password": testPassword, "setup_key": testSetupKey}, "X-Request-Id", "req-123")
	if a.header.Get("X-Request-Id") != "req-123" {
		t.Errorf("request id not propagated: %v", a.header)
	}
	e.do("GET", "/api/v1/traces/nope", e.key, nil, "X-Request-Id", "req-456")
	logs := e.log.String()
	var line string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "request_id=req-456") {
			line = l
		}
	}
	if !strings.Contains(line, `route="GET /api/v1/traces/{trace_id}"`) || !strings.Contains(line, "workspace="+e.wsID) ||
		!strings.Contains(line, "status=404") || !strings.Contains(line, "duration_ms=") || !strings.Contains(line, "method=GET") {
		t.Errorf("log line = %q", line)
	}
	if strings.Contains(logs, e.key) || strings.Contains(logs, testPassword) || strings.Contains(logs, a.str("access_token")) {
		t.Errorf("secrets in the request log:\n%s", logs)
	}
	h := e.do("GET", "/health", "", nil)
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if h.header.Get(k) != v {
			t.Errorf("%s = %q", k, h.header.Get(k))
		}
	}
	if h.status != 200 {
		t.Errorf("/health = %d", h.status)
	}
	pre := e.do("OPTIONS", "/api/v1/traces", "", nil, "Origin", "https://app.example.com", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "authorization, content-type")
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		pre.header.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight = %d %v", pre.status, pre.header)
	}
	evil := e.do("OPTIONS", "/api/v1/traces", "", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	if evil.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign origin allowed: %v", evil.header)
	}
	get := e.do("GET", "/api/v1/traces/nope", e.key, nil, "Origin", "https://app.example.com")
	if get.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || !strings.Contains(get.header.Get("Access-Control-Expose-Headers"), "RateLimit-Remaining") {
		t.Errorf("CORS on a simple request: %v", get.header)
	}
}

func TestInviteOnlyRegistration(t *testing.T) {
	e := newAuthEnv(t, func(c *auth.Config, _ *Config) { c.Registration = auth.RegistrationInvite })
	owner := e.register("ada@example.com", nil).str("access_token") // the first user may always
	if a := e.do("POST", "/api/v1/auth/register", "", map[string]any{"email": "eve@example.com", "password": testPassword}); a.status != 403 {
		t.Errorf("uninvited registration = %d %s", a.status, a.raw)
	}
	e.do("POST", "/api/v1/team/invite", owner, map[string]any{"email": "bob@example.com", "role": "member"})
	if s := e.register("bob@example.com", nil); s.str("role") != "member" {
		t.Errorf("invited registration = %s", s.raw)
	}
}

func TestClientAddress(t *testing.T) {
	a := &API{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}}
	for _, tc := range []struct{ remote, xff, want string }{
		{"203.0.113.9:1234", "198.51.100.1", "203.0.113.9"},         // untrusted peer: its header is ignored
		{"10.0.0.2:1234", "198.51.100.1, 10.0.0.7", "198.51.100.1"}, // the last address that is not a proxy
		{"10.0.0.2:1234", "6.6.6.6, 198.51.100.1", "198.51.100.1"},  // a client cannot push a fake address in front
		{"10.0.0.2:1234", "", "10.0.0.2"},                           // no header
		{"10.0.0.2:1234", "junk", "10.0.0.2"},                       // unparsable header
		{"[::1]:80", "2001:db8::1", "2001:db8::1"},
	} {
		r := httptest.NewRequest("POST", "/api/v1/auth/login", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := a.clientAddr(r); got != tc.want {
			t.Errorf("clientAddr(%s, %q) = %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

// TestAccountAnswersMatchOpenAPI checks the answers of the account routes against their
// schemas in openapi.json.
func TestAccountAnswersMatchOpenAPI(t *testing.T) {
	e := newAuthEnv(t)
	doc := loadOpenAPI(t)
	check := func(method, pattern string, a answer, want int) answer {
		t.Helper()
		if a.status != want {
			t.Fatalf("%s %s = %d %s", method, pattern, a.status, a.raw)
		}
		validateAnswer(t, doc, method, pattern, a.status, a.header.Get("Content-Type"), []byte(a.raw))
		return a
	}
	reg := check("POST", "/api/v1/auth/register", e.do("POST", "/api/v1/auth/register", "", map[string]any{"email": "ada@example.com", "password": testPassword, "setup_key": testSetupKey}), 201)
	tok := reg.str("access_token")
	check("POST", "/api/v1/auth/login", e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": testPassword, "cookie": true}), 200)
	ref := check("POST", "/api/v1/auth/refresh", e.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": reg.str("refresh_token")}), 200)
	check("GET", "/api/v1/auth/me", e.do("GET", "/api/v1/auth/me", tok, nil), 200)
	ws := check("POST", "/api/v1/workspaces", e.do("POST", "/api/v1/workspaces", tok, map[string]any{"name": "Second"}), 201)
	check("GET", "/api/v1/workspaces", e.do("GET", "/api/v1/workspaces", tok, nil), 200)
	check("POST", "/api/v1/auth/switch", e.do("POST", "/api/v1/auth/switch", "", map[string]any{"refresh_token": ref.str("refresh_token"), "workspace_id": ws.str("id")}), 200)
	check("GET", "/api/v1/workspace", e.do("GET", "/api/v1/workspace", tok, nil), 200)
	check("PUT", "/api/v1/workspace", e.do("PUT", "/api/v1/workspace", tok, map[string]any{"rate_limits": map[string]any{"key_rate": 5, "key_burst": 10}}), 200)
	key := check("POST", "/api/v1/api-keys", e.do("POST", "/api/v1/api-keys", tok, map[string]any{"name": "k", "expires_at": time.Now().Add(time.Hour)}), 201)
	check("GET", "/api/v1/api-keys", e.do("GET", "/api/v1/api-keys", tok, nil), 200)
	check("DELETE", "/api/v1/api-keys/{id}", e.do("DELETE", "/api/v1/api-keys/"+key.str("id"), tok, nil), 200)
	e.register("bob@example.com", nil)
	added := check("POST", "/api/v1/team/invite", e.do("POST", "/api/v1/team/invite", tok, map[string]any{"email": "bob@example.com", "role": "viewer"}), 201)
	check("POST", "/api/v1/team/invite", e.do("POST", "/api/v1/team/invite", tok, map[string]any{"email": "new@example.com", "role": "member"}), 201)
	check("GET", "/api/v1/team/members", e.do("GET", "/api/v1/team/members", tok, nil), 200)
	bob := added.body["member"].(map[string]any)["user_id"].(string)
	check("PUT", "/api/v1/team/members/{user_id}/role", e.do("PUT", "/api/v1/team/members/"+bob+"/role", tok, map[string]any{"role": "member"}), 200)
	check("POST", "/api/v1/auth/login", e.do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ada@example.com", "password": "wrong password"}), 401)
}
