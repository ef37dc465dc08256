package otlp

import "strings"

// fastMessages reads the commonest message arrays (GenAI parts, OpenAI chat messages and
// AI SDK prompts whose values are all strings) straight into chatMessage, without building
// a generic tree: message attributes are on every model call, and the tree cost more than
// the rest of the call's mapping. It gives up (ok false) on anything else (tool arguments
// given as objects, tool_calls arrays, a top-level object), and the caller falls back to
// the generic reader, whose result it then equals (FuzzFastMessages checks).
func fastMessages(s, defaultRole string) (msgs []chatMessage, ok bool) {
	p := jsonParser{s: s}
	p.skipSpace()
	if !p.eat('[') {
		return nil, false
	}
	p.skipSpace()
	if p.eat(']') {
		return nil, p.end()
	}
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch p.s[p.i] {
		case '{':
			m, ok := p.fastMessage(defaultRole)
			if !ok {
				return nil, false
			}
			if !m.empty() {
				msgs = append(msgs, m)
			}
		case '"':
			t, err := p.str()
			if err != nil {
				return nil, false
			}
			if t != "" {
				msgs = append(msgs, chatMessage{Role: defaultRole, Content: t})
			}
		default:
			if _, err := p.value(0); err != nil { // ignored, as by messagesFrom
				return nil, false
			}
		}
		p.skipSpace()
		if p.eat(',') {
			continue
		}
		if p.eat(']') {
			return msgs, p.end()
		}
		return nil, false
	}
}

func (p *jsonParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonParser) end() bool {
	p.skipSpace()
	return p.i == len(p.s)
}

// optString reads a string or null; other values fail.
func (p *jsonParser) optString() (s string, present, ok bool) {
	if p.i >= len(p.s) {
		return "", false, false
	}
	switch p.s[p.i] {
	case '"':
		v, err := p.str()
		return v, true, err == nil
	case 'n':
		_, err := p.literal("null", nil)
		return "", false, err == nil
	}
	return "", false, false
}

// object walks the members of an object at p.i, calling fn with each key, fn reading the
// value; it reports whether the object was well formed and fn accepted every member.
func (p *jsonParser) object(fn func(key string) bool) bool {
	if !p.eat('{') {
		return false
	}
	p.skipSpace()
	if p.eat('}') {
		return true
	}
	for {
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return false
		}
		k, err := p.str()
		if err != nil {
			return false
		}
		p.skipSpace()
		if !p.eat(':') {
			return false
		}
		p.skipSpace()
		if !fn(k) {
			return false
		}
		p.skipSpace()
		if p.eat(',') {
			continue
		}
		return p.eat('}')
	}
}

// partsResult is what one "parts" or "content" array holds; the generic reader applies
// "parts" before "content" whatever their order in the text, and so does fastMessage.
type partsResult struct {
	texts      []string
	toolCalls  []chatToolCall
	resultID   string // id of the first tool result
	toolResult bool
}

func (p *jsonParser) fastMessage(defaultRole string) (chatMessage, bool) {
	var msg chatMessage
	var id, callID, callIDAlt string
	var parts, content partsResult
	var seenParts, seenContent bool
	ok := p.object(func(key string) bool {
		switch key {
		case "role", "name", "tool_call_id", "toolCallId", "id":
			v, _, ok := p.optString()
			if !ok {
				return false
			}
			switch key {
			case "role":
				msg.Role = v
			case "name":
				msg.Name = v
			case "tool_call_id":
				callID = v
			case "toolCallId":
				callIDAlt = v
			case "id":
				id = v
			}
			return true
		case "parts", "content":
			if (key == "parts" && seenParts) || (key == "content" && seenContent) {
				return false // a repeated key: the generic reader keeps the last one
			}
			var r partsResult
			if p.i < len(p.s) && p.s[p.i] == '[' {
				var ok bool
				if r, ok = p.fastParts(); !ok {
					return false
				}
			} else {
				v, present, ok := p.optString()
				if !ok {
					return false
				}
				if present {
					r.texts = []string{v}
				}
			}
			if key == "parts" {
				parts, seenParts = r, true
			} else {
				content, seenContent = r, true
			}
			return true
		case "message", "tool_calls", "function_call":
			return false
		}
		_, err := p.value(0)
		return err == nil
	})
	if !ok {
		return msg, false
	}
	if msg.Role == "" {
		msg.Role = defaultRole
	}
	msg.ToolCallID = callID
	if msg.ToolCallID == "" {
		msg.ToolCallID = callIDAlt
	}
	for _, r := range []*partsResult{&parts, &content} {
		if r.toolResult {
			if msg.ToolCallID == "" {
				msg.ToolCallID = r.resultID
			}
			if msg.Role == "" || msg.Role == "user" {
				msg.Role = "tool"
			}
		}
		msg.ToolCalls = append(msg.ToolCalls, r.toolCalls...)
	}
	switch texts := append(parts.texts, content.texts...); len(texts) {
	case 0:
	case 1:
		msg.Content = texts[0]
	default:
		msg.Content = strings.Join(texts, "\n")
	}
	if msg.Role == "tool" && msg.ToolCallID == "" {
		msg.ToolCallID = id
	}
	return msg, true
}

// fastParts reads an array of parts whose members are all strings or null, the way
// chatMessage.addParts reads the decoded array.
func (p *jsonParser) fastParts() (partsResult, bool) {
	var r partsResult
	p.eat('[')
	p.skipSpace()
	if p.eat(']') {
		return r, true
	}
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			return r, false
		}
		switch p.s[p.i] {
		case '"':
			t, err := p.str()
			if err != nil {
				return r, false
			}
			if t != "" {
				r.texts = append(r.texts, t)
			}
		case '{':
			var f partFields
			if !p.object(f.read(p)) {
				return r, false
			}
			switch typ := f.get("type"); typ {
			case "text", "input_text", "output_text", "":
				if t := f.first("content", "text"); t != "" {
					r.texts = append(r.texts, t)
				}
			case "tool_call", "tool-call", "function_call", "tool_use":
				args := ""
				switch {
				case f.present("arguments"):
					args = f.get("arguments")
				case f.present("args"):
					args = f.get("args")
				default:
					args = f.get("input")
				}
				r.toolCalls = append(r.toolCalls, chatToolCall{ID: f.first("id", "toolCallId", "call_id"), Type: "function",
					Function: chatFunction{Name: f.first("name", "toolName"), Arguments: args}})
			case "tool_call_response", "tool-result", "tool_result", "function_call_output":
				if !r.toolResult {
					r.resultID = f.first("id", "toolCallId", "tool_use_id", "call_id")
				} else if r.resultID == "" {
					r.resultID = f.first("id", "toolCallId", "tool_use_id", "call_id")
				}
				r.toolResult = true
				for _, k := range []string{"response", "result", "output", "content"} {
					if f.has(k) {
						if v := f.get(k); v != "" {
							r.texts = append(r.texts, v)
						}
						break
					}
				}
			case "reasoning", "thinking", "redacted_thinking":
			default:
				ref := f.first("uri", "url", "image_url", "file_id")
				if len(ref) > 256 || strings.HasPrefix(ref, "data:") {
					ref = ""
				}
				if ref != "" {
					r.texts = append(r.texts, "["+typ+": "+ref+"]")
				} else {
					r.texts = append(r.texts, "["+typ+"]")
				}
			}
		default:
			return r, false
		}
		p.skipSpace()
		if p.eat(',') {
			continue
		}
		if p.eat(']') {
			return r, true
		}
		return r, false
	}
}

// partFields holds a part's members, all strings or null, in a small slice: parts have a
// handful of members and a map per part would cost more than the rest of the reading.
type partFields []partField

type partField struct {
	key, val string
	null     bool
}

func (f *partFields) read(p *jsonParser) func(key string) bool {
	return func(key string) bool {
		v, present, ok := p.optString()
		if !ok {
			return false
		}
		for i := range *f { // a repeated key: the last one wins, as in a decoded map
			if (*f)[i].key == key {
				(*f)[i] = partField{key, v, !present}
				return true
			}
		}
		*f = append(*f, partField{key, v, !present})
		return true
	}
}

func (f partFields) has(key string) bool {
	for _, x := range f {
		if x.key == key {
			return true
		}
	}
	return false
}

// present reports a member that is not null.
func (f partFields) present(key string) bool {
	for _, x := range f {
		if x.key == key {
			return !x.null
		}
	}
	return false
}

func (f partFields) get(key string) string {
	for _, x := range f {
		if x.key == key {
			return x.val
		}
	}
	return ""
}

func (f partFields) first(keys ...string) string {
	for _, k := range keys {
		if v := f.get(k); v != "" {
			return v
		}
	}
	return ""
}
