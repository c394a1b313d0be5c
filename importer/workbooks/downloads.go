package workbooks

import (
	"context"
	"io"

	"roster/importer"
	"roster/importer/store"
)

// Uploads finds the kept upload of an import: a file to read, and what to
// call when done with it; importer.ErrNotFound when there is none.
type Uploads interface {
	Upload(ctx context.Context, id string) (path string, done func(), err error)
}

// Downloads writes the workbooks users download, from the store and the
// kept uploads.
type Downloads struct {
	store   *store.Store
	uploads Uploads
}

// NewDownloads returns the downloads of a store whose uploads are kept by
// uploads.
func NewDownloads(st *store.Store, uploads Uploads) *Downloads {
	return &Downloads{store: st, uploads: uploads}
}

// Template writes the empty workbook users start from.
func (d *Downloads) Template(w io.Writer) error { return WriteTemplate(w) }

// Export writes all current data in the template's format.
func (d *Downloads) Export(ctx context.Context, w io.Writer) error {
	return WriteExport(ctx, d.store, w)
}

// Problems writes the problems of a failed import beside the sheets as
// they were uploaded, or importer.ErrNotFound when the import has no kept
// upload (it succeeded, or never ran).
func (d *Downloads) Problems(ctx context.Context, id string, w io.Writer) error {
	path, done, err := d.uploads.Upload(ctx, id)
	if err != nil {
		return err
	}
	defer done()
	problems, _, err := d.store.Problems(ctx, id, 0)
	if err != nil {
		return err
	}
	return WriteProblems(w, path, problems)
}

// Changes writes every change an import made (or, for a review, would
// make), streamed from the database: see WriteChanges.
func (d *Downloads) Changes(ctx context.Context, id string, w io.Writer) error {
	st, err := d.store.Status(ctx, id)
	if err != nil {
		return err
	}
	if st.State != importer.Succeeded && st.State != importer.Reviewed {
		return importer.Errorf(importer.CodeNotFound, nil, "This import has no changes to list: only a saved import or a finished review has.")
	}
	return WriteChanges(ctx, d.store, id, w)
}
