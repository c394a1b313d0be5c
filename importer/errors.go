package importer

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"roster/importer/xlsx"
)

// Code says what kind of failure an Error is: what the user can do about
// it. The handlers give each code its HTTP status, in one place.
type Code string

const (
	CodeInvalid    Code = "invalid"    // the request lacks what it needs (no file, an empty file)
	CodeUnreadable Code = "unreadable" // the file is not a workbook Roster can read
	CodeTooLarge   Code = "too large"  // past a limit: the upload, the unpacked workbook, a sheet
	CodeNotFound   Code = "not found"  // no such import, or nothing of it to download
	CodeConflict   Code = "conflict"   // the request does not fit the import's state
	CodeBusy       Code = "busy"       // the server cannot take it now; later it can
	CodeFull       Code = "full"       // the server's disk is full
	CodeInternal   Code = "internal"   // the server failed; the user can only try again
)

// Error is a failure with the words its user is told. Message is whole
// sentences that say what happened and what to do; Err, when set, is the
// cause, for the log only.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Message
	}
	return e.Message + " (" + e.Err.Error() + ")"
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an Error whose message is formatted.
func Errorf(code Code, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

// ErrorCode is the code of err, CodeInternal when err is no Error.
func ErrorCode(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	if _, ok := errors.AsType[*BlockedError](err); ok {
		return CodeConflict
	}
	return CodeInternal
}

// internalMessage is what the user reads about a failure of the server,
// whose detail only the log may hold.
const internalMessage = "The server could not finish this because of a problem of its own. Try again in a moment, and tell your administrator if it keeps happening."

// ErrorMessage is what the user is told about err: its message when it is
// an Error, and otherwise words that give away nothing of the server.
func ErrorMessage(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	if e, ok := errors.AsType[*BlockedError](err); ok {
		return e.Error()
	}
	return internalMessage
}

// ErrNotFound is returned for an import id nobody knows.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "There is no such import. Check the link, or start from the upload page."}

// DiskFull wraps err as the full disk it is, when it is one: the user is
// told so, not that the server failed or the upload was cut. Storage
// adds the ways its databases say it (see store).
func DiskFull(err error) error {
	if err == nil || ErrorCode(err) == CodeFull || !errors.Is(err, syscall.ENOSPC) {
		return err
	}
	return &Error{Code: CodeFull, Message: diskFullMessage, Err: err}
}

// DiskFullError is DiskFull for an error known to be a full disk.
func DiskFullError(err error) error {
	return &Error{Code: CodeFull, Message: diskFullMessage, Err: err}
}

const diskFullMessage = "The server's disk is full, so Roster cannot save anything now. Tell your administrator; once space has been freed, try again."

// ErrEnded is returned when an import is to be saved but has already
// ended: another instance declared it interrupted while this one was out
// of touch. Nothing of it is saved.
var ErrEnded = &Error{Code: CodeConflict, Message: "This import was stopped while its server was out of touch, and marked interrupted; nothing was saved. Upload the workbook again."}

// unreadable says why a workbook cannot be imported at all, from the
// reader's error.
func unreadable(err error) *Error {
	switch {
	case errors.Is(err, xlsx.ErrBusy):
		return Errorf(CodeBusy, err, "The server is busy reading other large workbooks. Nothing was started; upload the workbook again in a minute.")
	case errors.Is(err, xlsx.ErrTooLarge):
		return Errorf(CodeTooLarge, err, "The workbook is too large to import: %s. Split it into smaller workbooks.", reason(err, xlsx.ErrTooLarge))
	case errors.Is(err, xlsx.ErrNotWorkbook):
		// Whatever it is instead (an old .xls, an .xlsb, a CSV), the one
		// thing to do is the same; the log has the detail.
		return Errorf(CodeUnreadable, err, "This file is not an Excel workbook (.xlsx). Open it in Excel and save it as Excel Workbook.")
	case errors.Is(err, xlsx.ErrNotXLSX):
		return Errorf(CodeUnreadable, err, "Roster cannot read this workbook: %s. Open it in Excel and save it again as Excel Workbook.", reason(err, xlsx.ErrNotXLSX))
	default:
		return Errorf(CodeUnreadable, err, "Part of the workbook could not be read (%s). Open it in Excel, save it again and upload it.", reason(err, nil))
	}
}

// reason is the reader's error without the words of the sentinel that
// classifies it, which the sentence around it already says. It is cut as
// a quoted value is: the reader's errors quote names and attributes from
// the file, whole.
func reason(err, sentinel error) string {
	msg := err.Error()
	if sentinel != nil {
		// Wherever it is: a sheet's error has the sheet's name first.
		msg = strings.Replace(msg, sentinel.Error()+": ", "", 1)
	}
	return Cut(msg)
}
