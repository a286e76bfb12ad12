package pipeline_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/pipeline"
)

// A wait for the warehouse lock ends when its context does (a scheduled job
// told to stop), and says once that it is waiting.
func TestLockWaitEndsWithItsContext(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "w.duckdb")
	held, err := pipeline.AcquireLock(context.Background(), path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	told := 0
	start := time.Now()
	_, err = pipeline.AcquireLock(ctx, path, time.Hour, func(string) { told++ })
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second || told != 1 {
		t.Errorf("waited %v, err %v, told %d times", time.Since(start), err, told)
	}
	if _, err := pipeline.AcquireLock(context.Background(), path, 0, nil); !errors.Is(err, pipeline.ErrLocked) {
		t.Errorf("without waiting: %v", err)
	}
}
