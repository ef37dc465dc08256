package store

import (
	"fmt"
	"strconv"
	"strings"
)

// Both SQL backends render the same filters, dimensions and bucket labels; only a few
// functions are spelled differently, which a Dialect supplies.

// SQLArgs accumulates positional arguments next to the SQL that uses them.
type SQLArgs []any

// Add appends v and returns its numbered placeholder ($1, $2, ...), which a query may repeat.
func (a *SQLArgs) Add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// Dialect spells the conditions that differ between the SQL backends.
type Dialect struct {
	// AnyOf says that expr is one of the strings of list (a placeholder for a []string).
	AnyOf func(expr, list string) string
	// HasAll says that the array column col holds every string of list.
	HasAll func(col, list string) string
	// Contains says that haystack contains needle, with no pattern characters.
	Contains func(haystack, needle string) string
}

// appendIn adds "expr is one of vals" to conds; no values means no condition.
func (d Dialect) appendIn(conds []string, expr string, vals []string, args *SQLArgs) []string {
	switch len(vals) {
	case 0:
		return conds
	case 1:
		return append(conds, expr+" = "+args.Add(vals[0]))
	}
	return append(conds, d.AnyOf(expr, args.Add(vals)))
}

// WhereTraces renders f as conditions on the traces table, aliased by prefix ("" or "t.").
func (d Dialect) WhereTraces(f TraceFilter, prefix string, args *SQLArgs) string {
	c := []string{prefix + "workspace_id = " + args.Add(f.WorkspaceID)}
	if !f.From.IsZero() {
		c = append(c, prefix+"start_time >= "+args.Add(f.From))
	}
	if !f.To.IsZero() {
		c = append(c, prefix+"start_time < "+args.Add(f.To))
	}
	in := func(expr string, vals []string) { c = d.appendIn(c, expr, vals, args) }
	in(prefix+"agent_id", f.AgentIDs)
	in(prefix+"model", f.Models)
	in(prefix+"provider", f.Providers)
	in(prefix+"user_id", f.UserIDs)
	in(prefix+"session_id", f.SessionIDs)
	statuses := make([]string, len(f.Statuses))
	for i, s := range f.Statuses {
		statuses[i] = string(s)
	}
	in(prefix+"status", statuses)
	in(DimExpr(DimErrorType, prefix), f.ErrorTypes)
	if len(f.Tags) > 0 {
		c = append(c, d.HasAll(prefix+"tags", args.Add(f.Tags)))
	}
	bound := func(expr, op string, v any) {
		c = append(c, expr+" "+op+" "+args.Add(v))
	}
	if f.MinLatencyMs != nil {
		bound(prefix+"latency_ms", ">=", *f.MinLatencyMs)
	}
	if f.MaxLatencyMs != nil {
		bound(prefix+"latency_ms", "<=", *f.MaxLatencyMs)
	}
	if f.MinCostUSD != nil {
		bound(prefix+"cost_usd", ">=", *f.MinCostUSD)
	}
	if f.MaxCostUSD != nil {
		bound(prefix+"cost_usd", "<=", *f.MaxCostUSD)
	}
	if f.Text != "" {
		needle := args.Add(strings.ToLower(f.Text))
		var any []string
		for _, col := range []string{"name", "input", "output"} {
			any = append(any, d.Contains("lower("+prefix+col+")", needle))
		}
		c = append(c, "("+strings.Join(any, " OR ")+")")
	}
	for _, dim := range f.NonEmpty {
		c = append(c, DimExpr(dim, prefix)+" <> ''")
	}
	return strings.Join(c, " AND ")
}

// DimExpr is the SQL expression of a dimension on the traces table aliased by prefix.
func DimExpr(d Dimension, prefix string) string {
	switch d {
	case DimErrorType:
		return "(CASE WHEN " + prefix + "error_type <> '' THEN " + prefix + "error_type ELSE " + prefix + "status END)"
	case DimAgent, DimModel, DimProvider, DimUser, DimSession, DimStatus:
		return prefix + string(d)
	}
	panic("store: unknown dimension " + string(d))
}

// BucketExpr renders the bucket label (see Buckets) of the integer expression ms, Unix
// milliseconds. Offsets become a CASE over instants, far cheaper than converting every row's
// time zone; the label is floored with integer remainders only, as fast in either backend
// and right below zero too.
func BucketExpr(b *Buckets, ms string) string {
	off := "0"
	if len(b.Offsets) == 1 {
		off = strconv.FormatInt(b.Offsets[0].OffsetMs, 10)
	} else if len(b.Offsets) > 1 {
		var sb strings.Builder
		sb.WriteString("(CASE")
		for _, o := range b.Offsets[:len(b.Offsets)-1] {
			fmt.Fprintf(&sb, " WHEN %s < %d THEN %d", ms, o.Until.UnixMilli(), o.OffsetMs)
		}
		fmt.Fprintf(&sb, " ELSE %d END)", b.Offsets[len(b.Offsets)-1].OffsetMs)
		off = sb.String()
	}
	x := fmt.Sprintf("(%s + %s - %d)", ms, off, b.OriginMs)
	return fmt.Sprintf("(%[1]s - ((%[1]s %% %[2]d) + %[2]d) %% %[2]d + %[3]d)", x, b.WidthMs, b.OriginMs)
}
