package alert

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/agentobs/agentobs/internal/model"
)

// validate checks v against the subset of JSON Schema the PagerDuty schema uses.
func validate(schema map[string]any, v any, at string) []string {
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, at+": "+fmt.Sprintf(f, a...)) }
	if c, ok := schema["const"]; ok && !reflect.DeepEqual(c, v) {
		return []string{at + ": not the constant"}
	}
	switch schema["type"] {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			fail("want an object")
			return errs
		}
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asList(schema["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				fail("missing %s", r)
			}
		}
		for k, val := range obj {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if schema["additionalProperties"] == false {
					fail("unknown property %s", k)
				}
				continue
			}
			errs = append(errs, validate(ps, val, at+"."+k)...)
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			fail("want a string")
			return errs
		}
		if n, ok := schema["maxLength"].(float64); ok && len([]rune(s)) > int(n) {
			fail("longer than %v", n)
		}
		if n, ok := schema["minLength"].(float64); ok && len([]rune(s)) < int(n) {
			fail("shorter than %v", n)
		}
		if schema["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				fail("not a date-time")
			}
		}
		if enum := asList(schema["enum"]); enum != nil && !containsAny(enum, s) {
			fail("%q not in %v", s, enum)
		}
	case "array":
		if _, ok := v.([]any); !ok {
			fail("want an array")
		}
	}
	if cond, ok := schema["if"].(map[string]any); ok {
		cond["type"] = "object"
		branch := "else"
		if len(validate(cond, v, at)) == 0 {
			branch = "then"
		}
		if b, ok := schema[branch].(map[string]any); ok {
			b["type"] = "object"
			errs = append(errs, validate(b, v, at)...)
		}
	}
	return errs
}

func asList(v any) []any { l, _ := v.([]any); return l }

func containsAny(l []any, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestPagerDutyLifecycle: one dedup_key per episode, trigger after group_wait,
// acknowledge when acknowledged, resolve when resolved; every body valid against the
// Events v2 schema.
func TestPagerDutyLifecycle(t *testing.T) {
	raw, err := os.ReadFile("testdata/pagerduty-events-v2.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	pd := newReceiver(t)
	h.channel("pagerduty", ChannelConfig{RoutingKey: strings.Repeat("k", 32), URL: pd.URL})
	putRule(t, h.s, model.AlertRule{Name: "volume", Metric: "request_count", Operator: ">", Threshold: 5,
		Window: model.Duration(10 * time.Minute), Channels: []string{"pagerduty"}, GroupBy: "agent"})
	load(t, h.s, "a", t0.Add(-time.Minute), time.Second, 10, 0, 100)
	h.round()
	if len(pd.got()) != 0 {
		t.Fatal("triggered before group_wait")
	}
	h.clk.Add(30 * time.Second)
	h.round()
	h.clk.Add(time.Minute)
	h.round() // nothing new: no second trigger
	active, _ := h.s.QueryAlerts(context.Background(), ws, "active", 10)
	if len(active) != 1 {
		t.Fatalf("active = %+v", active)
	}
	a := active[0]
	now := h.clk.Now()
	a.Status, a.AcknowledgedAt = model.StateAcknowledged, &now
	if err := h.s.PutAlert(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	h.round()
	h.clk.Set(t0.Add(20 * time.Minute)) // the window empties: resolved
	h.round()
	h.clk.Add(time.Minute)
	h.round()
	bodies := pd.got()
	var actions []string
	for _, b := range bodies {
		var v map[string]any
		if err := json.Unmarshal([]byte(b), &v); err != nil {
			t.Fatal(err)
		}
		for _, e := range validate(schema, v, "event") {
			t.Errorf("%s in %s", e, b)
		}
		actions = append(actions, v["event_action"].(string))
		if v["dedup_key"] != a.ID {
			t.Errorf("dedup_key %v, want the episode id %s", v["dedup_key"], a.ID)
		}
	}
	if strings.Join(actions, ",") != "trigger,acknowledge,resolve" {
		t.Errorf("actions = %v", actions)
	}
	// The validator itself rejects what PagerDuty would.
	bad := map[string]any{"routing_key": "short", "event_action": "trigger", "payload": map[string]any{"summary": "x", "severity": "fatal"}}
	if errs := validate(schema, bad, "event"); len(errs) < 3 {
		t.Errorf("validator accepted a bad event: %v", errs)
	}
}

// mailbox is an in-process SMTP server that needs STARTTLS and AUTH PLAIN.
type mailbox struct {
	mu   sync.Mutex
	msgs []string
	from []string
	to   [][]string
}

type mailSession struct {
	mb     *mailbox
	authed bool
	from   string
	to     []string
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != "alerts" || pass != "hunter2" {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	s.mb.msgs = append(s.mb.msgs, string(b))
	s.mb.from = append(s.mb.from, s.from)
	s.mb.to = append(s.mb.to, s.to)
	s.mb.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestEmailOverSMTP delivers FIRING then RESOLVED through STARTTLS and AUTH.
func TestEmailOverSMTP(t *testing.T) {
	cert, pool := selfSigned(t)
	mb := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &mailSession{mb: mb}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port

	h := newHarness(t)
	h.n.senders.SMTPTLS = &tls.Config{RootCAs: pool}
	h.channel("email", ChannelConfig{Host: "localhost", Port: port, Username: "alerts", Password: "hunter2",
		From: "agentobs@example.com", To: []string{"oncall@example.com", "lead@example.com"}})
	putRule(t, h.s, model.AlertRule{Name: "Error spike", Metric: "request_count", Operator: ">", Threshold: 5,
		Window: model.Duration(10 * time.Minute), Channels: []string{"email"}, GroupWait: model.Duration(time.Second),
		GroupInterval: model.Duration(time.Minute)})
	load(t, h.s, "a", t0.Add(-time.Minute), time.Second, 10, 0, 100)
	h.round()
	h.clk.Add(time.Second)
	h.round()
	h.clk.Set(t0.Add(20 * time.Minute))
	h.round()
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if len(mb.msgs) != 2 {
		ns, _ := h.s.ListNotifications(context.Background(), ws, "")
		t.Fatalf("%d mails; notifications %+v", len(mb.msgs), ns)
	}
	if !strings.Contains(mb.msgs[0], "Subject: [FIRING:1] Error spike") || !strings.Contains(mb.msgs[1], "Subject: [RESOLVED] Error spike") {
		t.Errorf("subjects:\n%s\n---\n%s", mb.msgs[0], mb.msgs[1])
	}
	if mb.from[0] != "agentobs@example.com" || len(mb.to[0]) != 2 {
		t.Errorf("envelope %v %v", mb.from, mb.to)
	}

	// A server without STARTTLS is refused for good: credentials never cross in clear.
	plain := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &mailSession{mb: &mailbox{}}, nil }))
	plain.Domain = "localhost"
	pl, _ := net.Listen("tcp", "127.0.0.1:0")
	go plain.Serve(pl)
	t.Cleanup(func() { plain.Close() })
	err = (&Senders{HTTP: http.DefaultClient, Now: time.Now}).Send(context.Background(), "email",
		ChannelConfig{Host: "127.0.0.1", Port: pl.Addr().(*net.TCPAddr).Port, TLS: "starttls", From: "a@b.c", To: []string{"d@e.f"}},
		"id", &Message{RuleName: "x"})
	var se *SendError
	if !errors.As(err, &se) || !se.Permanent || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("no STARTTLS: %v", err)
	}
}
