package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// On PostgreSQL an import stages its rows with COPY, several times
// cheaper than multi-row INSERTs for both sides (measured in
// docs/performance.md): the values are sent in binary, not bound as
// parameters of a statement to parse. database/sql cannot send a COPY, so
// the import holds a connection of its own, begins its transaction on
// it, and runs the COPY through that connection's pgx driver: the staged
// rows are the transaction's, and a rollback leaves nothing of them.
//
// One COPY takes all of a sheet's batches, not one COPY a batch: each
// COPY costs a round trip and a statement to describe the table. It stays
// open from the sheet's first Stage until the import's next statement,
// which every statement of the import waits for (pgQuerier).

// beginPostgres starts a PostgreSQL import.
func (s *Store) beginPostgres(ctx context.Context, t *Tx) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin import: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return fmt.Errorf("begin import: %w", err)
	}
	t.conn, t.tx, t.q = conn, tx, pgQuerier{t}
	return nil
}

// copying is a COPY into one staging table that takes batches of rows
// until it is ended.
type copying struct {
	table    string
	batches  chan [][]any  // the next batch, for the COPY to send
	consumed chan struct{} // the batch sent last has been encoded: its rows are no longer read
	finished chan struct{} // closed when the COPY has ended; then err is its outcome
	err      error
}

// copyStage sends rows to the sheet's COPY, starting it for the sheet's
// first batch (and ending another table's first). It returns once the
// rows have been encoded, so the caller may reuse them.
func (t *Tx) copyStage(ctx context.Context, tb table, rows [][]any) error {
	if t.copy != nil && t.copy.table != tb.stage() {
		if err := t.endCopy(); err != nil {
			return err
		}
	}
	if t.copy == nil {
		t.startCopy(ctx, tb)
	}
	c := t.copy
	select {
	case c.batches <- rows:
	case <-c.finished:
		return t.endCopy()
	}
	select {
	case <-c.consumed:
		return nil
	case <-c.finished:
		return t.endCopy()
	}
}

func (t *Tx) startCopy(ctx context.Context, tb table) {
	c := &copying{
		table:    tb.stage(),
		batches:  make(chan [][]any),
		consumed: make(chan struct{}),
		finished: make(chan struct{}),
	}
	cols := append([]string{"row_no"}, tb.Fields...)
	go func() {
		defer close(c.finished)
		c.err = t.conn.Raw(func(dc any) error {
			_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{c.table}, cols, &batchSource{copying: c})
			return err
		})
		if c.err != nil {
			c.err = full(fmt.Errorf("stage %s: %w", tb.Name, c.err))
		}
	}()
	t.copy = c
}

// endCopy ends the open COPY, if any, and returns its outcome.
func (t *Tx) endCopy() error {
	c := t.copy
	if c == nil {
		return nil
	}
	t.copy = nil
	close(c.batches)
	<-c.finished
	return c.err
}

// batchSource gives the COPY the rows of the batches it is sent, one
// after the other, until there are no more batches.
type batchSource struct {
	*copying
	rows    [][]any
	next    int
	holding bool // rows is a batch whose sender waits to hear it consumed
}

func (s *batchSource) Next() bool {
	for s.next >= len(s.rows) {
		if s.holding {
			s.rows, s.holding = nil, false
			s.consumed <- struct{}{}
		}
		rows, ok := <-s.batches
		if !ok {
			return false
		}
		s.rows, s.next, s.holding = rows, 0, true
	}
	s.next++
	return true
}

func (s *batchSource) Values() ([]any, error) { return s.rows[s.next-1], nil }

func (s *batchSource) Err() error { return nil }

// pgQuerier runs the import's statements in its transaction, each once
// the open COPY has ended: the COPY holds the connection until then.
type pgQuerier struct{ t *Tx }

func (q pgQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := q.t.endCopy(); err != nil {
		return nil, err
	}
	return q.t.tx.ExecContext(ctx, query, args...)
}

func (q pgQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := q.t.endCopy(); err != nil {
		return nil, err
	}
	return q.t.tx.QueryContext(ctx, query, args...)
}

func (q pgQuerier) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if err := q.t.endCopy(); err != nil {
		return nil, err
	}
	return q.t.tx.PrepareContext(ctx, query)
}

// endPostgres ends the import's transaction, by commit or rollback, and
// gives its connection back to the pool. An undo has no connection of
// its own (it stages nothing).
func (t *Tx) endPostgres(commit bool) error {
	t.done = true
	// Commit has run statements since the last Stage, which ended the
	// COPY and returned its error; on rollback its error does not matter.
	t.endCopy()
	if t.conn != nil {
		defer t.conn.Close()
	}
	if commit {
		return full(t.tx.Commit())
	}
	return t.tx.Rollback()
}
