package alert

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/agentobs/agentobs/internal/model"
)

// ChannelConfig is a notification channel's settings, as PUT /api/v1/integrations/{type}
// takes them. Which fields apply depends on the type; secrets are never returned.
type ChannelConfig struct {
	// webhook: URL receives the JSON; Secret keys the HMAC-SHA256 signature header.
	URL    string `json:"url,omitempty"`
	Secret string `json:"secret,omitempty"`
	// slack: an incoming-webhook URL (a secret: it lets anyone post).
	WebhookURL string `json:"webhook_url,omitempty"`
	// pagerduty: the Events API v2 integration key; URL overrides the events endpoint.
	RoutingKey string `json:"routing_key,omitempty"`
	// email over SMTP.
	Host     string   `json:"host,omitempty"`
	Port     int      `json:"port,omitempty"`
	Username string   `json:"username,omitempty"`
	Password string   `json:"password,omitempty"`
	From     string   `json:"from,omitempty"`
	To       []string `json:"to,omitempty"`
	// TLS says how SMTP is secured: "starttls" (default, required), "none" (plain, only
	// sensible on loopback) or "tls" (implicit TLS, port 465).
	TLS string `json:"tls,omitempty"`
	// sentry: a project's DSN; alerts become Sentry events of that project.
	DSN string `json:"dsn,omitempty"`
}

// PagerDutyEventsURL is the Events API v2 endpoint.
const PagerDutyEventsURL = "https://events.pagerduty.com/v2/enqueue"

func httpURL(fe *model.FieldErrors, field, v string, required bool) {
	if v == "" {
		if required {
			fe.Add(model.Path{field}, "is required")
		}
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fe.Add(model.Path{field}, "must be an http or https URL")
	}
}

// Validate checks the settings of channel typ.
func (c *ChannelConfig) Validate(typ string) error {
	var fe model.FieldErrors
	unused := func(field string, set bool) {
		if set {
			fe.Add(model.Path{field}, "does not apply to %s", typ)
		}
	}
	switch typ {
	case "webhook":
		httpURL(&fe, "url", c.URL, true)
		unused("webhook_url", c.WebhookURL != "")
		unused("routing_key", c.RoutingKey != "")
	case "slack":
		httpURL(&fe, "webhook_url", c.WebhookURL, true)
		unused("url", c.URL != "")
		unused("routing_key", c.RoutingKey != "")
	case "pagerduty":
		if len(c.RoutingKey) != 32 {
			fe.Add(model.Path{"routing_key"}, "must be the 32-character integration key")
		}
		httpURL(&fe, "url", c.URL, false)
	case "email":
		if c.Host == "" {
			fe.Add(model.Path{"host"}, "is required")
		}
		if c.Port == 0 {
			c.Port = 587
		}
		if c.Port < 1 || c.Port > 65535 {
			fe.Add(model.Path{"port"}, "must be a TCP port")
		}
		if _, err := mail.ParseAddress(c.From); err != nil {
			fe.Add(model.Path{"from"}, "must be an email address")
		}
		if len(c.To) == 0 {
			fe.Add(model.Path{"to"}, "needs at least one address")
		}
		for i, to := range c.To {
			if _, err := mail.ParseAddress(to); err != nil || strings.ContainsAny(to, "\r\n") {
				fe.Add(model.Path{"to", i}, "must be an email address")
			}
		}
		if c.TLS == "" {
			c.TLS = "starttls"
		}
		if c.TLS != "starttls" && c.TLS != "none" && c.TLS != "tls" {
			fe.Add(model.Path{"tls"}, "must be starttls, tls or none")
		}
	case "sentry":
		if _, err := ParseDSN(c.DSN); err != nil {
			fe.Add(model.Path{"dsn"}, "%s", err.Error())
		}
		unused("url", c.URL != "")
		unused("webhook_url", c.WebhookURL != "")
		unused("routing_key", c.RoutingKey != "")
	default:
		return model.Errorf(model.ENOTFOUND, "unknown integration type %q (known: %s)", typ, strings.Join(model.IntegrationTypes, ", "))
	}
	return fe.Err("invalid " + typ + " settings")
}

// Public is the configuration without its secrets, for the API.
func (c ChannelConfig) Public() ChannelConfig {
	mask := func(s *string) {
		if *s != "" {
			*s = "********"
		}
	}
	mask(&c.Secret)
	mask(&c.WebhookURL)
	mask(&c.RoutingKey)
	mask(&c.Password)
	mask(&c.DSN)
	return c
}

// SentryDSN is a parsed Sentry DSN: where events go and the key that authorises them.
type SentryDSN struct {
	Endpoint  string // the project's envelope endpoint
	PublicKey string
	Raw       string
}

// ParseDSN reads a DSN of the form https://<public key>@<host>[/<path>]/<project id>.
func ParseDSN(dsn string) (SentryDSN, error) {
	u, err := url.Parse(strings.TrimSpace(dsn))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return SentryDSN{}, errors.New("must be a Sentry DSN such as https://<key>@o1.ingest.sentry.io/<project id>")
	}
	if u.User == nil || u.User.Username() == "" {
		return SentryDSN{}, errors.New("has no public key before the @")
	}
	path := strings.TrimSuffix(u.Path, "/")
	i := strings.LastIndexByte(path, '/')
	project := path[i+1:]
	if project == "" || strings.Trim(project, "0123456789") != "" {
		return SentryDSN{}, errors.New("must end with the numeric project id")
	}
	base := u.Scheme + "://" + u.Host + path[:i]
	return SentryDSN{Endpoint: base + "/api/" + project + "/envelope/", PublicKey: u.User.Username(), Raw: strings.TrimSpace(dsn)}, nil
}

// Sealer encrypts channel settings at rest with AES-256-GCM.
type Sealer struct{ aead cipher.AEAD }

// NewSealer derives the encryption key from secret.
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) < 16 {
		return nil, errors.New("the integrations encryption secret needs at least 16 bytes")
	}
	key := sha256.Sum256(append([]byte("agentobs integrations v1\x00"), secret...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts c, binding it to its workspace and type so a row cannot be moved.
func (s *Sealer) Seal(ws, typ string, c ChannelConfig) (string, error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, plain, []byte(ws+"\x00"+typ))
	return base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal produced.
func (s *Sealer) Open(ws, typ, sealed string) (ChannelConfig, error) {
	var c ChannelConfig
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return c, errors.New("cannot decode sealed integration settings")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(ws+"\x00"+typ))
	if err != nil {
		return c, fmt.Errorf("cannot decrypt %s settings (was the encryption secret changed?)", typ)
	}
	err = json.Unmarshal(plain, &c)
	return c, err
}
