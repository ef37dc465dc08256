package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/agentobs/agentobs/internal/auth"
	"github.com/agentobs/agentobs/internal/model"
	"github.com/agentobs/agentobs/internal/pipeline"
	"github.com/agentobs/agentobs/internal/store"
)

// Bootstrap makes sure a first workspace and a working API key exist, until account
// management arrives. On a new database it creates the "Default" workspace and a key: the
// given one (AGENTOBS_INIT_API_KEY) or a generated one, printed once to out. A given key is
// also added to an existing database when it is not known yet. It returns the workspace.
func Bootstrap(ctx context.Context, s store.Store, initKey string, out io.Writer) (*model.Workspace, error) {
	list, err := s.ListWorkspaces(ctx)
	if err != nil {
		return nil, err
	}
	var ws model.Workspace
	created := false
	if len(list) == 0 {
		ws = model.Workspace{ID: newUUID(), Name: "Default", CreatedAt: time.Now().UTC()}
		if err := s.CreateWorkspace(ctx, ws); err != nil {
			return nil, err
		}
		created = true
	} else {
		ws = list[0]
	}
	key := initKey
	switch {
	case key != "":
		if _, err := s.APIKeyByHash(ctx, auth.HashAPIKey(key)); err == nil {
			return &ws, nil
		} else if model.ErrorCode(err) != model.ENOTFOUND {
			return nil, err
		}
	case created:
		key = auth.GenerateAPIKey()
	default:
		return &ws, nil
	}
	rec := model.APIKey{
		ID: pipeline.NewID(), WorkspaceID: ws.ID, Name: "bootstrap", Prefix: auth.DisplayPrefix(key),
		Hash: auth.HashAPIKey(key), CreatedAt: time.Now().UTC(),
	}
	if err := s.CreateAPIKey(ctx, rec); err != nil {
		return nil, err
	}
	if initKey == "" && out != nil {
		fmt.Fprintf(out, "\nCreated workspace %q (%s) and its API key. It is shown only this once:\n\n    %s\n\nexport AGENTOBS_API_KEY=%s\n\n", ws.Name, ws.ID, key, key)
	}
	return &ws, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
