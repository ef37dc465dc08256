package main

import (
	"fmt"
	"strings"

	"github.com/agentobs/agentobs/internal/alert"
	"github.com/agentobs/agentobs/internal/app"
)

// mailFlags are serve's settings of the email it sends itself (team invites) and of the
// links in it.
type mailFlags struct {
	host, username, password, from, tls, publicURL string
	port                                           int
}

func (f *mailFlags) bind(s *settings) {
	s.str(&f.host, "smtp-host", "AGENTOBS_SMTP_HOST", "", "mail server for team invites (default: a workspace's email integration, else the inviter gets the link)")
	s.integer(&f.port, "smtp-port", "AGENTOBS_SMTP_PORT", 587, "mail server port")
	s.str(&f.username, "smtp-username", "AGENTOBS_SMTP_USERNAME", "", "mail server user (AUTH PLAIN); empty: no authentication")
	s.str(&f.password, "smtp-password", "AGENTOBS_SMTP_PASSWORD", "", "mail server password")
	s.str(&f.from, "smtp-from", "AGENTOBS_SMTP_FROM", "", "sender address of invite emails, e.g. agentobs@example.com")
	s.str(&f.tls, "smtp-tls", "AGENTOBS_SMTP_TLS", "starttls", "how mail is secured: starttls (required), tls (implicit, port 465) or none (loopback only)")
	s.str(&f.publicURL, "public-url", "AGENTOBS_PUBLIC_URL", "", "where users reach the web app, for links in emails, e.g. https://agentobs.example.com (default: the inviter's browser origin)")
}

func (f *mailFlags) config() (app.MailConfig, error) {
	c := app.MailConfig{PublicURL: strings.TrimRight(strings.TrimSpace(f.publicURL), "/")}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return c, usageError{fmt.Errorf("AGENTOBS_PUBLIC_URL=%q: want an http or https URL", f.publicURL)}
	}
	if f.host == "" {
		return c, nil
	}
	smtp := alert.ChannelConfig{Host: f.host, Port: f.port, Username: f.username, Password: f.password, From: f.from, TLS: f.tls,
		To: []string{f.from}} // invites name their own recipient; Validate wants one
	if err := smtp.Validate("email"); err != nil {
		return c, usageError{fmt.Errorf("AGENTOBS_SMTP_*: %v", err)}
	}
	smtp.To = nil
	c.SMTP = &smtp
	return c, nil
}
