package xlsx

import "strings"

// FormatKind says how a cell's number format shows a number, as far as the
// importer cares.
type FormatKind uint8

const (
	FormatGeneral  FormatKind = iota // General, or no style
	FormatDate                       // a date without a time of day (built-in 14-17, or y/m/d codes)
	FormatTime                       // a time of day or a duration (built-in 18-21, 45-47, or h/m/s codes)
	FormatDateTime                   // both (built-in 22, or codes with both)
	FormatText                       // "@" (built-in 49)
	FormatPadded                     // only zeros, like "000": whole numbers padded to Width digits
	FormatOther                      // any other number format (decimals, currency, percent, …)
)

var formatKindNames = [...]string{"General", "Date", "Time", "DateTime", "Text", "Padded", "Other"}

func (k FormatKind) String() string {
	if int(k) < len(formatKindNames) {
		return formatKindNames[k]
	}
	return "FormatKind(?)"
}

// Format is the part of a cell's style the importer needs.
type Format struct {
	Kind  FormatKind
	Width int // digits, for FormatPadded
}

// IsDate reports whether the format shows a calendar date (Date or DateTime).
func (f Format) IsDate() bool { return f.Kind == FormatDate || f.Kind == FormatDateTime }

// IsTime reports whether the format shows a time of day (Time or DateTime).
func (f Format) IsTime() bool { return f.Kind == FormatTime || f.Kind == FormatDateTime }

// builtinFormat classifies the built-in number formats (ids below 164 that
// the styles part need not define).
func builtinFormat(id int) Format {
	switch {
	case id == 0:
		return Format{}
	case id == 1: // "0"
		return Format{Kind: FormatPadded, Width: 1}
	case id >= 14 && id <= 17:
		return Format{Kind: FormatDate}
	case id >= 18 && id <= 21, id >= 45 && id <= 47:
		return Format{Kind: FormatTime}
	case id == 22:
		return Format{Kind: FormatDateTime}
	case id == 49:
		return Format{Kind: FormatText}
	// Locale-dependent built-ins (East Asian date and time formats).
	case id >= 27 && id <= 31, id == 36, id >= 50 && id <= 54, id == 57, id == 58:
		return Format{Kind: FormatDate}
	case id >= 32 && id <= 35, id == 55, id == 56:
		return Format{Kind: FormatTime}
	}
	return Format{Kind: FormatOther}
}

// ClassifyFormat classifies a number format code such as "yyyy-mm-dd",
// "h:mm", "000", "@" or "#,##0.00". Only the first section (the one used
// for positive numbers) counts.
func ClassifyFormat(code string) Format {
	sec := strings.TrimSpace(firstSection(code))
	switch {
	case sec == "", strings.EqualFold(sec, "General"):
		return Format{}
	case sec == "@":
		return Format{Kind: FormatText}
	case strings.Trim(sec, "0") == "":
		return Format{Kind: FormatPadded, Width: len(sec)}
	}
	// Collect the date/time tokens outside literals and brackets.
	var toks []byte // 'y','m','d','h','s', and 'M' for a minute in brackets
	for i := 0; i < len(sec); i++ {
		c := sec[i]
		switch c {
		case '"':
			if j := strings.IndexByte(sec[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(sec)
			}
			continue
		case '\\', '_', '*':
			i++ // the next character is literal (or a width/fill character)
			continue
		case '[':
			j := strings.IndexByte(sec[i+1:], ']')
			if j < 0 {
				i = len(sec)
				continue
			}
			in := strings.ToLower(sec[i+1 : i+1+j])
			i += j + 1
			if in != "" && strings.Trim(in, in[:1]) == "" {
				switch in[0] {
				case 'h':
					toks = append(toks, 'h')
				case 'm':
					toks = append(toks, 'M')
				case 's':
					toks = append(toks, 's')
				}
			}
			continue
		}
		l := c | 0x20 // ASCII lower case
		switch l {
		case 'y', 'd', 'g', 'h', 's', 'm':
			if l == 'g' && strings.HasPrefix(strings.ToLower(sec[i:]), "general") {
				i += len("general") - 1
				continue
			}
			if n := len(toks); n == 0 || toks[n-1] != l {
				toks = append(toks, l)
			}
		case 'e':
			if i+1 < len(sec) && (sec[i+1] == '+' || sec[i+1] == '-') {
				i++ // scientific notation
				continue
			}
			toks = append(toks, 'y') // era year
		case 'a':
			rest := strings.ToLower(sec[i:])
			if strings.HasPrefix(rest, "am/pm") {
				i += 4
			} else if strings.HasPrefix(rest, "a/p") {
				i += 2
			}
		}
	}
	var date, tim bool
	for i, t := range toks {
		switch t {
		case 'y', 'd', 'g':
			date = true
		case 'h', 's', 'M':
			tim = true
		case 'm':
			// m is minutes right after an hour or right before seconds.
			if (i > 0 && toks[i-1] == 'h') || (i+1 < len(toks) && toks[i+1] == 's') {
				tim = true
			} else {
				date = true
			}
		}
	}
	switch {
	case date && tim:
		return Format{Kind: FormatDateTime}
	case date:
		return Format{Kind: FormatDate}
	case tim:
		return Format{Kind: FormatTime}
	}
	return Format{Kind: FormatOther}
}

// firstSection returns the format code up to its first unquoted ';'.
func firstSection(code string) string {
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return code
			}
			i += j + 1
		case '\\':
			i++
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				return code
			}
			i += j + 1
		case ';':
			return code[:i]
		}
	}
	return code
}
