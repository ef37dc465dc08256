package provider

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// openAI speaks chat completions: POST {base}/chat/completions with a bearer key, the
// protocol OpenAI, vLLM, Ollama (/v1) and LM Studio share. A local server may need no key.
type openAI struct{ cfg Config }

func (o *openAI) Kind() string  { return KindOpenAI }
func (o *openAI) Model() string { return o.cfg.Model }

type openAIMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type openAIFunction struct {
	Name       string          `json:"name"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

type openAITool struct {
	Type     string         `json:"type"`
	Function openAIFunction `json:"function"`
}

type openAIToolChoice struct {
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

type openAIJSONSchema struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema"`
	Strict bool            `json:"strict"`
}

type openAIResponseFormat struct {
	Type       string            `json:"type"`
	JSONSchema *openAIJSONSchema `json:"json_schema,omitempty"`
}

// OpenAIRequest is the chat completions request body as sent.
type OpenAIRequest struct {
	Model          string                `json:"model"`
	Messages       []openAIMessage       `json:"messages"`
	Temperature    *float64              `json:"temperature"`
	MaxTokens      int                   `json:"max_tokens,omitempty"`
	ResponseFormat *openAIResponseFormat `json:"response_format,omitempty"`
	Tools          []openAITool          `json:"tools,omitempty"`
	ToolChoice     *openAIToolChoice     `json:"tool_choice,omitempty"`
}

type openAIResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content   *string `json:"content"`
			Refusal   *string `json:"refusal"`
			ToolCalls []struct {
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int64 `json:"prompt_tokens"`
		CompletionTokens int64 `json:"completion_tokens"`
	} `json:"usage"`
}

func (o *openAI) Complete(ctx context.Context, r Request) (*Response, error) {
	mode := r.mode(o.cfg.Mode)
	body := OpenAIRequest{Model: o.cfg.Model, Temperature: zero(), MaxTokens: r.maxTokens()}
	if r.System != "" {
		body.Messages = append(body.Messages, openAIMessage{Role: "system", Content: r.System})
	}
	body.Messages = append(body.Messages, openAIMessage{Role: "user", Content: r.Prompt})
	switch mode {
	case ModeJSONSchema:
		body.ResponseFormat = &openAIResponseFormat{Type: "json_schema",
			JSONSchema: &openAIJSONSchema{Name: r.schemaName(), Schema: r.Schema, Strict: true}}
	case ModeTool:
		body.Tools = []openAITool{{Type: "function", Function: openAIFunction{Name: r.schemaName(), Parameters: r.Schema}}}
		body.ToolChoice = &openAIToolChoice{Type: "function"}
		body.ToolChoice.Function.Name = r.schemaName()
	case ModeJSON:
		body.ResponseFormat = &openAIResponseFormat{Type: "json_object"}
	}
	headers := map[string]string{}
	if o.cfg.APIKey != "" {
		headers["Authorization"] = "Bearer " + o.cfg.APIKey
	}
	var out openAIResponse
	h, err := postJSON(ctx, o.cfg.HTTPClient, o.cfg.Timeout, o.cfg.BaseURL+"/chat/completions", headers, body, &out, openAIKind)
	if err != nil {
		return nil, err
	}
	if len(out.Choices) == 0 {
		return nil, &Error{Kind: ErrBadResponse, Status: 200, Message: "no choice in the answer"}
	}
	msg := out.Choices[0].Message
	resp := &Response{Model: o.cfg.Model, Mode: mode, Throttle: rateLimitReset(h, time.Now())}
	if out.Model != "" {
		resp.Model = out.Model
	}
	switch {
	case len(msg.ToolCalls) > 0:
		resp.Text = msg.ToolCalls[0].Function.Arguments
	case msg.Content != nil:
		resp.Text = *msg.Content
	case msg.Refusal != nil:
		resp.Text = *msg.Refusal
	}
	if u := out.Usage; u != nil {
		resp.Usage = &Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
	}
	return resp, nil
}

// openAIKind: a 429 whose code is insufficient_quota is an empty account, not a rate limit.
func openAIKind(status int, msg string, raw []byte) ErrorKind {
	if status == 429 {
		var body struct {
			Error struct {
				Code string `json:"code"`
				Type string `json:"type"`
			} `json:"error"`
		}
		_ = json.Unmarshal(raw, &body)
		if body.Error.Code == "insufficient_quota" || body.Error.Type == "insufficient_quota" ||
			strings.Contains(strings.ToLower(msg), "exceeded your current quota") {
			return ErrQuota
		}
	}
	if status == 404 || (status == 400 && body400ModelMissing(msg)) {
		return ErrNotFound
	}
	return statusKind(status)
}

// body400ModelMissing: Ollama and vLLM answer 400 or 404 for a model they do not serve.
func body400ModelMissing(msg string) bool {
	low := strings.ToLower(msg)
	return strings.Contains(low, "model") && (strings.Contains(low, "not found") || strings.Contains(low, "does not exist"))
}
