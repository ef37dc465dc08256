// Package alerttest runs the real mail server the email tests deliver to.
package alerttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Mailpit is a running mailpit: an SMTP server (plain, on loopback) with an HTTP API to
// read what it received.
type Mailpit struct {
	SMTPPort int
	API      string // base URL of its HTTP API
}

// MailpitEnv names the mailpit binary; make test-alerts builds it and sets it.
const MailpitEnv = "AGENTOBS_TEST_MAILPIT"

// StartMailpit runs the mailpit binary named by MailpitEnv on loopback ports until the test
// ends, or skips the test when the variable is not set.
func StartMailpit(t testing.TB) *Mailpit {
	t.Helper()
	bin := os.Getenv(MailpitEnv)
	if bin == "" {
		t.Skip("set " + MailpitEnv + " to a mailpit binary (make test-alerts does)")
	}
	smtpPort, httpPort := FreePort(t), FreePort(t)
	cmd := exec.Command(bin, "--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort), "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", t.TempDir()+"/mailpit.db")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("mailpit log:\n%s", out.String())
		}
	})
	m := &Mailpit{SMTPPort: smtpPort, API: fmt.Sprintf("http://127.0.0.1:%d", httpPort)}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		// Both listeners must be up: the HTTP API answers, and SMTP greets.
		if resp, err := http.Get(m.API + "/api/v1/messages"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 && greets(smtpPort) {
				return m
			}
		}
	}
	t.Fatal("mailpit did not start")
	return nil
}

// Message is a received email as mailpit lists it.
type Message struct {
	ID      string `json:"ID"`
	Subject string `json:"Subject"`
	To      []struct {
		Address string `json:"Address"`
	} `json:"To"`
}

// Messages lists the received emails, newest first; nil when mailpit cannot be read.
func (m *Mailpit) Messages() []Message {
	var list struct {
		Messages []Message `json:"messages"`
	}
	if m.get("/api/v1/messages", &list) != nil {
		return nil
	}
	return list.Messages
}

// Text returns the plain-text body of a received email.
func (m *Mailpit) Text(id string) (string, error) {
	var msg struct {
		Text string `json:"Text"`
	}
	err := m.get("/api/v1/message/"+id, &msg)
	return msg.Text, err
}

func (m *Mailpit) get(path string, v any) error {
	resp, err := http.Get(m.API + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("mailpit %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// greets reports whether an SMTP server on port sends its 220 greeting.
func greets(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	b := make([]byte, 3)
	_, err = io.ReadFull(c, b)
	return err == nil && string(b) == "220"
}

// FreePort returns a loopback port nothing listened on a moment ago.
func FreePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// lockedBuffer collects a process's output from its two pipes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
