package connectors

import (
	"context"
	"fmt"
	"time"
)

// DefaultRetries is how many more tries a remote connector makes after
// the first, when the server or the connection fails in a way worth
// trying again; MaxRetries the most a config may ask for.
const (
	DefaultRetries = 3
	MaxRetries     = 10
	// MaxBackoff caps the wait between two tries.
	MaxBackoff = 2 * time.Minute
)

// Retries reads the retries setting: a whole number from 0 to MaxRetries,
// DefaultRetries when absent.
func Retries(settings map[string]any) (int, error) {
	n, err := NonNegativeInt(settings, "retries", DefaultRetries)
	if err != nil {
		return 0, err
	}
	if n > MaxRetries {
		return 0, &SettingError{Key: "retries", Msg: fmt.Sprintf("expected at most %d retries, got %d", MaxRetries, n)}
	}
	return int(n), nil
}

// Backoff waits before the try after failed try number attempt (0 for the
// first): first, doubled each time, at least asked (a server's
// Retry-After), at most MaxBackoff. It returns ctx's error if ctx ends
// first.
func Backoff(ctx context.Context, first time.Duration, attempt int, asked time.Duration) error {
	wait := min(max(first<<min(attempt, 30), asked), MaxBackoff)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
