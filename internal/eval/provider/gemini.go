package provider

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// gemini speaks generateContent: POST {base}/v1beta/models/{model}:generateContent with
// the key in x-goog-api-key.
type gemini struct{ cfg Config }

func (g *gemini) Kind() string  { return KindGemini }
func (g *gemini) Model() string { return g.cfg.Model }

type geminiPart struct {
	Text    string `json:"text,omitempty"`
	Thought bool   `json:"thought,omitempty"`
}

type geminiContent struct {
	Role  string       `json:"role,omitempty"`
	Parts []geminiPart `json:"parts"`
}

type geminiGenerationConfig struct {
	Temperature        *float64        `json:"temperature"`
	MaxOutputTokens    int             `json:"maxOutputTokens,omitempty"`
	ResponseMIMEType   string          `json:"responseMimeType,omitempty"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema,omitempty"`
}

// GeminiRequest is the generateContent request body as sent.
type GeminiRequest struct {
	SystemInstruction *geminiContent         `json:"systemInstruction,omitempty"`
	Contents          []geminiContent        `json:"contents"`
	GenerationConfig  geminiGenerationConfig `json:"generationConfig"`
}

type geminiResponse struct {
	Candidates []struct {
		Content      geminiContent `json:"content"`
		FinishReason string        `json:"finishReason"`
	} `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata *struct {
		PromptTokenCount     int64 `json:"promptTokenCount"`
		CandidatesTokenCount int64 `json:"candidatesTokenCount"`
		ThoughtsTokenCount   int64 `json:"thoughtsTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
}

func zero() *float64 { z := 0.0; return &z }

func (g *gemini) Complete(ctx context.Context, r Request) (*Response, error) {
	mode := r.mode(g.cfg.Mode)
	body := GeminiRequest{
		Contents:         []geminiContent{{Role: "user", Parts: []geminiPart{{Text: r.Prompt}}}},
		GenerationConfig: geminiGenerationConfig{Temperature: zero(), MaxOutputTokens: r.maxTokens()},
	}
	if r.System != "" {
		body.SystemInstruction = &geminiContent{Parts: []geminiPart{{Text: r.System}}}
	}
	switch mode {
	case ModeJSONSchema:
		body.GenerationConfig.ResponseMIMEType = "application/json"
		body.GenerationConfig.ResponseJSONSchema = r.Schema
	case ModeJSON:
		body.GenerationConfig.ResponseMIMEType = "application/json"
	}
	u := g.cfg.BaseURL + "/v1beta/models/" + url.PathEscape(g.cfg.Model) + ":generateContent"
	var out geminiResponse
	h, err := postJSON(ctx, g.cfg.HTTPClient, g.cfg.Timeout, u, map[string]string{"x-goog-api-key": g.cfg.APIKey}, body, &out, geminiKind)
	if err != nil {
		return nil, err
	}
	if len(out.Candidates) == 0 {
		reason := "no candidate"
		if out.PromptFeedback != nil && out.PromptFeedback.BlockReason != "" {
			reason = "prompt blocked: " + out.PromptFeedback.BlockReason
		}
		return nil, &Error{Kind: ErrBadResponse, Status: 200, Message: reason}
	}
	var text strings.Builder
	for _, p := range out.Candidates[0].Content.Parts {
		if !p.Thought {
			text.WriteString(p.Text)
		}
	}
	resp := &Response{Text: text.String(), Model: g.cfg.Model, Mode: mode, Throttle: rateLimitReset(h, time.Now())}
	if out.ModelVersion != "" {
		resp.Model = out.ModelVersion
	}
	if u := out.UsageMetadata; u != nil {
		resp.Usage = &Usage{InputTokens: u.PromptTokenCount, OutputTokens: u.CandidatesTokenCount + u.ThoughtsTokenCount}
	}
	return resp, nil
}

// geminiKind tells quota exhaustion (no retry helps today) from a per-minute rate limit;
// Gemini answers both with 429 RESOURCE_EXHAUSTED, and 400 for an invalid key.
func geminiKind(status int, msg string, raw []byte) ErrorKind {
	low := strings.ToLower(msg)
	switch {
	case status == 400 && (strings.Contains(low, "api key not valid") || strings.Contains(low, "api_key_invalid")):
		return ErrAuth
	case status == 429 && strings.Contains(low, "billing"):
		return ErrQuota
	}
	return statusKind(status)
}
