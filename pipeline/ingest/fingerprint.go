package ingest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// fingerprint tells, without reading a whole file, that it is one loaded
// before: same path, size and modification time, and the same first and
// last 64 KiB. A night with no new files then costs a stat and two small
// reads per file, not a full read and hash of each.
type fingerprint struct {
	size       int64
	modifiedUS int64
	quick      string
}

const quickHashSpan = 64 << 10

func takeFingerprint(path string) (fingerprint, error) {
	f, err := os.Open(path)
	if err != nil {
		return fingerprint{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fingerprint{}, err
	}
	if !info.Mode().IsRegular() {
		return fingerprint{}, fmt.Errorf("%s is not a regular file", path)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d\n", info.Size())
	if _, err := io.CopyN(h, f, quickHashSpan); err != nil && !errors.Is(err, io.EOF) {
		return fingerprint{}, err
	}
	if info.Size() > quickHashSpan {
		tail := max(info.Size()-quickHashSpan, quickHashSpan)
		if _, err := f.Seek(tail, io.SeekStart); err != nil {
			return fingerprint{}, err
		}
		if _, err := io.Copy(h, f); err != nil {
			return fingerprint{}, err
		}
	}
	return fingerprint{size: info.Size(), modifiedUS: info.ModTime().UnixMicro(), quick: hex.EncodeToString(h.Sum(nil))[:32]}, nil
}

// seenByFingerprint finds an earlier load of the file at the same path by
// the same source under the same profile with the same fingerprint, or nil.
func seenByFingerprint(ctx context.Context, c conn, source, path, profHash string, fp fingerprint) (*earlier, error) {
	var e earlier
	var msg sql.NullString
	err := c.QueryRowContext(ctx, `SELECT file_id, started_at, status, message FROM files
		WHERE source = ? AND path = ? AND size_bytes = ? AND modified_us = ? AND quick_hash = ? AND profile_hash = ?
		  AND status IN ('loaded', 'rejected')
		ORDER BY file_id DESC LIMIT 1`, source, path, fp.size, fp.modifiedUS, fp.quick, profHash).Scan(&e.fileID, &e.at, &e.status, &msg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up earlier loads: %w", err)
	}
	e.message = msg.String
	return &e, nil
}

// columns gives the files table's modified_us and quick_hash: NULL when the file could
// not be fingerprinted.
func (fp *fingerprint) columns() (any, any) {
	if fp == nil {
		return nil, nil
	}
	return fp.modifiedUS, fp.quick
}
