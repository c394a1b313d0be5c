package handlers

// Section 8 of the contract on the HTTP side: what an import changed (or a
// review would change), saving a review, undoing an import, and the links
// between the imports these make.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/go-chi/chi/v5"

	"roster/components"
	"roster/importer"
)

// firstChanges is how many changes of each kind of each step the import
// page lists; the changes workbook has them all.
const firstChanges = 20

// laterShown bounds the later imports a refused undo names.
const laterShown = 20

// changeCounts adds up the steps' counts.
type changeCounts struct{ created, updated, unchanged, removed int }

func countChanges(st importer.Status) (c changeCounts) {
	for _, s := range st.Steps {
		c.created += s.Created
		c.updated += s.Updated
		c.unchanged += s.Unchanged
		c.removed += s.Removed
	}
	return c
}

func comma(n int) string { return humanize.Comma(int64(n)) }

func succeededSummary(st importer.Status) (title, message string) {
	c := countChanges(st)
	if st.Undoes != "" {
		counts := fmt.Sprintf("%s created, %s updated, %s unchanged, %s removed", comma(c.created), comma(c.updated), comma(c.unchanged), comma(c.removed))
		return "Undo complete", "Every row the undone import changed is back as it was: " + counts + "."
	}
	return "Import complete", outcomeWords(c.created, c.updated, c.unchanged, c.removed)
}

// reviewedSummary says what a review found, and that it wrote nothing.
func reviewedSummary(st importer.Status) (title, message string) {
	c := countChanges(st)
	if st.ConfirmedIn != "" {
		return "Changes checked and saved", "Checked, then saved by the import linked below."
	}
	return "Changes checked", fmt.Sprintf("Checked: nothing has been saved yet. %s to create, %s to update, %s to remove.",
		comma(c.created), comma(c.updated), comma(c.removed))
}

// heading says what kind of import a page is of, before its file name:
// an undo carries the file name of the import it undoes.
func heading(st importer.Status) string {
	switch {
	case st.Undoes != "":
		return "Undo of"
	case st.Review:
		return "Review of"
	}
	return "Import of"
}

// pageView is everything the import page shows of an import: steps,
// summary, problems, and its changes, links and buttons.
func (s *Server) pageView(ctx context.Context, st importer.Status) (components.ImportView, error) {
	problems, total, err := s.imports.Problems(ctx, st.ID, firstProblems)
	if err != nil {
		return components.ImportView{}, err
	}
	ch, err := s.changesView(ctx, st)
	if err != nil {
		return components.ImportView{}, err
	}
	return importView(st, problems, total, ch, s.now()), nil
}

// changesView is section 8 of an import's page.
func (s *Server) changesView(ctx context.Context, st importer.Status) (components.ChangesView, error) {
	v := components.ChangesView{
		Links:    s.links(ctx, st),
		Review:   st.State == importer.Reviewed,
		Shown:    st.State == importer.Reviewed || st.State == importer.Succeeded,
		Workbook: "/imports/" + st.ID + "/changes.xlsx",
		PerKind:  firstChanges,
	}
	if v.Review && st.ConfirmedIn == "" {
		v.ConfirmURL = "/imports/" + st.ID + "/confirm"
	}
	if st.State == importer.Succeeded && st.UndoneIn == "" {
		ok, err := s.imports.Undoable(ctx, st.ID)
		if err != nil {
			return v, err
		}
		if ok {
			v.UndoURL = "/imports/" + st.ID + "/undo"
		}
	}
	if !v.Shown {
		return v, nil
	}
	changes, err := s.imports.Changes(ctx, st.ID, firstChanges)
	if err != nil {
		return v, err
	}
	v.Steps, v.Total = stepChanges(st, changes)
	return v, nil
}

// stepChanges groups the first changes by step and kind, beside each
// step's counts of all of them.
func stepChanges(st importer.Status, changes []importer.Change) ([]components.StepChanges, int) {
	byStep := map[importer.StepKey]*components.StepChanges{}
	var out []components.StepChanges
	total := 0
	for _, key := range importer.Steps {
		step := st.Step(key)
		sheet := importer.SheetFor(key)
		headers := make([]string, len(sheet.Key))
		for i, f := range sheet.Key {
			headers[i] = sheet.Column(f).Header
		}
		out = append(out, components.StepChanges{
			Key: string(key), Name: sheet.StepName, KeyHeader: strings.Join(headers, " · "),
			Created: components.ChangeList{Count: step.Created},
			Updated: components.ChangeList{Count: step.Updated},
			Removed: components.ChangeList{Count: step.Removed},
		})
		total += step.Created + step.Updated + step.Removed
	}
	for i := range out {
		byStep[importer.StepKey(out[i].Key)] = &out[i]
	}
	for _, c := range changes {
		s, ok := byStep[c.Step]
		if !ok {
			continue
		}
		// Shown values are cut as every quoted value is; the changes
		// workbook has them whole.
		row := components.ChangedRow{Key: importer.Cut(strings.Join(c.Key, " · "))}
		var list *components.ChangeList
		switch c.Kind {
		case importer.ChangeCreated:
			list = &s.Created
		case importer.ChangeUpdated:
			list = &s.Updated
			for _, col := range c.Columns {
				row.Columns = append(row.Columns, components.ChangedCell{
					Column: col.Column, Old: importer.Cut(col.Old), New: importer.Cut(col.New),
				})
			}
		case importer.ChangeRemoved:
			list = &s.Removed
		default:
			continue
		}
		list.Rows = append(list.Rows, row)
		// The counts come from the status; a list never says less than it shows.
		list.Count = max(list.Count, len(list.Rows))
	}
	return out, total
}

// links ties an import to the imports it was saved, undone or made by.
func (s *Server) links(ctx context.Context, st importer.Status) []components.ImportLink {
	var out []components.ImportLink
	add := func(says, id string) {
		if id != "" {
			out = append(out, components.ImportLink{Says: says, URL: "/imports/" + id, Name: s.importName(ctx, id)})
		}
	}
	add("These changes were checked first in the review", st.Confirms)
	add("These changes were saved by the import", st.ConfirmedIn)
	add("This import undoes", st.Undoes)
	add("This import was undone by", st.UndoneIn)
	return out
}

// importName tells an import by its file and start, for a link to it.
func (s *Server) importName(ctx context.Context, id string) string {
	st, err := s.imports.Status(ctx, id)
	if err != nil {
		return "another import"
	}
	return st.FileName + ", started " + st.Created.Local().Format("2 Jan 2006 15:04:05")
}

// historyLinks are links as the history shows them, named from the
// history itself where the other import is in it.
func historyLinks(st importer.Status, names map[string]string) []components.ImportLink {
	var out []components.ImportLink
	add := func(says, id, name string) {
		if id == "" {
			return
		}
		if n, ok := names[id]; ok {
			name = n
		}
		out = append(out, components.ImportLink{Says: says, URL: "/imports/" + id, Name: name})
	}
	add("Saves the review", st.Confirms, "a review")
	add("Saved by", st.ConfirmedIn, "a later import")
	add("Undo of", st.Undoes, "an earlier import")
	add("Undone by", st.UndoneIn, "an undo")
	return out
}

func (s *Server) confirmImport() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		started, err := s.imports.Confirm(r.Context(), id, byName(r))
		if err != nil {
			s.refuseConfirm(w, r, id, err)
			return
		}
		s.showStarted(w, r, started)
	}
}

// refuseConfirm answers a confirm that cannot be done; a review saved
// already links to the import that saved it.
func (s *Server) refuseConfirm(w http.ResponseWriter, r *http.Request, id string, err error) {
	if importer.ErrorCode(err) == importer.CodeConflict {
		if st, serr := s.imports.Status(r.Context(), id); serr == nil && st.ConfirmedIn != "" {
			s.conflict(w, r, components.ConflictView{
				Title:   "Already saved",
				Message: "These changes were saved once already; a review is saved at most once. To change more, upload the workbook again.",
				Links:   s.links(r.Context(), importer.Status{ConfirmedIn: st.ConfirmedIn}),
			})
			return
		}
	}
	s.failPanel(w, r, err)
}

func (s *Server) undoImport() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		started, err := s.imports.Undo(r.Context(), id, byName(r))
		if blocked, ok := errors.AsType[*importer.BlockedError](err); ok {
			s.refuseUndo(w, r, blocked)
			return
		}
		if err != nil {
			s.failPanel(w, r, err)
			return
		}
		s.showStarted(w, r, started)
	}
}

// refuseUndo names, newest first, the later imports to undo before this
// one: undo goes back one import at a time.
func (s *Server) refuseUndo(w http.ResponseWriter, r *http.Request, blocked *importer.BlockedError) {
	n := len(blocked.Later)
	v := components.ConflictView{
		Title: "Undo the later imports first",
		Message: "Imports are undone newest first, and a later import changed data after this one. " +
			"Undo it first, then this one.",
	}
	if n > 1 {
		v.Message = fmt.Sprintf("Imports are undone newest first, and %s later imports changed data after this one. "+
			"Undo them first, newest first, then this one.", comma(n))
	}
	for _, id := range blocked.Later[:min(len(blocked.Later), laterShown)] {
		v.Links = append(v.Links, components.ImportLink{URL: "/imports/" + id, Name: s.importName(r.Context(), id)})
	}
	if more := n - laterShown; more > 0 {
		v.Message += fmt.Sprintf(" The newest %d are listed; %s more are in the history.", laterShown, comma(more))
	}
	s.conflict(w, r, v)
}

// conflict answers 409 with what stands in the way.
func (s *Server) conflict(w http.ResponseWriter, r *http.Request, v components.ConflictView) {
	if isHTMX(r) {
		s.render(w, r, http.StatusConflict, components.ConflictPanel(v))
		return
	}
	s.render(w, r, http.StatusConflict, components.ConflictPage(v))
}

// failPanel is fail for a request htmx may have made from a panel: htmx
// swaps the message alone into it.
func (s *Server) failPanel(w http.ResponseWriter, r *http.Request, err error) {
	if !isHTMX(r) {
		s.fail(w, r, err)
		return
	}
	status, message := s.answer(r, err)
	s.render(w, r, status, components.ErrorPanel(components.ErrorView{Status: status, Title: titles[status], Message: message}))
}

func (s *Server) changesWorkbook() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if _, err := s.imports.Status(r.Context(), id); err != nil {
			s.fail(w, r, err)
			return
		}
		s.sendWorkbook(w, r, "changes.xlsx", func(w io.Writer) error {
			return s.workbooks.Changes(r.Context(), id, w)
		})
	}
}
