package components

import (
	"strconv"

	"github.com/dustin/go-humanize"
)

func refreshContent(seconds int) string { return strconv.Itoa(seconds) }

// count writes a whole number with thousands separators: 41200 is "41,200".
func count(n int) string { return humanize.Comma(int64(n)) }
