package ingest

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hitreflect/hitreflect/pipeline/profile"
)

// maxBundleMember caps what one member of a zip bundle may unpack to, so a
// zip bomb stops with a reason instead of filling the disk.
const maxBundleMember = 4 << 30

// prepareBundle reads a zip of CSV files (a OneRoster bundle): its
// profile's bundle: member is the file loaded, the others are there to be
// joined. The zip is the file the warehouse records: its hash and size.
func prepareBundle(path string, p profile.Profile, tempDir string) (*Prepared, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	whole := &Prepared{Original: path, Path: path, Hash: hex.EncodeToString(h.Sum(nil)), Size: size, Encoding: "zip"}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return whole, &FileError{File: path, Reason: "not a readable zip file: " + err.Error()}
	}
	defer zr.Close()
	dir, err := os.MkdirTemp(tempDir, "hitreflect-bundle-*")
	if err != nil {
		return nil, fmt.Errorf("unpack %s: %w", path, err)
	}
	var names []string
	member := ""
	for _, zf := range zr.File {
		// Members by their base name only: nothing is written outside dir.
		base := filepath.Base(strings.ReplaceAll(zf.Name, `\`, "/"))
		if zf.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(base), ".csv") || strings.HasPrefix(base, ".") {
			continue
		}
		names = append(names, base)
		if err := unpack(zf, filepath.Join(dir, base)); err != nil {
			os.RemoveAll(dir)
			return whole, &FileError{File: path, Reason: fmt.Sprintf("member %s: %v", zf.Name, err)}
		}
		if strings.EqualFold(base, p.Bundle) {
			member = filepath.Join(dir, base)
		}
	}
	if member == "" {
		os.RemoveAll(dir)
		return whole, &FileError{File: path, Reason: fmt.Sprintf("the zip has no %s (the profile's bundle: file); it holds %s", p.Bundle, quoteList(names, 20))}
	}
	inner := p
	inner.Bundle = ""
	prep, err := Prepare(member, inner, tempDir)
	if prep == nil {
		os.RemoveAll(dir)
		return whole, err
	}
	prep.Original, prep.Hash, prep.Size = path, whole.Hash, size
	prep.JoinDir, prep.bundleDir = dir, dir
	return prep, err
}

func unpack(zf *zip.File, to string) error {
	if zf.UncompressedSize64 > maxBundleMember {
		return fmt.Errorf("unpacks to %d bytes, more than the %d allowed", zf.UncompressedSize64, int64(maxBundleMember))
	}
	r, err := zf.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, io.LimitReader(r, maxBundleMember+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxBundleMember {
		err = fmt.Errorf("unpacks to more than the %d bytes allowed", int64(maxBundleMember))
	}
	return err
}
