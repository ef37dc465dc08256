package provider

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// anthropic speaks Messages: POST {base}/v1/messages with x-api-key and anthropic-version.
// A structured answer is a forced call of one tool whose input_schema is the schema.
type anthropic struct{ cfg Config }

// AnthropicVersion is the API version header sent with every call.
const AnthropicVersion = "2023-06-01"

func (a *anthropic) Kind() string  { return KindAnthropic }
func (a *anthropic) Model() string { return a.cfg.Model }

type anthropicTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type anthropicToolChoice struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

type anthropicMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// AnthropicRequest is the Messages request body as sent.
type AnthropicRequest struct {
	Model       string               `json:"model"`
	MaxTokens   int                  `json:"max_tokens"`
	System      string               `json:"system,omitempty"`
	Messages    []anthropicMessage   `json:"messages"`
	Temperature *float64             `json:"temperature"`
	Tools       []anthropicTool      `json:"tools,omitempty"`
	ToolChoice  *anthropicToolChoice `json:"tool_choice,omitempty"`
}

type anthropicResponse struct {
	Model   string `json:"model"`
	Content []struct {
		Type  string          `json:"type"`
		Text  string          `json:"text"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	} `json:"content"`
	StopReason string `json:"stop_reason"`
	Usage      *struct {
		InputTokens  int64 `json:"input_tokens"`
		OutputTokens int64 `json:"output_tokens"`
	} `json:"usage"`
}

func (a *anthropic) Complete(ctx context.Context, r Request) (*Response, error) {
	mode := r.mode(a.cfg.Mode)
	body := AnthropicRequest{Model: a.cfg.Model, MaxTokens: r.maxTokens(), System: r.System, Temperature: zero(),
		Messages: []anthropicMessage{{Role: "user", Content: r.Prompt}}}
	if mode == ModeTool {
		body.Tools = []anthropicTool{{Name: r.schemaName(), Description: "Record the verdict.", InputSchema: r.Schema}}
		body.ToolChoice = &anthropicToolChoice{Type: "tool", Name: r.schemaName()}
	}
	headers := map[string]string{"x-api-key": a.cfg.APIKey, "anthropic-version": AnthropicVersion}
	var out anthropicResponse
	h, err := postJSON(ctx, a.cfg.HTTPClient, a.cfg.Timeout, a.cfg.BaseURL+"/v1/messages", headers, body, &out, anthropicKind)
	if err != nil {
		return nil, err
	}
	resp := &Response{Model: a.cfg.Model, Mode: mode, Throttle: rateLimitReset(h, time.Now())}
	if out.Model != "" {
		resp.Model = out.Model
	}
	var text strings.Builder
	for _, c := range out.Content {
		switch c.Type {
		case "tool_use":
			if resp.Text == "" && len(c.Input) > 0 {
				resp.Text = string(c.Input)
			}
		case "text":
			text.WriteString(c.Text)
		}
	}
	if resp.Text == "" {
		resp.Text = text.String()
	}
	if len(out.Content) == 0 {
		return nil, &Error{Kind: ErrBadResponse, Status: 200, Message: "no content in the answer"}
	}
	if u := out.Usage; u != nil {
		resp.Usage = &Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens}
	}
	return resp, nil
}

// anthropicKind: 529 is "overloaded" (retry); a spent credit balance arrives as a 400.
func anthropicKind(status int, msg string, raw []byte) ErrorKind {
	if status == 400 && strings.Contains(strings.ToLower(msg), "credit balance") {
		return ErrQuota
	}
	return statusKind(status)
}
