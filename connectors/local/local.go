// Package local reads files from a landing folder on this machine.
package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"github.com/hitreflect/hitreflect/connectors"
)

// Connector lists the files in a folder that match a pattern.
type Connector struct {
	dir      string
	pattern  string
	stable   time.Duration
	maxBytes int64
	refused  []connectors.Refusal
	fsys     fs.FS
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
}

// New builds a local connector from {path, pattern, stable_for, max_bytes}.
//
// A link in the folder is followed only while it stays inside the folder;
// a link leading out of it (to /etc/passwd, say) is refused unread, as is
// a file larger than max_bytes (default connectors.DefaultMaxFileBytes).
//
// stable_for (seconds, default 0: off) skips files still being written: a
// file modified less than that long ago is looked at again once it is that
// old, and left for the next run if its size or modification time changed
// in between.
func New(settings map[string]any, baseDir string) (connectors.Connector, error) {
	if err := connectors.Known(settings, "path", "pattern", "stable_for", "max_bytes"); err != nil {
		return nil, err
	}
	dir, err := connectors.String(settings, "path", true)
	if err != nil {
		return nil, err
	}
	pattern, err := connectors.String(settings, "pattern", false)
	if err != nil {
		return nil, err
	}
	if pattern == "" {
		pattern = "*"
	}
	if _, err := path.Match(pattern, "x"); err != nil {
		return nil, &connectors.SettingError{Key: "pattern", Msg: fmt.Sprintf("%q is not a valid file pattern", pattern)}
	}
	secs, _, err := connectors.Number(settings, "stable_for")
	if err != nil {
		return nil, err
	}
	if secs < 0 || secs > 3600 {
		return nil, &connectors.SettingError{Key: "stable_for", Msg: fmt.Sprintf("expected seconds between 0 and 3600, got %v", settings["stable_for"])}
	}
	stable := time.Duration(secs * float64(time.Second))
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(baseDir, dir)
	}
	maxBytes, err := connectors.PositiveInt(settings, "max_bytes", connectors.DefaultMaxFileBytes)
	if err != nil {
		return nil, err
	}
	return &Connector{dir: dir, pattern: pattern, stable: stable, maxBytes: maxBytes, fsys: os.DirFS(dir), now: time.Now, sleep: sleep}, nil
}

// Refused lists the files the last Fetch would not hand over, and why.
func (c *Connector) Refused() []connectors.Refusal { return c.refused }

// refuse says why a matching entry is not handed over, or "" when it may be.
func (c *Connector) refuse(e fs.DirEntry) (string, bool) {
	full := filepath.Join(c.dir, e.Name())
	if e.Type()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(full)
		if err != nil {
			return fmt.Sprintf("a link whose target cannot be found (%v): not read", err), false
		}
		dir, err := filepath.EvalSymlinks(c.dir)
		if err != nil {
			dir = c.dir
		}
		if info, err := os.Stat(target); err == nil && info.IsDir() {
			return "", true // a link to a folder: passed over like a folder
		}
		if !connectors.Within(dir, target) {
			return fmt.Sprintf("a link to %s, outside the landing folder %s: not read (landing folders hold files, or links within them)", target, c.dir), false
		}
	}
	info, err := os.Stat(full)
	if err != nil {
		return fmt.Sprintf("cannot be read: %v", err), false
	}
	if !info.Mode().IsRegular() {
		return "", true // a device, pipe or socket: not a file
	}
	if info.Size() > c.maxBytes {
		return fmt.Sprintf("%d bytes, more than max_bytes (%d bytes) allows: not read; raise max_bytes if the file is expected to be this large", info.Size(), c.maxBytes), false
	}
	return "", false
}

// Fetch returns the matching files, oldest name first (exports are usually
// named by date, so they load in order). The files stay where they are;
// dstDir is not used.
func (c *Connector) Fetch(ctx context.Context, _ string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(c.fsys, ".")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("landing folder %s does not exist", c.dir)
	}
	if err != nil {
		return nil, fmt.Errorf("list landing folder %s: %w", c.dir, err)
	}
	var names []string
	c.refused = nil
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if e.IsDir() {
			continue
		}
		if ok, _ := path.Match(c.pattern, e.Name()); !ok {
			continue
		}
		switch why, skip := c.refuse(e); {
		case skip:
		case why != "":
			c.refused = append(c.refused, connectors.Refusal{Path: filepath.Join(c.dir, e.Name()), Reason: why})
		default:
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if c.stable > 0 {
		if names, err = c.settled(ctx, names); err != nil {
			return nil, err
		}
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = filepath.Join(c.dir, n)
	}
	return out, nil
}

// settled drops the files still being written: those modified within the
// last stable_for are looked at again once that long has passed, and kept
// only if their size and modification time did not change.
func (c *Connector) settled(ctx context.Context, names []string) ([]string, error) {
	type seen struct {
		size int64
		mod  time.Time
	}
	first := map[string]seen{}
	var youngest time.Time
	for _, n := range names {
		st, err := fs.Stat(c.fsys, n)
		if err != nil {
			continue // gone since the listing
		}
		first[n] = seen{st.Size(), st.ModTime()}
		if st.ModTime().After(youngest) {
			youngest = st.ModTime()
		}
	}
	wait := youngest.Add(c.stable).Sub(c.now())
	if wait <= 0 {
		return names, nil // everything is old enough
	}
	if err := c.sleep(ctx, min(wait, c.stable)); err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		was, ok := first[n]
		if !ok {
			continue
		}
		st, err := fs.Stat(c.fsys, n)
		if err != nil || st.Size() != was.size || !st.ModTime().Equal(was.mod) {
			continue // still being written: the next run takes it
		}
		out = append(out, n)
	}
	return out, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
