// Package connectors fetches source files: from a local landing folder, an
// SFTP server or an HTTPS endpoint. A Registry maps the config's connector
// type to a factory that validates its settings up front.
//
// Remote connectors download into the staging folder the pipeline gives
// Fetch, through Staging: each file is written under a temporary name and
// renamed to its final, sanitised name only once complete, so a half
// transferred file is never returned.
package connectors

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Connector fetches the files a source currently offers.
type Connector interface {
	// Fetch returns the paths of the files on local disk, in the order they
	// should load. Remote connectors download into dstDir; the local one
	// returns paths in its own folder.
	//
	// Fetch never returns a partial file. On error it returns no paths; when
	// ctx is cancelled the error is ctx.Err() (possibly wrapped).
	Fetch(ctx context.Context, dstDir string) ([]string, error)
}

// Archiver is implemented by connectors that act on a file once the pipeline
// has loaded it: SFTP moves the remote file to its archive folder (setting
// archive_to), HTTPS remembers the URL's ETag, Last-Modified and content
// hash so unchanged content is not downloaded again.
//
// The pipeline calls Archive with a path the last Fetch returned, after that
// file loaded (or was found loaded before), and not after a failed or
// rejected load or a dry run. A connector with nothing to do (sftp without
// archive_to) returns nil; otherwise a path it did not return is an error.
// An Archive error means the file stays where it was and comes again on the
// next fetch (where the content hash in the warehouse's files table keeps it
// from loading twice); it does not undo the load.
type Archiver interface {
	Archive(ctx context.Context, localPath string) error
}

// Refuser is implemented by connectors that found files they will not hand
// over, unread: a link that leads out of the landing folder, a file larger
// than the source's max_bytes. Refused lists those of the last Fetch; the
// pipeline reports each as a file rejected whole, with its reason, so a
// person sees it and the run exits non-zero.
type Refuser interface {
	Refused() []Refusal
}

// Refusal is one file a connector would not hand over, and why.
type Refusal struct {
	Path   string
	Reason string
}

// DefaultMaxFileBytes is the largest file a local or SFTP source takes
// unless its max_bytes says otherwise: 4 GiB, several times a large
// district's biggest nightly file.
const DefaultMaxFileBytes = 4 << 30

// Originer is implemented by connectors that download: Origin names where a
// file the last Fetch returned came from (sftp://user@host:port/dir/name, or
// the URL without credentials or query), so the warehouse's files table and
// messages name the source rather than the staged copy, which is deleted
// after the run. It returns "" for a path Fetch did not return.
type Originer interface {
	Origin(localPath string) string
}

// Rememberer is implemented by connectors that skip content they remember
// loading (HTTPS keeps each address's ETag and content hash). Before each
// fetch the pipeline calls Recall with what the warehouse holds for the
// source; the connector forgets every file whose content is not there, so
// a new or restored warehouse gets those files again rather than none.
type Rememberer interface {
	Recall(loaded func(sha256 string) bool) error
}

// Factory builds a connector from the config's connector settings; baseDir is
// the config file's folder, against which relative paths resolve.
type Factory func(settings map[string]any, baseDir string) (Connector, error)

// Registry knows the connector types.
type Registry struct {
	factories map[string]Factory
}

// NewRegistry is an empty registry.
func NewRegistry() *Registry { return &Registry{factories: map[string]Factory{}} }

// Register adds a connector type.
func (r *Registry) Register(kind string, f Factory) error {
	if _, dup := r.factories[kind]; dup {
		return fmt.Errorf("connector type %q is registered twice", kind)
	}
	r.factories[kind] = f
	return nil
}

// Kinds lists the registered types.
func (r *Registry) Kinds() []string {
	k := make([]string, 0, len(r.factories))
	for kind := range r.factories {
		k = append(k, kind)
	}
	sort.Strings(k)
	return k
}

// New builds the connector the settings describe.
func (r *Registry) New(settings map[string]any, baseDir string) (Connector, error) {
	kind, _ := settings["type"].(string)
	if kind == "" {
		return nil, &SettingError{Key: "type", Msg: fmt.Sprintf("expected the connector type (one of %s)", strings.Join(r.Kinds(), ", "))}
	}
	f, ok := r.factories[kind]
	if !ok {
		return nil, &SettingError{Key: "type", Msg: fmt.Sprintf("unknown connector type %q (known: %s)", kind, strings.Join(r.Kinds(), ", "))}
	}
	return f(settings, baseDir)
}

// SettingError is a problem with one connector setting.
type SettingError struct {
	Key string
	Msg string
}

func (e *SettingError) Error() string { return e.Key + ": " + e.Msg }

// String reads a text setting.
func String(settings map[string]any, key string, required bool) (string, error) {
	v, ok := settings[key]
	if !ok || v == nil {
		if required {
			return "", &SettingError{Key: key, Msg: "expected a value"}
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", &SettingError{Key: key, Msg: fmt.Sprintf("expected text, got %v", v)}
	}
	return s, nil
}

// Known checks that settings has no keys outside allowed.
func Known(settings map[string]any, allowed ...string) error {
	ok := map[string]bool{"type": true}
	for _, a := range allowed {
		ok[a] = true
	}
	for k := range settings {
		if !ok[k] {
			return &SettingError{Key: k, Msg: fmt.Sprintf("unknown setting (known: %s)", strings.Join(allowed, ", "))}
		}
	}
	return nil
}
