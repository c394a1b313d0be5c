package xlsx

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// The scanner is a small, allocation-free, streaming XML tokenizer made for
// the parts of a SpreadsheetML package. It understands just enough XML for
// those: start, end and self-closing tags with attributes, character data
// with the predefined and numeric entities, CDATA sections, comments and
// processing instructions. Namespace prefixes are dropped: <x:c> is "c".
// A DOCTYPE is refused, so no entity can ever expand.
//
// Slices it returns (name, attrs) point into its buffer and are valid until
// the next call.

const (
	scanBufSize = 64 << 10
	maxTagSize  = 1 << 20 // a single tag (with its attributes) may not be longer
)

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
)

// syntaxError is a problem in the XML itself.
type syntaxError string

func (e syntaxError) Error() string { return string(e) }

var (
	errTruncated  = syntaxError("the XML ends too early (the file may be truncated)")
	errTagTooLong = syntaxError("an XML tag is longer than 1 MiB")
	errTextTooBig = errors.New("text too long") // mapped to ErrTooLarge by callers
)

type scanner struct {
	rd       io.Reader
	buf      []byte
	pos, end int
	eof      bool  // no more data will come from rd
	err      error // read error other than io.EOF

	name  []byte // local name of the current tag
	qname []byte // name of the current tag as written, with its prefix
	attrs []byte // raw attribute text of the current start tag
	self  bool   // the current start tag is self-closing
}

func newScanner(rd io.Reader) *scanner {
	return &scanner{rd: rd, buf: make([]byte, scanBufSize)}
}

// fill reads more data after buf[pos:end], moving the unread bytes to the
// front first. It reports whether at least one byte was added.
func (s *scanner) fill() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxTagSize {
			s.err, s.eof = errTagTooLong, true
			return false
		}
		nb := make([]byte, min(2*len(s.buf), maxTagSize))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for tries := 0; ; tries++ {
		n, err := s.rd.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
		if tries > 100 {
			s.err, s.eof = io.ErrNoProgress, true
			return false
		}
	}
}

// ensure makes n bytes available from pos if the stream has them.
func (s *scanner) ensure(n int) bool {
	for s.end-s.pos < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

// eofErr is the error for a stream that ended where more was expected.
func (s *scanner) eofErr() error {
	if s.err != nil {
		return s.err
	}
	return errTruncated
}

// skipPast moves pos just after the next occurrence of seq that starts at
// or after pos+off, discarding what it passes.
func (s *scanner) skipPast(seq string, off int) error {
	for {
		if start := s.pos + off; start <= s.end {
			if j := bytes.Index(s.buf[start:s.end], []byte(seq)); j >= 0 {
				s.pos = start + j + len(seq)
				return nil
			}
			// Keep only what could be the start of seq.
			s.pos, off = max(start, s.end-(len(seq)-1)), 0
		}
		if !s.fill() {
			return s.eofErr()
		}
	}
}

func hasPrefixAt(b []byte, i int, p string) bool {
	return len(b)-i >= len(p) && string(b[i:i+len(p)]) == p
}

// skipMarkup skips a comment, CDATA section (outside text), processing
// instruction or refuses a DOCTYPE. buf[pos] is '<' and buf[pos+1] is '!' or '?'.
func (s *scanner) skipMarkup() error {
	if s.buf[s.pos+1] == '?' {
		return s.skipPast("?>", 2)
	}
	s.ensure(9)
	switch {
	case hasPrefixAt(s.buf[:s.end], s.pos, "<!--"):
		return s.skipPast("-->", 4)
	case hasPrefixAt(s.buf[:s.end], s.pos, "<![CDATA["):
		return s.skipPast("]]>", 9)
	case hasPrefixAt(s.buf[:s.end], s.pos, "<!DOCTYPE"):
		return syntaxError("a DOCTYPE declaration is not allowed")
	}
	if s.end-s.pos < 9 && s.eof {
		return s.eofErr()
	}
	return syntaxError("unexpected markup <!")
}

// tagSpecial marks the bytes tagEnd stops at.
var tagSpecial = [256]bool{'>': true, '"': true, '\'': true, '<': true}

// textSpecial marks the bytes readText stops at.
var textSpecial = [256]bool{'<': true, '&': true, '\r': true}

// tagEnd returns the offset from pos of the '>' closing the tag at pos.
func (s *scanner) tagEnd() (int, error) {
	i := s.pos + 1
	for {
		buf := s.buf[:s.end]
		for i < len(buf) {
			c := buf[i]
			if !tagSpecial[c] {
				i++
				continue
			}
			switch c {
			case '>':
				return i - s.pos, nil
			case '<':
				return 0, syntaxError("unexpected '<' inside a tag")
			}
			// Skip the quoted value, byte by byte since values are short.
			// XML allows no '<' in it; CountRows, which does not read
			// attributes, relies on that.
			k := i + 1
			for k < len(buf) && buf[k] != c {
				if buf[k] == '<' {
					return 0, syntaxError("a '<' inside an attribute value")
				}
				k++
			}
			if k == len(buf) {
				break
			}
			i = k + 1
		}

		off := i - s.pos
		if !s.fill() {
			return 0, s.eofErr()
		}
		i = s.pos + off
	}
}

func isNameEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/' || c == '>'
}

func localName(b []byte) []byte {
	if i := bytes.LastIndexByte(b, ':'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// next moves to the next start or end tag, skipping character data,
// comments and processing instructions. At the end of the stream it returns
// tokEOF with a nil error, or the read error.
func (s *scanner) next() (tokKind, error) {
	for {
		i := bytes.IndexByte(s.buf[s.pos:s.end], '<')
		if i < 0 {
			s.pos = s.end
			if !s.fill() {
				return tokEOF, s.err
			}
			continue
		}
		s.pos += i
		if s.end-s.pos < 2 && !s.ensure(2) {
			return tokEOF, s.eofErr()
		}
		switch s.buf[s.pos+1] {
		case '!', '?':
			if err := s.skipMarkup(); err != nil {
				return tokEOF, err
			}
			continue
		}
		n, err := s.tagEnd()
		if err != nil {
			return tokEOF, err
		}
		tag := s.buf[s.pos+1 : s.pos+n] // between '<' and '>'
		s.pos += n + 1
		if len(tag) == 0 {
			return tokEOF, syntaxError("malformed tag <>")
		}
		if tag[0] == '/' {
			s.qname = trimSpace(tag[1:])
			s.name = localName(s.qname)
			s.attrs, s.self = nil, false
			if len(s.name) == 0 {
				return tokEOF, syntaxError("malformed end tag")
			}
			return tokEnd, nil
		}
		s.self = tag[len(tag)-1] == '/'
		if s.self {
			tag = tag[:len(tag)-1]
		}
		j := 0
		for j < len(tag) && !isNameEnd(tag[j]) {
			j++
		}
		if j == 0 {
			return tokEOF, syntaxError("malformed tag")
		}
		s.qname = tag[:j]
		s.name = localName(s.qname)
		s.attrs = tag[j:]
		if len(s.name) == 0 {
			return tokEOF, syntaxError("malformed tag")
		}
		return tokStart, nil
	}
}

// skipRest skips the rest of the element whose start tag was just read
// (which must not have been self-closing), up to and including its end tag.
func (s *scanner) skipRest() error {
	depth := 1
	for {
		tok, err := s.next()
		if err != nil {
			return err
		}
		switch tok {
		case tokEOF:
			return errTruncated
		case tokStart:
			if !s.self {
				depth++
			}
		case tokEnd:
			depth--
			if depth == 0 {
				return nil
			}
		}
	}
}

// readText appends the character data at pos to dst, decoding entities and
// CDATA and normalising line ends, and stops before the next tag. It fails
// with errTextTooBig when dst would grow beyond limit bytes.
func (s *scanner) readText(dst []byte, limit int) ([]byte, error) {
	for {
		chunk := s.buf[s.pos:s.end]
		i := 0
		for i < len(chunk) && !textSpecial[chunk[i]] {
			i++
		}
		if len(dst)+i > limit {
			return dst, errTextTooBig
		}
		dst = append(dst, chunk[:i]...)
		s.pos += i
		if i == len(chunk) {
			if !s.fill() {
				return dst, s.eofErr()
			}
			continue
		}
		var err error
		switch chunk[i] {
		case '<':
			if !s.ensure(2) || (s.buf[s.pos+1] != '!' && s.buf[s.pos+1] != '?') {
				return dst, nil
			}
			s.ensure(9)
			switch {
			case hasPrefixAt(s.buf[:s.end], s.pos, "<![CDATA["):
				dst, err = s.readCDATA(dst, limit)
			case hasPrefixAt(s.buf[:s.end], s.pos, "<!--"):
				err = s.skipPast("-->", 4)
			case hasPrefixAt(s.buf[:s.end], s.pos, "<?"):
				err = s.skipPast("?>", 2)
			default:
				return dst, nil
			}
		case '&':
			dst, err = s.entity(dst)
		case '\r':
			s.ensure(2)
			dst = append(dst, '\n')
			s.pos++
			if s.pos < s.end && s.buf[s.pos] == '\n' {
				s.pos++
			}
		}
		if err != nil {
			return dst, err
		}
	}
}

func (s *scanner) readCDATA(dst []byte, limit int) ([]byte, error) {
	s.pos += 9
	for {
		chunk := s.buf[s.pos:s.end]
		if j := bytes.Index(chunk, []byte("]]>")); j >= 0 {
			if len(dst)+j > limit {
				return dst, errTextTooBig
			}
			dst = append(dst, chunk[:j]...)
			s.pos += j + 3
			return dst, nil
		}
		take := max(len(chunk)-2, 0)
		if len(dst)+take > limit {
			return dst, errTextTooBig
		}
		dst = append(dst, chunk[:take]...)
		s.pos += take
		if !s.fill() {
			return dst, s.eofErr()
		}
	}
}

// maxEntity is the longest entity name read (between & and ;).
const maxEntity = 16

// entity decodes the entity at pos and appends it to dst.
func (s *scanner) entity(dst []byte) ([]byte, error) {
	s.ensure(maxEntity + 2)
	rest := s.buf[s.pos+1 : s.end]
	if len(rest) > maxEntity+1 {
		rest = rest[:maxEntity+1]
	}
	j := bytes.IndexByte(rest, ';')
	if j < 0 {
		return dst, syntaxError("a '&' that does not start an entity")
	}
	dst, ok := appendEntity(dst, rest[:j])
	if !ok {
		return dst, syntaxError("unknown entity &" + string(rest[:j]) + ";")
	}
	s.pos += j + 2
	return dst, nil
}

// appendEntity appends the text of the entity named name (without & and ;).
func appendEntity(dst, name []byte) ([]byte, bool) {
	switch string(name) {
	case "amp":
		return append(dst, '&'), true
	case "lt":
		return append(dst, '<'), true
	case "gt":
		return append(dst, '>'), true
	case "quot":
		return append(dst, '"'), true
	case "apos":
		return append(dst, '\''), true
	}
	if len(name) < 2 || name[0] != '#' {
		return dst, false
	}
	var n uint64
	var err error
	if name[1] == 'x' {
		n, err = strconv.ParseUint(string(name[2:]), 16, 32)
	} else {
		n, err = strconv.ParseUint(string(name[1:]), 10, 32)
	}
	if err != nil {
		return dst, false
	}
	r := rune(n)
	if n > utf8.MaxRune || !utf8.ValidRune(r) || r == 0 {
		r = utf8.RuneError
	}
	return utf8.AppendRune(dst, r), true
}

// unescape decodes the entities of an attribute value.
func unescape(raw []byte) (string, bool) {
	if bytes.IndexByte(raw, '&') < 0 {
		return string(raw), true
	}
	out := make([]byte, 0, len(raw))
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '&')
		if i < 0 {
			out = append(out, raw...)
			break
		}
		out = append(out, raw[:i]...)
		raw = raw[i+1:]
		j := bytes.IndexByte(raw, ';')
		if j < 0 || j > maxEntity {
			return "", false
		}
		var ok bool
		if out, ok = appendEntity(out, raw[:j]); !ok {
			return "", false
		}
		raw = raw[j+1:]
	}
	return string(out), true
}

// nextAttr parses the attribute starting at or after a[i]. It returns the
// attribute's local name (xmlns declarations are skipped), its raw value,
// and the index after it; ok is false when there are no more attributes or
// they are malformed.
func nextAttr(a []byte, i int) (name, val []byte, next int, ok bool) {
	// The parsing of nextAttrRaw, repeated rather than called: this runs
	// for every attribute of every cell.
	for {
		for i < len(a) && (a[i] == ' ' || a[i] == '\t' || a[i] == '\n' || a[i] == '\r') {
			i++
		}
		if i >= len(a) {
			return nil, nil, i, false
		}
		start := i
		for i < len(a) && a[i] != '=' && a[i] != ' ' && a[i] != '\t' && a[i] != '\n' && a[i] != '\r' {
			i++
		}
		name = a[start:i]
		for i < len(a) && (a[i] == ' ' || a[i] == '\t' || a[i] == '\n' || a[i] == '\r') {
			i++
		}
		if i >= len(a) || a[i] != '=' {
			return nil, nil, i, false
		}
		i++
		for i < len(a) && (a[i] == ' ' || a[i] == '\t' || a[i] == '\n' || a[i] == '\r') {
			i++
		}
		if i >= len(a) || (a[i] != '"' && a[i] != '\'') {
			return nil, nil, i, false
		}
		q := a[i]
		j := bytes.IndexByte(a[i+1:], q)
		if j < 0 {
			return nil, nil, i, false
		}
		val = a[i+1 : i+1+j]
		i += j + 2
		if bytes.HasPrefix(name, []byte("xmlns")) && (len(name) == 5 || name[5] == ':') {
			continue
		}
		return localName(name), val, i, true
	}
}

// nextAttrRaw is nextAttr giving every attribute, xmlns declarations
// included, by its name as written.
func nextAttrRaw(a []byte, i int) (name, val []byte, next int, ok bool) {
	for i < len(a) && (a[i] == ' ' || a[i] == '\t' || a[i] == '\n' || a[i] == '\r') {
		i++
	}
	if i >= len(a) {
		return nil, nil, i, false
	}
	start := i
	for i < len(a) && a[i] != '=' && a[i] != ' ' && a[i] != '\t' && a[i] != '\n' && a[i] != '\r' {
		i++
	}
	name = a[start:i]
	for i < len(a) && (a[i] == ' ' || a[i] == '\t' || a[i] == '\n' || a[i] == '\r') {
		i++
	}
	if i >= len(a) || a[i] != '=' {
		return nil, nil, i, false
	}
	i++
	for i < len(a) && (a[i] == ' ' || a[i] == '\t' || a[i] == '\n' || a[i] == '\r') {
		i++
	}
	if i >= len(a) || (a[i] != '"' && a[i] != '\'') {
		return nil, nil, i, false
	}
	q := a[i]
	j := bytes.IndexByte(a[i+1:], q)
	if j < 0 {
		return nil, nil, i, false
	}
	return name, a[i+1 : i+1+j], i + j + 2, true
}

// nsDecl returns the namespace a start tag's attributes bind prefix to
// ("" for the default namespace), if they do.
func nsDecl(a []byte, prefix []byte) (string, bool) {
	for i := 0; ; {
		name, val, next, ok := nextAttrRaw(a, i)
		if !ok {
			return "", false
		}
		i = next
		if !bytes.HasPrefix(name, []byte("xmlns")) {
			continue
		}
		if rest := name[5:]; (len(prefix) == 0 && len(rest) == 0) || (len(rest) > 0 && rest[0] == ':' && bytes.Equal(rest[1:], prefix)) {
			uri, _ := unescape(val)
			return uri, true
		}
	}
}

// prefixOf returns the namespace prefix of a qualified name, or nil.
func prefixOf(qname []byte) []byte {
	if i := bytes.LastIndexByte(qname, ':'); i >= 0 {
		return qname[:i]
	}
	return nil
}

// attr returns the raw value of the attribute with the given local name.
func attr(a []byte, want string) ([]byte, bool) {
	for i := 0; ; {
		name, val, next, ok := nextAttr(a, i)
		if !ok {
			return nil, false
		}
		if string(name) == want {
			return val, true
		}
		i = next
	}
}

// attrString returns the decoded value of the attribute, "" when absent.
func attrString(a []byte, want string) (string, error) {
	raw, ok := attr(a, want)
	if !ok {
		return "", nil
	}
	v, ok := unescape(raw)
	if !ok {
		return "", syntaxError("bad entity in attribute " + want)
	}
	return v, nil
}

// readRich reads the text of a rich-text container (<si> or <is>) whose
// start tag was just read: all <t> runs, skipping phonetic runs (<rPh>).
func (s *scanner) readRich(dst []byte, limit int) ([]byte, error) {
	depth := 1
	for depth > 0 {
		tok, err := s.next()
		if err != nil {
			return dst, err
		}
		switch tok {
		case tokEOF:
			return dst, errTruncated
		case tokEnd:
			depth--
		case tokStart:
			if s.self {
				continue
			}
			switch string(s.name) {
			case "t":
				if dst, err = s.readText(dst, limit); err != nil {
					return dst, err
				}
				if err = s.skipRest(); err != nil {
					return dst, err
				}
			case "rPh", "phoneticPr", "rPr":
				if err = s.skipRest(); err != nil {
					return dst, err
				}
			default:
				depth++
			}
		}
	}
	return dst, nil
}

// decodeXString decodes, in place, the _xHHHH_ escapes OOXML uses in text
// for characters XML cannot hold (Excel writes _x000D_ for a carriage
// return, and _x005F_ to escape a literal underscore).
func decodeXString(b []byte) []byte {
	i := bytes.Index(b, []byte("_x"))
	if i < 0 {
		return b
	}
	out := b[:i]
	for i < len(b) {
		if r, ok := xEscape(b, i); ok {
			if r >= 0xD800 && r < 0xDC00 {
				if lo, ok := xEscape(b, i+7); ok && lo >= 0xDC00 && lo < 0xE000 {
					out = utf8.AppendRune(out, 0x10000+(r-0xD800)<<10+(lo-0xDC00))
					i += 14
					continue
				}
			}
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r) // never longer than the 7-byte escape
			i += 7
			continue
		}
		out = append(out, b[i])
		i++
	}
	return out
}

func xEscape(b []byte, i int) (rune, bool) {
	if len(b)-i < 7 || b[i] != '_' || b[i+1] != 'x' || b[i+6] != '_' {
		return 0, false
	}
	var r rune
	for _, c := range b[i+2 : i+6] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
