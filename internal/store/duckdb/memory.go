package duckdb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/agentobs/agentobs/internal/model"
)

// DuckDB's own default memory limit is 80 % of the machine: at ten million traces the
// server then grew past 800 MB under dashboard load. The default here is a quarter of the
// memory the process may use (RAM, or the cgroup's limit when lower), at most
// MaxDefaultMemoryLimit; operators with more to give raise it with --duckdb-memory-limit.
// Beyond the limit DuckDB spills sorts, joins and aggregations to <data-dir>/agentobs.duckdb.tmp,
// and a query that still does not fit fails with a 503 instead of the process being killed.

// MaxDefaultMemoryLimit caps the default memory limit, in bytes. Under full ingestion DuckDB
// fills its limit with the open batch and the tables' unwritten blocks, and its allocator
// adds up to 170 MB beyond it: at 256 MiB the process held 600-730 MB. At 128 MiB (with the
// Go side's own limit) it holds about 430 MB, and the dashboards at ten million traces answer
// as fast but for three of the explorer's lists, 10-25 % slower (bench/README.md).
const MaxDefaultMemoryLimit = 128 << 20

// DefaultMemoryLimit is the memory limit used when none is configured, such as "128MiB".
func DefaultMemoryLimit() string {
	avail := machineMemory()
	limit := int64(MaxDefaultMemoryLimit)
	if avail > 0 && avail/4 < limit {
		limit = max(avail/4, 64<<20)
	}
	return fmt.Sprintf("%dMiB", limit>>20)
}

// machineMemory is the memory the process may use in bytes, 0 when unknown.
func machineMemory() int64 {
	var total int64
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				total = kb << 10
				break
			}
		}
		f.Close()
	}
	// A container's limit (cgroup v2, then v1) when lower.
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && v > 0 && (total == 0 || v < total) {
			total = v
		}
		break
	}
	return total
}

func init() {
	model.RegisterErrorClass(func(err error) *model.Error {
		var de *duckdb.Error
		if errors.As(err, &de) && de.Type == duckdb.ErrorTypeOutOfMemory {
			return model.Errorf(model.EUNAVAILABLE,
				"the query needs more memory than the database may use (--duckdb-memory-limit); retry later or narrow the time range")
		}
		return nil
	})
}

// SetMemoryLimit changes the memory limit of the open database, such as "256MB".
func (s *Store) SetMemoryLimit(ctx context.Context, limit string) error {
	if _, err := s.db.ExecContext(ctx, fmt.Sprintf("SET memory_limit = '%s'", strings.ReplaceAll(limit, "'", ""))); err != nil {
		return fmt.Errorf("cannot set the memory limit: %w", err)
	}
	return nil
}
