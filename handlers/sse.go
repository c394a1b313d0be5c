package handlers

import (
	"bytes"
	"net/http"
	"strconv"
	"time"
)

// eventStream owns the wire format of a server-sent event stream. Events
// are assembled in one buffer and written and flushed together, with a
// write deadline of their own: a client that stops reading fails its own
// stream and nothing else.
type eventStream struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	buf      bytes.Buffer
	id       int
	deadline time.Duration
}

// newEventStream sends the headers of an event stream.
func newEventStream(w http.ResponseWriter, deadline time.Duration) (*eventStream, error) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // tell proxies such as nginx not to buffer
	s := &eventStream{w: w, rc: http.NewResponseController(w), deadline: deadline}
	w.WriteHeader(http.StatusOK)
	return s, s.flush()
}

// Event sends one named event at once.
func (s *eventStream) Event(name string, data []byte) error {
	s.Add(name, data)
	return s.Send()
}

// Add queues one named event, to be sent with the others by Send: a
// client woken for several steps at once gets them in one write. Every
// line of data becomes its own "data:" line, whatever ends it (CR, LF or
// CRLF), so nothing in the data can end the event early or start another
// one.
func (s *eventStream) Add(name string, data []byte) {
	s.id++
	s.buf.WriteString("id: ")
	s.buf.WriteString(strconv.Itoa(s.id))
	s.buf.WriteString("\nevent: ")
	s.buf.WriteString(name)
	s.buf.WriteByte('\n')
	writeData(&s.buf, data)
	s.buf.WriteByte('\n')
}

// Comment sends a comment line, which clients ignore; it keeps idle
// connections and the proxies between them open.
func (s *eventStream) Comment(text string) error {
	s.buf.WriteString(": ")
	s.buf.WriteString(text)
	s.buf.WriteString("\n\n")
	return s.Send()
}

func writeData(b *bytes.Buffer, data []byte) {
	for {
		i := bytes.IndexAny(data, "\r\n")
		b.WriteString("data: ")
		if i < 0 {
			b.Write(data)
			b.WriteByte('\n')
			return
		}
		b.Write(data[:i])
		b.WriteByte('\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
}

// Send writes and flushes what was added since the last Send.
func (s *eventStream) Send() error {
	if s.buf.Len() == 0 {
		return nil
	}
	defer s.buf.Reset()
	if s.deadline > 0 {
		// Not every ResponseWriter supports deadlines (httptest's recorder
		// does not); the stream still works without one.
		_ = s.rc.SetWriteDeadline(time.Now().Add(s.deadline))
	}
	if _, err := s.w.Write(s.buf.Bytes()); err != nil {
		return err
	}
	return s.flush()
}

func (s *eventStream) flush() error {
	return s.rc.Flush()
}
