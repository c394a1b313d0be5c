package xlsx

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// sstBook writes a workbook whose shared strings part holds about size
// bytes of 100-character strings (a 1 MiB part zips to some 40 KiB), and
// whose sheet refers to the first of them.
func sstBook(t testing.TB, size int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(xmlHead + `<sst xmlns="` + nsMain + `">`)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `<si><t>%08d%s</t></si>`, i, strings.Repeat("x", 92))
	}
	b.WriteString(`</sst>`)
	return handBook(t, sheetXML(`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`), b.String(), "")
}

// openHolding opens a workbook and checks that it holds some of budget.
func openHolding(t *testing.T, path string, lim Limits) *Workbook {
	t.Helper()
	wb, err := Open(path, lim)
	must(t, err)
	if wb.strHold == nil || wb.strHold.size() == 0 {
		t.Fatal("the workbook holds none of the budget")
	}
	return wb
}

func (b *Budget) peakUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// awaitWaiter returns once a workbook waits for the budget.
func (b *Budget) awaitWaiter(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); runtime.Gosched() {
		b.mu.Lock()
		n := b.waiting
		b.mu.Unlock()
		if n > 0 {
			return
		}
	}
	t.Fatal("no workbook waits for the budget")
}

func TestSharedStringsBudget(t *testing.T) {
	t.Run("workbooks opened at once never hold more than the budget together", func(t *testing.T) {
		// Sixteen uploads at once of a small zip holding 2 MiB of shared
		// strings (the reported case, 200 MiB each, scaled down): loading
		// one may need five times its part, so each reserves the whole
		// 6 MiB budget and the loads take turns; with a 16 MiB budget
		// tables stay held while another loads.
		for _, size := range []int64{6 << 20, 16 << 20} {
			t.Run(fmt.Sprintf("budget %d MiB", size>>20), func(t *testing.T) { concurrentOpens(t, size) })
		}
	})

	t.Run("a loaded workbook holds what its table takes until it is closed", func(t *testing.T) {
		b := NewBudget(64 << 20)
		wb := openHolding(t, sstBook(t, 1<<20), Limits{StringsBudget: b})
		// About 9,000 strings of 100 bytes, each counted 116 bytes.
		if u := b.InUse(); u < 1<<20 || u > 1<<20+256<<10 {
			t.Errorf("the workbook holds %d bytes, want about 1 MiB", u)
		}
		must(t, wb.Close())
		if u := b.InUse(); u != 0 {
			t.Errorf("%d bytes still held after Close", u)
		}
		must(t, wb.Close()) // again: nothing more is given back
		if u := b.InUse(); u != 0 {
			t.Errorf("InUse = %d after a second Close", u)
		}
	})

	t.Run("a table larger than the whole budget is too large, not busy", func(t *testing.T) {
		b := NewBudget(256 << 10)
		_, err := Open(sstBook(t, 1<<20), Limits{StringsBudget: b})
		if !errors.Is(err, ErrTooLarge) || errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "256 KiB") {
			t.Errorf("error = %v, want ErrTooLarge naming the 256 KiB budget, and not ErrBusy", err)
		}
		if u := b.InUse(); u != 0 {
			t.Errorf("%d bytes held after a failed Open", u)
		}
	})

	t.Run("the per-file limit still applies within the budget", func(t *testing.T) {
		_, err := Open(sstBook(t, 1<<20), Limits{StringsBudget: NewBudget(64 << 20), MaxSharedStrings: 512 << 10})
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "shared strings take more than 512 KiB") {
			t.Errorf("error = %v, want ErrTooLarge naming the 512 KiB limit", err)
		}
	})

	t.Run("a workbook that waits too long for the budget is busy, and opens once it is free", func(t *testing.T) {
		b := NewBudget(2 << 20)
		path := sstBook(t, 1<<20)
		first := openHolding(t, path, Limits{StringsBudget: b})
		_, err := Open(path, Limits{StringsBudget: b, StringsWait: 50 * time.Millisecond})
		if !errors.Is(err, ErrBusy) || !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "try again") {
			t.Fatalf("error = %v, want ErrBusy and ErrTooLarge", err)
		}
		must(t, first.Close())
		second := openHolding(t, path, Limits{StringsBudget: b, StringsWait: 50 * time.Millisecond})
		must(t, second.Close())
	})

	t.Run("a workbook waiting for the budget stops when its context is done", func(t *testing.T) {
		b := NewBudget(2 << 20)
		path := sstBook(t, 1<<20)
		first := openHolding(t, path, Limits{StringsBudget: b})
		defer first.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := OpenContext(ctx, path, Limits{StringsBudget: b, StringsWait: time.Hour})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	})

	t.Run("a smaller workbook is not held back by a larger one waiting", func(t *testing.T) {
		b := NewBudget(3 << 20)
		first := openHolding(t, sstBook(t, 1<<20), Limits{StringsBudget: b})
		defer first.Close()
		largePath, smallPath := sstBook(t, 2<<20), sstBook(t, 64<<10)
		large := make(chan error, 1)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			_, err := OpenContext(ctx, largePath, Limits{StringsBudget: b, StringsWait: time.Hour})
			large <- err
		}()
		b.awaitWaiter(t)
		small := openHolding(t, smallPath, Limits{StringsBudget: b, StringsWait: time.Hour})
		must(t, small.Close())
		cancel()
		if err := <-large; !errors.Is(err, context.Canceled) {
			t.Errorf("the large workbook: error = %v, want it still waiting until cancelled", err)
		}
	})

	t.Run("Rows still open after Close keep the strings until they are closed", func(t *testing.T) {
		b := NewBudget(64 << 20)
		wb := openHolding(t, sstBook(t, 256<<10), Limits{StringsBudget: b})
		rows, err := wb.Rows("Data")
		must(t, err)
		must(t, wb.Close())
		if b.InUse() == 0 {
			t.Fatal("the strings were given back while Rows could still read them")
		}
		if !rows.Next() || rows.Row().Cells[0].Value != "00000000"+strings.Repeat("x", 92) {
			t.Fatalf("row = %+v, error = %v", rows.Row(), rows.Err())
		}
		must(t, rows.Close())
		if u := b.InUse(); u != 0 {
			t.Errorf("%d bytes still held after the Rows were closed", u)
		}
		if _, err := wb.Rows("Data"); !errors.Is(err, errClosed) {
			t.Errorf("Rows after Close: error = %v, want errClosed", err)
		}
	})

	t.Run("reading a sheet to its end gives its use of the strings back", func(t *testing.T) {
		b := NewBudget(64 << 20)
		wb := openHolding(t, sstBook(t, 256<<10), Limits{StringsBudget: b})
		rows, err := wb.Rows("Data")
		must(t, err)
		for rows.Next() {
		}
		must(t, rows.Err())
		must(t, wb.Close())
		if u := b.InUse(); u != 0 {
			t.Errorf("%d bytes still held with the sheet read and the workbook closed", u)
		}
	})

	t.Run("a workbook dropped without Close gives its share back when collected", func(t *testing.T) {
		b := NewBudget(64 << 20)
		func() { openHolding(t, sstBook(t, 256<<10), Limits{StringsBudget: b}) }()
		for i := 0; i < 100 && b.InUse() != 0; i++ {
			runtime.GC()
			runtime.Gosched()
		}
		if u := b.InUse(); u != 0 {
			t.Errorf("%d bytes still held after the workbook was collected", u)
		}
	})

	t.Run("by default every workbook shares one budget of 384 MiB", func(t *testing.T) {
		lim := Limits{}.withDefaults()
		if lim.StringsBudget != DefaultLimits.StringsBudget || lim.StringsBudget.Size() != 384<<20 || lim.StringsWait != 20*time.Second {
			t.Errorf("defaults: budget %p of %d bytes, wait %v", lim.StringsBudget, lim.StringsBudget.Size(), lim.StringsWait)
		}
	})

	t.Run("a workbook without shared strings holds nothing", func(t *testing.T) {
		b := NewBudget(1 << 20)
		wb, err := Open(handBook(t, sheetXML(`<row r="1"><c r="A1"><v>1</v></c></row>`), "", ""), Limits{StringsBudget: b})
		must(t, err)
		defer wb.Close()
		if b.InUse() != 0 || b.peakUse() != 0 {
			t.Errorf("InUse = %d, peak %d", b.InUse(), b.peakUse())
		}
	})
}

// concurrentOpens opens sixteen workbooks with 2 MiB of shared strings at
// once, within a budget of size bytes.
func concurrentOpens(t *testing.T, size int64) {
	path := sstBook(t, 2<<20)
	b := NewBudget(size)
	lim := Limits{StringsBudget: b, StringsWait: time.Minute}
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			wb, err := Open(path, lim)
			if err != nil {
				errs <- err
				return
			}
			defer wb.Close()
			if res := readOpen(wb, "Data"); res.err != nil {
				errs <- res.err
			} else if c, _ := res.cell("A1"); c.Value != "00000000"+strings.Repeat("x", 92) {
				errs <- fmt.Errorf("A1 = %q", c.Value)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p := b.peakUse(); p > b.Size() || p < 2<<20 {
		t.Errorf("the workbooks held at most %d bytes together; want between 2 MiB and the budget, %d", p, b.Size())
	}
	if u := b.InUse(); u != 0 {
		t.Errorf("%d bytes still held after every workbook was closed", u)
	}
}
