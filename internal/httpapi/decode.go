package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// decodeJSON reads a JSON object into v, refusing unknown fields and reporting mistyped
// ones with their path. An empty body leaves v as it is when optional is set.
func (a *API) decodeJSON(r *http.Request, v any, optional bool) error {
	if optional && r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	body, err := a.readJSONBody(nil, r)
	if err != nil {
		return err
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return nil
	}
	var path model.Path
	detail := "malformed JSON: " + err.Error()
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &te):
		for _, part := range strings.Split(te.Field, ".") {
			// Go names of embedded structs are not part of the JSON path; JSON names are snake_case.
			if part != "" && !(part[0] >= 'A' && part[0] <= 'Z') {
				path = append(path, part)
			}
		}
		detail = "must be of type " + jsonTypeName(te.Type.Kind().String())
	case errors.As(err, &pe):
		detail = "must be an RFC 3339 time such as 2026-12-31T00:00:00Z"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		path, detail = model.Path{name}, "unknown field"
	}
	return &model.Error{Code: model.EINVALID, Message: "invalid request body", Fields: []model.FieldError{{Path: path, Detail: detail}}}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	}
	return "number"
}
