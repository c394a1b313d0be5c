package importer

import (
	"fmt"
	"strings"
	"testing"
)

// TestKeySetAgreesWithAMap: the compact set finds exactly the keys a Go
// map does, through its growth and chunk changes, keys longer than a
// chunk and keys that differ in one byte included.
func TestKeySetAgreesWithAMap(t *testing.T) {
	budget := 1 << 30
	set := newKeySet(&budget)
	want := map[string]int{}
	long := strings.Repeat("x", chunkSize+10)
	for row := 1; row <= 300_000; row++ {
		var key string
		switch {
		case row%1000 == 0:
			key = long + fmt.Sprint(row%3000) // three long keys, each repeated
		case row%7 == 0:
			key = fmt.Sprintf("E%07d", row/7) // repeats of keys made earlier
		default:
			key = fmt.Sprintf("E%07d", row)
		}
		if _, ok := want[key]; !ok {
			want[key] = row
		}
		first, ok := set.add([]byte(key), row)
		if !ok {
			t.Fatalf("row %d: the set gave up within its budget", row)
		}
		if first != want[key] {
			t.Fatalf("row %d, key %.20q: first row %d, want %d", row, key, first, want[key])
		}
	}
	if set.used != len(want) {
		t.Errorf("the set holds %d keys, want %d", set.used, len(want))
	}
	for key := range want {
		if !set.has([]byte(key)) {
			t.Fatalf("has(%.20q) is false for a key the set holds", key)
		}
	}
	for _, key := range []string{"", "E", "E0000000", "E1000000", long, long + "3000", fmt.Sprintf("E%07d", 300_001)} {
		if set.has([]byte(key)) {
			t.Errorf("has(%.20q) is true for a key never added", key)
		}
	}
}

// TestKeySetGivesUpPastItsBudget: a set asked to hold more than its
// budget says so instead of growing.
func TestKeySetGivesUpPastItsBudget(t *testing.T) {
	budget := 4 << 20
	set := newKeySet(&budget)
	for row := 1; ; row++ {
		if _, ok := set.add([]byte(fmt.Sprintf("%0100d", row)), row); !ok {
			if budget < 0 {
				t.Errorf("the set took %d bytes past its budget of %d", -budget, 4<<20)
			}
			return
		}
		if row > 1_000_000 {
			t.Fatal("100 MB of keys fit in a budget of 4 MiB")
		}
	}
}
