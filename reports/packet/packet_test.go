package packet

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/testdistrict"
)

// fixedNow is when the test packets are made.
func fixedNow() time.Time { return time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC) }

// tool finds a program the test needs: skipped on a laptop without it,
// a failure in CI (which installs it: .ci/run).
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (apt-get install %s; .ci/run installs it)", name, pkg)
		}
		t.Skipf("%s is not installed (apt-get install %s)", name, pkg)
	}
	return p
}

// TestPacket writes every audience's packet for a 600-student district
// and checks what each holds.
func TestPacket(t *testing.T) {
	ctx := context.Background()
	d := testdistrict.Load(t, 600, 1)
	conn, err := d.Warehouse.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cfg := d.Setup.Config
	out := t.TempDir()
	if keep := os.Getenv("HITREFLECT_PACKET_OUT"); keep != "" {
		out = keep // to look at the packets
	}
	res, err := Build(ctx, conn, cfg, Options{Audience: "all", OutDir: out, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	auds, _ := Audiences(cfg, "all")
	if len(res.Packets) != len(auds) || len(auds) != 1+len(cfg.Schools)+len(cfg.Providers) {
		t.Fatalf("%d packets for %d audiences (%d schools, %d providers)", len(res.Packets), len(auds), len(cfg.Schools), len(cfg.Providers))
	}
	t.Logf("metrics %s, rendering %s", res.Metrics, res.Render)

	t.Run("titles", func(t *testing.T) {
		for _, p := range res.Packets {
			if p.Audience.Kind == "district" {
				chartTitlesMatch(t, p)
			}
		}
	})

	t.Run("files", func(t *testing.T) {
		// Owner only, like the rest of the output folder.
		if st, err := os.Stat(filepath.Join(out, "year")); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("period folder: %v %v, want drwx------", st.Mode(), err)
		}
		for _, p := range res.Packets {
			for _, f := range []string{"packet.pdf", "charts", filepath.Join("tables", "cost.csv")} {
				if st, err := os.Stat(filepath.Join(p.Dir, f)); err == nil && st.Mode().Perm()&0o077 != 0 {
					t.Errorf("%s: %s is %v: others may read it", p.Audience, f, st.Mode())
				}
			}
			want := filepath.Join(out, "year", p.Audience.Folder())
			if p.Dir != want {
				t.Errorf("%s: folder %s, want %s", p.Audience, p.Dir, want)
			}
			if len(p.Charts) == 0 {
				t.Errorf("%s: no chart drawn (skipped: %v)", p.Audience, p.Skipped)
			}
			if p.Audience.Kind == "district" && len(p.Charts) < 9 {
				t.Errorf("district: only %d charts drawn: %v; skipped %v", len(p.Charts), p.Charts, p.Skipped)
			}
			if len(p.Charts)+len(p.Skipped) != len(chartSpecs) {
				t.Errorf("%s: %d drawn + %d skipped, want %d", p.Audience, len(p.Charts), len(p.Skipped), len(chartSpecs))
			}
			files := map[string]bool{}
			for _, f := range p.Files {
				files[f.Path] = true
				if f.Bytes == 0 {
					t.Errorf("%s is empty", f.Path)
				}
			}
			rel := "year/" + p.Audience.Folder() + "/"
			want2 := []string{rel + "packet.pdf", rel + "slides.pdf", rel + "tables.xlsx", rel + "index.html"}
			for _, c := range p.Charts {
				want2 = append(want2, rel+"charts/"+c+".svg", rel+"tables/"+c+".csv")
			}
			for _, w := range want2 {
				if !files[w] {
					t.Errorf("%s: no %s", p.Audience, w)
				}
			}
			if len(files) != len(want2) {
				t.Errorf("%s: %d files, want %d", p.Audience, len(files), len(want2))
			}
		}
		for _, p := range res.Packets {
			if p.Audience.Kind == "district" || p.Audience.Kind == "school" && p.Audience.ID == cfg.Schools[0].ID ||
				p.Audience.Kind == "provider" && p.Audience.ID == cfg.Providers[0].ID {
				var size int64
				for _, f := range p.Files {
					size += f.Bytes
					t.Logf("%-70s %9d bytes", f.Path, f.Bytes)
				}
				t.Logf("%s: %d charts, %d files, %d bytes; skipped %v", p.Audience, len(p.Charts), len(p.Files), size, p.Skipped)
			}
		}
	})

	t.Run("provider packets name no other provider", func(t *testing.T) {
		pdftotext := tool(t, "pdftotext", "poppler-utils")
		for _, p := range res.Packets {
			if p.Audience.Kind != "provider" {
				continue
			}
			texts := map[string]string{}
			for _, f := range p.Files {
				path := filepath.Join(out, f.Path)
				switch filepath.Ext(path) {
				case ".html", ".csv", ".svg":
					b, err := os.ReadFile(path)
					if err != nil {
						t.Fatal(err)
					}
					texts[f.Path] = string(b)
				case ".pdf":
					texts[f.Path] = pdfText(t, pdftotext, path)
				case ".xlsx":
					texts[f.Path] = workbookText(t, path)
				}
			}
			for _, other := range cfg.Providers {
				if other.ID == p.Audience.ID {
					continue
				}
				words := []string{other.ID}
				if other.Name != "" {
					words = append(words, other.Name)
				}
				for _, w := range words {
					re := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(w) + `\b`)
					for path, txt := range texts {
						if loc := re.FindStringIndex(txt); loc != nil {
							t.Errorf("%s names provider %q: …%s…", path, w, around(txt, loc[0]))
						}
					}
				}
			}
			// and it does name its own provider
			if !strings.Contains(texts["year/"+p.Audience.Folder()+"/index.html"], p.Audience.Name) {
				t.Errorf("%s: index.html does not name %q", p.Audience, p.Audience.Name)
			}
		}
	})

	t.Run("school packets name no other school", func(t *testing.T) {
		for _, p := range res.Packets {
			if p.Audience.Kind != "school" {
				continue
			}
			page, err := os.ReadFile(filepath.Join(p.Dir, "index.html"))
			if err != nil {
				t.Fatal(err)
			}
			for _, other := range cfg.Schools {
				if other.ID != p.Audience.ID && other.Name != "" && strings.Contains(string(page), other.Name) {
					t.Errorf("%s: index.html names school %q", p.Audience, other.Name)
				}
			}
		}
	})

	t.Run("packet.pdf pages and titles", func(t *testing.T) {
		pdftotext := tool(t, "pdftotext", "poppler-utils")
		pdfinfo := tool(t, "pdfinfo", "poppler-utils")
		for _, p := range res.Packets {
			path := filepath.Join(p.Dir, "packet.pdf")
			if n, _, _ := pdfPages(t, pdfinfo, path); n != 1+len(p.Charts) {
				t.Errorf("%s: %d pages, want 1 cover + %d charts", p.Audience, n, len(p.Charts))
			}
			txt := squash(pdfText(t, pdftotext, path))
			want := []string{p.Audience.Name, "What do we notice?", "What do we wonder?", "What will we do next, who, by when?"}
			for _, d := range drawnTitles(t, p) {
				want = append(want, d)
			}
			for _, w := range want {
				if !strings.Contains(txt, squash(w)) {
					t.Errorf("%s: packet.pdf text lacks %q", p.Audience, w)
				}
			}
		}
	})

	t.Run("slides.pdf: 16:9, a chart and its prompts per slide, headlines whole", func(t *testing.T) {
		pdftotext := tool(t, "pdftotext", "poppler-utils")
		pdfinfo := tool(t, "pdfinfo", "poppler-utils")
		for _, p := range res.Packets {
			path := filepath.Join(p.Dir, "slides.pdf")
			n, w, h := pdfPages(t, pdfinfo, path)
			if n != 2+2*len(p.Charts) {
				t.Errorf("%s: %d slides, want a title, a contents and 2 x %d charts", p.Audience, n, len(p.Charts))
			}
			if w <= h || math.Abs(w/h-16.0/9) > 0.001 {
				t.Errorf("%s: slides are %gx%g pt, want 16:9 landscape", p.Audience, w, h)
			}
			// Slide by slide: each chart's slide holds its whole title and
			// reading, the next slide the three prompts.
			titles := drawnTitles(t, p)
			for i, title := range titles {
				chart := squash(pdfPage(t, pdftotext, path, 3+2*i))
				prompt := squash(pdfPage(t, pdftotext, path, 4+2*i))
				if !strings.Contains(chart, squash(title)) {
					t.Errorf("%s: slide %d lacks the whole title %q:\n%s", p.Audience, 3+2*i, title, chart)
				}
				if !strings.Contains(prompt, squash(title)) {
					t.Errorf("%s: prompt slide %d lacks the title %q", p.Audience, 4+2*i, title)
				}
				for _, q := range []string{"What do we notice?", "What do we wonder?", "What will we do next, who, by when?"} {
					if !strings.Contains(prompt, q) {
						t.Errorf("%s: prompt slide %d lacks %q:\n%s", p.Audience, 4+2*i, q, prompt)
					}
				}
				if strings.Contains(chart+prompt, "…") {
					t.Errorf("%s: slides %d-%d cut text short with an ellipsis", p.Audience, 3+2*i, 4+2*i)
				}
			}
		}
	})

	t.Run("tables.xlsx: a sheet per table, typed and formatted", func(t *testing.T) {
		for _, p := range res.Packets {
			checkWorkbook(t, p)
		}
	})

	t.Run("a packet replaces the last one whole", func(t *testing.T) {
		// what a render killed half-way leaves: a folder in the making and
		// one on its way out
		for _, left := range []string{"district.tmp-123", "school-" + cfg.Schools[0].ID + ".old-456"} {
			if err := os.MkdirAll(filepath.Join(out, "year", left, "charts"), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		mine := filepath.Join(out, "year", "keep.tmp-1") // not a packet's: left alone
		if err := os.MkdirAll(mine, 0o700); err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(mine)
		aud := "provider:" + cfg.Providers[0].ID
		stale := filepath.Join(out, "year", "provider-"+cfg.Providers[0].ID, "stale.txt")
		if err := os.WriteFile(stale, []byte("from before"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Build(ctx, conn, cfg, Options{Audience: aud, OutDir: out, Now: fixedNow}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(stale); !os.IsNotExist(err) {
			t.Errorf("a file of the last packet survived the new one: %v", err)
		}
		entries, err := os.ReadDir(filepath.Join(out, "year"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
			if strings.Contains(e.Name(), ".tmp-") && e.Name() != "keep.tmp-1" || strings.Contains(e.Name(), ".old-") {
				t.Errorf("left in the period folder: %s", e.Name())
			}
		}
		if len(names) != len(auds)+1 {
			t.Errorf("period folder holds %v, want the %d packets and keep.tmp-1", names, len(auds))
		}
	})

	t.Run("deterministic", func(t *testing.T) {
		again := t.TempDir()
		res2, err := Build(ctx, conn, cfg, Options{Audience: "provider:" + cfg.Providers[0].ID, OutDir: again, Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		p2 := res2.Packets[0]
		for _, f := range p2.Files {
			a, err1 := os.ReadFile(filepath.Join(out, f.Path))
			b, err2 := os.ReadFile(filepath.Join(again, f.Path))
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v %v", f.Path, err1, err2)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s differs between two runs", f.Path)
			}
		}
	})

	t.Run("index.html in headless Chromium", func(t *testing.T) {
		chromium := tool(t, "chromium", "chromium")
		district := res.Packets[0]
		page, err := os.ReadFile(filepath.Join(district.Dir, "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		// Served with a probe that marks the body once every image has
		// loaded; every request is counted.
		probe := `<script>window.addEventListener("load", function () {
  var imgs = Array.from(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth === 1920 && i.naturalHeight === 1080; }).length;
  document.body.setAttribute("data-images", ok + "/" + imgs.length);
});</script></body>`
		served := bytes.Replace(page, []byte("</body>"), []byte(probe), 1)
		var mu sync.Mutex
		var requests []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			requests = append(requests, r.URL.Path)
			mu.Unlock()
			switch r.URL.Path {
			case "/index.html":
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write(served)
			case "/page.html":
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write(page)
			default:
				http.NotFound(w, r)
			}
		}))
		defer srv.Close()
		run := func(args ...string) []byte {
			ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
				"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
				"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=10000"}
			cmd := exec.CommandContext(ctx, chromium, append(base, args...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			b, err := cmd.Output()
			if err != nil {
				t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
			}
			return b
		}
		dom := run("--dump-dom", srv.URL+"/index.html")
		want := fmt.Sprintf(`data-images="%d/%d"`, len(district.Charts), len(district.Charts))
		if !bytes.Contains(dom, []byte(want)) {
			m := regexp.MustCompile(`data-images="[^"]*"`).Find(dom)
			t.Errorf("images loaded: %s, want %s", m, want)
		}
		dir := t.ArtifactDir()
		shot := filepath.Join(dir, "index.png")
		run("--screenshot="+shot, "--window-size=1920,1080", "--hide-scrollbars", srv.URL+"/page.html")
		f, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		colors := map[uint32]bool{}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y += 7 {
			for x := b.Min.X; x < b.Max.X; x += 7 {
				r, g, bl, _ := img.At(x, y).RGBA()
				colors[(r>>12)<<8|(g>>12)<<4|bl>>12] = true
			}
		}
		if len(colors) < 8 {
			t.Errorf("the screenshot is blank: %d colours", len(colors))
		}
		t.Logf("screenshot %s (%dx%d, %d colours)", shot, b.Dx(), b.Dy(), len(colors))
		mu.Lock()
		defer mu.Unlock()
		for _, r := range requests {
			if r != "/index.html" && r != "/page.html" {
				t.Errorf("the page requested %s", r)
			}
		}
		if len(requests) != 2 {
			t.Errorf("requests %v, want /index.html and /page.html once each", requests)
		}
		// Nothing points off the page either.
		if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:|//)[^"]*"|url\(\s*['"]?(https?:|//)|@import`).Find(page); m != nil {
			t.Errorf("index.html refers outside itself: %s", m)
		}
	})
}

// drawnTitles reads the titles of the charts drawn from the packet's
// index.html headings.
// chartTitlesMatch: the titles a packet's "not in this packet" list uses
// are the pages' own, as the district's packet (which draws them all) shows.
func chartTitlesMatch(t *testing.T, district *Packet) {
	t.Helper()
	drawn := drawnTitles(t, district)
	byName := map[string]string{}
	for i, name := range district.Charts {
		byName[name] = drawn[i]
	}
	for _, spec := range chartSpecs {
		if got, ok := byName[spec.name]; ok && got != spec.title {
			t.Errorf("chart %s: the packet calls it %q, its page %q", spec.name, spec.title, got)
		}
	}
}

func drawnTitles(t *testing.T, p *Packet) []string {
	b, err := os.ReadFile(filepath.Join(p.Dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`<h2>([^<]*)</h2>`).FindAllSubmatch(b, -1) {
		out = append(out, unescape(string(m[1])))
	}
	if len(out) != len(p.Charts) {
		t.Fatalf("%s: %d titles in index.html, %d charts", p.Audience, len(out), len(p.Charts))
	}
	return out
}

func unescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'").Replace(s)
}

func pdfText(t *testing.T, pdftotext, path string) string {
	b, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(b)
}

// pdfPages is a PDF's page count and its first page's size in points, as
// pdfinfo reads them.
func pdfPages(t *testing.T, pdfinfo, path string) (n int, w, h float64) {
	t.Helper()
	info, err := exec.Command(pdfinfo, path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo %s: %v\n%s", path, err, info)
	}
	pages := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	size := regexp.MustCompile(`(?m)^Page size:\s+([\d.]+) x ([\d.]+) pts`).FindSubmatch(info)
	if pages == nil || size == nil {
		t.Fatalf("pdfinfo %s: no page count or size:\n%s", path, info)
	}
	n, _ = strconv.Atoi(string(pages[1]))
	w, _ = strconv.ParseFloat(string(size[1]), 64)
	h, _ = strconv.ParseFloat(string(size[2]), 64)
	return n, w, h
}

// pdfPage is the text of one page (from 1).
func pdfPage(t *testing.T, pdftotext, path string, n int) string {
	b, err := exec.Command(pdftotext, "-enc", "UTF-8", "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext page %d of %s: %v", n, path, err)
	}
	return string(b)
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func around(s string, i int) string {
	lo, hi := max(0, i-60), min(len(s), i+60)
	return s[lo:hi]
}

// With PNG asked for, each chart is also a 1920x1080 image, sized for
// projection; without it there is none.
func TestPacketPNG(t *testing.T) {
	ctx := context.Background()
	d := testdistrict.Load(t, 300, 2)
	conn, err := d.Warehouse.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	out := t.TempDir()
	res, err := Build(ctx, conn, d.Setup.Config, Options{Audience: "district", OutDir: out, Now: fixedNow, PNG: true})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Packets[0]
	for _, c := range p.Charts {
		f, err := os.Open(filepath.Join(p.Dir, "charts", c+".png"))
		if err != nil {
			t.Fatal(err)
		}
		cfgImg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfgImg.Width != 1920 || cfgImg.Height != 1080 {
			t.Errorf("%s.png is %dx%d (%v), want 1920x1080", c, cfgImg.Width, cfgImg.Height, err)
		}
	}
}
