package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// Message is what a notification says: a group's firing and newly resolved alerts, or one
// alert's PagerDuty event.
type Message struct {
	Status   string        `json:"status"` // firing | resolved
	RuleID   string        `json:"rule_id"`
	RuleName string        `json:"rule_name"`
	Severity string        `json:"severity"`
	Firing   []model.Alert `json:"firing"`
	Resolved []model.Alert `json:"resolved"`
	// PagerDuty only: trigger | acknowledge | resolve, of the episode DedupKey.
	EventAction string `json:"event_action,omitempty"`
	DedupKey    string `json:"dedup_key,omitempty"`
	// Repeat marks a reminder of unchanged firing alerts.
	Repeat bool      `json:"repeat,omitempty"`
	SentAt time.Time `json:"-"`
}

// Summary is one line for subjects and fallbacks.
func (m *Message) Summary() string {
	switch {
	case m.EventAction != "":
		var a model.Alert
		if len(m.Firing) > 0 {
			a = m.Firing[0]
		} else if len(m.Resolved) > 0 {
			a = m.Resolved[0]
		}
		return "[" + strings.ToUpper(m.EventAction) + "] " + a.Title + ": " + a.Description
	case len(m.Firing) > 0:
		return fmt.Sprintf("[FIRING:%d] %s", len(m.Firing), m.RuleName)
	}
	return fmt.Sprintf("[RESOLVED] %s", m.RuleName)
}

func (m *Message) body() string {
	var b strings.Builder
	for _, a := range m.Firing {
		fmt.Fprintf(&b, "FIRING %s (%s): %s, since %s\n", a.Title, a.Severity, a.Description, a.TriggeredAt.Format(time.RFC3339))
	}
	for _, a := range m.Resolved {
		fmt.Fprintf(&b, "RESOLVED %s: %s\n", a.Title, a.Description)
	}
	return b.String()
}

// SendError says whether a failed delivery may succeed later.
type SendError struct {
	Permanent  bool
	RetryAfter time.Duration
	Err        error
}

func (e *SendError) Error() string { return e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// Senders deliver messages to the channels.
type Senders struct {
	HTTP *http.Client
	// SMTPTLS configures TLS to mail servers (tests trust their own CA); nil: system roots.
	SMTPTLS *tls.Config
	Now     func() time.Time
}

// Send delivers m over channel typ configured by c; id identifies the delivery for
// receivers that deduplicate.
func (s *Senders) Send(ctx context.Context, typ string, c ChannelConfig, id string, m *Message) error {
	switch typ {
	case "webhook":
		body, _ := json.Marshal(m)
		ts := strconv.FormatInt(s.Now().Unix(), 10)
		h := map[string]string{"X-Agentobs-Delivery": id, "X-Agentobs-Timestamp": ts}
		if c.Secret != "" {
			h["X-Agentobs-Signature"] = "sha256=" + Sign(c.Secret, ts, body)
		}
		return s.post(ctx, c.URL, body, h)
	case "slack":
		body, _ := json.Marshal(slackMessage(m))
		return s.post(ctx, c.WebhookURL, body, nil)
	case "pagerduty":
		u := c.URL
		if u == "" {
			u = PagerDutyEventsURL
		}
		body, _ := json.Marshal(PagerDutyEvent(c.RoutingKey, m))
		return s.post(ctx, u, body, nil)
	case "email":
		return s.Mail(ctx, c, id, m.Summary(), m.body())
	case "sentry":
		return s.sentry(ctx, c, id, m)
	}
	return &SendError{Permanent: true, Err: fmt.Errorf("unknown channel %q", typ)}
}

// Sign is the webhook signature: hex HMAC-SHA256 of "timestamp.body" keyed by the secret.
// Receivers recompute it and reject old timestamps to stop replays.
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func (s *Senders) post(ctx context.Context, url string, body []byte, headers map[string]string) error {
	return s.postAs(ctx, url, "application/json", body, headers)
}

func (s *Senders) postAs(ctx context.Context, url, contentType string, body []byte, headers map[string]string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return &SendError{Permanent: true, Err: err}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "agentobs-alerts")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return &SendError{Err: fmt.Errorf("cannot reach %s: %w", req.URL.Host, err)}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 300 {
		return nil
	}
	e := &SendError{Err: fmt.Errorf("%s answered %d: %s", req.URL.Host, resp.StatusCode, strings.TrimSpace(string(snippet)))}
	if resp.StatusCode == http.StatusTooManyRequests {
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
	} else if resp.StatusCode < 500 {
		e.Permanent = true
	}
	return e
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type string     `json:"type"`
	Text *slackText `json:"text,omitempty"`
}

// slackMessage renders Block Kit with a text fallback for notifications and old clients.
func slackMessage(m *Message) map[string]any {
	blocks := []slackBlock{{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(m.Summary(), 150)}}}
	for _, a := range m.Firing {
		blocks = append(blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn",
			Text: truncate(fmt.Sprintf(":rotating_light: *%s* (%s)\n%s", a.Title, a.Severity, a.Description), 3000)}})
	}
	for _, a := range m.Resolved {
		blocks = append(blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn",
			Text: truncate(fmt.Sprintf(":white_check_mark: *%s* resolved\n%s", a.Title, a.Description), 3000)}})
	}
	if len(blocks) > 50 {
		blocks = append(blocks[:49], slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: "…and more"}})
	}
	return map[string]any{"text": m.Summary() + "\n" + m.body(), "blocks": blocks}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// PagerDutyEvent renders an Events API v2 event.
func PagerDutyEvent(routingKey string, m *Message) map[string]any {
	ev := map[string]any{"routing_key": routingKey, "event_action": m.EventAction, "dedup_key": m.DedupKey}
	if m.EventAction != "trigger" || len(m.Firing) == 0 {
		return ev
	}
	a := m.Firing[0]
	sev := map[string]string{"critical": "critical", "warning": "warning", "info": "info"}[a.Severity]
	if sev == "" {
		sev = "error"
	}
	source := "agentobs"
	if a.AgentID != "" {
		source = a.AgentID
	}
	ev["payload"] = map[string]any{
		"summary": truncate(a.Title+": "+a.Description, 1024), "source": source, "severity": sev,
		"timestamp": a.TriggeredAt.UTC().Format(time.RFC3339), "component": a.Labels["model"], "group": m.RuleName,
		"class": a.Labels["metric"], "custom_details": map[string]any{"value": a.Value, "threshold": a.Threshold, "labels": a.Labels},
	}
	ev["client"] = "agentobs"
	return ev
}

// Mail sends a plain-text message from c.From to c.To over SMTP: STARTTLS when asked
// (required then), AUTH when a username is set. id makes the Message-ID.
func (s *Senders) Mail(ctx context.Context, c ChannelConfig, id, subject, body string) error {
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	tlsConf := &tls.Config{ServerName: c.Host}
	if s.SMTPTLS != nil {
		tlsConf = s.SMTPTLS.Clone()
		tlsConf.ServerName = c.Host
	}
	d := net.Dialer{Timeout: 15 * time.Second}
	var conn net.Conn
	var err error
	if c.TLS == "tls" {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsConf}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return &SendError{Err: fmt.Errorf("cannot reach mail server %s: %w", addr, err)}
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(time.Minute))
	}
	cl, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		conn.Close()
		return &SendError{Err: fmt.Errorf("mail server %s: %w", addr, err)}
	}
	defer cl.Close()
	if c.TLS == "starttls" {
		if ok, _ := cl.Extension("STARTTLS"); !ok {
			return &SendError{Permanent: true, Err: fmt.Errorf("mail server %s does not offer STARTTLS", addr)}
		}
		if err := cl.StartTLS(tlsConf); err != nil {
			return &SendError{Err: fmt.Errorf("STARTTLS with %s: %w", addr, err)}
		}
	}
	if c.Username != "" {
		if err := cl.Auth(smtp.PlainAuth("", c.Username, c.Password, c.Host)); err != nil {
			return smtpError("authentication", err)
		}
	}
	if err := cl.Mail(c.From); err != nil {
		return smtpError("MAIL FROM", err)
	}
	for _, to := range c.To {
		if err := cl.Rcpt(to); err != nil {
			return smtpError("RCPT TO "+to, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@agentobs>\r\nDate: %s\r\n",
		c.From, strings.Join(c.To, ", "), headerSafe(subject), strings.ReplaceAll(id, "/", "."), s.Now().UTC().Format(time.RFC1123Z))
	msg.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	msg.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	if _, err := io.WriteString(w, msg.String()); err != nil {
		return &SendError{Err: err}
	}
	if err := w.Close(); err != nil {
		return smtpError("message", err)
	}
	return cl.Quit()
}

func headerSafe(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// smtpError makes 5xx replies permanent, everything else retryable.
func smtpError(step string, err error) error {
	var te interface{ Temporary() bool }
	permanent := strings.HasPrefix(err.Error(), "5")
	if errors.As(err, &te) && te.Temporary() {
		permanent = false
	}
	return &SendError{Permanent: permanent, Err: fmt.Errorf("mail %s: %w", step, err)}
}

// sentry sends m as one event of the DSN's project, in an envelope. The event id derives
// from the delivery id, so a retried delivery is one event in Sentry.
func (s *Senders) sentry(ctx context.Context, c ChannelConfig, id string, m *Message) error {
	dsn, err := ParseDSN(c.DSN)
	if err != nil {
		return &SendError{Permanent: true, Err: err}
	}
	sum := sha256.Sum256([]byte(id))
	eventID := hex.EncodeToString(sum[:16])
	level := map[string]string{"critical": "error", "warning": "warning", "info": "info"}[m.Severity]
	if level == "" {
		level = "error"
	}
	if m.Status == "resolved" {
		level = "info"
	}
	now := s.Now().UTC()
	event := map[string]any{
		"event_id": eventID, "timestamp": now.Format(time.RFC3339Nano), "platform": "other", "level": level, "logger": "agentobs.alerts",
		"message":     map[string]string{"formatted": truncate(m.Summary()+"\n"+m.body(), 8000)},
		"fingerprint": []string{"agentobs", m.RuleID, m.Status},
		"tags":        map[string]string{"rule_id": m.RuleID, "status": m.Status, "severity": m.Severity},
		"extra":       map[string]any{"firing": m.Firing, "resolved": m.Resolved},
	}
	head, _ := json.Marshal(map[string]any{"event_id": eventID, "dsn": dsn.Raw, "sent_at": now.Format(time.RFC3339Nano)})
	body, _ := json.Marshal(event)
	item, _ := json.Marshal(map[string]any{"type": "event", "length": len(body), "content_type": "application/json"})
	envelope := bytes.Join([][]byte{head, item, body}, []byte("\n"))
	auth := "Sentry sentry_version=7, sentry_client=agentobs-alerts/1, sentry_key=" + dsn.PublicKey
	return s.postAs(ctx, dsn.Endpoint, "application/x-sentry-envelope", envelope, map[string]string{"X-Sentry-Auth": auth})
}
