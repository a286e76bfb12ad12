package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Lock keeps two hitreflect processes from loading into one warehouse at
// once: an exclusive lock on a file beside the warehouse (flock on Unix,
// LockFileEx on Windows). The system releases it when the process dies, so
// a crash leaves no stale lock.
type Lock struct{ f *os.File }

// ErrLocked is returned when another process holds the lock and the caller
// chose not to wait.
var ErrLocked = errors.New("another hitreflect process is working on this warehouse")

// AcquireLock takes the lock of the warehouse at path, waiting up to wait
// (0: not at all) unless ctx ends first; waiting says so once through
// waiting (when not nil). The lock file names the holder, for the message.
func AcquireLock(ctx context.Context, path string, wait time.Duration, waiting func(holder string)) (*Lock, error) {
	lockPath := path + ".lock"
	// The first run of a new district comes before its warehouse folder.
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o700); err != nil {
		return nil, fmt.Errorf("create warehouse folder: %w", err)
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			// The warehouse folder is its owner's only (0700).
			return nil, fmt.Errorf("the warehouse folder %s may not be used by this user (%w): run hitreflect as the user who owns it", filepath.Dir(lockPath), fs.ErrPermission)
		}
		return nil, fmt.Errorf("open the warehouse's lock file: %w", err)
	}
	deadline := time.Now().Add(wait)
	told := false
	for {
		held, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", lockPath, err)
		}
		if held {
			break
		}
		holder, _ := os.ReadFile(lockPath)
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%w (%s): it holds %s; try again when it is done", ErrLocked, string(holder), lockPath)
		}
		if !told && waiting != nil {
			waiting(string(holder))
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("process %d since %s", os.Getpid(), time.Now().Format("2006-01-02 15:04:05"))), 0)
	return &Lock{f: f}, nil
}

// LockHolder says who holds the lock of the warehouse at path, as the
// holder wrote it ("process 123 since 2026-03-16 09:00:00"); empty when
// no one says.
func LockHolder(path string) string {
	b, _ := os.ReadFile(path + ".lock")
	return string(b)
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := unlock(l.f)
	l.f.Close()
	l.f = nil
	return err
}
