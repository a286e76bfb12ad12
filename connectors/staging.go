package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameBytes keeps staged names well under every file system's limit.
const maxNameBytes = 180

// SafeName turns a remote file name into one that is safe to create in a
// staging folder: only its last element (split on both / and \, so
// "../../x.csv" and `..\..\x.csv` become "x.csv"), letters and digits kept,
// characters that are awkward in file names replaced by _, no leading or
// trailing dots or spaces (so never "..", never hidden), at most 180 bytes
// with the extension kept, and never empty ("file").
func SafeName(remote string) string {
	if i := strings.LastIndexAny(remote, `/\`); i >= 0 {
		remote = remote[i+1:]
	}
	var b strings.Builder
	for _, r := range remote {
		switch {
		case r == utf8.RuneError: // not UTF-8
			b.WriteByte('_')
		case unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-+@=,()[] ", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := strings.Trim(b.String(), ". ")
	if len(name) > maxNameBytes {
		ext := filepath.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := name[:maxNameBytes-len(ext)]
		for !utf8.ValidString(stem) { // do not cut a character in two
			stem = stem[:len(stem)-1]
		}
		name = strings.TrimRight(stem, ". ") + ext
	}
	if name == "" {
		return "file"
	}
	return name
}

// Staging places one fetch's downloads in a staging folder.
type Staging struct {
	dir  string
	used map[string]bool
}

// NewStaging prepares dstDir (creating it if needed) for one fetch.
func NewStaging(dstDir string) (*Staging, error) {
	if dstDir == "" {
		return nil, errors.New("no staging folder given")
	}
	if err := os.MkdirAll(dstDir, 0o700); err != nil {
		return nil, fmt.Errorf("create staging folder: %w", err)
	}
	return &Staging{dir: dstDir, used: map[string]bool{}}, nil
}

// Reserve returns the final path for a remote name: SafeName(remote) in the
// staging folder, made unique within this fetch ("x.csv", then "x-2.csv") so
// two remote files never land on one name. A later fetch into the same
// folder reuses the names, so its files replace the earlier ones.
func (s *Staging) Reserve(remote string) string {
	name := SafeName(remote)
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	if stem == "" {
		stem, ext = name, ""
	}
	for n := 2; s.used[strings.ToLower(name)]; n++ {
		name = stem + "-" + strconv.Itoa(n) + ext
	}
	s.used[strings.ToLower(name)] = true
	return filepath.Join(s.dir, name)
}

// Write fills a temporary file beside finalPath through fill, and renames it
// to finalPath only when fill returned without error and ctx is still live.
// On any failure the temporary file is removed and finalPath is untouched
// (a file from an earlier fetch stays as it was). Writes stop with ctx.Err()
// as soon as ctx is cancelled. It returns the bytes written.
func Write(ctx context.Context, finalPath string, fill func(w io.Writer) error) (n int64, err error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(finalPath), ".hitreflect-*.part")
	if err != nil {
		return 0, fmt.Errorf("create staging file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	cw := &ctxWriter{ctx: ctx, w: tmp}
	if err := fill(cw); err != nil {
		if ctx.Err() != nil {
			return cw.n, ctx.Err()
		}
		return cw.n, err
	}
	if err := ctx.Err(); err != nil {
		return cw.n, err
	}
	if err := tmp.Close(); err != nil {
		return cw.n, fmt.Errorf("write %s: %w", filepath.Base(finalPath), err)
	}
	if err := os.Rename(tmp.Name(), finalPath); err != nil {
		return cw.n, fmt.Errorf("place %s in the staging folder: %w", filepath.Base(finalPath), err)
	}
	return cw.n, nil
}

// ctxWriter stops a copy as soon as its context ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
	n   int64
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Within says whether p lies inside dir (after cleaning both).
func Within(dir, p string) bool {
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(p))
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
