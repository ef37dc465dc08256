package otlp

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// chatMessage is how every convention's messages are rendered into a span's input and
// output: the OpenAI chat shape, which our SDKs record too, so readers see one format.
type chatMessage struct {
	Role       string         `json:"role"`
	Name       string         `json:"name,omitempty"`
	Content    string         `json:"content,omitempty"`
	ToolCalls  []chatToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type chatToolCall struct {
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type"`
	Function chatFunction `json:"function"`
}

type chatFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

func (m *chatMessage) empty() bool {
	return m.Content == "" && len(m.ToolCalls) == 0 && m.ToolCallID == ""
}

// renderInput renders a prompt as a JSON array of messages.
func renderInput(msgs []chatMessage) string {
	if len(msgs) == 0 {
		return ""
	}
	b := make([]byte, 0, 256)
	b = append(b, '[')
	for i := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMessage(b, &msgs[i])
	}
	return string(append(b, ']'))
}

// renderOutput renders a completion: the text alone when the model answered with one
// plain message, else the message (or the choices) as JSON.
func renderOutput(msgs []chatMessage) string {
	switch {
	case len(msgs) == 0:
		return ""
	case len(msgs) == 1 && len(msgs[0].ToolCalls) == 0 && msgs[0].ToolCallID == "":
		return msgs[0].Content
	case len(msgs) == 1:
		return string(appendMessage(nil, &msgs[0]))
	}
	return renderInput(msgs)
}

// appendMessage writes m as json.Marshal would with chatMessage's tags, without reflection.
func appendMessage(b []byte, m *chatMessage) []byte {
	b = append(b, `{"role":`...)
	b = appendJSONString(b, m.Role)
	if m.Name != "" {
		b = append(b, `,"name":`...)
		b = appendJSONString(b, m.Name)
	}
	if m.Content != "" {
		b = append(b, `,"content":`...)
		b = appendJSONString(b, m.Content)
	}
	if len(m.ToolCalls) > 0 {
		b = append(b, `,"tool_calls":[`...)
		for i := range m.ToolCalls {
			tc := &m.ToolCalls[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if tc.ID != "" {
				b = append(b, `"id":`...)
				b = appendJSONString(b, tc.ID)
				b = append(b, ',')
			}
			b = append(b, `"type":`...)
			b = appendJSONString(b, tc.Type)
			b = append(b, `,"function":{"name":`...)
			b = appendJSONString(b, tc.Function.Name)
			b = append(b, `,"arguments":`...)
			b = appendJSONString(b, tc.Function.Arguments)
			b = append(b, `}}`...)
		}
		b = append(b, ']')
	}
	if m.ToolCallID != "" {
		b = append(b, `,"tool_call_id":`...)
		b = appendJSONString(b, m.ToolCallID)
	}
	return append(b, '}')
}

// stringify renders a decoded JSON value as text: strings as they are, the rest as JSON.
func stringify(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func getString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			if s := stringify(v); s != "" {
				return s
			}
		}
	}
	return ""
}

// messagesOf reads a message attribute, JSON text or structured, the common text shapes
// through fastMessages.
func messagesOf(av *commonpb.AnyValue, defaultRole string) []chatMessage {
	if s, ok := strValue(av); ok {
		if msgs, ok := fastMessages(s, defaultRole); ok {
			return msgs
		}
		return messagesFrom(parseJSONText(s), defaultRole)
	}
	return messagesFrom(toGo(av, 0), defaultRole)
}

// messagesFrom reads messages from a decoded JSON value: an array of messages, an object
// holding "messages", a single message object, or plain text (one message of defaultRole).
func messagesFrom(v any, defaultRole string) []chatMessage {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "" {
			return nil
		}
		return []chatMessage{{Role: defaultRole, Content: x}}
	case []any:
		var out []chatMessage
		for _, el := range x {
			switch e := el.(type) {
			case map[string]any:
				if m := messageFrom(e, defaultRole); !m.empty() {
					out = append(out, m)
				}
			case string:
				if e != "" {
					out = append(out, chatMessage{Role: defaultRole, Content: e})
				}
			}
		}
		return out
	case map[string]any:
		if inner, ok := x["messages"]; ok {
			return messagesFrom(inner, defaultRole)
		}
		if m := messageFrom(x, defaultRole); !m.empty() {
			return []chatMessage{m}
		}
	}
	return nil
}

// messageFrom reads one message in any of the shapes the conventions use: GenAI parts
// (v1.37.0), OpenAI chat messages with content strings or part arrays and tool_calls,
// the AI SDK's tool-call and tool-result parts, and the bodies of the deprecated events.
func messageFrom(m map[string]any, defaultRole string) chatMessage {
	if inner, ok := m["message"].(map[string]any); ok { // gen_ai.choice event body
		msg := messageFrom(inner, defaultRole)
		if tc, ok := m["tool_calls"]; ok && len(msg.ToolCalls) == 0 {
			msg.ToolCalls = toolCallsFrom(tc)
		}
		return msg
	}
	msg := chatMessage{Role: getString(m, "role"), Name: getString(m, "name"),
		ToolCallID: getString(m, "tool_call_id", "toolCallId")}
	if msg.Role == "" {
		msg.Role = defaultRole
	}
	var texts []string
	for _, key := range []string{"parts", "content"} {
		switch c := m[key].(type) {
		case string:
			texts = append(texts, c)
		case []any:
			texts = msg.addParts(c, texts)
		case map[string]any:
			texts = append(texts, stringify(c))
		case nil:
		default:
			texts = append(texts, stringify(c))
		}
	}
	msg.Content = strings.Join(texts, "\n")
	if tc, ok := m["tool_calls"]; ok {
		msg.ToolCalls = append(msg.ToolCalls, toolCallsFrom(tc)...)
	}
	if fc, ok := m["function_call"].(map[string]any); ok {
		msg.ToolCalls = append(msg.ToolCalls, chatToolCall{Type: "function",
			Function: chatFunction{Name: getString(fc, "name"), Arguments: getString(fc, "arguments")}})
	}
	if msg.Role == "tool" && msg.ToolCallID == "" {
		msg.ToolCallID = getString(m, "id") // gen_ai.tool.message event body
	}
	return msg
}

func (msg *chatMessage) addParts(parts []any, texts []string) []string {
	for _, p := range parts {
		part, ok := p.(map[string]any)
		if !ok {
			if s, ok := p.(string); ok && s != "" {
				texts = append(texts, s)
			}
			continue
		}
		typ := getString(part, "type")
		switch typ {
		case "text", "input_text", "output_text", "":
			if s := getString(part, "content", "text"); s != "" {
				texts = append(texts, s)
			}
		case "tool_call", "tool-call", "function_call", "tool_use":
			args := part["arguments"]
			if args == nil {
				args = part["args"]
			}
			if args == nil {
				args = part["input"]
			}
			msg.ToolCalls = append(msg.ToolCalls, chatToolCall{
				ID: getString(part, "id", "toolCallId", "call_id"), Type: "function",
				Function: chatFunction{Name: getString(part, "name", "toolName"), Arguments: stringify(args)}})
		case "tool_call_response", "tool-result", "tool_result", "function_call_output":
			if msg.ToolCallID == "" {
				msg.ToolCallID = getString(part, "id", "toolCallId", "tool_use_id", "call_id")
			}
			if msg.Role == "" || msg.Role == "user" {
				msg.Role = "tool"
			}
			var res any
			for _, k := range []string{"response", "result", "output", "content"} {
				if v, ok := part[k]; ok {
					res = v
					break
				}
			}
			if o, ok := res.(map[string]any); ok { // AI SDK 5+: {type: "json"|"text", value}
				if v, ok := o["value"]; ok {
					res = v
				}
			}
			if s := stringify(res); s != "" {
				texts = append(texts, s)
			}
		case "reasoning", "thinking", "redacted_thinking":
			// A model's reasoning is not part of the conversation it answers.
		default:
			ref := getString(part, "uri", "url", "image_url", "file_id")
			if len(ref) > 256 || strings.HasPrefix(ref, "data:") {
				ref = ""
			}
			if ref != "" {
				texts = append(texts, "["+typ+": "+ref+"]")
			} else {
				texts = append(texts, "["+typ+"]")
			}
		}
	}
	return texts
}

// toolCallsFrom reads OpenAI tool_calls ({id, type, function: {name, arguments}}) and the
// AI SDK's ai.response.toolCalls ({toolCallId, toolName, args|input}).
func toolCallsFrom(v any) []chatToolCall {
	arr, ok := v.([]any)
	if !ok {
		return nil
	}
	var out []chatToolCall
	for _, el := range arr {
		tc, ok := el.(map[string]any)
		if !ok {
			continue
		}
		call := chatToolCall{ID: getString(tc, "id", "toolCallId"), Type: "function"}
		if fn, ok := tc["function"].(map[string]any); ok {
			call.Function = chatFunction{Name: getString(fn, "name"), Arguments: getString(fn, "arguments")}
		} else {
			args := tc["args"]
			if args == nil {
				args = tc["input"]
			}
			if args == nil {
				args = tc["arguments"]
			}
			call.Function = chatFunction{Name: getString(tc, "toolName", "name"), Arguments: stringify(args)}
		}
		out = append(out, call)
	}
	return out
}

// systemMessage renders gen_ai.system_instructions (parts, or a string) as a system message.
func systemMessage(v any) []chatMessage {
	var msg chatMessage
	msg.Role = "system"
	switch x := v.(type) {
	case string:
		msg.Content = x
	case []any:
		msg.Content = strings.Join(msg.addParts(x, nil), "\n")
	case map[string]any:
		return messagesFrom(x, "system")
	}
	if msg.Content == "" {
		return nil
	}
	return []chatMessage{msg}
}

// vercelPrompt reads the AI SDK's ai.prompt: {"system", "prompt", "messages"}.
func vercelPrompt(v any) ([]chatMessage, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	var out []chatMessage
	if s := getString(m, "system"); s != "" {
		out = append(out, chatMessage{Role: "system", Content: s})
	}
	switch p := m["prompt"].(type) {
	case string:
		if p != "" {
			out = append(out, chatMessage{Role: "user", Content: p})
		}
	case []any:
		out = append(out, messagesFrom(p, "user")...)
	}
	out = append(out, messagesFrom(m["messages"], "user")...)
	return out, len(out) > 0
}

// flatAttr is one attribute of a flattened family, keyed by the rest of its name after
// the family prefix ("0.message.role").
type flatAttr struct {
	fam  family
	rest string
	val  *commonpb.AnyValue
}

// flatMessage collects one indexed message of a flattened family.
type flatMessage struct {
	index      int
	role       string
	name       string
	content    string
	toolCallID string
	parts      map[int]map[string]string // message.contents.N.message_content.*
	toolCalls  map[int]*chatToolCall
}

// splitIndex splits "12.rest" into 12 and "rest".
func splitIndex(s string) (int, string, bool) {
	i := strings.IndexByte(s, '.')
	if i <= 0 || i > 6 {
		return 0, "", false
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n < 0 {
		return 0, "", false
	}
	return n, s[i+1:], true
}

// flatMessages assembles the messages of one flattened family. OpenInference nests the
// fields under "message." (llm.input_messages.0.message.role); OpenLLMetry does not
// (gen_ai.prompt.0.role). Both are read here.
func flatMessages(attrs []flatAttr, fam family, defaultRole string) []chatMessage {
	byIndex := map[int]*flatMessage{}
	for _, a := range attrs {
		if a.fam != fam {
			continue
		}
		idx, rest, ok := splitIndex(a.rest)
		if !ok {
			continue
		}
		m := byIndex[idx]
		if m == nil {
			m = &flatMessage{index: idx}
			byIndex[idx] = m
		}
		rest = strings.TrimPrefix(rest, "message.")
		val := text(a.val)
		switch {
		case rest == "role":
			m.role = val
		case rest == "content":
			m.content = val
		case rest == "name":
			m.name = val
		case rest == "tool_call_id":
			m.toolCallID = val
		case rest == "function_call_name" || rest == "function_call.name":
			m.call(-1).Function.Name = val
		case rest == "function_call_arguments_json" || rest == "function_call.arguments":
			m.call(-1).Function.Arguments = val
		case strings.HasPrefix(rest, "contents."):
			n, field, ok := splitIndex(rest[len("contents."):])
			if !ok {
				continue
			}
			if m.parts == nil {
				m.parts = map[int]map[string]string{}
			}
			if m.parts[n] == nil {
				m.parts[n] = map[string]string{}
			}
			m.parts[n][strings.TrimPrefix(field, "message_content.")] = val
		case strings.HasPrefix(rest, "tool_calls."):
			n, field, ok := splitIndex(rest[len("tool_calls."):])
			if !ok {
				continue
			}
			tc := m.call(n)
			switch strings.TrimPrefix(field, "tool_call.") {
			case "id":
				tc.ID = val
			case "function.name", "name":
				tc.Function.Name = val
			case "function.arguments", "arguments":
				tc.Function.Arguments = val
			}
		}
	}
	if len(byIndex) == 0 {
		return nil
	}
	idxs := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idxs = append(idxs, i)
	}
	sort.Ints(idxs)
	out := make([]chatMessage, 0, len(idxs))
	for _, i := range idxs {
		fm := byIndex[i]
		msg := chatMessage{Role: fm.role, Name: fm.name, ToolCallID: fm.toolCallID}
		if msg.Role == "" {
			msg.Role = defaultRole
		}
		msg.Content = fm.content
		if msg.Content == "" && len(fm.parts) > 0 {
			msg.Content = joinParts(fm.parts)
		} else if c := parseJSONText(msg.Content); c != nil {
			// OpenLLMetry puts multimodal content as a JSON array of parts in .content.
			if arr, ok := c.([]any); ok {
				msg.Content = strings.Join(msg.addParts(arr, nil), "\n")
			}
		}
		if len(fm.toolCalls) > 0 {
			keys := make([]int, 0, len(fm.toolCalls))
			for k := range fm.toolCalls {
				keys = append(keys, k)
			}
			sort.Ints(keys)
			for _, k := range keys {
				msg.ToolCalls = append(msg.ToolCalls, *fm.toolCalls[k])
			}
		}
		if !msg.empty() {
			out = append(out, msg)
		}
	}
	return out
}

func (m *flatMessage) call(n int) *chatToolCall {
	if m.toolCalls == nil {
		m.toolCalls = map[int]*chatToolCall{}
	}
	tc := m.toolCalls[n]
	if tc == nil {
		tc = &chatToolCall{Type: "function"}
		m.toolCalls[n] = tc
	}
	return tc
}

func joinParts(parts map[int]map[string]string) string {
	keys := make([]int, 0, len(parts))
	for k := range parts {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var texts []string
	for _, k := range keys {
		p := parts[k]
		switch typ := p["type"]; typ {
		case "text", "":
			if p["text"] != "" {
				texts = append(texts, p["text"])
			}
		default:
			if url := p["image.image.url"]; url != "" && len(url) <= 256 && !strings.HasPrefix(url, "data:") {
				texts = append(texts, "["+typ+": "+url+"]")
			} else {
				texts = append(texts, "["+typ+"]")
			}
		}
	}
	return strings.Join(texts, "\n")
}

// flatTexts reads the OpenInference completions-API families and embedding texts:
// llm.prompts.N.prompt.text, llm.choices.N.completion.text, embedding.embeddings.N.embedding.text.
func flatTexts(attrs []flatAttr, fam family, field string) []string {
	byIndex := map[int]string{}
	for _, a := range attrs {
		if a.fam != fam {
			continue
		}
		idx, rest, ok := splitIndex(a.rest)
		if ok && rest == field {
			byIndex[idx] = text(a.val)
		}
	}
	if len(byIndex) == 0 {
		return nil
	}
	idxs := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idxs = append(idxs, i)
	}
	sort.Ints(idxs)
	out := make([]string, 0, len(idxs))
	for _, i := range idxs {
		out = append(out, byIndex[i])
	}
	return out
}

// flatDocuments renders OpenInference retrieval.documents.N.document.* as a JSON array.
func flatDocuments(attrs []flatAttr) string {
	type doc struct {
		ID      string          `json:"id,omitempty"`
		Score   json.RawMessage `json:"score,omitempty"`
		Content string          `json:"content,omitempty"`
	}
	byIndex := map[int]*doc{}
	for _, a := range attrs {
		if a.fam != famOIDocuments {
			continue
		}
		idx, rest, ok := splitIndex(a.rest)
		if !ok {
			continue
		}
		d := byIndex[idx]
		if d == nil {
			d = &doc{}
			byIndex[idx] = d
		}
		switch rest {
		case "document.id":
			d.ID = text(a.val)
		case "document.score":
			if f, ok := floatValue(a.val); ok {
				d.Score = strconv.AppendFloat(nil, f, 'g', -1, 64)
			}
		case "document.content":
			d.Content = text(a.val)
		}
	}
	if len(byIndex) == 0 {
		return ""
	}
	idxs := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idxs = append(idxs, i)
	}
	sort.Ints(idxs)
	docs := make([]*doc, 0, len(idxs))
	for _, i := range idxs {
		docs = append(docs, byIndex[i])
	}
	b, _ := json.Marshal(docs)
	return string(b)
}
