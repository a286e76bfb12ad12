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

	"github.com/hitreflect/hitreflect/connectors"
)

// Connector lists the files in a folder that match a pattern.
type Connector struct {
	dir     string
	pattern string
	fsys    fs.FS
}

// New builds a local connector from {path, pattern}.
func New(settings map[string]any, baseDir string) (connectors.Connector, error) {
	if err := connectors.Known(settings, "path", "pattern"); err != nil {
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
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(baseDir, dir)
	}
	return &Connector{dir: dir, pattern: pattern, fsys: os.DirFS(dir)}, nil
}

// Fetch returns the matching files, oldest name first (exports are usually
// named by date, so they load in order).
func (c *Connector) Fetch(ctx context.Context, _ string) ([]string, error) {
	entries, err := fs.ReadDir(c.fsys, ".")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("landing folder %s does not exist", c.dir)
	}
	if err != nil {
		return nil, fmt.Errorf("list landing folder %s: %w", c.dir, err)
	}
	var out []string
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if e.IsDir() {
			continue
		}
		if ok, _ := path.Match(c.pattern, e.Name()); ok {
			out = append(out, filepath.Join(c.dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}
