package store

import (
	"context"
	"fmt"
	"time"
)

// Ingestion reports how much a workspace ingested, for its plan.
type Ingestion interface {
	// DailyIngestion counts the traces that started in [from, to), their spans (a flat
	// trace is one span) and tokens, per UTC day, oldest first; days without traces are
	// left out.
	DailyIngestion(ctx context.Context, workspaceID string, from, to time.Time) ([]DayIngestion, error)
}

// DayIngestion is one UTC day of ingestion.
type DayIngestion struct {
	Day    time.Time `json:"day"`
	Traces int64     `json:"traces"`
	Spans  int64     `json:"spans"`
	Tokens int64     `json:"tokens"`
}

// IngestionSQL implements Ingestion once for both SQL backends.
type IngestionSQL struct{ DB SQLRunner }

// DailyIngestion implements Ingestion.
func (q IngestionSQL) DailyIngestion(ctx context.Context, workspaceID string, from, to time.Time) ([]DayIngestion, error) {
	var args SQLArgs
	where := "workspace_id = " + args.Add(workspaceID) + " AND start_time >= " + args.Add(from) + " AND start_time < " + args.Add(to)
	out := []DayIngestion{}
	err := q.DB.Query(ctx, `SELECT CAST(floor(extract(epoch FROM start_time) / 86400) AS BIGINT) AS d, count(*),
		CAST(sum(CASE WHEN span_count = 0 THEN 1 ELSE span_count END) AS BIGINT), CAST(coalesce(sum(tokens_total), 0) AS BIGINT)
		FROM traces WHERE `+where+` GROUP BY 1 ORDER BY 1`, args, func(scan func(...any) error) error {
		var day int64
		var r DayIngestion
		if err := scan(&day, &r.Traces, &r.Spans, &r.Tokens); err != nil {
			return err
		}
		r.Day = time.Unix(day*86400, 0).UTC()
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot count daily ingestion: %w", err)
	}
	return out, nil
}
