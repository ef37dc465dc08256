// Package provider calls LLM judges: Gemini generateContent, the OpenAI-compatible chat
// completions family (OpenAI, vLLM, Ollama, LM Studio) and Anthropic Messages. Each speaks
// its own wire format behind one small interface; Client adds the adaptive rate limit and
// the retries every caller needs. Temperature is always 0: a judge must be repeatable.
package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Kinds of provider.
const (
	KindGemini    = "gemini"
	KindOpenAI    = "openai"
	KindAnthropic = "anthropic"
)

// Mode is how a structured answer is asked for, from the strongest to the weakest.
type Mode string

const (
	// ModeJSONSchema constrains decoding to a JSON schema (Gemini responseJsonSchema,
	// OpenAI response_format json_schema).
	ModeJSONSchema Mode = "json_schema"
	// ModeTool forces a call of one tool whose parameters are the schema (Anthropic's
	// structured answer; OpenAI-compatible servers without json_schema).
	ModeTool Mode = "tool"
	// ModeJSON asks for any JSON object (Gemini application/json, OpenAI json_object).
	ModeJSON Mode = "json"
	// ModeText asks for nothing; the caller parses what comes back.
	ModeText Mode = "text"
)

// Request is one judge call.
type Request struct {
	System string
	Prompt string
	// Schema is the JSON schema of the expected answer; nil asks for free text.
	Schema json.RawMessage
	// SchemaName names the schema or tool ("verdict" when empty).
	SchemaName string
	// MaxTokens caps the answer (1024 when 0).
	MaxTokens int
}

// Usage is what the provider reported; a provider that reports nothing gives a nil *Usage.
type Usage struct {
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
}

// Response is one answer.
type Response struct {
	// Text is the answer: the JSON the model produced (tool arguments included) or its text.
	Text  string
	Usage *Usage
	// Model is the model that answered as the provider names it (the configured one when
	// the provider does not say).
	Model string
	// Mode is how structure was asked for.
	Mode Mode
	// Throttle is how long the provider's rate-limit headers ask the next call to wait
	// (nothing remains of a window until its reset); 0 when they ask nothing.
	Throttle time.Duration
}

// Provider is one configured model endpoint. Implementations are safe for concurrent use.
type Provider interface {
	Kind() string
	Model() string
	Complete(ctx context.Context, req Request) (*Response, error)
}

// Config selects and configures a provider.
type Config struct {
	Kind    string `json:"kind"`
	Model   string `json:"model"`
	BaseURL string `json:"base_url,omitempty"`
	APIKey  string `json:"-"`
	// Mode is the strongest structured output the model supports; empty picks the
	// provider's best (json_schema for Gemini and OpenAI, tool for Anthropic).
	Mode Mode `json:"mode,omitempty"`
	// Timeout bounds one HTTP attempt (60 s when 0).
	Timeout    time.Duration `json:"-"`
	HTTPClient *http.Client  `json:"-"`
}

// Default base URLs; every provider also takes one from its configuration (a proxy, a
// self-hosted server, a test double).
const (
	DefaultGeminiBaseURL    = "https://generativelanguage.googleapis.com"
	DefaultOpenAIBaseURL    = "https://api.openai.com/v1"
	DefaultAnthropicBaseURL = "https://api.anthropic.com"
)

// New builds the provider cfg names.
func New(cfg Config) (Provider, error) {
	if cfg.Model == "" {
		return nil, fmt.Errorf("provider %s: model is required", cfg.Kind)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	base := func(def string) string {
		if cfg.BaseURL == "" {
			return def
		}
		return strings.TrimRight(cfg.BaseURL, "/")
	}
	switch cfg.Kind {
	case KindGemini:
		cfg.BaseURL = base(DefaultGeminiBaseURL)
		if cfg.Mode == "" || cfg.Mode == ModeTool {
			cfg.Mode = ModeJSONSchema
		}
		return &gemini{cfg: cfg}, nil
	case KindOpenAI:
		cfg.BaseURL = base(DefaultOpenAIBaseURL)
		if cfg.Mode == "" {
			cfg.Mode = ModeJSONSchema
		}
		return &openAI{cfg: cfg}, nil
	case KindAnthropic:
		cfg.BaseURL = base(DefaultAnthropicBaseURL)
		if cfg.Mode == "" || cfg.Mode == ModeJSONSchema {
			cfg.Mode = ModeTool
		}
		return &anthropic{cfg: cfg}, nil
	}
	return nil, fmt.Errorf("unknown provider kind %q (known: gemini, openai, anthropic)", cfg.Kind)
}

func (r Request) schemaName() string {
	if r.SchemaName == "" {
		return "verdict"
	}
	return r.SchemaName
}

func (r Request) maxTokens() int {
	if r.MaxTokens <= 0 {
		return 1024
	}
	return r.MaxTokens
}

// mode is the mode actually used: text when the request has no schema.
func (r Request) mode(configured Mode) Mode {
	if len(r.Schema) == 0 {
		return ModeText
	}
	return configured
}
