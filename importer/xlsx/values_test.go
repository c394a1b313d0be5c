package xlsx

import (
	"testing"
	"time"
)

var (
	general  = Format{}
	dateFmt  = Format{Kind: FormatDate}
	timeFmt  = Format{Kind: FormatTime}
	dtFmt    = Format{Kind: FormatDateTime}
	pad3     = Format{Kind: FormatPadded, Width: 3}
	textFmt  = Format{Kind: FormatText}
	otherFmt = Format{Kind: FormatOther}
)

func num(v string, f Format) Cell { return Cell{Type: TypeNumber, Value: v, Format: f} }
func txt(v string) Cell           { return Cell{Type: TypeText, Value: v} }

func TestText(t *testing.T) {
	tests := []struct {
		name    string
		cell    Cell
		want    string
		wantErr string
	}{
		{"a text cell keeps its leading zeros", txt("007"), "007", ""},
		{"text is trimmed", txt("  AB 12 \t"), "AB 12", ""},
		{"a blank cell is empty", Cell{}, "", ""},
		{"a big whole number stays whole", num("123456789012345", general), "123456789012345", ""},
		{"a number in exponent notation is written out", num("1.23E+15", general), "1230000000000000", ""},
		{"a whole number written with .0 loses it", num("42.0", general), "42", ""},
		{"a decimal keeps its shortest digits", num("1.5", general), "1.5", ""},
		{"a tiny decimal is written without exponent", num("1.5E-3", general), "0.0015", ""},
		{"float noise is rounded to Excel's 15 digits", num("0.30000000000000004", general), "0.3", ""},
		{"digits beyond Excel's 15 become zeros", num("12345678901234567", general), "12345678901234600", ""},
		{"a negative number keeps its sign", num("-17", general), "-17", ""},
		{"negative zero is zero", num("-0", general), "0", ""},
		{"a number formatted 000 is padded", num("7", pad3), "007", ""},
		{"a padded number longer than the width is whole", num("12345", pad3), "12345", ""},
		{"a padded format rounds decimals as Excel shows them", num("7.6", pad3), "008", ""},
		{"a negative padded number is padded after the sign", num("-7", pad3), "-007", ""},
		{"a date-formatted number gives its serial", num("45382", dateFmt), "45382", ""},
		{"a number in another format gives its digits", num("1234.5", otherFmt), "1234.5", ""},
		{"a text-formatted number gives its digits", num("77", textFmt), "77", ""},
		{"a boolean gives TRUE", Cell{Type: TypeBool, Value: "TRUE"}, "TRUE", ""},
		{"an error cell is an error", Cell{Type: TypeError, Value: "#N/A"}, "", "The cell shows the error #N/A instead of a value."},
		{"a formula without a result is an error", Cell{Type: TypeNoValue, Formula: true}, "", "The formula has no saved result; open and save the file in Excel."},
		{"a malformed number is an error", num("12abc", general), "", `The cell holds "12abc", which is not a number.`},
		{"an infinite number is an error", num("1e999", general), "", `The cell holds "1e999", which is not a number.`},
		{"NaN is an error", num("NaN", general), "", `The cell holds "NaN", which is not a number.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Text(tt.cell)
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("Text = %q, want %q", got, tt.want)
			}
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error %q", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want %q", want)
	case want != "" && err.Error() != want:
		t.Fatalf("error %q, want %q", err, want)
	}
}

func TestDate(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	const expected = "Expected a date like 2024-03-31 or a date-formatted cell, found "
	tests := []struct {
		name     string
		cell     Cell
		date1904 bool
		want     time.Time
		wantErr  string
	}{
		{"a date-formatted serial is a date", num("45382", dateFmt), false, d(2024, 3, 31), ""},
		{"a date-time serial gives its date", num("45382.75", dtFmt), false, d(2024, 3, 31), ""},
		{"a serial seconds before midnight keeps its date", num("45382.9999", dtFmt), false, d(2024, 3, 31), ""},
		{"a serial within half a second of midnight rounds to the next date, as Excel shows it", num("45382.999999", dtFmt), false, d(2024, 4, 1), ""},
		{"a 1904 workbook counts from 1904", num("0", dateFmt), true, d(1904, 1, 1), ""},
		{"a 1904 serial is four years later", num("45382", dateFmt), true, d(2028, 4, 1), ""},
		{"serial 1 is 1900-01-01", num("1", dateFmt), false, d(1900, 1, 1), ""},
		{"serial 61 is 1900-03-01", num("61", dateFmt), false, d(1900, 3, 1), ""},
		{"ISO text is a date", txt("2024-03-31"), false, d(2024, 3, 31), ""},
		{"ISO text is trimmed", txt(" 2024-02-29 "), false, d(2024, 2, 29), ""},
		{"a plain number is not a date", num("45382", general), false, time.Time{}, expected + "the number 45382."},
		{"a time-formatted number is not a date", num("0.5", timeFmt), false, time.Time{}, expected + "the number 0.5."},
		{"day-first text is not a date", txt("31/03/2024"), false, time.Time{}, expected + `"31/03/2024".`},
		{"an impossible ISO date says the day does not exist", txt("2023-02-29"), false, time.Time{}, `The date "2023-02-29" does not exist: February 2023 has 28 days.`},
		{"an impossible day-first date says the day does not exist", txt("31/02/2024"), false, time.Time{}, `The date "31/02/2024" does not exist: February 2024 has 29 days.`},
		{"an impossible month-first date says the day does not exist", txt("02/30/2024"), false, time.Time{}, `The date "02/30/2024" does not exist: February 2024 has 29 days.`},
		{"a month past December says so", txt("2024-13-01"), false, time.Time{}, `The date "2024-13-01" does not exist: there is no month 13.`},
		{"a day 0 says so", txt("2024-02-00"), false, time.Time{}, `The date "2024-02-00" does not exist: there is no day 0.`},
		{"ISO text without zero padding is not a date", txt("2024-3-31"), false, time.Time{}, expected + `"2024-3-31".`},
		{"ISO text before 1900 is refused", txt("0024-03-31"), false, time.Time{}, "The date 0024-03-31 is before 1900; Excel dates start at 1900-01-01."},
		{"a boolean is not a date", Cell{Type: TypeBool, Value: "TRUE"}, false, time.Time{}, expected + "TRUE."},
		{"a negative serial is refused", num("-1", dateFmt), false, time.Time{}, `The cell holds "-1", which is not a date Excel can show.`},
		{"serial 0 in a 1900 workbook is refused", num("0", dateFmt), false, time.Time{}, `The cell holds "0", which is not a date Excel can show.`},
		{"a serial past year 9999 is refused", num("3000000", dateFmt), false, time.Time{}, `The cell holds "3000000", which is not a date Excel can show.`},
		{"an error cell is an error", Cell{Type: TypeError, Value: "#REF!"}, false, time.Time{}, "The cell shows the error #REF! instead of a value."},
		{"a formula without a result is an error", Cell{Type: TypeNoValue}, false, time.Time{}, "The formula has no saved result; open and save the file in Excel."},
		{"a blank cell is an error", Cell{}, false, time.Time{}, "The cell is empty."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Date(tt.cell, tt.date1904)
			checkErr(t, err, tt.wantErr)
			if !got.Equal(tt.want) {
				t.Errorf("Date = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTime(t *testing.T) {
	const expected = "Expected a time like 09:30 or a time-formatted cell, found "
	tests := []struct {
		name    string
		cell    Cell
		h, m    int
		wantErr string
	}{
		{"a time-formatted fraction is a time", num("0.375", timeFmt), 9, 0, ""},
		{"seconds are dropped, not rounded: 13:30:55 is 13:30", num("0.5631365740740741", timeFmt), 13, 30, ""},
		{"13:30:59 is still 13:30", num("0.5631828703703704", timeFmt), 13, 30, ""},
		{"exactly 13:30 is 13:30", num("0.5625", timeFmt), 13, 30, ""},
		{"13:30 stored a hair short is 13:30, as Excel rounds to the millisecond first", num("0.56249999999999", timeFmt), 13, 30, ""},
		{"a millisecond short of a minute is the minute before", num("0.3923611", timeFmt), 9, 24, ""},
		{"half a millisecond short of a minute rounds up to it", num("0.5631944444444", timeFmt), 13, 31, ""},
		{"a date-time serial drops its seconds too", num("45382.5631365740740741", dtFmt), 13, 30, ""},
		{"a date-time serial gives its time", num("45382.75", dtFmt), 18, 0, ""},
		{"23:59:59 is 23:59", num("0.99999", timeFmt), 23, 59, ""},
		{"less than half a millisecond before midnight is 00:00", num("0.999999999999", timeFmt), 0, 0, ""},
		{"a duration over a day gives the time of day", num("1.25", timeFmt), 6, 0, ""},
		{"HH:MM text is a time", txt("09:30"), 9, 30, ""},
		{"H:MM text is a time", txt("7:05"), 7, 5, ""},
		{"23:59 is the last minute", txt("23:59"), 23, 59, ""},
		{"text is trimmed", txt(" 18:00 "), 18, 0, ""},
		{"24:00 is not a time", txt("24:00"), 0, 0, expected + `"24:00".`},
		{"minutes need two digits", txt("9:5"), 0, 0, expected + `"9:5".`},
		{"seconds are not accepted", txt("09:30:00"), 0, 0, expected + `"09:30:00".`},
		{"a 12-hour time is not accepted", txt("9:30 PM"), 0, 0, expected + `"9:30 PM".`},
		{"a plain number is not a time", num("0.5", general), 0, 0, expected + "the number 0.5."},
		{"a date-formatted number is not a time", num("45382", dateFmt), 0, 0, expected + "the number 45382."},
		{"a negative time is refused", num("-0.5", timeFmt), 0, 0, `The cell holds "-0.5", which is not a time Excel can show.`},
		{"an error cell is an error", Cell{Type: TypeError, Value: "#VALUE!"}, 0, 0, "The cell shows the error #VALUE! instead of a value."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, m, err := Time(tt.cell)
			checkErr(t, err, tt.wantErr)
			if h != tt.h || m != tt.m {
				t.Errorf("Time = %02d:%02d, want %02d:%02d", h, m, tt.h, tt.m)
			}
		})
	}
}

func TestClassifyFormat(t *testing.T) {
	tests := []struct {
		code string
		want Format
	}{
		{"General", general},
		{"", general},
		{"@", textFmt},
		{"000", pad3},
		{"00000", Format{Kind: FormatPadded, Width: 5}},
		{"0", Format{Kind: FormatPadded, Width: 1}},
		{"000;-000", pad3},
		{"0.00", otherFmt},
		{"#,##0", otherFmt},
		{"0.00E+00", otherFmt},
		{"0%", otherFmt},
		{`"$"#,##0.00`, otherFmt},
		{`[Red]0.00`, otherFmt},
		{`0 "days"`, otherFmt},
		{"yyyy-mm-dd", dateFmt},
		{"dd/mm/yyyy", dateFmt},
		{"d-mmm-yy", dateFmt},
		{"mmm yyyy", dateFmt},
		{`[$-409]d\-mmm\-yyyy;@`, dateFmt},
		{`[$-F800]dddd\,\ mmmm\ dd\,\ yyyy`, dateFmt},
		{"h:mm", timeFmt},
		{"hh:mm:ss", timeFmt},
		{"h:mm AM/PM", timeFmt},
		{"mm:ss", timeFmt},
		{"[h]:mm", timeFmt},
		{"[mm]:ss", timeFmt},
		{"[ss]", timeFmt},
		{"[Red][h]:mm", timeFmt},
		{"yyyy-mm-dd hh:mm", dtFmt},
		{"m/d/yy h:mm", dtFmt},
		{`"Date: "yyyy`, dateFmt},
		{`"hours" 0`, otherFmt},
		{`\h0`, otherFmt},
		{"[Blue]General", otherFmt},
	}
	for _, tt := range tests {
		t.Run("format "+tt.code+" is "+tt.want.Kind.String(), func(t *testing.T) {
			if got := ClassifyFormat(tt.code); got != tt.want {
				t.Errorf("ClassifyFormat(%q) = %+v, want %+v", tt.code, got, tt.want)
			}
		})
	}
	builtins := map[int]FormatKind{0: FormatGeneral, 1: FormatPadded, 2: FormatOther, 14: FormatDate, 17: FormatDate, 18: FormatTime, 21: FormatTime, 22: FormatDateTime, 45: FormatTime, 47: FormatTime, 49: FormatText, 10: FormatOther}
	for id, want := range builtins {
		if got := builtinFormat(id).Kind; got != want {
			t.Errorf("built-in format %d is %v, want %v", id, got, want)
		}
	}
}

func TestColumnName(t *testing.T) {
	for col, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA", 16383: "XFD", -1: ""} {
		if got := ColumnName(col); got != want {
			t.Errorf("ColumnName(%d) = %q, want %q", col, got, want)
		}
		if col >= 0 {
			if c, _, ok := parseRef([]byte(want)); !ok || c != col {
				t.Errorf("parseRef(%q) = %d, want %d", want, c, col)
			}
		}
	}
}
