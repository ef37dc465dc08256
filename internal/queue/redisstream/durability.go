package redisstream

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Durability says whether Redis keeps what it acknowledged across a crash of Redis: an
// XADD is on disk before the answer only with the append-only file and appendfsync always.
type Durability struct {
	Durable bool
	// Detail says what was found, for the start-up error or the readiness answer.
	Detail string
}

// CheckDurability reads Redis's persistence settings with CONFIG GET, or, where managed
// services disable CONFIG, with INFO persistence (which shows whether the append-only file
// is on but not its fsync policy: that case counts as not durable, since it cannot be
// verified).
func CheckDurability(ctx context.Context, rdb redis.UniversalClient) (Durability, error) {
	cfg, err := rdb.ConfigGet(ctx, "append*").Result()
	if err == nil && cfg["appendonly"] != "" {
		ao, fs := cfg["appendonly"], cfg["appendfsync"]
		d := Durability{Durable: ao == "yes" && fs == "always",
			Detail: fmt.Sprintf("appendonly %s, appendfsync %s", ao, fs)}
		return d, nil
	}
	info, ierr := rdb.Info(ctx, "persistence").Result()
	if ierr != nil {
		if err == nil {
			err = ierr
		}
		return Durability{}, fmt.Errorf("cannot read Redis persistence settings: %w", err)
	}
	aof := ""
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "aof_enabled:"); ok {
			aof = v
		}
	}
	if aof == "1" {
		return Durability{Detail: "append-only file on, fsync policy not readable (CONFIG is disabled)"}, nil
	}
	return Durability{Detail: "append-only file off (CONFIG is disabled; read from INFO persistence)"}, nil
}
