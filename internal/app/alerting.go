package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/agentobs/agentobs/internal/alert"
	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/store"
)

// RoleAlert evaluates alert rules and sends notifications.
const RoleAlert = "alert"

// EncryptionKeyFile holds the generated key notification channel settings are sealed with.
const EncryptionKeyFile = "encryption_key"

// AlertConfig is the alert role's settings.
type AlertConfig struct {
	// EncryptionKey seals channel settings (webhook secrets, SMTP passwords...) at rest;
	// empty: generated once into the data directory.
	EncryptionKey string
	// Tick is how often the role looks for due rules and notifications (default 5 s).
	Tick time.Duration
}

// MailConfig is the email the server sends itself (team invites).
type MailConfig struct {
	// SMTP sends invite emails; nil: a workspace's email integration does, if any.
	SMTP *alert.ChannelConfig
	// PublicURL is where users reach the web app, for links; "": the inviter's origin.
	PublicURL string
}

// newSealer returns the sealer of channel settings, from the configured key or the one
// kept in the data directory.
func newSealer(cfg Config, log *slog.Logger) (*alert.Sealer, error) {
	key, err := secret(cfg.DataDir, cfg.Alerts.EncryptionKey, EncryptionKeyFile, "AGENTOBS_ENCRYPTION_KEY", log)
	if err != nil {
		return nil, err
	}
	return alert.NewSealer(key)
}

// newAlertService builds the alert role's loop over st.
func newAlertService(cfg Config, st store.Store, sealer *alert.Sealer, log *slog.Logger) (*alert.Service, error) {
	ast, ok := st.(alert.Store)
	if !ok {
		return nil, errors.New("the configured store cannot keep alerts")
	}
	host, _ := os.Hostname()
	holder := fmt.Sprintf("%s/%d/%s", host, os.Getpid(), auth.NewUUID()[:8])
	n := alert.NewNotifier(ast, sealer, &alert.Senders{HTTP: &http.Client{Timeout: 30 * time.Second}}, time.Now, log)
	svc := alert.NewService(ast, n, holder, time.Now, log)
	svc.Settings, _ = st.(alert.SettingsSource)
	if cfg.Alerts.Tick > 0 {
		svc.Tick = cfg.Alerts.Tick
	}
	return svc, nil
}

// loop is a background job of a role, stopped before the store closes.
type loop struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startLoop runs run until stopped.
func startLoop(ctx context.Context, run func(context.Context)) *loop {
	ctx, cancel := context.WithCancel(ctx)
	l := &loop{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		run(ctx)
	}()
	return l
}

// stop ends the job and waits for it; a nil loop (role off) does nothing.
func (l *loop) stop() {
	if l != nil {
		l.cancel()
		<-l.done
	}
}

// startAlerts runs svc until stopped; nil when the role is off.
func startAlerts(ctx context.Context, svc *alert.Service) *loop {
	if svc == nil {
		return nil
	}
	return startLoop(ctx, svc.Run)
}
