// Package assets serves Roster's static files — our stylesheet and the
// vendored htmx and htmx SSE extension — from the binary itself.
//
// Every file is known by a flat name and served at Prefix+name:
//
//	app.css               our stylesheet
//	htmx.min.js           htmx.org (vendor/MANIFEST has the exact version)
//	sse.min.js            htmx-ext-sse, the SSE extension
//	htmx.LICENSE          htmx's licence
//	htmx-ext-sse.LICENSE  the SSE extension's licence
//	MANIFEST              where the vendored files come from, with their hashes
//
// Templates link to files with URL, which appends the file's content hash as
// ?v=…, so browsers may cache a versioned URL for a year and still pick up a
// new file the moment it changes.
//
// The vendored files are pinned in vendor/MANIFEST; fetch.sh re-fetches them
// from npm and TestVendoredFilesMatchManifest checks them offline.
package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
)

// Prefix is the URL path under which Handler serves the assets.
const Prefix = "/assets/"

// versionLen is how many hex digits of a file's SHA-256 go into ?v=.
const versionLen = 12

//go:embed app.css vendor
var embedded embed.FS

// asset is one embedded file, hashed and prepared once at init.
type asset struct {
	name        string // flat name, as given to URL
	file        string // path inside embedded
	body        []byte
	gzipped     []byte // nil when compression does not pay
	sha256      string // hex
	version     string // sha256[:versionLen]
	contentType string
	etag        string // strong ETag of body
	gzipETag    string // strong ETag of gzipped
}

var byName = mustLoad(embedded)

// mustLoad reads every file in fsys, keyed by its base name. Two files with
// the same base name are a programming error.
func mustLoad(fsys fs.FS) map[string]*asset {
	m := make(map[string]*asset)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := path.Base(p)
		if prev, dup := m[name]; dup {
			return fmt.Errorf("assets: %s and %s share the name %q", prev.file, p, name)
		}
		sum := sha256.Sum256(body)
		a := &asset{
			name:        name,
			file:        p,
			body:        body,
			sha256:      hex.EncodeToString(sum[:]),
			contentType: contentType(name),
		}
		a.version = a.sha256[:versionLen]
		a.etag = `"` + a.sha256[:32] + `"`
		if gz := compress(body); gz != nil {
			a.gzipped = gz
			a.gzipETag = `"` + a.sha256[:32] + `-gzip"`
		}
		m[name] = a
		return nil
	})
	if err != nil {
		panic(err)
	}
	return m
}

// compress returns body gzipped, or nil when that saves less than a tenth.
func compress(body []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	zw.Write(body)                                           // a bytes.Buffer never fails
	zw.Close()
	if buf.Len() > len(body)*9/10 {
		return nil
	}
	return buf.Bytes()
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".woff2":
		return "font/woff2"
	default: // LICENSE and MANIFEST files, anything else we embed as text
		return "text/plain; charset=utf-8"
	}
}

// URL returns the versioned URL of an asset, e.g. URL("app.css") ==
// "/assets/app.css?v=3f2a9c1d0b4e" (the first 12 hex digits of its SHA-256).
// It panics for an unknown name: that is a programming error, caught by tests.
func URL(name string) string {
	a, ok := byName[name]
	if !ok {
		panic(fmt.Sprintf("assets.URL: unknown asset %q (known: %s)", name, strings.Join(Names(), ", ")))
	}
	return Prefix + a.name + "?v=" + a.version
}

// Names returns the names of all assets, sorted.
func Names() []string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Handler serves the embedded assets. Mount it at Prefix WITHOUT stripping
// the prefix:
//
//	mux.Handle("GET /assets/", assets.Handler())   // net/http
//	r.Handle("/assets/*", assets.Handler())         // chi
//
// (A path already stripped by http.StripPrefix, "/app.css", works as well.)
//
// A request carrying the asset's current ?v= is answered with
// "Cache-Control: public, max-age=31536000, immutable"; any other request
// (no v, or a stale one) with "no-cache", so it is revalidated by ETag and a
// matching If-None-Match gets 304. Unknown names and directories ("/assets/",
// "/assets/vendor/") get 404; methods other than GET and HEAD get 405.
// Clients that accept gzip get a precompressed body for the larger files.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")

	name := strings.TrimPrefix(r.URL.Path, Prefix)
	name = strings.TrimPrefix(name, "/")
	a, ok := byName[name]
	if !ok {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}

	if r.URL.Query().Get("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("Content-Type", a.contentType)

	body, etag := a.body, a.etag
	if a.gzipped != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			body, etag = a.gzipped, a.gzipETag
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match (304), Range and HEAD for us. A zero
	// time sends no Last-Modified: the ETag is the validator.
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: it
// names gzip (or *) without q=0.
func acceptsGzip(values []string) bool {
	star := false
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "*" {
				continue
			}
			refused := false
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(p, "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					val = strings.TrimSpace(val)
					refused = strings.Trim(val, "0.") == "" // q=0, q=0.0, q=0.000
				}
			}
			if coding == "gzip" {
				return !refused
			}
			star = !refused
		}
	}
	return star
}
