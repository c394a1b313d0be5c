package handlers

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/go-chi/chi/v5"

	"roster/access"
	"roster/components"
	"roster/importer"
)

// firstProblems is how many problems of each sheet the import page
// lists; the problems workbook has them all.
const firstProblems = 20

func (s *Server) uploadPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// Reviewing is the safe choice, so it is the default.
		u, _ := userOf(r)
		s.render(w, r, http.StatusOK, components.UploadPage(components.UploadView{Review: true, ViewOnly: !u.Role.Allows(access.Importer)}))
	}
}

func (s *Server) healthz() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := s.health(r.Context()); err != nil {
			s.log.Error("health check", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "database unavailable\n")
			return
		}
		io.WriteString(w, "ok\n")
	}
}

func (s *Server) createImport() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The form's other bytes are few; the limit is the workbook's.
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload+64<<10)
		id, opts, err := s.receiveUpload(r)
		if err != nil && r.Context().Err() != nil {
			// The client went away mid-upload: its doing, not the server's.
			s.log.Info("upload abandoned by the client", "err", err)
			err = errNotWhole
		}
		if err != nil {
			s.refuseUpload(w, r, opts, err)
			return
		}
		s.showStarted(w, r, id)
	}
}

// showStarted answers a request that started an import (an upload, a
// confirm, an undo): 303 to its page, or for htmx its panel, connected to
// its stream even if it has ended already (a small one may have): the
// stream then sends the end at once.
func (s *Server) showStarted(w http.ResponseWriter, r *http.Request, id string) {
	page := "/imports/" + id
	if !isHTMX(r) {
		http.Redirect(w, r, page, http.StatusSeeOther)
		return
	}
	st, err := s.imports.Status(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.pageView(r.Context(), st)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Live = true
	v.Focus = true // the form that had it is gone
	w.Header().Set("HX-Push-Url", page)
	s.render(w, r, http.StatusOK, components.ImportPanelSwap(v))
}

var (
	errNoFile     = &importer.Error{Code: importer.CodeInvalid, Message: "Choose an .xlsx workbook to upload."}
	errNotWhole   = &importer.Error{Code: importer.CodeInvalid, Message: "The upload did not arrive whole. Try again."}
	errEmptyFile  = &importer.Error{Code: importer.CodeInvalid, Message: "The file is empty. Choose the workbook again."}
	errUploadSize = func(limit int64) error {
		return importer.Errorf(importer.CodeTooLarge, nil,
			"The file is larger than the %s Roster accepts. Split the workbook, or ask your administrator to raise the limit.",
			sizeText(limit))
	}
)

// sizeText writes a size in binary units as people read them: "1 KiB",
// "256 MiB", "1.5 GiB".
func sizeText(n int64) string { return strings.Replace(humanize.IBytes(uint64(n)), ".0 ", " ", 1) }

// receiveUpload streams the file field of a multipart form to a temporary
// file, never holding the workbook in memory, and queues its import with
// the options of the form's other fields, which may come before or after
// the file. It returns the options it read, so a refused form keeps them.
func (s *Server) receiveUpload(r *http.Request) (id string, opts uploadOptions, err error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return "", opts, errNoFile
	}
	var name, path string
	defer func() {
		if path != "" { // saved, but the form was refused after it
			os.Remove(path)
		}
	}()
	// A refused file does not end the reading: the fields after it say
	// how the form is shown again.
	var fileErr error
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", opts, cmp.Or(fileErr, s.bodyFailure(err))
		}
		switch field := part.FormName(); {
		case field == "file" && path == "" && fileErr == nil:
			name, path, fileErr = s.saveUpload(part)
		case field == "review" || field == "remove_missing":
			on, err := checked(part)
			if err != nil {
				return "", opts, cmp.Or(fileErr, s.bodyFailure(err))
			}
			opts.set(field, on)
		default:
			part.Close() // any other field, or a second file: not ours
		}
	}
	if fileErr != nil {
		return "", opts, fileErr
	}
	if path == "" {
		return "", opts, errNoFile
	}
	req := importer.Request{FileName: name, Path: path, Review: opts.Review, RemoveMissing: opts.RemoveMissing, By: byName(r)}
	path = "" // the queue takes the file over
	id, err = s.imports.Submit(r.Context(), req)
	return id, opts, err
}

// uploadOptions are the upload form's checkboxes. A request without them
// (a script) imports directly, removing nothing.
type uploadOptions struct {
	Review, RemoveMissing bool
}

func (o *uploadOptions) set(field string, on bool) {
	if field == "review" {
		o.Review = on
	} else {
		o.RemoveMissing = on
	}
}

// checked reads a checkbox field: "1" as the form sends it, or what a
// checkbox without a value sends ("on"), or "true" from a script.
func checked(part *multipart.Part) (bool, error) {
	defer part.Close()
	// A field's value is a few bytes; more is not a checkbox.
	value, err := io.ReadAll(io.LimitReader(part, 64))
	if err != nil {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(string(value))) {
	case "1", "on", "true", "yes":
		return true, nil
	}
	return false, nil
}

// bodyFailure is what the user is told when the request's body could not
// be read: too large, or cut off.
func (s *Server) bodyFailure(err error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return errUploadSize(s.cfg.MaxUpload)
	}
	return errNotWhole
}

func (s *Server) saveUpload(part *multipart.Part) (name, path string, err error) {
	defer part.Close()
	// The name is only shown; what the browser sent may be any bytes.
	name = importer.FileName(part.FileName())
	if name == "" || name == "." {
		return "", "", errNoFile
	}
	f, err := os.CreateTemp(s.cfg.UploadDir, "upload-*.xlsx")
	if err != nil {
		return "", "", importer.DiskFull(fmt.Errorf("create upload file: %w", err))
	}
	n, err := io.Copy(f, part)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		if full := importer.DiskFull(err); full != err {
			return "", "", full
		}
		return "", "", s.bodyFailure(err)
	}
	if n == 0 {
		os.Remove(f.Name())
		return "", "", errEmptyFile
	}
	return name, f.Name(), nil
}

// refuseUpload shows the form again with what was wrong.
func (s *Server) refuseUpload(w http.ResponseWriter, r *http.Request, opts uploadOptions, err error) {
	status, message := s.answer(r, err)
	v := components.UploadView{Error: message, Review: opts.Review, RemoveMissing: opts.RemoveMissing}
	if isHTMX(r) {
		s.render(w, r, status, components.UploadForm(v))
		return
	}
	s.render(w, r, status, components.UploadPage(v))
}

func (s *Server) showImport() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		st, err := s.imports.Status(r.Context(), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if wantsJSON(r) {
			s.writeJSON(w, r, statusJSON(st))
			return
		}
		v, err := s.pageView(r.Context(), st)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		// Offer only what the user's role allows: the rest would be refused.
		u, _ := userOf(r)
		if !u.Role.Allows(access.Importer) {
			v.Summary.CanCancel, v.Changes.ConfirmURL = false, ""
		}
		if !u.Role.Allows(access.Admin) {
			v.Changes.UndoURL = ""
		}
		s.render(w, r, http.StatusOK, components.ImportPage(v))
	}
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// jsonStep and jsonStatus are the status JSON of the contract.
type jsonStep struct {
	Key       string `json:"key"`
	State     string `json:"state"`
	Rows      int    `json:"rows"`
	Total     int    `json:"total"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Removed   int    `json:"removed"`
	Problems  int    `json:"problems"`
}

type jsonStatus struct {
	ID       string     `json:"id"`
	State    string     `json:"state"`
	FileName string     `json:"file_name"`
	Problems int        `json:"problems"`
	Ahead    int        `json:"ahead"`
	Error    string     `json:"error,omitempty"`
	Warnings []string   `json:"warnings"` // the first importer.MaxWarnings
	Steps    []jsonStep `json:"steps"`

	// WarningCount counts every warning, listed in Warnings or not.
	WarningCount int `json:"warning_count"`

	// Who did what: user names, empty where nobody did.
	UploadedBy  string `json:"uploaded_by"`
	ConfirmedBy string `json:"confirmed_by"`
	CancelledBy string `json:"cancelled_by"`
	UndoneBy    string `json:"undone_by"`

	// Section 8: how the upload is treated, and the imports it is tied to.
	Review        bool   `json:"review"`
	RemoveMissing bool   `json:"remove_missing"`
	Confirms      string `json:"confirms,omitempty"`
	ConfirmedIn   string `json:"confirmed_in,omitempty"`
	Undoes        string `json:"undoes,omitempty"`
	UndoneIn      string `json:"undone_in,omitempty"`
}

func statusJSON(st importer.Status) jsonStatus {
	out := jsonStatus{
		ID: st.ID, State: string(st.State), FileName: st.FileName, Problems: st.Problems,
		Ahead: st.Ahead, Error: st.Error, Warnings: append([]string{}, st.Warnings...),
		WarningCount: warningCount(st),
		UploadedBy:   st.UploadedBy, ConfirmedBy: st.ConfirmedBy, CancelledBy: st.CancelledBy, UndoneBy: st.UndoneBy,
		Review: st.Review, RemoveMissing: st.RemoveMissing,
		Confirms: st.Confirms, ConfirmedIn: st.ConfirmedIn, Undoes: st.Undoes, UndoneIn: st.UndoneIn,
	}
	for _, s := range st.Steps {
		out.Steps = append(out.Steps, jsonStep{
			Key: string(s.Key), State: string(s.State), Rows: s.Rows, Total: s.Total,
			Created: s.Created, Updated: s.Updated, Unchanged: s.Unchanged, Removed: s.Removed, Problems: s.Problems,
		})
	}
	return out
}

func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func (s *Server) history() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		list, err := s.imports.History(r.Context(), 200)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		names := make(map[string]string, len(list))
		for _, st := range list {
			names[st.ID] = st.FileName
		}
		rows := make([]components.HistoryRow, len(list))
		for i, st := range list {
			rows[i] = historyRow(st, names)
		}
		s.render(w, r, http.StatusOK, components.HistoryPage(rows))
	}
}

func (s *Server) cancelImport() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		err := s.imports.Cancel(r.Context(), id, byName(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if isHTMX(r) {
			// The stream shows the cancellation as it happens.
			w.WriteHeader(http.StatusNoContent)
			return
		}
		http.Redirect(w, r, "/imports/"+id, http.StatusSeeOther)
	}
}
