package components

import (
	"strconv"
	"strings"
)

// Count writes a whole number with thousands separators: 41200 → "41,200".
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// plural chooses the word for a count: plural(1, "problem", "problems").
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func refreshContent(seconds int) string { return strconv.Itoa(seconds) }
