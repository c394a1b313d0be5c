package importer

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
)

// Text from a workbook or an upload reaches pages, JSON, workbooks and
// the database. However long or strange it is, what Roster keeps and
// shows of it is short, valid UTF-8 and free of control characters: a
// 1 MiB cell quoted in 500 problems must not cost 500 MiB, and PostgreSQL
// refuses NUL and invalid UTF-8 outright.

// MaxQuoted is how many characters of a value Roster quotes: in problems,
// warnings, pages, workbooks and JSON. Enough to recognise a cell by, few
// enough that the problems of a whole workbook stay small.
const MaxQuoted = 200

// MaxCellChars is the most characters a cell may hold: Excel's own limit,
// counted as Excel counts them (UTF-16 code units), so that every value
// Roster keeps fits in a cell of the export whole. (excelize, which
// writes the export, cuts a longer one there silently.)
const MaxCellChars = 32_767

// maxMessage bounds a problem's message. Messages quote at most a few
// values, each cut at MaxQuoted; this only guards against a message made
// elsewhere (the reader's) that quotes more.
const maxMessage = 4 * MaxQuoted

// MaxFileName is the most bytes of an upload's file name Roster keeps: a
// file name's usual limit on disk, and plenty to recognise an upload by.
const MaxFileName = 255

// Cut is a value as Roster shows and keeps it when it quotes it: bytes
// that are not UTF-8 become U+FFFD, control characters other than tab,
// line feed and carriage return become their visible pictures (NUL is
// "␀"), and past MaxQuoted characters the rest becomes "…".
func Cut(s string) string { return cut(s, MaxQuoted, false) }

// Quote is Cut in double quotes, as a message quotes a value.
func Quote(s string) string { return strconv.Quote(Cut(s)) }

// FileName is the name an upload is kept and shown under: the last
// element of the name the browser sent, every control character made
// visible (a tab too: a name is one line), bytes that are not UTF-8 made
// U+FFFD, and cut at MaxFileName bytes on a character boundary, keeping
// its extension. A browser may send any bytes, of any length: 9 MB names
// made the history of 20 imports 180 MB, and a NUL in one could not be
// saved in PostgreSQL.
func FileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = cut(name, -1, true)
	if len(name) <= MaxFileName {
		return name
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 && len(name)-i <= 16 {
		ext = name[i:]
	}
	stem := name[:len(name)-len(ext)]
	n := MaxFileName - len(ext) - len("…")
	for n > 0 && !utf8.RuneStart(stem[n]) {
		n--
	}
	return stem[:n] + "…" + ext
}

// cut makes s valid UTF-8 without control characters (but tab, line feed
// and carriage return, unless all is set) and, when limit >= 0, cuts it at
// limit characters with an ellipsis. It reads at most limit characters of
// s.
func cut(s string, limit int, all bool) string {
	if asIs(s, limit, all) {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s { // a byte that is not UTF-8 comes as U+FFFD
		if limit >= 0 && n == limit {
			b.WriteString("…")
			break
		}
		n++
		if isControl(r) && (all || !allowedControl(r)) {
			r = picture(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// asIs reports, without allocating, whether cut would leave s as it is,
// as it does for nearly every value.
func asIs(s string, limit int, all bool) bool {
	n := 0
	for i := 0; i < len(s); n++ {
		if limit >= 0 && n == limit {
			return false
		}
		if c := s[i]; c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && (all || !allowedControl(rune(c))) {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || isControl(r) {
			return false
		}
		i += size
	}
	return true
}

func allowedControl(r rune) bool { return r == '\t' || r == '\n' || r == '\r' }

// isControl is Unicode's control characters: C0, DEL and C1.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

// picture is the visible stand-in of a control character: U+2400 to
// U+2421 for C0 and DEL, U+FFFD for C1, which has no pictures.
func picture(r rune) rune {
	switch {
	case r < 0x20:
		return 0x2400 + r
	case r == 0x7f:
		return 0x2421
	}
	return utf8.RuneError
}

// controlIn finds the first control character of s other than tab, line
// feed and carriage return. It runs on every text cell, so it looks at
// bytes: C1 characters (U+0080 to U+009F) are C2 80 to C2 9F in UTF-8.
func controlIn(s string) (rune, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			if !allowedControl(rune(c)) {
				return rune(c), true
			}
		case c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] < 0xa0:
			return rune(s[i+1]), true
		}
	}
	return 0, false
}

// cellLength is the length of s as Excel counts it: in UTF-16 code units.
func cellLength(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// checkLength finds a cell longer than MaxCellChars.
func checkLength(s string) error {
	// A byte of UTF-8 gives at most one UTF-16 unit: a short string needs
	// no counting.
	if len(s) <= MaxCellChars {
		return nil
	}
	if n := cellLength(s); n > MaxCellChars {
		return fmt.Errorf("The cell holds %s characters, more than the %s a cell can hold; shorten it.",
			humanize.Comma(int64(n)), humanize.Comma(int64(MaxCellChars)))
	}
	return nil
}

// checkControl finds a control character other than tab, line feed and
// carriage return in a cell's text: invisible, refused by PostgreSQL
// (NUL) or not writable in a workbook, so nothing Roster can keep.
func checkControl(s string) error {
	if r, found := controlIn(s); found {
		return fmt.Errorf("The cell contains a control character (U+%04X), which Roster cannot keep; delete it.", r)
	}
	return nil
}

// clean is a problem as Roster keeps it: every text it holds valid UTF-8
// without control characters, values cut at MaxQuoted characters. Sheet
// and column names come from the workbook too.
func (p Problem) clean() Problem {
	p.Sheet = Cut(p.Sheet)
	p.Column = Cut(p.Column)
	p.Value = Cut(p.Value)
	p.Message = cut(p.Message, maxMessage, false)
	return p
}
