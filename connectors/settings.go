package connectors

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Number reads a numeric setting; ok is false when the key is absent.
func Number(settings map[string]any, key string) (n float64, ok bool, err error) {
	v, present := settings[key]
	if !present || v == nil {
		return 0, false, nil
	}
	switch x := v.(type) {
	case int:
		return float64(x), true, nil
	case int64:
		return float64(x), true, nil
	case uint64:
		return float64(x), true, nil
	case float64:
		return x, true, nil
	}
	if text, isText := v.(string); isText {
		// YAML reads port: "22" and timeout: 30s as text.
		return 0, false, &SettingError{Key: key, Msg: fmt.Sprintf("expected a number, got the text %q (write the number alone, without quotes or units)", text)}
	}
	return 0, false, &SettingError{Key: key, Msg: fmt.Sprintf("expected a number, got %v", v)}
}

// PositiveInt reads a whole number that must be above zero, or def when absent.
func PositiveInt(settings map[string]any, key string, def int64) (int64, error) {
	n, ok, err := Number(settings, key)
	if err != nil || !ok {
		return def, err
	}
	if n != math.Trunc(n) || n < 1 || n > math.MaxInt64/2 {
		return 0, &SettingError{Key: key, Msg: fmt.Sprintf("expected a whole number above zero, got %v", settings[key])}
	}
	return int64(n), nil
}

// NonNegativeInt reads a whole number that may be zero, or def when absent.
func NonNegativeInt(settings map[string]any, key string, def int64) (int64, error) {
	n, ok, err := Number(settings, key)
	if err != nil || !ok {
		return def, err
	}
	if n != math.Trunc(n) || n < 0 || n > math.MaxInt64/2 {
		return 0, &SettingError{Key: key, Msg: fmt.Sprintf("expected a whole number, zero or more, got %v", settings[key])}
	}
	return int64(n), nil
}

// Seconds reads a duration given in seconds, which must be above zero, or
// def when absent.
func Seconds(settings map[string]any, key string, def time.Duration) (time.Duration, error) {
	n, ok, err := Number(settings, key)
	if err != nil || !ok {
		return def, err
	}
	if n <= 0 || n > 7*24*3600 {
		return 0, &SettingError{Key: key, Msg: fmt.Sprintf("expected a number of seconds above zero and at most 604800 (a week), got %v", settings[key])}
	}
	return time.Duration(n * float64(time.Second)), nil
}

// Strings reads a list of texts.
func Strings(settings map[string]any, key string) ([]string, error) {
	v, ok := settings[key]
	if !ok || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, &SettingError{Key: key, Msg: fmt.Sprintf("expected a list, got %v", v)}
	}
	out := make([]string, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok || s == "" {
			return nil, &SettingError{Key: fmt.Sprintf("%s[%d]", key, i), Msg: fmt.Sprintf("expected text, got %v", x)}
		}
		out[i] = s
	}
	return out, nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// EnvName reads a setting that names an environment variable holding a
// secret. The secret itself never belongs in the config file, so a value
// that cannot be a variable name is refused with a message saying so. The
// variable need not be set when the config is read (commands that fetch
// nothing run without secrets); the connector reads it when it fetches.
func EnvName(settings map[string]any, key string, required bool) (string, error) {
	s, err := String(settings, key, required)
	if err != nil || s == "" {
		return s, err
	}
	if !envName.MatchString(s) {
		return "", &SettingError{Key: key, Msg: "expected the NAME of an environment variable holding the secret (letters, digits and _), not the secret itself"}
	}
	return s, nil
}

// Secret reads the environment variable a setting names, through getenv.
func Secret(getenv func(string) string, key, name string) (string, error) {
	v := getenv(name)
	if v == "" {
		return "", fmt.Errorf("environment variable %s (named by %s) is not set", name, key)
	}
	return v, nil
}

// File reads a setting naming a file, resolved against baseDir, and checks
// that the file exists.
func File(settings map[string]any, key, baseDir string, required bool) (string, error) {
	p, err := String(settings, key, required)
	if err != nil || p == "" {
		return p, err
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(baseDir, p)
	}
	st, err := os.Stat(p)
	if err != nil {
		return "", &SettingError{Key: key, Msg: fmt.Sprintf("cannot use %s: %v", p, unwrapPath(err))}
	}
	if st.IsDir() {
		return "", &SettingError{Key: key, Msg: fmt.Sprintf("%s is a folder, expected a file", p)}
	}
	return p, nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
