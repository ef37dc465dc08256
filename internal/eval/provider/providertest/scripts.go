package providertest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Rate is a script that gives every criterion named in the request's schema (its
// "required" keys) the same score with an explanation, as a well-behaved judge would.
func Rate(score any) func(Call) Reply {
	return func(c Call) Reply {
		var schema struct {
			Required []string `json:"required"`
		}
		_ = json.Unmarshal(c.Schema, &schema)
		val, _ := json.Marshal(score)
		parts := make([]string, len(schema.Required))
		for i, name := range schema.Required {
			parts[i] = fmt.Sprintf("%q: {\"explanation\": \"fine\", \"score\": %s}", name, val)
		}
		return Reply{Text: "{" + strings.Join(parts, ", ") + "}", InputTokens: 1000, OutputTokens: 100}
	}
}
