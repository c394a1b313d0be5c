package handlers

import (
	"net/http"

	"roster/importer"
)

// The one place where errors become answers: each kind of failure has its
// HTTP status, and the user reads the error's own message, or, for a
// failure of the server, words that give nothing of it away while the log
// gets the detail.

// statuses are the HTTP status of each kind of failure.
var statuses = map[importer.Code]int{
	importer.CodeInvalid:    http.StatusBadRequest,
	importer.CodeUnreadable: http.StatusUnprocessableEntity,
	importer.CodeTooLarge:   http.StatusRequestEntityTooLarge,
	importer.CodeNotFound:   http.StatusNotFound,
	importer.CodeConflict:   http.StatusConflict,
	importer.CodeBusy:       http.StatusServiceUnavailable,
	importer.CodeFull:       http.StatusInsufficientStorage,
	importer.CodeInternal:   http.StatusInternalServerError,
}

// titles head the error page of each status.
var titles = map[int]string{
	http.StatusBadRequest:            "Nothing to do",
	http.StatusForbidden:             "Request refused",
	http.StatusNotFound:              "Not found",
	http.StatusMethodNotAllowed:      "Not allowed",
	http.StatusConflict:              "Not possible now",
	http.StatusRequestEntityTooLarge: "Too large",
	http.StatusUnprocessableEntity:   "Cannot be done",
	http.StatusInternalServerError:   "Something went wrong",
	http.StatusServiceUnavailable:    "Busy",
	http.StatusInsufficientStorage:   "The server's disk is full",
}

// answer is what a request that err ended is told: its status and
// message. A failure of the server is logged here, once.
func (s *Server) answer(r *http.Request, err error) (status int, message string) {
	code := importer.ErrorCode(err)
	if code == importer.CodeInternal {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	return statuses[code], importer.ErrorMessage(err)
}

// fail answers a request that an error ended with an error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, message := s.answer(r, err)
	s.errorPage(w, r, status, titles[status], message)
}
