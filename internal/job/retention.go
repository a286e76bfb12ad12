package job

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// stampName is the name of a dated output: a folder (metrics/, exports/)
// or a .json file (runs/) named by the start of the run that wrote it.
var stampName = regexp.MustCompile(`^\d{8}-\d{6}(\.json)?$`)

// prune deletes all but the newest keep dated outputs in dir and returns
// how many it deleted. Only names a run gives its outputs are touched:
// anything else a person put in dir stays. keep 0 keeps everything.
func prune(dir string, keep int) (int, error) {
	if keep <= 0 {
		return 0, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("keep the newest %d in %s: %w", keep, dir, err)
	}
	var dated []string
	for _, e := range entries {
		if stampName.MatchString(e.Name()) && e.IsDir() != strings.HasSuffix(e.Name(), ".json") {
			dated = append(dated, e.Name())
		}
	}
	sort.Strings(dated) // the stamp sorts by time
	removed := 0
	for _, name := range dated[:max(0, len(dated)-keep)] {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return removed, fmt.Errorf("keep the newest %d in %s: %w", keep, dir, err)
		}
		removed++
	}
	return removed, nil
}
