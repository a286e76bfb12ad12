// Package packet writes the reflection meeting's packet for each audience:
// the charts as PNG and SVG, slides.pdf to project (16:9, a slide per
// chart, then one with the three reflection prompts), packet.pdf to hand
// out (a cover page, then one chart per page with its reading, n, notes and
// room to write the prompts' answers), a self-contained index.html with the
// tables beneath the charts, and the tables as CSV and as one workbook,
// tables.xlsx.
//
// The metrics are computed once for every audience; each audience then
// sees only what it should: a school packet that school's own figures, a
// provider packet that provider's figures and the district's totals, never
// another provider's named figures, the district packet everything.
//
// The output is deterministic for the same warehouse, period and "now":
// iteration is sorted, the PDF's creation date is now, and the PNGs and
// SVGs are drawn by the same calls every time.
package packet

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"github.com/hitreflect/hitreflect/reports/charts"
)

// Options choose what to write and where.
type Options struct {
	// Period is a period of the config, "year" (default) or "ytd"; it is
	// also the folder under OutDir.
	Period string
	// Audience is district, school:ID, provider:ID or all (default
	// district).
	Audience string
	// OutDir is the output folder: the packets go to
	// OutDir/<period>/<audience>/.
	OutDir string
	// Now gives the date the packet is made (and "today" for ytd);
	// time.Now when nil. Fix it for reports that diff.
	Now func() time.Time
	// Workers render audiences in parallel; 0 means one per CPU.
	Workers int
	// PNG also writes each chart as a 1920x1080 PNG (charts/NAME.png).
	PNG bool
	// Metrics, when set, is a Runner on the same connection whose results
	// the packets share (the nightly job's metrics stage made it); nil: a
	// new one.
	Metrics *metrics.Runner
}

// Result says what was written.
type Result struct {
	Packets []*Packet
	// Metrics is how long computing the tables took, Render how long
	// drawing and writing the packets took.
	Metrics, Render time.Duration
}

// Packet is one audience's packet.
type Packet struct {
	Audience Audience
	Dir      string
	Charts   []string // the charts drawn, by name, in order
	Skipped  []string // charts not drawn, with why
	Files    []File   // every file written, sorted by path
}

// File is a file written, its path relative to the output folder.
type File struct {
	Path  string
	Bytes int64
}

// Audience is who a packet is for.
type Audience struct {
	Kind string // district, school or provider
	ID   string // the school's or provider's id
	Name string // its name from the config
}

// Folder is the audience's folder name: district, school-<id>, provider-<id>.
func (a Audience) Folder() string {
	if a.Kind == "district" {
		return "district"
	}
	return a.Kind + "-" + a.ID
}

// String is the audience as --audience takes it.
func (a Audience) String() string {
	if a.Kind == "district" {
		return "district"
	}
	return a.Kind + ":" + a.ID
}

// Label is the audience for a reader.
func (a Audience) Label() string {
	switch a.Kind {
	case "school":
		return "School: " + a.Name
	case "provider":
		return "Provider: " + a.Name
	}
	return "District"
}

// UsageError is a bad --audience or --period.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Audiences resolves --audience against the config: district,
// school:ID, provider:ID or all (the district, every school, every
// provider, in the config's id order).
func Audiences(cfg *config.Config, spec string) ([]Audience, error) {
	schools, providers := names(cfg)
	if spec == "" {
		spec = "district"
	}
	switch {
	case spec == "district":
		return []Audience{{Kind: "district", Name: cfg.District}}, nil
	case spec == "all":
		out := []Audience{{Kind: "district", Name: cfg.District}}
		for _, id := range sortedKeys(schools) {
			out = append(out, Audience{Kind: "school", ID: id, Name: schools[id]})
		}
		for _, id := range sortedKeys(providers) {
			out = append(out, Audience{Kind: "provider", ID: id, Name: providers[id]})
		}
		return out, nil
	}
	kind, id, ok := strings.Cut(spec, ":")
	if ok && id != "" {
		switch kind {
		case "school":
			if n, ok := schools[id]; ok {
				return []Audience{{Kind: "school", ID: id, Name: n}}, nil
			}
			return nil, &UsageError{fmt.Errorf("--audience %s: no school %q in the config (it has %s)", spec, id, strings.Join(sortedKeys(schools), ", "))}
		case "provider":
			if n, ok := providers[id]; ok {
				return []Audience{{Kind: "provider", ID: id, Name: n}}, nil
			}
			return nil, &UsageError{fmt.Errorf("--audience %s: no provider %q in the config (it has %s)", spec, id, strings.Join(sortedKeys(providers), ", "))}
		}
	}
	return nil, &UsageError{fmt.Errorf("--audience must be district, school:ID, provider:ID or all, got %q", spec)}
}

func names(cfg *config.Config) (schools, providers map[string]string) {
	schools, providers = map[string]string{}, map[string]string{}
	for _, s := range cfg.Schools {
		schools[s.ID] = nameOr(s.Name, s.ID)
	}
	for _, p := range cfg.Providers {
		providers[p.ID] = nameOr(p.Name, p.ID)
	}
	return schools, providers
}

func nameOr(name, id string) string {
	if name == "" {
		return id
	}
	return name
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// conn is what the metrics runner and the data-as-of query need.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Build computes the metrics once and writes the packet of every
// audience of opt.Audience.
// steady copies a metrics table with its figures to ten significant
// digits: DuckDB adds in parallel, so a sum or mean may differ in its last
// bits from one run to the next, and a chart drawn from it would move by a
// hair in the PDF. Every file of a packet is drawn from these copies, so
// the same data make the same bytes. (The runner's own table, which the
// metrics stage shares, is left as it is.)
func steady(t *metrics.Table) *metrics.Table {
	out := *t
	out.Rows = make([]metrics.Row, len(t.Rows))
	for i, r := range t.Rows {
		r.Values = append([]any(nil), r.Values...)
		for j, v := range r.Values {
			if x, ok := v.(float64); ok && !math.IsNaN(x) && !math.IsInf(x, 0) {
				r.Values[j], _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 10, 64), 64)
			}
		}
		out.Rows[i] = r
	}
	return &out
}

func Build(ctx context.Context, c conn, cfg *config.Config, opt Options) (*Result, error) {
	if opt.Period == "" {
		opt.Period = "year"
	}
	if strings.ContainsAny(opt.Period, `/\`) || opt.Period == "." || opt.Period == ".." {
		return nil, &UsageError{fmt.Errorf("--period %q cannot be a folder name", opt.Period)}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.OutDir == "" {
		return nil, errors.New("packet: no output folder")
	}
	auds, err := Audiences(cfg, opt.Audience)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	ts, err := computeTables(ctx, c, cfg, opt, auds)
	if err != nil {
		return nil, err
	}
	res := &Result{Metrics: time.Since(start)}
	start = time.Now()
	res.Packets, err = Render(ts, auds, opt)
	res.Render = time.Since(start)
	return res, err
}

// Tables are the metrics tables the charts are built from, and what the
// cover page says.
type Tables struct {
	District string
	Period   string // the period as asked (the folder)
	Label    string // the period for a reader, with its dates
	AsOf     time.Time
	Made     time.Time
	Target   float64 // dosage target, minutes per week
	Options  charts.Options

	byKey map[string]*metrics.Table
}

// The cuts the charts need, and the extra ones school packets need.
var (
	districtCuts = []cut{
		{"engagement", []string{"school", "provider"}},
		{"engagement", []string{"week", "provider"}},
		{"engagement", []string{"provider"}},
		{"engagement", []string{"school"}},
		{"coverage", []string{"school", "subject"}},
		{"growth", []string{"school"}},
		{"impact", nil},
		{"cost", []string{"provider"}},
		{"quality", []string{"provider"}},
	}
	schoolCuts = []cut{
		{"engagement", []string{"school", "week", "provider"}},
		{"quality", []string{"school", "provider"}},
	}
)

type cut struct {
	family string
	by     []string
}

func (c cut) key() string { return c.family + "/" + strings.Join(c.by, ",") }

// ComputeTables runs the metrics the audiences need.
func computeTables(ctx context.Context, c conn, cfg *config.Config, opt Options, auds []Audience) (*Tables, error) {
	r := opt.Metrics
	if r == nil {
		var err error
		if r, err = metrics.New(ctx, c, cfg, opt.Now); err != nil {
			return nil, err
		}
	}
	// Every cut is computed whichever packets are asked for: the cells
	// withheld so that no table gives away another's depend on all of them,
	// and a district packet made alone is the one made with the others.
	cuts := append(append([]cut(nil), districtCuts...), schoolCuts...)
	ts := &Tables{District: cfg.District, Period: opt.Period, Made: opt.Now(), Target: cfg.DosageTarget.MinutesPerWeek, byKey: map[string]*metrics.Table{}}
	for _, k := range cuts {
		t, err := r.Run(ctx, k.family, metrics.Options{Period: opt.Period, By: k.by})
		var ue *metrics.UsageError
		if errors.As(err, &ue) {
			return nil, &UsageError{err}
		}
		if err != nil {
			return nil, fmt.Errorf("metrics %s by %s: %w", k.family, strings.Join(k.by, ","), err)
		}
		ts.byKey[k.key()] = steady(t)
		if k.family == "engagement" && ts.Label == "" {
			ts.Label = fmt.Sprintf("%s (%s to %s)", t.Period, t.From.Format("2 Jan 2006"), t.To.Format("2 Jan 2006"))
		}
	}
	var all []*metrics.Table
	for _, k := range cuts {
		all = append(all, ts.byKey[k.key()])
	}
	metrics.ProtectAcross(all)
	var asOf sql.NullTime
	if err := c.QueryRowContext(ctx, `SELECT max(coalesce(finished_at, started_at)) FROM files WHERE status = 'loaded'`).Scan(&asOf); err != nil {
		return nil, fmt.Errorf("read when the data were loaded: %w", err)
	}
	if asOf.Valid {
		ts.AsOf = asOf.Time
	}
	schools, providers := names(cfg)
	var ids []string
	for _, p := range cfg.Providers {
		ids = append(ids, p.ID)
	}
	ts.Options = charts.Options{Schools: schools, Providers: providers, Colors: charts.Palette(ids)}
	return ts, nil
}

func (ts *Tables) get(family string, by ...string) *metrics.Table {
	return ts.byKey[cut{family, by}.key()]
}

// Render writes the packets of the audiences from tables already computed.
func Render(ts *Tables, auds []Audience, opt Options) ([]*Packet, error) {
	if opt.Period == "" {
		opt.Period = "year"
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	pdfSetup(ts.Made)
	// Leftovers of a render that was killed go first.
	parent := filepath.Join(opt.OutDir, opt.Period)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("the output folder %s cannot be made: %w", parent, err)
	}
	// One clear message for a folder that cannot be written (read-only,
	// not ours), rather than one per packet.
	probe, err := os.MkdirTemp(parent, ".write-check-")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the folder is named already
		}
		return nil, fmt.Errorf("the output folder %s cannot be written (%w): nothing was changed there", parent, err)
	}
	_ = os.Remove(probe)
	removeLeftovers(parent)
	out := make([]*Packet, len(auds))
	errs := make([]error, len(auds))
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for i, a := range auds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = renderOne(ts, a, opt)
		}()
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			errs[i] = fmt.Errorf("%s packet (%s): %w", auds[i], filepath.Join(parent, auds[i].Folder()), err)
		}
	}
	if failed > 0 {
		// A failed packet left its folder as it was: the last whole one.
		errs = append(errs, fmt.Errorf("%d of %d packets were not written; their folders hold the last complete packet, if any", failed, len(auds)))
	}
	return out, errors.Join(errs...)
}

// A packet folder in the making is <folder>.tmp-<random>; the one it
// replaces, on its way out, <folder>.old-<random>.
const tmpSuffix, oldSuffix = ".tmp-", ".old-"

// swapIn puts the finished folder work where dir is, moving the last one
// aside first (a folder cannot be renamed over another) and removing it.
func swapIn(work, dir string) error {
	var old string
	if _, err := os.Stat(dir); err == nil {
		f, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+oldSuffix)
		if err != nil {
			return err
		}
		os.Remove(f) // only its unique name is wanted
		if err := os.Rename(dir, f); err != nil {
			return fmt.Errorf("move the last packet aside (is a file in %s open?): %w", dir, err)
		}
		old = f
	}
	if err := os.Rename(work, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir) // the last packet back where it was
		}
		return err
	}
	if old != "" {
		// Left behind only if it cannot be removed; the next render tries again.
		_ = os.RemoveAll(old)
	}
	return nil
}

// removeLeftovers removes what a killed render left in a period's folder:
// packet folders in the making or on their way out.
func removeLeftovers(parent string) {
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		n := e.Name()
		ours := n == "district" || strings.HasPrefix(n, "district.") || strings.HasPrefix(n, "school-") || strings.HasPrefix(n, "provider-")
		if e.IsDir() && ours && (strings.Contains(n, tmpSuffix) || strings.Contains(n, oldSuffix)) {
			_ = os.RemoveAll(filepath.Join(parent, n))
		}
	}
}

// drawn is a chart ready for the packet, its PNG and SVG rendered.
type drawn struct {
	chart *charts.Chart
	png   []byte
	svg   []byte
}

func renderOne(ts *Tables, a Audience, opt Options) (*Packet, error) {
	parent := filepath.Join(opt.OutDir, opt.Period)
	dir := filepath.Join(parent, a.Folder())
	// The packet is written in a folder beside its place and put there
	// whole when every file is written: someone opening the folder, or a
	// scheduled copy picking it up, sees the last packet or this one, never
	// half of one.
	work, err := os.MkdirTemp(parent, a.Folder()+tmpSuffix)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work) // gone once renamed; a failed render leaves nothing
	for _, d := range []string{"charts", "tables"} {
		// Readable by the owner only, like the rest of the output folder:
		// packets go out by hand, to the audience they are for.
		if err := os.MkdirAll(filepath.Join(work, d), 0o700); err != nil {
			return nil, err
		}
	}
	p := &Packet{Audience: a, Dir: dir}
	var ds []drawn
	for _, spec := range chartSpecs {
		c, skip, err := spec.build(ts, a)
		if err != nil && errors.Is(err, charts.ErrNoFigures) {
			skip = "no figures to draw: " + err.Error()
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.name, err)
		}
		if skip != "" {
			p.Skipped = append(p.Skipped, fmt.Sprintf("%s: %s", spec.title, skip))
			continue
		}
		var png, svg bytes.Buffer
		if opt.PNG {
			if err := c.WritePNG(&png); err != nil {
				return nil, err
			}
		}
		if err := c.WriteSVG(&svg); err != nil {
			return nil, err
		}
		ds = append(ds, drawn{chart: c, png: png.Bytes(), svg: svg.Bytes()})
		p.Charts = append(p.Charts, c.Name)
	}
	write := func(name string, b []byte) error {
		return os.WriteFile(filepath.Join(work, name), b, 0o600)
	}
	for _, d := range ds {
		if opt.PNG {
			if err := write(filepath.Join("charts", d.chart.Name+".png"), d.png); err != nil {
				return nil, err
			}
		}
		if err := write(filepath.Join("charts", d.chart.Name+".svg"), d.svg); err != nil {
			return nil, err
		}
		var csv bytes.Buffer
		if err := metrics.WriteCSVFile(&csv, d.chart.Data); err != nil {
			return nil, err
		}
		if err := write(filepath.Join("tables", d.chart.Name+".csv"), csv.Bytes()); err != nil {
			return nil, err
		}
	}
	cov := cover{District: ts.District, Audience: a.Label(), Period: ts.Label, Made: ts.Made, AsOf: ts.AsOf, Skipped: p.Skipped}
	if cov.Period == "" {
		cov.Period = ts.Period
	}
	pdf, err := writePDF(cov, ds)
	if err != nil {
		return nil, fmt.Errorf("packet.pdf: %w", err)
	}
	if err := write("packet.pdf", pdf); err != nil {
		return nil, err
	}
	slides, err := writeSlides(cov, ds)
	if err != nil {
		return nil, fmt.Errorf("slides.pdf: %w", err)
	}
	if err := write("slides.pdf", slides); err != nil {
		return nil, err
	}
	book, err := writeWorkbook(cov, ds)
	if err != nil {
		return nil, fmt.Errorf("tables.xlsx: %w", err)
	}
	if err := write("tables.xlsx", book); err != nil {
		return nil, err
	}
	if err := write("index.html", writeHTML(cov, ds)); err != nil {
		return nil, err
	}
	if err := swapIn(work, dir); err != nil {
		return nil, fmt.Errorf("put in place: %w", err)
	}
	err = filepath.WalkDir(dir, func(path string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(opt.OutDir, path)
		p.Files = append(p.Files, File{Path: filepath.ToSlash(r), Bytes: info.Size()})
		return nil
	})
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Path < p.Files[j].Path })
	return p, err
}
