package handlers_test

import (
	"strconv"
	"strings"
	"testing"

	"roster/importer"
)

// A watcher on an instance that does not run the import sees what a
// watcher on the running one sees: every step at once, in order, then
// each step moving forward only, counts and all, then done.
func TestAWatcherOnAnotherInstanceSeesEveryStepInOrder(t *testing.T) {
	apps, _ := instances(t, 2)
	a, b := apps[0], apps[1]
	a.start() // only A runs imports
	page := a.upload(t, "staff.xlsx", sampleOf(t, 5000), nil).Header.Get("Location")
	events := readEvents(t, b.URL+page+"/events")

	if len(events) < len(importer.Steps)+1 {
		t.Fatalf("B's stream sent %d events", len(events))
	}
	for i, key := range importer.Steps {
		if events[i].name != string(key) {
			t.Fatalf("B's stream began with %q as event %d, want every step in order (%s)", events[i].name, i, key)
		}
	}
	rank := map[string]int{"pending": 0, "running": 1, "done": 2}
	last := map[string]change{}
	lastID, live := 0, false
	for i, e := range events {
		id, err := strconv.Atoi(e.id)
		if err != nil || id <= lastID {
			t.Fatalf("event %d has id %q after %d", i, e.id, lastID)
		}
		lastID = id
		if e.name == "done" {
			if i != len(events)-1 {
				t.Fatalf("done came as event %d of %d", i, len(events))
			}
			if !strings.Contains(e.data, `data-import-state="succeeded"`) {
				t.Fatalf("B's stream ended with %s", e.data)
			}
			continue
		}
		c, ok := parseStep(e.data)
		if !ok || c.step != e.name {
			t.Fatalf("event %s holds no step of its own: %s", e.name, e.data)
		}
		if _, known := rank[c.state]; !known {
			t.Fatalf("step %s is %s in a succeeded import", c.step, c.state)
		}
		was, seen := last[c.step]
		if seen && (rank[c.state] < rank[was.state] || (c.state == was.state && c.rows < was.rows)) {
			t.Errorf("step %s went from %s (%d rows) to %s (%d rows)", c.step, was.state, was.rows, c.state, c.rows)
		}
		if c.state == "running" && c.rows > 0 {
			live = true
		}
		last[c.step] = c
	}
	if events[len(events)-1].name != "done" {
		t.Fatal("B's stream ended without done")
	}
	for _, key := range importer.Steps {
		if got := last[string(key)].state; got != "done" {
			t.Errorf("B's stream left step %s %s, want done", key, got)
		}
	}
	if !live {
		t.Error("B's stream never showed a step running with its rows counted")
	}
}
