package components

import (
	"strconv"

	"github.com/dustin/go-humanize"
)

func refreshContent(seconds int) string { return strconv.Itoa(seconds) }

// count writes a whole number with thousands separators: 41200 is "41,200".
func count(n int) string { return humanize.Comma(int64(n)) }

// htmxConfig is htmx's configuration: no injected styles, no eval and no
// scripts from answers (the CSP allows none), and answers with a 4xx or
// 5xx status swapped like any other, since Roster answers a refused upload
// with the form and its message, as it does without JavaScript, and a
// review saved already or an undo that must wait with a page that says so.
const htmxConfig = `{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[2345]..","swap":true}]}`
