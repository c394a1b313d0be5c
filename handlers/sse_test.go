package handlers

import (
	"net/http/httptest"
	"testing"
)

func TestEventStreamWritesExactBytes(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"a single line is one data line", "<li>x</li>",
			"id: 1\nevent: areas\ndata: <li>x</li>\n\n"},
		{"each LF starts a new data line", "a\nb",
			"id: 1\nevent: areas\ndata: a\ndata: b\n\n"},
		{"each CR starts a new data line", "a\rb",
			"id: 1\nevent: areas\ndata: a\ndata: b\n\n"},
		{"CRLF counts as one line end", "a\r\nb",
			"id: 1\nevent: areas\ndata: a\ndata: b\n\n"},
		{"an empty line inside the data stays a data line", "a\n\nb",
			"id: 1\nevent: areas\ndata: a\ndata: \ndata: b\n\n"},
		{"a blank line cannot end the event early", "x\r\n\r\nevent: done\r\ndata: y",
			"id: 1\nevent: areas\ndata: x\ndata: \ndata: event: done\ndata: data: y\n\n"},
		{"a trailing line end gives an empty last line", "a\n",
			"id: 1\nevent: areas\ndata: a\ndata: \n\n"},
		{"empty data is one empty data line", "",
			"id: 1\nevent: areas\ndata: \n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s, err := newEventStream(rec, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Event("areas", []byte(tt.data)); err != nil {
				t.Fatal(err)
			}
			if got := rec.Body.String(); got != tt.want {
				t.Errorf("wrote %q\nwant  %q", got, tt.want)
			}
		})
	}
}

func TestEventStreamSendsHeadersIdsAndComments(t *testing.T) {
	rec := httptest.NewRecorder()
	s, err := newEventStream(rec, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/event-stream" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control = %q", got)
	}
	if !rec.Flushed {
		t.Error("headers were not flushed at once")
	}
	s.Event("areas", []byte("a"))
	s.Comment("keep-alive")
	s.Event("done", []byte("b"))
	want := "id: 1\nevent: areas\ndata: a\n\n: keep-alive\n\nid: 2\nevent: done\ndata: b\n\n"
	if got := rec.Body.String(); got != want {
		t.Errorf("wrote %q\nwant  %q", got, want)
	}
}
