// Package pricing prices LLM calls from a table of public list prices, for
// spans and traces whose client did not report a cost.
//
// The default table is embedded in the binary (prices.json) so that pricing
// works offline and is reproducible for a given build. Prices change, so a
// user file can override and extend it (see Load and docs/pricing.md).
package pricing

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

//go:embed prices.json
var embedded []byte

// Price is the list price of one model in USD per million tokens.
type Price struct {
	Provider           string
	Model              string
	InputPerMTok       float64
	OutputPerMTok      float64
	CachedInputPerMTok *float64 // nil: cached tokens are billed at the input rate
}

// Table is an immutable price table with a lookup cache. It is safe for
// concurrent use; a nil *Table knows no models.
type Table struct {
	entries []entry
	exact   map[string]int32 // names and aliases as written
	keys    map[string]int32 // lower-cased names and aliases
	folded  map[string]int32 // keys with '.' read as '-'; ambiguous ones left out

	// cache maps a model string as sent by a client to its entry index (or
	// noEntry), so that each distinct string is normalized once. Cost is on
	// the ingestion hot path; a sync.Map load of a string is allocation-free.
	cache  sync.Map
	cached atomic.Int64
}

// entry is one model of the table.
type entry struct {
	price   Price
	aliases []string
	cached  float64 // the rate applied to cached input tokens
}

const (
	noEntry = int32(-1)
	// maxCached bounds the lookup cache: model strings come from clients, and
	// a stream of unique junk must not grow memory without limit. Past the
	// bound, lookups are still correct, only slower.
	maxCached = 8192
)

var (
	defaultOnce  sync.Once
	defaultTable *Table
)

// Default returns the embedded price table. It is parsed once and shared, so
// its lookup cache serves the whole process. It panics only if the embedded
// file is broken, which a test rules out.
func Default() *Table {
	defaultOnce.Do(func() {
		t, err := Parse(embedded)
		if err != nil {
			panic("pricing: embedded prices.json is invalid: " + err.Error())
		}
		defaultTable = t
	})
	return defaultTable
}

// Load reads the price file at path and returns the default table overridden
// and extended by it, so that prices can be fixed without a new build. The
// user's entries always win: a default entry whose model name the file uses
// (as a model or an alias) is dropped, and a default alias the file uses is
// removed from its default entry. The default table itself is not changed.
func Load(path string) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pricing: %w", err)
	}
	user, err := parseEntries(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return build(mergeEntries(Default().entries, user))
}

// mergeEntries returns user followed by the base entries the user did not
// override; base aliases the user claimed are dropped.
func mergeEntries(base, user []entry) []entry {
	claimed := make(map[string]bool)
	for _, e := range user {
		claimed[strings.ToLower(e.price.Model)] = true
		for _, a := range e.aliases {
			claimed[strings.ToLower(a)] = true
		}
	}
	out := make([]entry, 0, len(base)+len(user))
	out = append(out, user...)
	for _, e := range base {
		if claimed[strings.ToLower(e.price.Model)] {
			continue
		}
		var aliases []string
		for _, a := range e.aliases {
			if !claimed[strings.ToLower(a)] {
				aliases = append(aliases, a)
			}
		}
		e.aliases = aliases
		out = append(out, e)
	}
	return out
}

// fileFormat is the price file; models are decoded one by one so that errors
// can name the entry.
type fileFormat struct {
	AsOf       string             `json:"as_of"`
	SourceNote string             `json:"source_note"`
	Models     *[]json.RawMessage `json:"models"`
}

type fileModel struct {
	Provider *string  `json:"provider"`
	Model    *string  `json:"model"`
	Aliases  []string `json:"aliases"`
	Input    *float64 `json:"input_per_mtok"`
	Output   *float64 `json:"output_per_mtok"`
	Cached   *float64 `json:"cached_input_per_mtok"`
}

// Parse decodes a price file (the format of prices.json). Unknown fields are
// errors, because a misspelt price field would otherwise silently price a
// model at zero. Errors name the entry and field, as in
// "models[3].input_per_mtok: must be >= 0".
func Parse(data []byte) (*Table, error) {
	entries, err := parseEntries(data)
	if err != nil {
		return nil, err
	}
	return build(entries)
}

func parseEntries(data []byte) ([]entry, error) {
	var f fileFormat
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("pricing: %s", describeJSONError("", err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("pricing: unexpected data after the top-level object")
	}
	if f.AsOf != "" {
		if _, err := time.Parse(time.DateOnly, f.AsOf); err != nil {
			return nil, errors.New("pricing: as_of: must be a date (YYYY-MM-DD)")
		}
	}
	if f.Models == nil {
		return nil, errors.New("pricing: models: required")
	}
	entries := make([]entry, 0, len(*f.Models))
	for i, raw := range *f.Models {
		e, err := parseModel(i, raw)
		if err != nil {
			return nil, fmt.Errorf("pricing: %w", err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func parseModel(i int, raw json.RawMessage) (entry, error) {
	path := fmt.Sprintf("models[%d]", i)
	var m fileModel
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return entry{}, errors.New(describeJSONError(path, err))
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return entry{}, fmt.Errorf("%s: must be an object", path)
	}
	var e entry
	if m.Model == nil || strings.TrimSpace(*m.Model) == "" {
		return entry{}, fmt.Errorf("%s.model: required", path)
	}
	e.price.Model = strings.TrimSpace(*m.Model)
	if m.Provider == nil || strings.TrimSpace(*m.Provider) == "" {
		return entry{}, fmt.Errorf("%s.provider: required", path)
	}
	e.price.Provider = strings.ToLower(strings.TrimSpace(*m.Provider))
	for j, a := range m.Aliases {
		a = strings.TrimSpace(a)
		if a == "" {
			return entry{}, fmt.Errorf("%s.aliases[%d]: must not be empty", path, j)
		}
		e.aliases = append(e.aliases, a)
	}
	rates := []struct {
		name     string
		v        *float64
		required bool
	}{
		{"input_per_mtok", m.Input, true},
		{"output_per_mtok", m.Output, true},
		{"cached_input_per_mtok", m.Cached, false},
	}
	for _, r := range rates {
		switch {
		case r.v == nil && r.required:
			return entry{}, fmt.Errorf("%s.%s: required", path, r.name)
		case r.v != nil && *r.v < 0:
			return entry{}, fmt.Errorf("%s.%s: must be >= 0", path, r.name)
		}
	}
	e.price.InputPerMTok = *m.Input
	e.price.OutputPerMTok = *m.Output
	e.cached = *m.Input
	if m.Cached != nil {
		c := *m.Cached
		e.price.CachedInputPerMTok = &c
		e.cached = c
	}
	return e, nil
}

// describeJSONError turns a decoding error into "path.field: problem".
func describeJSONError(path string, err error) string {
	join := func(field string) string {
		switch {
		case path == "":
			return field
		case field == "":
			return path
		}
		return path + "." + field
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		where := join(typ.Field)
		if where == "" {
			where = "price file"
		}
		kind := jsonKind(typ.Type.String())
		if kind == "a number" && strings.HasPrefix(typ.Value, "number") {
			return fmt.Sprintf("%s: number out of range", where)
		}
		return fmt.Sprintf("%s: must be %s, not %s", where, kind, typ.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "invalid JSON: unexpected end of input"
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Sprintf("%s: unknown field", join(strings.Trim(name, `"`)))
	}
	if path != "" {
		return path + ": " + strings.TrimPrefix(msg, "json: ")
	}
	return "invalid JSON: " + strings.TrimPrefix(msg, "json: ")
}

func jsonKind(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "[]string":
		return "an array of strings"
	case "[]json.RawMessage":
		return "an array"
	}
	return "an object"
}

// build indexes entries, rejecting a name or alias used by two models.
func build(entries []entry) (*Table, error) {
	t := &Table{
		entries: entries,
		exact:   make(map[string]int32, 2*len(entries)),
		keys:    make(map[string]int32, 2*len(entries)),
		folded:  make(map[string]int32, 2*len(entries)),
	}
	ambiguous := make(map[string]bool)
	add := func(i int, name, where string) error {
		key := strings.ToLower(name)
		if j, ok := t.keys[key]; ok {
			if int(j) == i {
				return nil
			}
			return fmt.Errorf("pricing: %s: %q already names models[%d] (%s)", where, name, j, t.entries[j].price.Model)
		}
		t.exact[name] = int32(i)
		t.keys[key] = int32(i)
		f := fold(key)
		if ambiguous[f] {
			return nil
		}
		if j, ok := t.folded[f]; ok && int(j) != i {
			delete(t.folded, f)
			ambiguous[f] = true
			return nil
		}
		t.folded[f] = int32(i)
		return nil
	}
	for i, e := range entries {
		if err := add(i, e.price.Model, fmt.Sprintf("models[%d].model", i)); err != nil {
			return nil, err
		}
		for j, a := range e.aliases {
			if err := add(i, a, fmt.Sprintf("models[%d].aliases[%d]", i, j)); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

// index returns the entry index for model, or noEntry. The result for each
// distinct string is cached.
func (t *Table) index(model string) int32 {
	if v, ok := t.cache.Load(model); ok {
		return v.(int32)
	}
	i := t.resolve(model)
	if t.cached.Load() < maxCached {
		// Clone: model may be a slice of a large request body.
		if _, loaded := t.cache.LoadOrStore(strings.Clone(model), i); !loaded {
			t.cached.Add(1)
		}
	}
	return i
}

// Lookup returns the price of model, found as described in docs/pricing.md:
// exact name, then case-insensitive, then normalized (provider prefixes,
// Bedrock and Vertex ids, date and version suffixes, aliases). It never
// matches a different model by prefix. The returned Price is a copy.
func (t *Table) Lookup(model string) (Price, bool) {
	if t == nil {
		return Price{}, false
	}
	i := t.index(model)
	if i == noEntry {
		return Price{}, false
	}
	p := t.entries[i].price
	if p.CachedInputPerMTok != nil {
		c := *p.CachedInputPerMTok
		p.CachedInputPerMTok = &c
	}
	return p, true
}

// Cost prices one call in USD. Cached input tokens are part of tokensInput
// (OpenAI usage semantics) and are billed at the cached rate; more cached
// than input tokens counts as all input cached, and negative counts as zero.
// An unknown model gives 0, false: the caller must store no cost rather than
// a zero cost.
func (t *Table) Cost(model string, tokensInput, tokensOutput, tokensCachedInput int64) (usd float64, ok bool) {
	if t == nil {
		return 0, false
	}
	i := t.index(model)
	if i == noEntry {
		return 0, false
	}
	e := &t.entries[i]
	in, out, cached := max(tokensInput, 0), max(tokensOutput, 0), max(tokensCachedInput, 0)
	cached = min(cached, in)
	usd = (float64(in-cached)*e.price.InputPerMTok +
		float64(cached)*e.cached +
		float64(out)*e.price.OutputPerMTok) / 1e6
	return usd, true
}

// ProviderOf returns the provider that the table prices model at, or "" when
// the model is unknown.
func (t *Table) ProviderOf(model string) string {
	if t == nil {
		return ""
	}
	i := t.index(model)
	if i == noEntry {
		return ""
	}
	return t.entries[i].price.Provider
}

// Len returns the number of models (not counting aliases).
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}
