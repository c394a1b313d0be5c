package xlsx

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// The value parsers turn a Cell into the values of the product contract.
// Their errors are messages for the user, to be shown next to the cell.

var errNoValue = errors.New("The formula has no saved result; open and save the file in Excel.")

// Text returns a cell as Excel displays it, for codes, IDs and names:
//   - text is trimmed (leading zeros kept);
//   - a number gives its digits, rounded to Excel's 15 significant digits,
//     with no exponent and no ".0" (123456789012345 stays whole, 1.23E+15 is
//     "1230000000000000", 1.5 is "1.5"); with a zero-padded format ("000")
//     it is rounded to a whole number and padded (7 is "007");
//   - a boolean gives TRUE or FALSE;
//   - a blank cell gives "".
//
// A cell showing an error, or a formula without a saved result, is an error.
// Date-formatted numbers are not turned into dates here; use Date.
func Text(c Cell) (string, error) {
	switch c.Type {
	case TypeBlank:
		return "", nil
	case TypeText:
		return strings.TrimSpace(c.Value), nil
	case TypeBool:
		return c.Value, nil
	case TypeNumber:
		return numberText(c.Value, c.Format)
	}
	return "", cellError(c)
}

// cellError is the error for an error or no-value cell, else nil.
func cellError(c Cell) error {
	switch c.Type {
	case TypeError:
		return fmt.Errorf("The cell shows the error %s instead of a value.", strings.TrimSpace(c.Value))
	case TypeNoValue:
		return errNoValue
	case TypeBlank:
		return errors.New("The cell is empty.")
	}
	return fmt.Errorf("The cell could not be read (cell type %v).", c.Type)
}

func parseNumber(v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("The cell holds %s, which is not a number.", quote(v))
	}
	return f, nil
}

// round15 rounds f to 15 significant digits, Excel's precision.
func round15(f float64) float64 {
	g, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	if err != nil {
		return f
	}
	return g
}

func numberText(v string, fm Format) (string, error) {
	f, err := parseNumber(v)
	if err != nil {
		return "", err
	}
	f = round15(f)
	if fm.Kind == FormatPadded {
		f = math.Round(f)
	}
	if f == 0 {
		f = 0 // no "-0"
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if fm.Kind == FormatPadded {
		digits, sign := s, ""
		if strings.HasPrefix(s, "-") {
			digits, sign = s[1:], "-"
		}
		if w := min(fm.Width, 255); len(digits) < w {
			digits = strings.Repeat("0", w-len(digits)) + digits
		}
		s = sign + digits
	}
	return s, nil
}

// maxSerial is 9999-12-31, the last date Excel shows.
const maxSerial = 2958466

// Date returns a date: a date-formatted number cell (Date or DateTime
// format; a time of day is dropped, after rounding to the second as Excel
// shows it), or text YYYY-MM-DD from 1900 on. The result is at
// midnight UTC. Anything else, a plain number included, is an error saying
// what was expected. Do not call it on blank cells.
func Date(c Cell, date1904 bool) (time.Time, error) {
	switch c.Type {
	case TypeNumber:
		if !c.Format.IsDate() {
			return time.Time{}, dateExpected(c)
		}
		f, err := parseNumber(c.Value)
		if err != nil {
			return time.Time{}, err
		}
		if f < 0 || f >= maxSerial || (!date1904 && f < 1) {
			return time.Time{}, fmt.Errorf("The cell holds %s, which is not a date Excel can show.", quote(c.Value))
		}
		t, err := excelize.ExcelDateToTime(f, date1904)
		if err != nil || t.Year() > 9999 {
			return time.Time{}, fmt.Errorf("The cell holds %s, which is not a date Excel can show.", quote(c.Value))
		}
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	case TypeText:
		s := strings.TrimSpace(c.Value)
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			if why, ok := noSuchDay(s); ok {
				return time.Time{}, fmt.Errorf("The date %s does not exist: %s.", quote(s), why)
			}
			return time.Time{}, dateExpected(c)
		}
		if t.Year() < 1900 {
			return time.Time{}, fmt.Errorf("The date %s is before 1900; Excel dates start at 1900-01-01.", s)
		}
		return t, nil
	case TypeBool:
		return time.Time{}, dateExpected(c)
	}
	return time.Time{}, cellError(c)
}

// dayFirst and isoDate are the shapes of a date typed as text: day,
// month and year (31/02/2024, 31.02.2024, also month first), and
// year-month-day.
var (
	dayFirst = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$`)
	isoDate  = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)
)

// noSuchDay says why a text shaped like a date names no day at all
// (2024-02-30, 31/02/2024): a text with no reading as a real day, day
// first or month first. A text that is a real day in another shape
// (31/03/2024) gets no answer here: it is only written the wrong way.
func noSuchDay(s string) (string, bool) {
	if m := isoDate.FindStringSubmatch(s); m != nil {
		return dayProblem(number(m[1]), number(m[2]), number(m[3]))
	}
	m := dayFirst.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	a, b, year := number(m[1]), number(m[2]), number(m[3])
	if _, bad := dayProblem(year, b, a); !bad {
		return "", false // a real day, day first
	}
	if _, bad := dayProblem(year, a, b); !bad {
		return "", false // a real day, month first
	}
	if b >= 1 && b <= 12 {
		return dayProblem(year, b, a)
	}
	return dayProblem(year, a, b)
}

// dayProblem says what is wrong with a year, month and day, and whether
// anything is.
func dayProblem(year, month, day int) (string, bool) {
	if month < 1 || month > 12 {
		return fmt.Sprintf("there is no month %d", month), true
	}
	days := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if day < 1 {
		return fmt.Sprintf("there is no day %d", day), true
	}
	if day > days {
		return fmt.Sprintf("%s %d has %d days", time.Month(month), year, days), true
	}
	return "", false
}

func number(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func dateExpected(c Cell) error {
	return fmt.Errorf("Expected a date like 2024-03-31 or a date-formatted cell, found %s.", found(c))
}

// Time returns a time of day: a time-formatted number cell (Time or
// DateTime format; the fraction of a day, rounded to the millisecond and
// then cut to the minute, as Excel shows it), or text
// HH:MM or H:MM on the 24-hour clock. Anything else is an error saying what
// was expected. Do not call it on blank cells.
func Time(c Cell) (hour, minute int, err error) {
	switch c.Type {
	case TypeNumber:
		if !c.Format.IsTime() {
			return 0, 0, timeExpected(c)
		}
		f, err := parseNumber(c.Value)
		if err != nil {
			return 0, 0, err
		}
		if f < 0 || f >= maxSerial {
			return 0, 0, fmt.Errorf("The cell holds %s, which is not a time Excel can show.", quote(c.Value))
		}
		// Excel keeps times to the millisecond and shows the minutes they
		// are in: 13:30:55 is 13:30, and 13:30 stored a hair short
		// (0.56249999999999) is still 13:30.
		ms := int64(math.Round(f*msPerDay)) % msPerDay
		m := int(ms / (60 * 1000))
		return m / 60, m % 60, nil
	case TypeText:
		if h, m, ok := parseClock(strings.TrimSpace(c.Value)); ok {
			return h, m, nil
		}
		return 0, 0, timeExpected(c)
	case TypeBool:
		return 0, 0, timeExpected(c)
	}
	return 0, 0, cellError(c)
}

// parseClock parses H:MM or HH:MM, 00:00 to 23:59.
func parseClock(s string) (h, m int, ok bool) {
	hs, ms, found := strings.Cut(s, ":")
	if !found || len(hs) < 1 || len(hs) > 2 || len(ms) != 2 {
		return 0, 0, false
	}
	for _, c := range hs + ms {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
	}
	h, _ = strconv.Atoi(hs)
	m, _ = strconv.Atoi(ms)
	if h > 23 || m > 59 {
		return 0, 0, false
	}
	return h, m, true
}

func timeExpected(c Cell) error {
	return fmt.Errorf("Expected a time like 09:30 or a time-formatted cell, found %s.", found(c))
}

// found describes a cell's value for an error message.
func found(c Cell) string {
	switch c.Type {
	case TypeNumber:
		if s, err := numberText(c.Value, Format{}); err == nil {
			return "the number " + s
		}
		return quote(c.Value)
	case TypeBool:
		return c.Value
	}
	return quote(strings.TrimSpace(c.Value))
}

// quote quotes s for a message, shortened to 40 characters.
func quote(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return strconv.Quote(s)
}
