// Package human writes numbers and byte sizes the way people read them,
// and reads sizes the way an operator writes them on the command line.
package human

import (
	"fmt"
	"strconv"
	"strings"
)

// Count writes a whole number with thousands separators: 41200 → "41,200".
func Count(n int) string {
	s := strconv.Itoa(n)
	digits := strings.TrimPrefix(s, "-")
	var b strings.Builder
	if len(digits) < len(s) {
		b.WriteByte('-')
	}
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Bytes writes a byte count in the largest binary unit that divides it:
// "1 GiB", "256 MiB", "1,500 bytes".
func Bytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return Count(int(n)) + " bytes"
}

// ParseBytes reads "256MiB", "10 MB", "1GiB" or a plain number of bytes.
func ParseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"KB", 1000}, {"MB", 1000_000}, {"GB", 1000_000_000},
	}
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size; write bytes or a number with KiB, MiB, GiB, KB, MB or GB", s)
	}
	return n * mult, nil
}

// Plural chooses the word for a count: Plural(1, "problem", "problems").
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
