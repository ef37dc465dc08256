package eval

import (
	"context"
	"math"
	"strings"

	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/store"
)

// Feedback is a person's judgement of a trace: thumbs, a 0–100 score, a comment.
type Feedback struct {
	Thumbs  string   `json:"thumbs,omitempty"` // up or down
	Score   *float64 `json:"score,omitempty"`
	Comment string   `json:"comment,omitempty"`
	// UserID identifies who gave it: their later feedback on the trace replaces it.
	UserID string `json:"user_id,omitempty"`
}

// Validate checks feedback as a client sent it.
func (f *Feedback) Validate() error {
	var fe model.FieldErrors
	if f.Thumbs != "" && f.Thumbs != "up" && f.Thumbs != "down" {
		fe.Add(model.Path{"thumbs"}, `must be "up" or "down"`)
	}
	if f.Score != nil && (math.IsNaN(*f.Score) || *f.Score < 0 || *f.Score > 100) {
		fe.Add(model.Path{"score"}, "must be between 0 and 100")
	}
	if len(f.Comment) > 10000 {
		fe.Add(model.Path{"comment"}, "must be at most 10000 characters")
	}
	if len(f.UserID) > 256 {
		fe.Add(model.Path{"user_id"}, "must be at most 256 characters")
	}
	if f.Thumbs == "" && f.Score == nil && strings.TrimSpace(f.Comment) == "" {
		fe.Add(model.Path{}, "give thumbs, a score or a comment")
	}
	return fe.Err("invalid feedback")
}

// AddFeedback stores feedback as human scores of the trace ("thumbs" 1 or 0, "user_score",
// or a "comment"); it returns the stored scores.
func (s *Service) AddFeedback(ctx context.Context, ws, traceID string, f Feedback) ([]model.Score, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	who := f.UserID
	if who == "" {
		who = newID()
	}
	now := s.cfg.Now().UTC()
	base := model.Score{WorkspaceID: ws, TraceID: traceID, Comment: f.Comment, Source: model.ScoreSourceHuman, CreatedAt: now}
	var out []model.Score
	if f.Thumbs != "" {
		sc := base
		sc.ScoreID, sc.Name = "feedback:"+who+":thumbs", "thumbs"
		if f.Thumbs == "up" {
			sc.Value = 1
		}
		out = append(out, sc)
	}
	if f.Score != nil {
		sc := base
		sc.ScoreID, sc.Name, sc.Value = "feedback:"+who+":score", "user_score", *f.Score
		out = append(out, sc)
	}
	if len(out) == 0 {
		sc := base
		sc.ScoreID, sc.Name = "feedback:"+who+":comment", "comment"
		out = append(out, sc)
	}
	for _, sc := range out {
		if err := s.cfg.Store.PutScore(ctx, sc); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Get reads one evaluation.
func (s *Service) Get(ctx context.Context, ws, id string) (*model.Evaluation, error) {
	return s.cfg.Store.GetEvaluation(ctx, ws, id)
}

// History lists evaluations, newest first, with the number of matches.
func (s *Service) History(ctx context.Context, q store.EvaluationQuery) ([]model.Evaluation, int64, error) {
	return s.cfg.Store.ListEvaluations(ctx, q)
}
