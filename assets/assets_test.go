package assets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// manifestEntry is one line of vendor/MANIFEST.
type manifestEntry struct {
	line                                        int
	file, pkg, version, path, integrity, sha256 string
}

func readManifest(t *testing.T) []manifestEntry {
	t.Helper()
	data, err := fs.ReadFile(embedded, "vendor/MANIFEST")
	if err != nil {
		t.Fatalf("the manifest is not embedded: %v", err)
	}
	var entries []manifestEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 6 {
			t.Fatalf("MANIFEST line %d has %d columns, want 6 (file package version path integrity sha256): %q", n, len(f), line)
		}
		entries = append(entries, manifestEntry{n, f[0], f[1], f[2], f[3], f[4], f[5]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("MANIFEST lists no files")
	}
	return entries
}

var (
	exactVersion = regexp.MustCompile(`^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$`)
	hexSHA256    = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// TestVendoredFilesMatchManifest fails when a vendored file was edited,
// replaced or added without going through fetch.sh. It needs no network.
func TestVendoredFilesMatchManifest(t *testing.T) {
	entries := readManifest(t)

	listed := map[string]bool{}
	for _, e := range entries {
		t.Run(e.file+" matches its manifest line", func(t *testing.T) {
			if listed[e.file] {
				t.Errorf("line %d lists %s a second time", e.line, e.file)
			}
			listed[e.file] = true
			if !exactVersion.MatchString(e.version) {
				t.Errorf("line %d: version %q is not an exact version", e.line, e.version)
			}
			if !strings.HasPrefix(e.path, "package/") || strings.Contains(e.path, "..") {
				t.Errorf("line %d: tarball path %q should start with package/", e.line, e.path)
			}
			raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(e.integrity, "sha512-"))
			if !strings.HasPrefix(e.integrity, "sha512-") || err != nil || len(raw) != 64 {
				t.Errorf("line %d: integrity %q is not sha512-<base64 of 64 bytes>", e.line, e.integrity)
			}
			if !hexSHA256.MatchString(e.sha256) {
				t.Errorf("line %d: sha256 %q is not 64 lower-case hex digits", e.line, e.sha256)
			}

			body, err := fs.ReadFile(embedded, "vendor/"+e.file)
			if err != nil {
				t.Fatalf("vendor/%s is listed but not embedded: %v", e.file, err)
			}
			sum := sha256.Sum256(body)
			if got := hex.EncodeToString(sum[:]); got != e.sha256 {
				t.Errorf("vendor/%s has SHA-256 %s, MANIFEST says %s: the file was changed; restore it with `bash assets/fetch.sh`",
					e.file, got, e.sha256)
			}
		})
	}

	t.Run("every vendored file is listed", func(t *testing.T) {
		files, err := fs.ReadDir(embedded, "vendor")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if f.Name() != "MANIFEST" && !listed[f.Name()] {
				t.Errorf("vendor/%s is embedded but not in MANIFEST", f.Name())
			}
		}
	})

	t.Run("every vendored package ships its licence", func(t *testing.T) {
		licensed := map[string]bool{}
		for _, e := range entries {
			if strings.HasSuffix(e.file, ".LICENSE") {
				licensed[e.pkg+"@"+e.version] = true
			}
		}
		for _, e := range entries {
			if !licensed[e.pkg+"@"+e.version] {
				t.Errorf("%s comes from %s@%s, which has no .LICENSE file vendored", e.file, e.pkg, e.version)
			}
		}
	})
}

func TestNames(t *testing.T) {
	want := []string{"MANIFEST", "app.css", "htmx-ext-sse.LICENSE", "htmx.LICENSE", "htmx.min.js", "sse.min.js"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
}

func TestURL(t *testing.T) {
	for _, name := range []string{"app.css", "htmx.min.js", "sse.min.js", "htmx.LICENSE", "MANIFEST"} {
		t.Run("versions "+name+" with the start of its SHA-256", func(t *testing.T) {
			file := name
			if name != "app.css" {
				file = "vendor/" + name
			}
			body, err := fs.ReadFile(embedded, file)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(body)
			want := "/assets/" + name + "?v=" + hex.EncodeToString(sum[:])[:versionLen]
			if got := URL(name); got != want {
				t.Errorf("URL(%q) = %q, want %q", name, got, want)
			}
		})
	}

	for _, name := range []string{"", "nope.js", "vendor/htmx.min.js", "/app.css", "APP.CSS"} {
		t.Run("panics for the unknown name "+strconv.Quote(name), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("URL(%q) did not panic", name)
				}
			}()
			URL(name)
		})
	}
}

func get(t *testing.T, method, target string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	return rec.Result()
}

func TestHandler(t *testing.T) {
	const (
		immutable = "public, max-age=31536000, immutable"
		js        = "text/javascript; charset=utf-8"
		css       = "text/css; charset=utf-8"
		text      = "text/plain; charset=utf-8"
	)
	tests := []struct {
		name        string
		method      string
		target      string
		wantStatus  int
		wantType    string
		wantCache   string
		wantBodyOf  string // asset whose bytes the body must be
		wantNoSniff bool
	}{
		{"serves htmx as JavaScript", "GET", URL("htmx.min.js"), 200, js, immutable, "htmx.min.js", true},
		{"serves the SSE extension as JavaScript", "GET", URL("sse.min.js"), 200, js, immutable, "sse.min.js", true},
		{"serves the stylesheet as CSS", "GET", URL("app.css"), 200, css, immutable, "app.css", true},
		{"serves the htmx licence as plain text", "GET", URL("htmx.LICENSE"), 200, text, immutable, "htmx.LICENSE", true},
		{"serves the SSE extension licence as plain text", "GET", URL("htmx-ext-sse.LICENSE"), 200, text, immutable, "htmx-ext-sse.LICENSE", true},
		{"serves the manifest as plain text", "GET", URL("MANIFEST"), 200, text, immutable, "MANIFEST", true},
		{"answers HEAD like GET without a body", "HEAD", URL("app.css"), 200, css, immutable, "", true},
		{"asks to revalidate a request without a version", "GET", "/assets/app.css", 200, css, "no-cache", "app.css", true},
		{"asks to revalidate a request with a stale version", "GET", "/assets/app.css?v=000000000000", 200, css, "no-cache", "app.css", true},
		{"asks to revalidate a request with an empty version", "GET", "/assets/htmx.min.js?v=", 200, js, "no-cache", "htmx.min.js", true},
		{"accepts a path whose prefix was already stripped", "GET", "/app.css", 200, css, "no-cache", "app.css", true},
		{"answers 404 for an unknown name", "GET", "/assets/nope.js", 404, "", "", "", true},
		{"answers 404 for the asset root", "GET", "/assets/", 404, "", "", "", true},
		{"answers 404 for the bare root", "GET", "/", 404, "", "", "", true},
		{"answers 404 for the vendor directory", "GET", "/assets/vendor/", 404, "", "", "", true},
		{"answers 404 for a vendor path", "GET", "/assets/vendor/htmx.min.js", 404, "", "", "", true},
		{"answers 404 for a parent path", "GET", "/assets/../assets.go", 404, "", "", "", true},
		{"answers 404 for the Go source", "GET", "/assets/assets.go", 404, "", "", "", true},
		{"answers 404 for the fetch script", "GET", "/assets/fetch.sh", 404, "", "", "", true},
		{"refuses POST with 405", "POST", URL("app.css"), 405, "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, tt.method, tt.target, nil)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantNoSniff && resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", resp.Header.Get("X-Content-Type-Options"))
			}
			if tt.wantStatus == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q, want %q", resp.Header.Get("Allow"), "GET, HEAD")
			}
			if tt.wantStatus != 200 {
				if cc := resp.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
					t.Errorf("a %d answer has Cache-Control %q", tt.wantStatus, cc)
				}
				return
			}
			if got := resp.Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.wantCache)
			}
			if resp.Header.Get("ETag") == "" {
				t.Error("no ETag")
			}
			if resp.Header.Get("Last-Modified") != "" {
				t.Errorf("Last-Modified = %q, want none (the ETag is the validator)", resp.Header.Get("Last-Modified"))
			}
			if tt.method == "HEAD" {
				if len(body) != 0 {
					t.Errorf("HEAD returned %d body bytes", len(body))
				}
				if want := strconv.Itoa(len(byName["app.css"].body)); resp.Header.Get("Content-Length") != want {
					t.Errorf("Content-Length = %q, want %s", resp.Header.Get("Content-Length"), want)
				}
				return
			}
			if !bytes.Equal(body, byName[tt.wantBodyOf].body) {
				t.Errorf("body is %d bytes, not the %d bytes of %s", len(body), len(byName[tt.wantBodyOf].body), tt.wantBodyOf)
			}
		})
	}
}

func TestHandlerRevalidation(t *testing.T) {
	for _, enc := range []string{"", "gzip"} {
		label := "identity"
		if enc != "" {
			label = enc
		}
		for _, name := range []string{"app.css", "htmx.min.js"} {
			t.Run("answers 304 for a matching If-None-Match on "+name+" sent as "+label, func(t *testing.T) {
				h := http.Header{}
				if enc != "" {
					h.Set("Accept-Encoding", enc)
				}
				first := get(t, "GET", "/assets/"+name, h)
				etag := first.Header.Get("ETag")
				if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) {
					t.Fatalf("ETag %q is not a quoted strong ETag", etag)
				}

				h.Set("If-None-Match", etag)
				again := get(t, "GET", "/assets/"+name, h)
				body, _ := io.ReadAll(again.Body)
				if again.StatusCode != http.StatusNotModified {
					t.Fatalf("status = %d, want 304", again.StatusCode)
				}
				if len(body) != 0 {
					t.Errorf("304 has a %d-byte body", len(body))
				}
				if again.Header.Get("ETag") != etag {
					t.Errorf("304 ETag = %q, want %q", again.Header.Get("ETag"), etag)
				}
			})
		}
	}

	t.Run("answers 200 for an If-None-Match of another version", func(t *testing.T) {
		h := http.Header{"If-None-Match": {`"0123456789abcdef0123456789abcdef"`}}
		if resp := get(t, "GET", URL("app.css"), h); resp.StatusCode != http.StatusOK {
			t.Errorf("status = %d, want 200", resp.StatusCode)
		}
	})

	t.Run("gives the gzipped and the plain body different ETags", func(t *testing.T) {
		plain := get(t, "GET", URL("htmx.min.js"), nil).Header.Get("ETag")
		zipped := get(t, "GET", URL("htmx.min.js"), http.Header{"Accept-Encoding": {"gzip"}}).Header.Get("ETag")
		if plain == zipped {
			t.Errorf("both ETags are %s", plain)
		}
	})

	t.Run("derives the ETag from the content hash", func(t *testing.T) {
		etag := get(t, "GET", URL("app.css"), nil).Header.Get("ETag")
		if want := `"` + byName["app.css"].sha256[:32] + `"`; etag != want {
			t.Errorf("ETag = %s, want %s", etag, want)
		}
	})
}

func TestHandlerCompression(t *testing.T) {
	t.Run("sends htmx gzipped to a client that accepts gzip", func(t *testing.T) {
		resp := get(t, "GET", URL("htmx.min.js"), http.Header{"Accept-Encoding": {"br, gzip, deflate"}})
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding = %q, want gzip", resp.Header.Get("Content-Encoding"))
		}
		if !slices.Contains(resp.Header.Values("Vary"), "Accept-Encoding") {
			t.Errorf("Vary = %q, want Accept-Encoding", resp.Header.Values("Vary"))
		}
		if resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, byName["htmx.min.js"].body) {
			t.Error("the gunzipped body is not htmx.min.js")
		}
	})

	t.Run("sends htmx plain to a client that does not accept gzip", func(t *testing.T) {
		resp := get(t, "GET", URL("htmx.min.js"), nil)
		if resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("Content-Encoding = %q, want none", resp.Header.Get("Content-Encoding"))
		}
		if !slices.Contains(resp.Header.Values("Vary"), "Accept-Encoding") {
			t.Errorf("Vary = %q, want Accept-Encoding", resp.Header.Values("Vary"))
		}
	})

	tests := []struct {
		name   string
		header []string
		want   bool
	}{
		{"accepts a plain gzip", []string{"gzip"}, true},
		{"accepts gzip among others", []string{"deflate, gzip;q=0.8, br"}, true},
		{"accepts gzip spelt in capitals", []string{"GZIP"}, true},
		{"accepts gzip in a second header line", []string{"br", "gzip"}, true},
		{"accepts a wildcard", []string{"*"}, true},
		{"refuses no header", nil, false},
		{"refuses identity only", []string{"identity"}, false},
		{"refuses gzip with q=0", []string{"gzip;q=0"}, false},
		{"refuses gzip with q=0.000", []string{"br, gzip; q=0.000"}, false},
		{"refuses gzip refused despite a wildcard", []string{"*, gzip;q=0"}, false},
		{"refuses a refused wildcard", []string{"*;q=0"}, false},
		{"refuses x-gzip lookalikes", []string{"gzipx, xgzip"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := acceptsGzip(tt.header); got != tt.want {
				t.Errorf("acceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func TestMustLoad(t *testing.T) {
	t.Run("panics when two files share a name", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		mustLoad(fstest.MapFS{
			"app.css":        {Data: []byte("a{}")},
			"vendor/app.css": {Data: []byte("b{}")},
		})
	})

	t.Run("leaves small files uncompressed", func(t *testing.T) {
		m := mustLoad(fstest.MapFS{"x.css": {Data: []byte("a{}")}})
		if m["x.css"].gzipped != nil {
			t.Error("a 3-byte file was gzipped")
		}
	})
}

// --- the stylesheet ---

func readCSS(t *testing.T) string {
	t.Helper()
	b, err := fs.ReadFile(embedded, "app.css")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStylesheetHooks fails when a class or attribute hook the templates rely
// on disappears from app.css.
func TestStylesheetHooks(t *testing.T) {
	css := readCSS(t)
	hooks := []string{
		"header.site", "footer.site", "main {", ".container", ".flash {", ".flash.error",
		".button,", ".button.secondary", "label {", `input[type="file"]`, ".hint",
		"ol.stepper", "div.step {", `div.step[aria-current="step"]`, ".step-name", ".step-state {",
		"progress {", "::-webkit-progress-value", "::-moz-progress-bar", ".step-counts", ".step-meta",
		".table-scroll", "table.problems", "table.history", ".num", ".visually-hidden",
		":focus-visible", "@media (prefers-reduced-motion: reduce)",
		".htmx-indicator {", ".htmx-request .htmx-indicator", ".htmx-request.htmx-indicator",
	}
	for _, s := range []string{"running", "done", "failed", "skipped", "cancelled"} {
		hooks = append(hooks, `div.step[data-state="`+s+`"]`, `[data-state="`+s+`"] .step-state`)
	}
	hooks = append(hooks, `[data-state="pending"] .step-state`)
	for _, s := range []string{"succeeded", "failed", "cancelled", "interrupted", "running", "queued"} {
		hooks = append(hooks, `.summary[data-import-state="`+s+`"]`)
	}
	for _, h := range hooks {
		t.Run("styles "+h, func(t *testing.T) {
			if !strings.Contains(css, h) {
				t.Errorf("app.css has no %q", h)
			}
		})
	}

	t.Run("loads nothing from elsewhere", func(t *testing.T) {
		for _, bad := range []string{"url(", "@import", "expression("} {
			if strings.Contains(css, bad) {
				t.Errorf("app.css contains %q; the CSP allows only 'self' and we embed no other files", bad)
			}
		}
	})
}

var cssVar = regexp.MustCompile(`--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})\s*;`)

func palettes(t *testing.T) map[string]map[string]string {
	t.Helper()
	css := readCSS(t)
	light, rest, ok := strings.Cut(css, "@media (prefers-color-scheme: dark)")
	if !ok {
		t.Fatal("app.css has no dark palette")
	}
	dark, _, ok := strings.Cut(rest, "/* ---------- base")
	if !ok {
		t.Fatal("app.css: the dark palette should be followed by the base section")
	}
	read := func(s string) map[string]string {
		m := map[string]string{}
		for _, g := range cssVar.FindAllStringSubmatch(s, -1) {
			m[g[1]] = g[2]
		}
		return m
	}
	l, d := read(light), read(dark)
	for k := range d {
		if _, ok := l[k]; !ok {
			t.Errorf("--%s is set for dark mode only", k)
		}
	}
	for k := range l {
		if _, ok := d[k]; !ok {
			t.Errorf("--%s is set for light mode only", k)
		}
	}
	return map[string]map[string]string{"light": l, "dark": d}
}

func luminance(hexColour string) float64 {
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(hexColour[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// TestStylesheetContrast checks the palette against WCAG 2.1 AA, in the light
// and the dark scheme: 4.5:1 for text, 3:1 for the focus ring and state lines.
func TestStylesheetContrast(t *testing.T) {
	type pair struct{ fg, bg string }
	text := []pair{
		{"text", "bg"}, {"text", "surface"}, {"text", "current-bg"},
		{"muted", "bg"}, {"muted", "surface"}, {"muted", "current-bg"},
		{"accent", "bg"}, {"accent", "surface"}, {"accent", "current-bg"},
		{"accent-hover", "surface"}, {"accent-hover", "current-bg"},
		{"on-accent", "accent"}, {"on-accent", "accent-hover"},
		{"flash-text", "flash-bg"}, {"error-text", "error-bg"},
	}
	for _, s := range []string{"pending", "running", "done", "failed", "skipped", "cancelled"} {
		text = append(text, pair{s + "-text", s + "-bg"})
	}
	var nonText []pair
	for _, bg := range []string{"bg", "surface", "current-bg"} {
		nonText = append(nonText, pair{"focus", bg})
	}
	for _, s := range []string{"pending", "running", "done", "failed", "skipped", "cancelled", "interrupted"} {
		for _, bg := range []string{"surface", "current-bg", "track"} {
			nonText = append(nonText, pair{s + "-line", bg})
		}
	}

	for scheme, p := range palettes(t) {
		check := func(pairs []pair, min float64) {
			for _, pr := range pairs {
				t.Run(scheme+" --"+pr.fg+" on --"+pr.bg+" reaches "+strconv.FormatFloat(min, 'g', -1, 64)+":1", func(t *testing.T) {
					fg, bg := p[pr.fg], p[pr.bg]
					if fg == "" || bg == "" {
						t.Fatalf("--%s or --%s is not a #rrggbb colour", pr.fg, pr.bg)
					}
					if c := contrast(fg, bg); c < min {
						t.Errorf("%s on %s is %.2f:1, want at least %g:1", fg, bg, c, min)
					}
				})
			}
		}
		check(text, 4.5)
		check(nonText, 3)
	}
}
