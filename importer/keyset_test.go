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

// TestKeySetOfKeysInOrder: keys that come in order need no table until
// one comes out of order or is looked up; from then on the set finds
// exactly what a map does, the rows of the keys that came in order
// included.
func TestKeySetOfKeysInOrder(t *testing.T) {
	long := "E0100000" + strings.Repeat("x", chunkSize+10) // between E0100000 and E0100001
	inOrder := func(row int) string {
		if row == 100_000 {
			return long
		}
		return fmt.Sprintf("E%07d", row)
	}
	fill := func(t *testing.T) (*keySet, map[string]int) {
		budget := 1 << 30
		set, want := newKeySet(&budget), map[string]int{}
		for row := 1; row <= 200_000; row++ {
			key := inOrder(row)
			want[key] = row
			if first, ok := set.add([]byte(key), row); !ok || first != row {
				t.Fatalf("row %d: add gave %d, %v; want the row itself", row, first, ok)
			}
		}
		if !set.sorted || set.slots != nil {
			t.Fatal("keys that came in order were put in a table")
		}
		return set, want
	}

	t.Run("looked up", func(t *testing.T) {
		set, want := fill(t)
		for key := range want {
			if !set.has([]byte(key)) {
				t.Fatalf("has(%.20q) is false for a key the set holds", key)
			}
		}
		for _, key := range []string{"", "E0000000", "E0100000", "E0200001", long[:len(long)-1]} {
			if set.has([]byte(key)) {
				t.Errorf("has(%.20q) is true for a key never added", key)
			}
		}
	})
	t.Run("then out of order", func(t *testing.T) {
		set, want := fill(t)
		for row := 200_001; row <= 260_000; row++ {
			var key string
			switch {
			case row%400 == 1:
				key = long
			case row%4 == 0:
				key = inOrder(row % 200_000) // a repeat of a key that came in order
			default:
				key = fmt.Sprintf("D%07d", row) // new, before every key so far
			}
			if _, ok := want[key]; !ok {
				want[key] = row
			}
			first, ok := set.add([]byte(key), row)
			if !ok || first != want[key] {
				t.Fatalf("row %d, key %.20q: first row %d, %v; want %d", row, key, first, ok, want[key])
			}
		}
		if set.used != len(want) {
			t.Errorf("the set holds %d keys, want %d", set.used, len(want))
		}
	})
}
