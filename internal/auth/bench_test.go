package auth

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/agentobs/agentobs/internal/model"
)

// BenchmarkKeyHotPath is what every ingestion request with an API key costs here: the
// cached key lookup (keyed hash included) and the two rate-limit budgets.
func BenchmarkKeyHotPath(b *testing.B) {
	h := NewKeyHasher([]byte("salt-salt-salt-salt-salt-salt-salt"))
	keys := &fakeKeys{byHash: map[string]*model.APIKey{}, legacy: map[string]*model.APIKey{}}
	secrets := make([]string, 64)
	for i := range secrets {
		secrets[i] = GenerateAPIKey()
		keys.byHash[h.Hash(secrets[i])] = &model.APIKey{ID: strconv.Itoa(i), WorkspaceID: "w" + strconv.Itoa(i%4), Hash: h.Hash(secrets[i])}
	}
	cache := NewKeyCache(keys, time.Minute, WithHasher(h))
	lim := NewMemoryLimiter()
	l := Limit{Rate: 1e9, Burst: 1 << 30}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			k, err := cache.Authenticate(ctx, secrets[i%len(secrets)])
			if err != nil {
				b.Fatal(err)
			}
			lim.Allow(ctx, "key:"+k.ID, l)
			lim.Allow(ctx, "ws:"+k.WorkspaceID, l)
			i++
		}
	})
}
