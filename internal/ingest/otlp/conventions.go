package otlp

import (
	"strings"

	"github.com/agentobs/agentobs/internal/model"
)

// The attribute names below are those of:
//   - OpenTelemetry GenAI semantic conventions: v1.37.0 (gen_ai.provider.name,
//     gen_ai.input.messages / output.messages / system_instructions, gen_ai.conversation.id,
//     gen_ai.tool.call.arguments / result), the cache token counts added after v1.38.0
//     (gen_ai.usage.cache_read.input_tokens), and the names they replaced: gen_ai.system
//     (renamed in v1.37.0), gen_ai.usage.prompt_tokens / completion_tokens (renamed in
//     v1.27.0), gen_ai.prompt / gen_ai.completion attributes and the gen_ai.content.*
//     span events (v1.26.0), and the per-message events gen_ai.{system,user,assistant,tool}
//     .message and gen_ai.choice (v1.28.0 to v1.36.0);
//   - OpenInference semantic conventions (openinference-semantic-conventions 0.1.x,
//     spec/semantic_conventions.md);
//   - OpenLLMetry / Traceloop (opentelemetry-semantic-conventions-ai 0.4.x and 0.5.x);
//   - the Vercel AI SDK telemetry (ai.* attributes, AI SDK 4 to 7);
//   - Langfuse's OpenTelemetry SDKs (langfuse.* attributes, Python SDK 3 to 5, JS SDK 4
//     and 5; langfuse.go).

// attrKey names an attribute the mapper reads.
type attrKey uint8

const (
	aNone attrKey = iota

	aGenAIOperation
	aGenAIProvider
	aGenAISystem
	aGenAIRequestModel
	aGenAIResponseModel
	aGenAIInputTokens
	aGenAIOutputTokens
	aGenAIPromptTokens
	aGenAICompletionTokens
	aGenAITotalTokens
	aGenAICacheRead
	aGenAICacheReadOld
	aGenAICost
	aGenAIInputMessages
	aGenAIOutputMessages
	aGenAISystemInstructions
	aGenAIPrompt
	aGenAICompletion
	aGenAIConversationID
	aGenAIAgentName
	aGenAIToolName
	aGenAIToolCallArgs
	aGenAIToolCallResult
	aErrorType

	aOIKind
	aOIModel
	aOIEmbeddingModel
	aOIProvider
	aOISystem
	aOIPromptTokens
	aOICompletionTokens
	aOITotalTokens
	aOICacheRead
	aOICostTotal
	aOIInputValue
	aOIOutputValue
	aOIPrompts
	aSessionID
	aUserID
	aEnduserID
	aOIMetadata
	aOITags
	aOIToolName
	aOIToolParameters
	aOIAgentName

	aTLKind
	aTLEntityName
	aTLEntityInput
	aTLEntityOutput
	aTLWorkflowName
	aLLMRequestType
	aLLMTotalTokens

	aAIOperationID
	aAIModelID
	aAIModelProvider
	aAIPromptTokens
	aAICompletionTokens
	aAIInputTokens
	aAIOutputTokens
	aAITotalTokens
	aAITokens
	aAICachedInputTokens
	aAIPrompt
	aAIPromptMessages
	aAIResponseText
	aAIResponseToolCalls
	aAIResponseObject
	aAIResponseModel
	aAIToolCallName
	aAIToolCallArgs
	aAIToolCallInput
	aAIToolCallResult
	aAIToolCallOutput
	aAIValue
	aAIValues
	aAIEmbedding
	aAIEmbeddings

	aLFType
	aLFInput
	aLFOutput
	aLFTraceInput
	aLFTraceOutput
	aLFModel
	aLFUsage
	aLFCost
	aLFLevel
	aLFStatusMessage
	aLFTraceName
	aLFTags
	aLFTraceMetadata
	aLFUserID
	aLFSessionID
	aLFEnvironment
	aLFRelease

	nKeys
)

// keyInfo is one row of the attribute table. content marks attributes whose value becomes
// the span's input or output: they are not repeated in its attributes.
type keyInfo struct {
	key     attrKey
	content bool
}

var keyTable = map[string]keyInfo{
	// OpenTelemetry GenAI.
	"gen_ai.operation.name":                     {aGenAIOperation, false},
	"gen_ai.provider.name":                      {aGenAIProvider, false},
	"gen_ai.system":                             {aGenAISystem, false},
	"gen_ai.request.model":                      {aGenAIRequestModel, false},
	"gen_ai.response.model":                     {aGenAIResponseModel, false},
	"gen_ai.usage.input_tokens":                 {aGenAIInputTokens, false},
	"gen_ai.usage.output_tokens":                {aGenAIOutputTokens, false},
	"gen_ai.usage.prompt_tokens":                {aGenAIPromptTokens, false},
	"gen_ai.usage.completion_tokens":            {aGenAICompletionTokens, false},
	"gen_ai.usage.total_tokens":                 {aGenAITotalTokens, false},
	"gen_ai.usage.cache_read.input_tokens":      {aGenAICacheRead, false},
	"gen_ai.usage.cache_read_input_tokens":      {aGenAICacheReadOld, false}, // OpenLLMetry before 0.5
	"gen_ai.usage.cost":                         {aGenAICost, false},
	"gen_ai.input.messages":                     {aGenAIInputMessages, true},
	"gen_ai.output.messages":                    {aGenAIOutputMessages, true},
	"gen_ai.system_instructions":                {aGenAISystemInstructions, true},
	"gen_ai.prompt":                             {aGenAIPrompt, true},
	"gen_ai.completion":                         {aGenAICompletion, true},
	"gen_ai.conversation.id":                    {aGenAIConversationID, false},
	"gen_ai.agent.name":                         {aGenAIAgentName, false},
	"gen_ai.tool.name":                          {aGenAIToolName, false},
	"gen_ai.tool.call.arguments":                {aGenAIToolCallArgs, true},
	"gen_ai.tool.call.result":                   {aGenAIToolCallResult, true},
	"error.type":                                {aErrorType, false},
	"openinference.span.kind":                   {aOIKind, false},
	"llm.model_name":                            {aOIModel, false},
	"embedding.model_name":                      {aOIEmbeddingModel, false},
	"llm.provider":                              {aOIProvider, false},
	"llm.system":                                {aOISystem, false},
	"llm.token_count.prompt":                    {aOIPromptTokens, false},
	"llm.token_count.completion":                {aOICompletionTokens, false},
	"llm.token_count.total":                     {aOITotalTokens, false},
	"llm.token_count.prompt_details.cache_read": {aOICacheRead, false},
	"llm.cost.total":                            {aOICostTotal, false},
	"input.value":                               {aOIInputValue, true},
	"output.value":                              {aOIOutputValue, true},
	"llm.prompts":                               {aOIPrompts, true},
	"session.id":                                {aSessionID, false},
	"user.id":                                   {aUserID, false},
	"enduser.id":                                {aEnduserID, false},
	"metadata":                                  {aOIMetadata, false},
	"tag.tags":                                  {aOITags, false},
	"tool.name":                                 {aOIToolName, false},
	"tool.parameters":                           {aOIToolParameters, false},
	"agent.name":                                {aOIAgentName, false},
	// OpenLLMetry / Traceloop.
	"traceloop.span.kind":     {aTLKind, false},
	"traceloop.entity.name":   {aTLEntityName, false},
	"traceloop.entity.input":  {aTLEntityInput, true},
	"traceloop.entity.output": {aTLEntityOutput, true},
	"traceloop.workflow.name": {aTLWorkflowName, false},
	"llm.request.type":        {aLLMRequestType, false},
	"llm.usage.total_tokens":  {aLLMTotalTokens, false},
	// Vercel AI SDK.
	"ai.operationId":             {aAIOperationID, false},
	"ai.model.id":                {aAIModelID, false},
	"ai.model.provider":          {aAIModelProvider, false},
	"ai.usage.promptTokens":      {aAIPromptTokens, false},
	"ai.usage.completionTokens":  {aAICompletionTokens, false},
	"ai.usage.inputTokens":       {aAIInputTokens, false},
	"ai.usage.outputTokens":      {aAIOutputTokens, false},
	"ai.usage.totalTokens":       {aAITotalTokens, false},
	"ai.usage.tokens":            {aAITokens, false},
	"ai.usage.cachedInputTokens": {aAICachedInputTokens, false},
	"ai.prompt":                  {aAIPrompt, true},
	"ai.prompt.messages":         {aAIPromptMessages, true},
	"ai.response.text":           {aAIResponseText, true},
	"ai.response.toolCalls":      {aAIResponseToolCalls, true},
	"ai.response.object":         {aAIResponseObject, true},
	"ai.response.model":          {aAIResponseModel, false},
	"ai.toolCall.name":           {aAIToolCallName, false},
	"ai.toolCall.args":           {aAIToolCallArgs, true},
	"ai.toolCall.input":          {aAIToolCallInput, true},
	"ai.toolCall.result":         {aAIToolCallResult, true},
	"ai.toolCall.output":         {aAIToolCallOutput, true},
	"ai.value":                   {aAIValue, true},
	"ai.values":                  {aAIValues, true},
	"ai.embedding":               {aAIEmbedding, true}, // vectors: large and of no use to read
	"ai.embeddings":              {aAIEmbeddings, true},
	// Langfuse.
	"langfuse.observation.type":           {aLFType, false},
	"langfuse.observation.input":          {aLFInput, true},
	"langfuse.observation.output":         {aLFOutput, true},
	"langfuse.trace.input":                {aLFTraceInput, true}, // SDKs before Python 3.3 / JS 4
	"langfuse.trace.output":               {aLFTraceOutput, true},
	"langfuse.observation.model.name":     {aLFModel, false},
	"langfuse.observation.usage_details":  {aLFUsage, false},
	"langfuse.observation.cost_details":   {aLFCost, false},
	"langfuse.observation.level":          {aLFLevel, false},
	"langfuse.observation.status_message": {aLFStatusMessage, false},
	"langfuse.trace.name":                 {aLFTraceName, false},
	"langfuse.trace.tags":                 {aLFTags, false},
	"langfuse.trace.metadata":             {aLFTraceMetadata, false},
	"langfuse.user.id":                    {aLFUserID, false}, // JS SDK 4
	"langfuse.session.id":                 {aLFSessionID, false},
	"langfuse.environment":                {aLFEnvironment, false},
	"langfuse.release":                    {aLFRelease, false},
}

// usageKeys are the token counts and costs a model call's fields hold; modelKeys the model
// names, of which the one chosen is in the span's model field.
var (
	usageKeys = keySet(aGenAIInputTokens, aGenAIOutputTokens, aGenAIPromptTokens, aGenAICompletionTokens,
		aGenAITotalTokens, aGenAICacheRead, aGenAICacheReadOld, aGenAICost, aOIPromptTokens, aOICompletionTokens,
		aOITotalTokens, aOICacheRead, aOICostTotal, aLLMTotalTokens, aAIPromptTokens, aAICompletionTokens,
		aAIInputTokens, aAIOutputTokens, aAITotalTokens, aAITokens, aAICachedInputTokens, aLFUsage, aLFCost)
	modelKeys = keySet(aLFModel, aGenAIRequestModel, aGenAIResponseModel, aOIModel, aOIEmbeddingModel, aAIModelID, aAIResponseModel)
)

func keySet(keys ...attrKey) (set [nKeys]bool) {
	for _, k := range keys {
		set[k] = true
	}
	return set
}

// family is a group of flattened, indexed attributes such as llm.input_messages.0.message.role.
type family uint8

const (
	famNone family = iota
	famOIInput
	famOIOutput
	famOIPrompts
	famOIChoices
	famOIEmbeddings
	famOIDocuments
	famTLPrompt
	famTLCompletion
	famTLAssociation
	famAIMetadata
	famLFTraceMetadata
)

var families = []struct {
	prefix  string
	fam     family
	content bool
}{
	{"llm.input_messages.", famOIInput, true},
	{"llm.output_messages.", famOIOutput, true},
	{"llm.prompts.", famOIPrompts, true},
	{"llm.choices.", famOIChoices, true},
	{"embedding.embeddings.", famOIEmbeddings, true},
	{"retrieval.documents.", famOIDocuments, true},
	{"gen_ai.prompt.", famTLPrompt, true},
	{"gen_ai.completion.", famTLCompletion, true},
	{"traceloop.association.properties.", famTLAssociation, false},
	{"ai.telemetry.metadata.", famAIMetadata, false},
	{"langfuse.trace.metadata.", famLFTraceMetadata, false},
}

// familyOf reports which flattened family key belongs to (famNone for none), the rest of
// the key, and whether the family is content (kept out of the attributes).
func familyOf(key string) (family, string, bool) {
	if len(key) < 4 {
		return famNone, "", false
	}
	switch key[0] {
	case 'l', 'e', 'r', 'g', 't', 'a':
	default:
		return famNone, "", false
	}
	for _, f := range families {
		if strings.HasPrefix(key, f.prefix) {
			return f.fam, key[len(f.prefix):], f.content
		}
	}
	return famNone, "", false
}

// kindFromOpenInference maps openinference.span.kind.
func kindFromOpenInference(v string) model.SpanKind {
	switch strings.ToUpper(v) {
	case "LLM":
		return model.KindLLM
	case "EMBEDDING":
		return model.KindEmbedding
	case "CHAIN", "PROMPT", "EVALUATOR":
		return model.KindChain
	case "RETRIEVER", "RERANKER":
		return model.KindRetrieval
	case "TOOL":
		return model.KindTool
	case "AGENT":
		return model.KindAgent
	case "GUARDRAIL":
		return model.KindGuardrail
	}
	return ""
}

// kindFromTraceloop maps traceloop.span.kind (workflow, task, agent, tool).
func kindFromTraceloop(v string) model.SpanKind {
	switch strings.ToLower(v) {
	case "workflow", "task":
		return model.KindChain
	case "agent":
		return model.KindAgent
	case "tool":
		return model.KindTool
	}
	return ""
}

// kindFromOperation maps gen_ai.operation.name and OpenLLMetry's older llm.request.type.
func kindFromOperation(v string) model.SpanKind {
	switch strings.ToLower(v) {
	case "chat", "text_completion", "generate_content", "completion", "responses":
		return model.KindLLM
	case "embeddings", "embedding":
		return model.KindEmbedding
	case "execute_tool":
		return model.KindTool
	case "invoke_agent", "create_agent":
		return model.KindAgent
	case "retrieval", "rerank":
		return model.KindRetrieval
	case "invoke_workflow":
		return model.KindChain
	}
	return ""
}

// kindFromVercel maps the AI SDK's ai.operationId (or span name). The wrapper spans
// (ai.generateText, ai.streamText, ...) carry the usage of all their steps too, so only
// the inner model calls are llm spans, or tokens would be counted twice.
func kindFromVercel(op string) model.SpanKind {
	switch {
	case op == "ai.toolCall":
		return model.KindTool
	case strings.HasSuffix(op, ".doEmbed"):
		return model.KindEmbedding
	case strings.HasSuffix(op, ".doGenerate"), strings.HasSuffix(op, ".doStream"):
		return model.KindLLM
	case strings.HasPrefix(op, "ai."):
		return model.KindChain
	}
	return ""
}

// normalizeProvider maps the providers' spellings in the conventions onto the names of our
// price table, so that provider filters agree across SDKs. Unknown names pass through.
func normalizeProvider(p string) string {
	p = strings.ToLower(strings.TrimSpace(p))
	if i := strings.IndexByte(p, '.'); i > 0 {
		// Vercel writes "openai.chat", "anthropic.messages"; keep the vendor.
		switch head := p[:i]; head {
		case "openai", "anthropic", "google", "mistral", "groq", "deepseek", "cohere", "xai", "togetherai", "bedrock", "vertex", "ollama", "perplexity", "fireworks", "cerebras":
			p = head
		}
	}
	switch p {
	case "gcp.gen_ai", "gcp.vertex_ai", "gcp.gemini", "vertex_ai", "vertexai", "vertex", "gemini", "google.generative-ai", "google.vertex":
		return "google"
	case "mistral_ai", "mistralai":
		return "mistral"
	case "x_ai", "xai":
		return "xai"
	case "together_ai", "togetherai", "together":
		return "together"
	case "az.ai.openai", "azure.ai.openai", "azure", "azure-openai":
		return "azure"
	case "az.ai.inference", "azure.ai.inference":
		return "azure.ai.inference"
	case "aws.bedrock", "aws", "amazon", "bedrock":
		return "aws.bedrock"
	}
	return p
}

// isTimeout says whether an error type or message names a timeout.
func isTimeout(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "timeout") || strings.Contains(s, "timed out") || strings.Contains(s, "deadline")
}
