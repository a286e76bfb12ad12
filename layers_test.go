package hitreflect_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/hitreflect/hitreflect/"

// layers are the floors of the tree, lowest first: code imports its own
// floor or the ones below, never one above (README "Layout").
var layers = []struct {
	name     string
	prefixes []string
}{
	{"ground floor", []string{"config", "values", "queries", "connectors"}},
	{"pipeline", []string{"pipeline"}},
	{"reports", []string{"reports"}},
	{"commands", []string{"internal"}},
	{"binary", []string{"cmd"}},
}

func floorOf(pkg string) int {
	for i, l := range layers {
		for _, p := range l.prefixes {
			if pkg == p || strings.HasPrefix(pkg, p+"/") {
				return i
			}
		}
	}
	return -1
}

// TestImportsPointDown reads the imports of every non-test Go file and
// fails on one that reaches up a floor (tests may use helpers from above).
func TestImportsPointDown(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		own := floorOf(pkg)
		if own < 0 {
			t.Errorf("%s: package %s is on no floor of the layout; add it to layers", path, pkg)
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			target, ok := strings.CutPrefix(p, module)
			if !ok {
				continue
			}
			if floor := floorOf(target); floor > own {
				t.Errorf("%s (%s) imports %s (%s): imports must point down the layers", path, layers[own].name, target, layers[floor].name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files: is the test running at the module root?", checked)
	}
}
