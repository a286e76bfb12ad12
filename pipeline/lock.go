package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Lock keeps two hitreflect processes from loading into one warehouse at
// once: an exclusive flock on a file beside the warehouse. The kernel
// releases it when the process dies, so a crash leaves no stale lock.
type Lock struct{ f *os.File }

// ErrLocked is returned when another process holds the lock and the caller
// chose not to wait.
var ErrLocked = errors.New("another hitreflect process is working on this warehouse")

// AcquireLock takes the lock of the warehouse at path, waiting up to wait
// (0: not at all). The lock file names the holder, for the message.
func AcquireLock(path string, wait time.Duration) (*Lock, error) {
	lockPath := path + ".lock"
	// The first run of a new district comes before its warehouse folder.
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o700); err != nil {
		return nil, fmt.Errorf("create warehouse folder: %w", err)
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", lockPath, err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", lockPath, err)
		}
		if time.Now().After(deadline) {
			holder, _ := os.ReadFile(lockPath)
			f.Close()
			return nil, fmt.Errorf("%w (%s): it holds %s; try again when it is done", ErrLocked, string(holder), lockPath)
		}
		time.Sleep(200 * time.Millisecond)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("process %d since %s", os.Getpid(), time.Now().Format("2006-01-02 15:04:05"))), 0)
	return &Lock{f: f}, nil
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
	return err
}
