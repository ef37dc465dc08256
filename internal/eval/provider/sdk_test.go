package provider_test

// The fakes are only as good as their fidelity to the real wire formats. These tests send
// the same logical request through our providers and through each vendor's official Go SDK
// to one recording fake, and require the two requests to match: same endpoint, same
// decoded fields, and every top-level field we send present in the SDK's request with the
// same JSON value (except where the API accepts two spellings, noted below). The SDKs
// must also decode the fake's answers.

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	ooption "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"google.golang.org/genai"

	"github.com/agentobs/agentobs/internal/eval/provider"
	"github.com/agentobs/agentobs/internal/eval/provider/providertest"
)

const answer = `{"score":87,"explanation":"fine"}`

func schemaMap(t *testing.T) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(schema, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// compareCalls checks that ours and the SDK's requests decode alike and that the SDK sends
// each of our top-level fields with the same value, except those in spelledOtherwise.
func compareCalls(t *testing.T, ours, sdk providertest.Call, spelledOtherwise ...string) {
	t.Helper()
	if ours.Path != sdk.Path || ours.Model != sdk.Model || ours.System != sdk.System || ours.Prompt != sdk.Prompt || ours.Mode != sdk.Mode {
		t.Errorf("decoded requests differ:\n ours %s %s %q %q %s\n sdk  %s %s %q %q %s", ours.Path, ours.Model, ours.System, ours.Prompt, ours.Mode,
			sdk.Path, sdk.Model, sdk.System, sdk.Prompt, sdk.Mode)
	}
	var a, b map[string]any
	_ = json.Unmarshal(ours.Schema, &a)
	_ = json.Unmarshal(sdk.Schema, &b)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("schemas differ (-ours +sdk):\n%s", diff)
	}
	var ob, sb map[string]any
	if err := json.Unmarshal(ours.Body, &ob); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(sdk.Body, &sb); err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{}
	for _, k := range spelledOtherwise {
		skip[k] = true
	}
	for k, v := range ob {
		if skip[k] {
			continue
		}
		if diff := cmp.Diff(v, sb[k]); diff != "" {
			t.Errorf("field %q differs (-ours +sdk):\n%s", k, diff)
		}
	}
}

func recordingFake(t *testing.T, kind string) *providertest.Server {
	srv := providertest.New(kind, func(providertest.Call) providertest.Reply {
		return providertest.Reply{Text: answer, InputTokens: 10, OutputTokens: 5}
	})
	t.Cleanup(srv.Close)
	return srv
}

func ourCall(t *testing.T, srv *providertest.Server, model string) {
	t.Helper()
	cfg := srv.Config(model)
	p, err := provider.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Complete(context.Background(), provider.Request{System: "be a judge", Prompt: "rate this", Schema: schema, MaxTokens: 256}); err != nil {
		t.Fatal(err)
	}
}

func TestGeminiMatchesOfficialSDK(t *testing.T) {
	srv := recordingFake(t, provider.KindGemini)
	ourCall(t, srv, "gemini-2.5-flash")
	ctx := context.Background()
	client, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: "test-key", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: srv.URL, APIVersion: "v1beta"}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("rate this"), &genai.GenerateContentConfig{
		SystemInstruction: genai.NewContentFromText("be a judge", genai.RoleUser), Temperature: genai.Ptr[float32](0),
		MaxOutputTokens: 256, ResponseMIMEType: "application/json", ResponseJsonSchema: schemaMap(t)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != answer || resp.UsageMetadata.PromptTokenCount != 10 {
		t.Errorf("the SDK read the fake's answer as %q, usage %+v", resp.Text(), resp.UsageMetadata)
	}
	calls := srv.Calls()
	// The SDK names the system instruction's role; the API takes it with or without.
	compareCalls(t, calls[0], calls[1], "systemInstruction")
}

func TestOpenAIMatchesOfficialSDK(t *testing.T) {
	srv := recordingFake(t, provider.KindOpenAI)
	ourCall(t, srv, "gpt-4o-mini")
	client := openai.NewClient(ooption.WithBaseURL(srv.URL+"/v1"), ooption.WithAPIKey("test-key"), ooption.WithMaxRetries(0))
	resp, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:       "gpt-4o-mini",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be a judge"), openai.UserMessage("rate this")},
		Temperature: openai.Float(0),
		MaxTokens:   openai.Int(256),
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "verdict", Schema: schemaMap(t), Strict: openai.Bool(true)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != answer || resp.Usage.PromptTokens != 10 {
		t.Errorf("the SDK read the fake's answer as %q, usage %+v", resp.Choices[0].Message.Content, resp.Usage)
	}
	calls := srv.Calls()
	compareCalls(t, calls[0], calls[1])
}

func TestAnthropicMatchesOfficialSDK(t *testing.T) {
	srv := recordingFake(t, provider.KindAnthropic)
	ourCall(t, srv, "claude-haiku-4-5")
	client := anthropic.NewClient(aoption.WithBaseURL(srv.URL), aoption.WithAPIKey("test-key"), aoption.WithMaxRetries(0))
	sm := schemaMap(t)
	tool := anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{Properties: sm["properties"], Required: []string{"score", "explanation"},
		ExtraFields: map[string]any{"additionalProperties": sm["additionalProperties"]}}, "verdict")
	tool.OfTool.Description = anthropic.String("Record the verdict.")
	resp, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model:       "claude-haiku-4-5",
		MaxTokens:   256,
		System:      []anthropic.TextBlockParam{{Text: "be a judge"}},
		Messages:    []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("rate this"))},
		Temperature: anthropic.Float(0),
		Tools:       []anthropic.ToolUnionParam{tool},
		ToolChoice:  anthropic.ToolChoiceParamOfTool("verdict"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Content) != 1 || resp.Content[0].Type != "tool_use" || string(resp.Content[0].Input) != answer || resp.Usage.InputTokens != 10 {
		t.Errorf("the SDK read the fake's answer as %+v", resp.Content)
	}
	calls := srv.Calls()
	// The API takes system and message content as a string or as text blocks; the SDK
	// sends blocks, we send strings.
	compareCalls(t, calls[0], calls[1], "system", "messages")
}
