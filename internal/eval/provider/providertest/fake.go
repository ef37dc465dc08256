// Package providertest runs scripted stand-ins for the judge providers: HTTP servers that
// decode requests and write answers in each provider's exact wire format (Gemini
// generateContent, OpenAI chat completions, Anthropic Messages), so that everything above
// the wire is tested without a model.
package providertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/agentobs/agentobs/internal/eval/provider"
)

// Call is one request the fake received, decoded.
type Call struct {
	Path   string
	Header http.Header
	Body   []byte
	Model  string
	System string
	Prompt string
	// Mode is the structured output the request asked for.
	Mode        provider.Mode
	Schema      json.RawMessage
	Temperature *float64
}

// Reply is what the script answers to a call.
type Reply struct {
	// Text is the answer (written as tool arguments when the call forced a tool).
	Text string
	// Status other than 0 and 200 writes the provider's error body with Message, and
	// ErrorCode as its code or status (OpenAI "insufficient_quota", Gemini "RESOURCE_EXHAUSTED").
	Status    int
	Message   string
	ErrorCode string
	// RetryDelay adds Gemini's google.rpc.RetryInfo to an error body.
	RetryDelay string
	Headers    map[string]string
	// Delay holds the answer back (a slow model); the request's cancellation cuts it short.
	Delay time.Duration
	// NoUsage leaves the usage out of the answer.
	NoUsage                   bool
	InputTokens, OutputTokens int64
	// Raw is written as the body verbatim, with Status (200 when 0).
	Raw string
}

// Server is a running fake of one provider kind.
type Server struct {
	*httptest.Server
	Kind   string
	script func(Call) Reply

	mu    sync.Mutex
	calls []Call
}

// New starts a fake of kind answering with script; close it with Close.
func New(kind string, script func(Call) Reply) *Server {
	s := &Server{Kind: kind, script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Calls returns the calls received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Config is a provider configuration pointing at the fake.
func (s *Server) Config(model string) provider.Config {
	base := s.URL
	if s.Kind == provider.KindOpenAI {
		base += "/v1"
	}
	return provider.Config{Kind: s.Kind, Model: model, BaseURL: base, APIKey: "test-key"}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	call, err := decode(s.Kind, r, body)
	if err != nil {
		writeError(w, s.Kind, Reply{Status: 400, Message: err.Error()})
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	rep := s.script(call)
	if rep.Delay > 0 {
		select {
		case <-time.After(rep.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range rep.Headers {
		w.Header().Set(k, v)
	}
	if rep.Raw != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(max(rep.Status, 200))
		_, _ = w.Write([]byte(rep.Raw))
		return
	}
	if rep.Status != 0 && rep.Status != 200 {
		writeError(w, s.Kind, rep)
		return
	}
	writeJSON(w, 200, answer(s.Kind, call, rep))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode checks the request against the provider's wire format: path, authentication
// header, required fields; and extracts what tests look at.
func decode(kind string, r *http.Request, body []byte) (Call, error) {
	c := Call{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Mode: provider.ModeText}
	if r.Method != http.MethodPost {
		return c, fmt.Errorf("method %s, want POST", r.Method)
	}
	switch kind {
	case provider.KindGemini:
		model, ok := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
		if !ok || !strings.HasSuffix(model, ":generateContent") {
			return c, fmt.Errorf("path %s is not generateContent", r.URL.Path)
		}
		c.Model = strings.TrimSuffix(model, ":generateContent")
		if r.Header.Get("x-goog-api-key") == "" {
			return c, fmt.Errorf("no x-goog-api-key header")
		}
		var req struct {
			SystemInstruction *struct {
				Parts []struct{ Text string } `json:"parts"`
			} `json:"systemInstruction"`
			Contents []struct {
				Role  string                  `json:"role"`
				Parts []struct{ Text string } `json:"parts"`
			} `json:"contents"`
			GenerationConfig struct {
				Temperature        *float64        `json:"temperature"`
				ResponseMIMEType   string          `json:"responseMimeType"`
				ResponseJSONSchema json.RawMessage `json:"responseJsonSchema"`
				ResponseSchema     json.RawMessage `json:"responseSchema"`
			} `json:"generationConfig"`
		}
		if err := decodeBody(body, &req); err != nil {
			return c, err
		}
		if len(req.Contents) == 0 || len(req.Contents[0].Parts) == 0 {
			return c, fmt.Errorf("contents is empty")
		}
		if req.SystemInstruction != nil && len(req.SystemInstruction.Parts) > 0 {
			c.System = req.SystemInstruction.Parts[0].Text
		}
		c.Prompt = req.Contents[len(req.Contents)-1].Parts[0].Text
		c.Temperature = req.GenerationConfig.Temperature
		switch {
		case len(req.GenerationConfig.ResponseJSONSchema) > 0:
			c.Mode, c.Schema = provider.ModeJSONSchema, req.GenerationConfig.ResponseJSONSchema
		case len(req.GenerationConfig.ResponseSchema) > 0:
			c.Mode, c.Schema = provider.ModeJSONSchema, req.GenerationConfig.ResponseSchema
		case req.GenerationConfig.ResponseMIMEType == "application/json":
			c.Mode = provider.ModeJSON
		}
	case provider.KindOpenAI:
		if r.URL.Path != "/v1/chat/completions" {
			return c, fmt.Errorf("path %s is not /v1/chat/completions", r.URL.Path)
		}
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content any    `json:"content"`
			} `json:"messages"`
			Temperature    *float64 `json:"temperature"`
			ResponseFormat *struct {
				Type       string `json:"type"`
				JSONSchema *struct {
					Name   string          `json:"name"`
					Schema json.RawMessage `json:"schema"`
				} `json:"json_schema"`
			} `json:"response_format"`
			Tools []struct {
				Type     string `json:"type"`
				Function struct {
					Name       string          `json:"name"`
					Parameters json.RawMessage `json:"parameters"`
				} `json:"function"`
			} `json:"tools"`
			ToolChoice json.RawMessage `json:"tool_choice"`
		}
		if err := decodeBody(body, &req); err != nil {
			return c, err
		}
		if req.Model == "" || len(req.Messages) == 0 {
			return c, fmt.Errorf("model and messages are required")
		}
		c.Model, c.Temperature = req.Model, req.Temperature
		for _, m := range req.Messages {
			text := contentText(m.Content)
			if m.Role == "system" || m.Role == "developer" {
				c.System = text
			} else {
				c.Prompt = text
			}
		}
		switch {
		case len(req.Tools) > 0 && len(req.ToolChoice) > 0:
			c.Mode, c.Schema = provider.ModeTool, req.Tools[0].Function.Parameters
		case req.ResponseFormat != nil && req.ResponseFormat.Type == "json_schema" && req.ResponseFormat.JSONSchema != nil:
			c.Mode, c.Schema = provider.ModeJSONSchema, req.ResponseFormat.JSONSchema.Schema
		case req.ResponseFormat != nil && req.ResponseFormat.Type == "json_object":
			c.Mode = provider.ModeJSON
		}
	case provider.KindAnthropic:
		if r.URL.Path != "/v1/messages" {
			return c, fmt.Errorf("path %s is not /v1/messages", r.URL.Path)
		}
		if r.Header.Get("x-api-key") == "" || r.Header.Get("anthropic-version") == "" {
			return c, fmt.Errorf("x-api-key and anthropic-version headers are required")
		}
		var req struct {
			Model     string `json:"model"`
			MaxTokens int    `json:"max_tokens"`
			System    any    `json:"system"`
			Messages  []struct {
				Role    string `json:"role"`
				Content any    `json:"content"`
			} `json:"messages"`
			Temperature *float64 `json:"temperature"`
			Tools       []struct {
				Name        string          `json:"name"`
				InputSchema json.RawMessage `json:"input_schema"`
			} `json:"tools"`
			ToolChoice *struct {
				Type string `json:"type"`
				Name string `json:"name"`
			} `json:"tool_choice"`
		}
		if err := decodeBody(body, &req); err != nil {
			return c, err
		}
		if req.Model == "" || req.MaxTokens <= 0 || len(req.Messages) == 0 {
			return c, fmt.Errorf("model, max_tokens and messages are required")
		}
		c.Model, c.Temperature = req.Model, req.Temperature
		c.System = contentText(req.System)
		c.Prompt = contentText(req.Messages[len(req.Messages)-1].Content)
		if req.ToolChoice != nil && req.ToolChoice.Type == "tool" && len(req.Tools) > 0 {
			c.Mode, c.Schema = provider.ModeTool, req.Tools[0].InputSchema
		}
	default:
		return c, fmt.Errorf("unknown kind %q", kind)
	}
	return c, nil
}

func decodeBody(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	return nil
}

// contentText flattens a string or an array of {type: text, text} blocks.
func contentText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var sb strings.Builder
		for _, b := range x {
			if m, ok := b.(map[string]any); ok {
				if t, ok := m["text"].(string); ok {
					sb.WriteString(t)
				}
			}
		}
		return sb.String()
	}
	return ""
}

func answer(kind string, c Call, rep Reply) any {
	in, out := rep.InputTokens, rep.OutputTokens
	if in == 0 {
		in = int64(len(c.System)+len(c.Prompt))/4 + 1
	}
	if out == 0 {
		out = int64(len(rep.Text))/4 + 1
	}
	switch kind {
	case provider.KindGemini:
		a := map[string]any{
			"candidates": []any{map[string]any{
				"content":      map[string]any{"role": "model", "parts": []any{map[string]any{"text": rep.Text}}},
				"finishReason": "STOP", "index": 0,
			}},
			"modelVersion": c.Model,
		}
		if !rep.NoUsage {
			a["usageMetadata"] = map[string]any{"promptTokenCount": in, "candidatesTokenCount": out, "totalTokenCount": in + out}
		}
		return a
	case provider.KindOpenAI:
		msg := map[string]any{"role": "assistant", "content": rep.Text}
		finish := "stop"
		if c.Mode == provider.ModeTool {
			msg["content"] = nil
			msg["tool_calls"] = []any{map[string]any{"id": "call_1", "type": "function",
				"function": map[string]any{"name": "verdict", "arguments": rep.Text}}}
			finish = "tool_calls"
		}
		a := map[string]any{"id": "chatcmpl-1", "object": "chat.completion", "created": time.Now().Unix(), "model": c.Model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}}}
		if !rep.NoUsage {
			a["usage"] = map[string]any{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out}
		}
		return a
	default:
		var content []any
		stop := "end_turn"
		if c.Mode == provider.ModeTool {
			var input any = json.RawMessage(rep.Text)
			if !json.Valid([]byte(rep.Text)) {
				input = map[string]any{"raw": rep.Text}
			}
			content = []any{map[string]any{"type": "tool_use", "id": "toolu_1", "name": "verdict", "input": input}}
			stop = "tool_use"
		} else {
			content = []any{map[string]any{"type": "text", "text": rep.Text}}
		}
		a := map[string]any{"id": "msg_1", "type": "message", "role": "assistant", "model": c.Model,
			"content": content, "stop_reason": stop}
		if !rep.NoUsage {
			a["usage"] = map[string]any{"input_tokens": in, "output_tokens": out}
		}
		return a
	}
}

func writeError(w http.ResponseWriter, kind string, rep Reply) {
	msg := rep.Message
	if msg == "" {
		msg = http.StatusText(rep.Status)
	}
	switch kind {
	case provider.KindGemini:
		status := rep.ErrorCode
		if status == "" {
			status = map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
				404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}[rep.Status]
		}
		e := map[string]any{"code": rep.Status, "message": msg, "status": status}
		if rep.RetryDelay != "" {
			e["details"] = []any{map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": rep.RetryDelay}}
		}
		writeJSON(w, rep.Status, map[string]any{"error": e})
	case provider.KindOpenAI:
		writeJSON(w, rep.Status, map[string]any{"error": map[string]any{"message": msg, "type": rep.ErrorCode, "code": rep.ErrorCode}})
	default:
		typ := rep.ErrorCode
		if typ == "" {
			typ = map[int]string{400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
				404: "not_found_error", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}[rep.Status]
		}
		writeJSON(w, rep.Status, map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}})
	}
}
