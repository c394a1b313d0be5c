package workbooks

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"roster/importer"
	"roster/importer/store"
)

// WriteChanges writes the changes.xlsx of an import (contract section 8):
// one sheet per step with changes, named as in the template, whose first
// column says the change (created, updated, removed), then the key
// columns, then each other column's old and new value: for an updated row
// only the columns it changes, for a created row the new values, for a
// removed one the old. The rows are streamed from the database to the
// workbook's stream, so memory does not grow with the changes. Every value
// is written as text, so one that starts with = + - @ is never a formula.
func WriteChanges(ctx context.Context, st *store.Store, id string, w io.Writer) error {
	b := newBook()
	defer b.close()
	for _, sh := range importer.Sheets {
		if err := b.changesSheet(ctx, st, id, sh); err != nil {
			return err
		}
	}
	if b.sheets == 0 {
		sw, err := b.newSheet("Changes", 0)
		if err != nil {
			return err
		}
		if err := sw.SetRow("A1", []any{"This import changes nothing."}); err != nil {
			return err
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return b.writeTo(w)
}

// changeLayout is the columns of a step's changes sheet.
type changeLayout struct {
	others  []string       // the headers of the non-key columns, in order
	oldCell map[string]int // the cell of a column's old value, by header
}

func changeColumns(sh *importer.Sheet) (headers []string, l changeLayout) {
	headers = []string{"Change"}
	isKey := map[string]bool{}
	for _, k := range sh.Key {
		headers = append(headers, sh.Column(k).Header)
		isKey[k] = true
	}
	l.oldCell = map[string]int{}
	for _, c := range sh.Columns {
		if isKey[c.Field] {
			continue
		}
		l.others = append(l.others, c.Header)
		l.oldCell[c.Header] = len(headers)
		headers = append(headers, c.Header+" (old)", c.Header+" (new)")
	}
	return headers, l
}

// changesSheet writes the sheet of one step, if it has changes.
func (b *book) changesSheet(ctx context.Context, st *store.Store, id string, sh *importer.Sheet) error {
	headers, l := changeColumns(sh)
	var sw *excelize.StreamWriter
	row := 1
	cells := make([]any, len(headers))
	err := st.EachChange(ctx, id, sh, func(c importer.Change) error {
		if sw == nil {
			var err error
			if sw, err = b.changesHeader(sh.Name, headers); err != nil {
				return err
			}
		}
		clear(cells)
		cells[0] = string(c.Kind)
		for i, k := range c.Key {
			cells[1+i] = k
		}
		for _, col := range c.Columns {
			at := l.oldCell[col.Column]
			if c.Kind != importer.ChangeCreated {
				cells[at] = col.Old
			}
			if c.Kind != importer.ChangeRemoved {
				cells[at+1] = col.New
			}
		}
		row++
		if err := sw.SetRow("A"+strconv.Itoa(row), cells); err != nil {
			return fmt.Errorf("changes of %s: %w", sh.Name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sw == nil {
		return nil
	}
	return sw.Flush()
}

// changesHeader adds a changes sheet and writes its header row.
func (b *book) changesHeader(name string, headers []string) (*excelize.StreamWriter, error) {
	sw, err := b.newSheet(name, 1)
	if err != nil {
		return nil, err
	}
	hs, err := b.style(cellStyle{role: roleHeader})
	if err != nil {
		return nil, err
	}
	head := make([]any, len(headers))
	for i, h := range headers {
		if err := sw.SetColWidth(i+1, i+1, 20); err != nil {
			return nil, err
		}
		head[i] = excelize.Cell{StyleID: hs, Value: h}
	}
	if err := freezeHeader(sw, 1); err != nil {
		return nil, err
	}
	return sw, sw.SetRow("A1", head)
}
