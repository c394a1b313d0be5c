package importer

import (
	"context"
	"io"
)

// Template writes the empty workbook users start from.
func (r *Runner) Template(w io.Writer) error { return WriteTemplate(w) }

// Export writes all current data in the template's format.
func (r *Runner) Export(ctx context.Context, w io.Writer) error {
	return WriteExport(ctx, r.store, w)
}

// ProblemsWorkbook writes the problems of a failed import beside the
// sheets as they were uploaded, or ErrNotFound when the import has no
// kept upload (it succeeded, or never ran).
func (r *Runner) ProblemsWorkbook(ctx context.Context, id string, w io.Writer) error {
	path, done, err := r.upload(ctx, id)
	if err != nil {
		return err
	}
	defer done()
	problems, _, err := r.Problems(ctx, id, 0)
	if err != nil {
		return err
	}
	return WriteProblems(w, path, problems)
}
